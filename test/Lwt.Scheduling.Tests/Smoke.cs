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
public class AsyncRecursionSmokeTests
{
    static async Promise Loop(int n) { if (n == 0) return; await Promise.ReturnUnit; await Loop(n - 1); }
    [Fact] public void DeepSynchronousAsyncRecursionDoesNotOverflow()
    {
        var t = new Thread(() => { var p = Loop(1_000_000); Assert.True(p.IsFulfilled); }, 1024 * 1024);
        Exception? err = null;
        t = new Thread(() => { try { var p = Loop(1_000_000); if (!p.IsFulfilled) throw new Exception("pending"); } catch (Exception e) { err = e; } }, 1024 * 1024);
        t.Start(); t.Join();
        Assert.Null(err);
    }
}
