namespace Lwt.Tests.Engines;

public class EngineSelectionTests
{
    [SkippableFact]
    public void CreateDefault_follows_the_name()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "epoll is Linux-only");
        using (var e = LwtEngine.CreateDefault((string?)null))
        {
            Assert.IsType<EpollEngine>(e);
        }

        using (var e = LwtEngine.CreateDefault("EPoll"))
        {
            Assert.IsType<EpollEngine>(e);
        }

        using (var e = LwtEngine.CreateDefault("POLL"))
        {
            Assert.IsType<PollEngine>(e);
        }

        var error = Assert.Throws<InvalidOperationException>(() => LwtEngine.CreateDefault("kqueue"));
        Assert.Contains("epoll", error.Message);
        Assert.Contains("poll", error.Message);
        Assert.Contains("LWT_ENGINE", error.Message);
    }

    [SkippableFact]
    public void Current_is_per_thread_and_Set_replaces_it()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "Linux-only");
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                CheckCurrent();
            }
            catch (Exception e)
            {
                failure = e;
            }
        });
        thread.Start();
        thread.Join();
        if (failure is not null)
        {
            throw new Xunit.Sdk.XunitException("failed on the test thread: " + failure);
        }
    }

    private static void CheckCurrent()
    {
        LwtEngine first = LwtEngine.Current;
        Assert.Same(first, LwtEngine.Current);

        LwtEngine? other = null;
        var t = new Thread(() => other = LwtEngine.Current);
        t.Start();
        t.Join();
        Assert.NotSame(first, other);
        other!.Dispose();

        var replacement = new PollEngine();
        LwtEngine.Set(replacement);
        Assert.Same(replacement, LwtEngine.Current);
        Assert.True(first.IsDisposed);

        var third = new EpollEngine();
        LwtEngine.Set(third, destroyPrevious: false);
        Assert.False(replacement.IsDisposed);
        replacement.Dispose();

        third.Dispose();
        LwtEngine fresh = LwtEngine.Current; // a disposed current engine is replaced
        Assert.NotSame(third, fresh);
        fresh.Dispose();
    }
}
