using System.Diagnostics;
using Lwt.Tests.Loop;

namespace Lwt.Tests.Engines;

/// <summary>LwtEngine.FakeEvent, Id, ForwardsSignal (Lwt_engine.fake_event, id, forwards_signal).</summary>
public class EngineIdentityTests
{
    [Fact]
    public void FakeEvent_is_stopped_and_stopping_it_does_nothing()
    {
        LwtEvent fake = LwtEngine.FakeEvent;
        Assert.Same(LwtEvent.Fake, fake);
        Assert.True(fake.IsStopped);
        fake.Stop();
        fake.Stop();
        Assert.True(fake.IsStopped);
    }

    [SkippableFact]
    public void Id_names_the_engine_kind_as_LWT_ENGINE_does()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "epoll is Linux-only");
        using var epoll = new EpollEngine();
        using var poll = new PollEngine();
        Assert.Equal("epoll", epoll.Id);
        Assert.Equal("poll", poll.Id);
        using var again = LwtEngine.CreateDefault(poll.Id);
        Assert.IsType<PollEngine>(again);
    }

    [SkippableFact]
    public void No_engine_forwards_signals()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "epoll is Linux-only");
        using var epoll = new EpollEngine();
        using var poll = new PollEngine();
        foreach (int signum in new[] { 1, 2, 15, 17, 64 })
        {
            Assert.False(epoll.ForwardsSignal(signum));
            Assert.False(poll.ForwardsSignal(signum));
        }

        Assert.Throws<ArgumentOutOfRangeException>("signum", () => poll.ForwardsSignal(0));
        Assert.Throws<ArgumentOutOfRangeException>("signum", () => poll.ForwardsSignal(65));
        Assert.Throws<ArgumentOutOfRangeException>("signum", () => poll.ForwardsSignal(-2));
    }
}

/// <summary>PollBasedEngine (Lwt_engine.poll_based): a user poll function drives a full engine.</summary>
public class PollBasedEngineTests
{
    /// <summary>A user engine on libc's poll(2), counting its calls and able to fail once.</summary>
    private sealed class LibcPollEngine : PollBasedEngine
    {
        public int Calls;
        public int LastCount;
        public bool FirstIsWake;
        public Exception? FailNext;

        protected override void Poll(Span<Entry> entries, double timeoutSeconds)
        {
            Calls++;
            LastCount = entries.Length;
            FirstIsWake = entries[0].CheckReadable && !entries[0].CheckWritable;
            if (FailNext is { } e)
            {
                FailNext = null;
                throw e;
            }

            var fds = new LibC.PollFd[entries.Length];
            for (int i = 0; i < entries.Length; i++)
            {
                fds[i].Fd = entries[i].Fd;
                fds[i].Events = (short)((entries[i].CheckReadable ? LibC.POLLIN : 0) | (entries[i].CheckWritable ? LibC.POLLOUT : 0));
            }

            int timeoutMs = timeoutSeconds < 0 ? -1 : (int)Math.Ceiling(timeoutSeconds * 1000);
            if (LibC.Poll(fds, timeoutMs) <= 0) return;

            for (int i = 0; i < entries.Length; i++)
            {
                entries[i].Readable = (fds[i].Revents & (LibC.POLLIN | LibC.POLLHUP | LibC.POLLERR)) != 0;
                entries[i].Writable = (fds[i].Revents & (LibC.POLLOUT | LibC.POLLERR)) != 0;
            }
        }
    }

    private sealed class NamedEngine : PollBasedEngine
    {
        protected override string EngineId => "mine";

        protected override void Poll(Span<Entry> entries, double timeoutSeconds) => Thread.Sleep(1);
    }

    private static void IterUntil(LwtEngine engine, Func<bool> done)
    {
        var sw = Stopwatch.StartNew();
        while (!done())
        {
            Assert.True(sw.ElapsedMilliseconds < 5000, "the expected event never came");
            engine.Iter(100);
        }
    }

    [SkippableFact]
    public void Readable_and_writable_are_dispatched_from_the_user_poll()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "uses Linux pipes");
        using var engine = new LibcPollEngine();
        using var pipe = new NativePipe();
        int reads = 0, writes = 0;
        var r = engine.OnReadable(pipe.ReadFd, _ => reads++);
        var w = engine.OnWritable(pipe.WriteFd, _ => writes++);
        engine.Iter(0);
        Assert.True(engine.FirstIsWake);
        Assert.Equal(3, engine.LastCount); // wake channel + two fds
        Assert.Equal(0, reads);
        Assert.Equal(1, writes);

        w.Stop();
        pipe.WriteByte();
        IterUntil(engine, () => reads > 0);
        Assert.Equal(1, writes);
        Assert.Equal(2, engine.LastCount);

        r.Stop();
        engine.Iter(0);
        Assert.Equal(1, engine.LastCount);
        Assert.Equal(1, reads);
    }

    [SkippableFact]
    public void Timers_fire_not_before_their_delay()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "uses Linux poll");
        using var engine = new LibcPollEngine();
        var sw = Stopwatch.StartNew();
        bool fired = false;
        engine.OnTimer(0.05, false, _ => fired = true);
        engine.Iter(true);
        Assert.True(fired);
        Assert.True(sw.ElapsedMilliseconds >= 49);
    }

    [SkippableFact]
    public void Wake_from_another_thread_ends_a_blocking_wait()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "uses Linux poll");
        using var engine = new LibcPollEngine();
        var waker = new Thread(() => { Thread.Sleep(50); engine.Wake(); }) { IsBackground = true };
        waker.Start();
        engine.Iter(-1); // would block forever without the wake channel
        Assert.True(engine.WokenByWake);
        Assert.True(waker.Join(5000));
    }

    [SkippableFact]
    public void What_Poll_throws_leaves_Iter_and_the_engine_stays_usable()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "uses Linux poll");
        using var engine = new LibcPollEngine { FailNext = new IOException("poll broke") };
        Assert.Throws<IOException>(() => engine.Iter(0));
        bool fired = false;
        engine.OnTimer(0, false, _ => fired = true);
        IterUntil(engine, () => fired);
    }

    [SkippableFact]
    public void Id_is_the_type_name_unless_overridden()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "uses an eventfd");
        using var engine = new LibcPollEngine();
        using var named = new NamedEngine();
        Assert.Equal(nameof(LibcPollEngine), engine.Id);
        Assert.Equal("mine", named.Id);
        Assert.False(named.ForwardsSignal(2));
    }

    [SkippableFact]
    public void An_event_loop_runs_on_a_user_engine()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "uses Linux poll");
        int calls = LoopTest.OnFreshThread(() =>
        {
            var engine = new LibcPollEngine();
            LwtEngine.Set(engine);
            var sw = Stopwatch.StartNew();
            LwtMain.Run(async () =>
            {
                await LwtUnix.Sleep(0.03);
                await Promise.Pause();
                await LwtUnix.Sleep(0.01);
            });
            Assert.True(sw.ElapsedMilliseconds >= 39);
            return engine.Calls;
        });
        Assert.True(calls > 0);
    }
}
