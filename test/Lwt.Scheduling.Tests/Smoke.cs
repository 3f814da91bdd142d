using Lwt;
namespace Lwt.Tests;
public class SmokeTests
{
    static Promise Loop(int n) => n == 0 ? Promise.ReturnUnit : Promise.ReturnUnit.Bind(() => Loop(n - 1));
    [Fact] public void BindResolvedDeep() { var p = Loop(10_000_000); Assert.True(p.IsFulfilled); }

    static async Promise<int> Add(Promise<int> a) { var x = await a; return x + 1; }
    [Fact] public void AsyncAwaitPending()
    {
        var (p, r) = Promise.Create<int>();
        var q = Add(p);
        Assert.True(q.IsPending);
        r.Resolve(41);
        Assert.Equal(42, q.Value);
    }
    [Fact] public void CancelThroughBindAndAwait()
    {
        var (p, r) = Promise.CreateCancelable<int>();
        var q = Add(p.Map(x => x * 2));
        q.Cancel();
        Assert.True(p.IsCanceled);
        Assert.True(q.IsCanceled);
    }
    static Promise PauseLoop(int n) => n == 0 ? Promise.ReturnUnit : Promise.Pause().Bind(() => PauseLoop(n - 1));
    [Fact] public void PauseLoopFlat()
    {
        var p = PauseLoop(1_000_000);
        while (p.IsPending) Promise.WakeupPaused();
        Assert.True(p.IsFulfilled);
    }
}
