using System.Diagnostics;
using Lwt.Tests.Loop;

namespace Lwt.Tests.Engines;

/// <summary>
/// LwtEngine.Set moving the previous engine's events to the new one (Lwt_engine.set's
/// ~transfer:true, lwt_engine.ml's transfer then destroy), and LwtEngine.TransferTo behind it.
/// Every test runs on a fresh thread: Set changes the calling thread's engine.
/// </summary>
public class EngineTransferTests
{
    public static TheoryData<string, string> Directions => new() { { "epoll", "poll" }, { "poll", "epoll" } };

    private static LwtEngine Create(string kind) => kind switch
    {
        "epoll" => new EpollEngine(),
        "poll" => new PollEngine(),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>Runs <paramref name="body"/> on a fresh thread, on Linux only (pipes and epoll).</summary>
    private static void OnLinuxThread(Action body)
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "uses Linux pipes and epoll");
        LoopTest.OnFreshThread(body);
    }

    /// <summary>Iterates (at most 50 ms per wait) until <paramref name="done"/>, failing after 5 s.</summary>
    private static void IterUntil(LwtEngine engine, Func<bool> done)
    {
        var sw = Stopwatch.StartNew();
        while (!done())
        {
            Assert.True(sw.ElapsedMilliseconds < 5000, "the expected event never came");
            engine.Iter(50);
        }
    }

    /// <summary>A few short iterations, for "nothing happens".</summary>
    private static void IterAFewTimes(LwtEngine engine)
    {
        for (int i = 0; i < 3; i++) engine.Iter(20);
    }

    [SkippableTheory]
    [MemberData(nameof(Directions))]
    public void A_read_waiting_in_the_previous_engine_completes_after_Set(string from, string to)
    {
        OnLinuxThread(() =>
        {
            using var pipe = new NativePipe();
            var previous = Create(from);
            LwtEngine.Set(previous);
            int calls = 0;
            LwtEvent? seen = null;
            var ev = LwtEngine.Current.OnReadable(pipe.ReadFd, e => { calls++; seen = e; });
            previous.Iter(0);

            var next = Create(to);
            LwtEngine.Set(next);
            Assert.Same(next, LwtEngine.Current);
            Assert.True(previous.IsDisposed);
            Assert.False(ev.IsStopped);
            Assert.Equal(1, next.ReadableCount);

            pipe.WriteByte();
            IterUntil(next, () => calls > 0);
            Assert.Same(ev, seen);
            Assert.Equal(1, pipe.Drain());
        });
    }

    [SkippableTheory]
    [MemberData(nameof(Directions))]
    public void A_writer_and_a_reader_of_one_socket_move_together(string from, string to)
    {
        OnLinuxThread(() =>
        {
            using var pair = new SocketPair();
            int fd = SocketPair.Fd(pair.Server);
            LwtEngine.Set(Create(from));
            int readable = 0, writable = 0;
            LwtEngine.Current.OnReadable(fd, _ => readable++);
            var w = LwtEngine.Current.OnWritable(fd, _ => writable++);

            var next = Create(to);
            LwtEngine.Set(next);
            Assert.Equal(1, next.ReadableCount);
            Assert.Equal(1, next.WritableCount);
            IterUntil(next, () => writable > 0);
            Assert.Equal(0, readable);

            w.Stop();
            pair.Client.Send(new byte[] { 1 });
            IterUntil(next, () => readable > 0);
        });
    }

    [SkippableTheory]
    [MemberData(nameof(Directions))]
    public void A_timer_keeps_its_deadline_and_fires_after_Set_not_before(string from, string to)
    {
        OnLinuxThread(() =>
        {
            LwtEngine.Set(Create(from));
            var sw = Stopwatch.StartNew();
            long firedAt = -1;
            var ev = LwtEngine.Current.OnTimer(0.2, repeat: false, _ => firedAt = sw.ElapsedMilliseconds);
            long deadline = ev._timer!.Deadline;
            Thread.Sleep(50);

            var next = Create(to);
            LwtEngine.Set(next);
            Assert.Equal(1, next.TimerCount);
            Assert.Equal(deadline, ev._timer.Deadline); // not a fresh 0.2 s from the transfer, as Lwt would
            IterUntil(next, () => firedAt >= 0);
            Assert.True(firedAt >= 200, $"fired after {firedAt} ms, before its 200 ms deadline");
            Assert.True(ev.IsStopped);
            Assert.Equal(0, next.TimerCount);
        });
    }

    [SkippableFact]
    public void A_repeating_timer_repeats_in_the_new_engine_until_stopped_there()
    {
        OnLinuxThread(() =>
        {
            LwtEngine.Set(new EpollEngine());
            int calls = 0;
            var ev = LwtEngine.Current.OnTimer(0.01, repeat: true, _ => calls++);
            var next = new PollEngine();
            LwtEngine.Set(next);
            IterUntil(next, () => calls >= 3);
            ev.Stop();
            Assert.Equal(0, next.TimerCount);
            int stoppedAt = calls;
            IterAFewTimes(next);
            Assert.Equal(stoppedAt, calls);
        });
    }

    [SkippableFact]
    public void An_event_stopped_before_Set_is_not_transferred_and_never_fires()
    {
        OnLinuxThread(() =>
        {
            using var pipe = new NativePipe();
            LwtEngine.Set(new EpollEngine());
            int stoppedCalls = 0, liveCalls = 0, timerCalls = 0;
            var stopped = LwtEngine.Current.OnReadable(pipe.ReadFd, _ => stoppedCalls++);
            LwtEngine.Current.OnReadable(pipe.ReadFd, _ => liveCalls++);
            var timer = LwtEngine.Current.OnTimer(0, repeat: false, _ => timerCalls++);
            stopped.Stop();
            timer.Stop();

            var next = new PollEngine();
            LwtEngine.Set(next);
            Assert.Equal(1, next.ReadableCount);
            Assert.Equal(0, next.TimerCount);
            pipe.WriteByte();
            IterUntil(next, () => liveCalls > 0);
            IterAFewTimes(next);
            Assert.Equal(0, stoppedCalls);
            Assert.Equal(0, timerCalls);
            Assert.True(stopped.IsStopped);
        });
    }

    [SkippableTheory]
    [MemberData(nameof(Directions))]
    public void Stop_after_Set_stops_the_event_in_the_new_engine(string from, string to)
    {
        OnLinuxThread(() =>
        {
            using var pipe = new NativePipe();
            LwtEngine.Set(Create(from));
            int readCalls = 0, timerCalls = 0;
            var read = LwtEngine.Current.OnReadable(pipe.ReadFd, _ => readCalls++);
            var timer = LwtEngine.Current.OnTimer(0.01, repeat: true, _ => timerCalls++);

            var next = Create(to);
            LwtEngine.Set(next);
            read.Stop();
            timer.Stop();
            Assert.True(read.IsStopped);
            Assert.True(timer.IsStopped);
            Assert.Equal(0, next.ReadableCount);
            Assert.Equal(0, next.TimerCount);

            pipe.WriteByte();
            IterAFewTimes(next);
            Assert.Equal(0, readCalls);
            Assert.Equal(0, timerCalls);

            // The fd is free again in the new engine: a new reader sees the byte.
            int again = 0;
            next.OnReadable(pipe.ReadFd, _ => again++);
            IterUntil(next, () => again > 0);
        });
    }

    [SkippableFact]
    public void Without_transfer_the_events_stay_behind_and_are_stopped_with_the_previous_engine()
    {
        OnLinuxThread(() =>
        {
            using var pipe = new NativePipe();
            var previous = new EpollEngine();
            LwtEngine.Set(previous);
            int calls = 0;
            var ev = LwtEngine.Current.OnReadable(pipe.ReadFd, _ => calls++);
            var timer = LwtEngine.Current.OnTimer(0, repeat: false, _ => calls++);

            var next = new PollEngine();
            LwtEngine.Set(next, transfer: false);
            Assert.True(previous.IsDisposed);
            Assert.True(ev.IsStopped);
            Assert.True(timer.IsStopped);
            Assert.Equal(0, next.ReadableCount);
            Assert.Equal(0, next.TimerCount);
            pipe.WriteByte();
            IterAFewTimes(next);
            Assert.Equal(0, calls);
        });
    }

    [SkippableFact]
    public void Without_transfer_nor_destroy_the_previous_engine_keeps_its_events()
    {
        OnLinuxThread(() =>
        {
            using var pipe = new NativePipe();
            using var previous = new EpollEngine();
            LwtEngine.Set(previous);
            int calls = 0;
            var ev = LwtEngine.Current.OnReadable(pipe.ReadFd, _ => calls++);

            var next = new PollEngine();
            LwtEngine.Set(next, transfer: false, destroyPrevious: false);
            Assert.Equal(1, previous.ReadableCount);
            Assert.Equal(0, next.ReadableCount);
            pipe.WriteByte();
            IterAFewTimes(next);
            Assert.Equal(0, calls);

            IterUntil(previous, () => calls > 0); // only iterating the previous engine calls it
            ev.Stop();
            Assert.Equal(0, previous.ReadableCount);
        });
    }

    [SkippableFact]
    public void With_destroyPrevious_false_the_previous_engine_stays_usable_and_empty()
    {
        OnLinuxThread(() =>
        {
            using var moved = new NativePipe();
            using var stays = new NativePipe();
            using var previous = new EpollEngine();
            LwtEngine.Set(previous);
            int movedCalls = 0, staysCalls = 0;
            LwtEngine.Current.OnReadable(moved.ReadFd, _ => movedCalls++);

            var next = new PollEngine();
            LwtEngine.Set(next, destroyPrevious: false);
            Assert.False(previous.IsDisposed);
            Assert.Equal(0, previous.ReadableCount);
            Assert.Equal(1, next.ReadableCount);

            previous.OnReadable(stays.ReadFd, _ => staysCalls++);
            previous.OnTimer(0, repeat: false, _ => staysCalls++);
            moved.WriteByte();
            stays.WriteByte();
            IterUntil(previous, () => staysCalls >= 2);
            IterAFewTimes(previous);
            Assert.Equal(0, movedCalls); // it left the previous engine, kernel interest included
            IterUntil(next, () => movedCalls > 0);
        });
    }

    [SkippableFact]
    public void Set_to_the_current_engine_is_a_no_op()
    {
        OnLinuxThread(() =>
        {
            using var pipe = new NativePipe();
            var engine = new EpollEngine();
            LwtEngine.Set(engine);
            int calls = 0;
            var ev = LwtEngine.Current.OnReadable(pipe.ReadFd, _ => calls++);
            LwtEngine.Current.OnTimer(3600, repeat: false, _ => { });

            LwtEngine.Set(engine);
            LwtEngine.Set(engine, transfer: true, destroyPrevious: true);
            Assert.Same(engine, LwtEngine.Current);
            Assert.False(engine.IsDisposed);
            Assert.False(ev.IsStopped);
            Assert.Equal(1, engine.ReadableCount);
            Assert.Equal(1, engine.TimerCount);
            pipe.WriteByte();
            IterUntil(engine, () => calls > 0);
        });
    }

    [SkippableFact]
    public void Set_from_a_callback_of_the_previous_engine_calls_nothing_more_in_its_dispatch()
    {
        // Two readers of one fd: the first one's callback transfers everything to an engine that
        // already has a reader of that fd. The previous engine's walk would step from the moved
        // event into the new engine's list; none of those events may run in the previous Iter.
        OnLinuxThread(() =>
        {
            using var pipe = new NativePipe();
            using var previous = new EpollEngine();
            var next = new PollEngine();
            LwtEngine.Set(previous);
            int first = 0, second = 0, native = 0;
            next.OnReadable(pipe.ReadFd, _ => native++);
            previous.OnReadable(pipe.ReadFd, _ =>
            {
                if (first++ == 0) LwtEngine.Set(next, destroyPrevious: false);
            });
            previous.OnReadable(pipe.ReadFd, _ => second++);

            pipe.WriteByte();
            IterUntil(previous, () => first > 0);
            Assert.Equal((1, 0, 0), (first, second, native));
            Assert.Equal(3, next.ReadableCount);

            IterUntil(next, () => second > 0);
            Assert.Equal((2, 1, 1), (first, second, native));

            // A later Iter of the previous engine dispatches again: what is registered there now.
            int later = 0;
            previous.OnReadable(pipe.ReadFd, _ => later++);
            IterUntil(previous, () => later > 0);
            Assert.Equal((2, 1, 1), (first, second, native));
        });
    }

    [SkippableFact]
    public void A_refused_fd_makes_Set_throw_and_change_nothing()
    {
        // poll takes a regular file, epoll refuses it (EPERM): the transfer is all or nothing.
        OnLinuxThread(() =>
        {
            using var pipe = new NativePipe();
            string path = Path.GetTempFileName();
            try
            {
                using var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read);
                int fileFd = (int)file.DangerousGetHandle();
                var previous = new PollEngine();
                LwtEngine.Set(previous);
                int calls = 0;
                var pipeEvent = previous.OnReadable(pipe.ReadFd, _ => calls++);
                previous.OnReadable(fileFd, _ => { });
                previous.OnTimer(3600, repeat: false, _ => { });

                using var epoll = new EpollEngine();
                Assert.Throws<System.ComponentModel.Win32Exception>(() => LwtEngine.Set(epoll));
                Assert.Same(previous, LwtEngine.Current);
                Assert.False(previous.IsDisposed);
                Assert.Equal((2, 1), (previous.ReadableCount, previous.TimerCount));
                Assert.Equal((0, 0), (epoll.ReadableCount, epoll.TimerCount));

                pipe.WriteByte();
                IterUntil(previous, () => calls > 0);
                pipeEvent.Stop();
            }
            finally
            {
                File.Delete(path);
            }
        });
    }

    [SkippableTheory]
    [MemberData(nameof(Directions))]
    public void In_the_event_loop_a_read_and_a_sleep_complete_after_Set_from_a_callback(string from, string to)
    {
        OnLinuxThread(() =>
        {
            var previous = Create(from);
            var next = Create(to);
            LwtEngine.Set(previous);
            var (r, w) = LwtUnix.Pipe();
            var sw = Stopwatch.StartNew();
            long engineTimerAt = -1, sleptAt = -1;
            var buffer = new byte[16];
            LwtMain.Run(async () =>
            {
                Promise<int> reading = LwtUnix.Read(r, buffer);
                Promise sleeping = LwtUnix.Sleep(0.3).Map(() => sleptAt = sw.ElapsedMilliseconds);
                var (engineTimerFired, fired) = Promise.Create();
                LwtEngine.Current.OnTimer(0.25, repeat: false, _ =>
                {
                    engineTimerAt = sw.ElapsedMilliseconds;
                    fired.Resolve();
                });

                // Set from a callback of the previous engine, in the middle of its Iter; the pipe
                // becomes readable later, while the loop waits in the new engine.
                LwtEngine.Current.OnTimer(0.02, repeat: false, _ =>
                {
                    LwtEngine.Set(next);
                    int writeFd = w.Fd;
                    new Thread(() =>
                    {
                        Thread.Sleep(50);
                        LibC.Write(writeFd, new byte[] { 7 });
                    }) { IsBackground = true }.Start();
                });

                var guard = LwtUnix.Sleep(10).Bind(() => Promise.Fail(new TimeoutException("the read, the sleep or the engine timer never completed")));
                await Promise.Pick(Promise.Join(reading, sleeping, engineTimerFired), guard);
                Assert.Equal(1, await reading);
                Assert.True(previous.IsDisposed);
                Assert.Same(next, EventLoop.Current!.Engine);
            });
            Assert.Equal(7, buffer[0]);
            Assert.True(sleptAt >= 300, $"the sleep ended after {sleptAt} ms");
            Assert.True(engineTimerAt >= 250, $"the engine timer fired after {engineTimerAt} ms");
            LwtMain.Run(() => Promise.Join(r.Close(), w.Close()));
        });
    }
}
