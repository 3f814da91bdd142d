namespace Lwt.Tests.Library;

/// <summary>
/// The tests that replace the process-wide <see cref="LwtTimeout.SetExnHandler"/>. They run
/// apart from every other test: one of them restoring the default handler while another's
/// throwing action is still to fire sent that exception to the default hook, which ends the
/// process (the test host crashed once that way).
/// </summary>
[Collection(Lwt.Tests.Core.SerialCollection.Name)]
public class TimeoutExnHandlerTests
{
    [Fact]
    public void ExceptionsGoToTheHandler()
    {
        var seen = new List<Exception>();
        var boom = new InvalidOperationException("boom");
        LwtTimeout.SetExnHandler(seen.Add);
        try
        {
            int after = 0;
            LwtMain.Run(() =>
            {
                var (fired, r) = Promise.Create();
                LwtTimeout.Create(0.01, () => throw boom).Start();
                LwtTimeout.Create(0.02, () => { after++; r.Resolve(); }).Start();
                return fired.Bind(() => LwtUnix.Sleep(0.02));
            });
            Assert.Same(boom, Assert.Single(seen));
            Assert.Equal(1, after);
        }
        finally
        {
            LwtTimeout.ResetExnHandler();
        }
    }

    // The default handler reports as every exception a loop cannot deliver: to the thread's
    // hook override when it has one (a hosted loop's logger), else to AsyncExceptionHook. It
    // called the global hook directly, whose default ends the process, on a hosted loop too.
    [Fact]
    public void ByDefaultExceptionsGoToTheLoopsHookOverride()
    {
        var boom = new InvalidOperationException("boom");
        var global = new List<Exception>();
        var local = new List<Exception>();
        Lwt.Tests.Loop.LoopTest.WithExceptionHook(global.Add, () => Lwt.Tests.Loop.LoopTest.OnFreshThread(() =>
        {
            var resolution = ResolutionLoop.Current;
            resolution.ExceptionHookOverride = local.Add;
            try
            {
                LwtMain.Run(() =>
                {
                    var (fired, r) = Promise.Create();
                    LwtTimeout.Create(0.01, () => throw boom).Start();
                    LwtTimeout.Create(0.02, () => r.Resolve()).Start();
                    return fired;
                });
            }
            finally
            {
                resolution.ExceptionHookOverride = null;
            }
        }));
        Assert.Same(boom, Assert.Single(local));
        Assert.Empty(global);
    }

    // The action raised: the handler got it, the timeout is stopped and can be started again.
    [Fact]
    public void TimeoutAfterThrowingActionCanBeRestarted()
    {
        var seen = new List<Exception>();
        LwtTimeout.SetExnHandler(seen.Add);
        try
        {
            int runs = 0;
            LwtMain.Run(() =>
            {
                var (done, r) = Promise.Create();
                LwtTimeout? t = null;
                t = LwtTimeout.Create(0.01, () =>
                {
                    runs++;
                    if (runs == 2) { r.Resolve(); return; }
                    throw new FormatException();
                });
                t.Start();
                return LwtUnix.Sleep(0.05).Bind(() =>
                {
                    Assert.False(t.IsStarted);
                    t.Stop();      // stopping an expired timeout: nothing
                    t.Start();
                    return done;
                });
            });
            Assert.Equal(2, runs);
            Assert.IsType<FormatException>(Assert.Single(seen));
        }
        finally
        {
            LwtTimeout.ResetExnHandler();
        }
    }
}
