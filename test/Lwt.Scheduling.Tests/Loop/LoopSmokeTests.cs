using Lwt;
namespace Lwt.Tests.Loop;
public class LoopSmokeTests
{
    [Fact] public void SleepsRunConcurrently()
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        LwtMain.Run(Promise.Join(LwtUnix.Sleep(0.2), LwtUnix.Sleep(0.2)));
        Assert.True(sw.Elapsed >= TimeSpan.FromSeconds(0.2));
    }
    [Fact] public void NestedRunThrows()
    {
        var ex = Record.Exception(() => LwtMain.Run(() => Promise.ReturnUnit.Bind(() => { LwtMain.Run(LwtUnix.Sleep(0.01)); return Promise.ReturnUnit; })));
        Assert.IsType<InvalidOperationException>(ex);
    }
    [Fact] public void AwaitTaskOnLoop()
    {
        int loopThread = 0, after = 0;
        LwtMain.Run(async () =>
        {
            loopThread = Environment.CurrentManagedThreadId;
            await Task.Delay(10);
            after = Environment.CurrentManagedThreadId;
        });
        Assert.Equal(loopThread, after);
    }
    [Fact] public void CrossThreadPosts()
    {
        int count = 0; int n = 100_000;
        var (p, r) = Promise.Create();
        LwtMain.Run(() =>
        {
            var loop = EventLoop.Current!;
            var t = new Thread(() => { for (int i = 0; i < n; i++) loop.Post(() => { if (++count == n) r.Resolve(); }); });
            t.Start();
            return p;
        });
        Assert.Equal(n, count);
    }
    static async Promise PauseLoop(int n) { for (int i = 0; i < n; i++) await Promise.Pause(); }
    [Fact] public void AsyncPauseLoop() => LwtMain.Run(PauseLoop(100_000));
    [Fact] public void Detach() => Assert.Equal(42, LwtMain.Run(LwtPreemptive.Detach(() => { Thread.Sleep(10); return 42; })));
}
