using System.Runtime.InteropServices;
using Lwt.Tests.Loop;

namespace Lwt.Tests.Engines;

/// <summary>
/// The engine audit's findings: a registration on a reused fd number reaching the kernel
/// (F1), the loop following LwtEngine.Set while busy (F2), FakeIo from a FakeIo callback
/// (F3), timers created during an Iter (F4) and negative timer delays (F5).
/// </summary>
public class EngineAuditTests
{
    public static TheoryData<string> Kinds => new() { "epoll", "poll" };

    private static LwtEngine Create(string kind)
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "these tests use Linux pipes and epoll");
        return kind == "epoll" ? new EpollEngine() : new PollEngine();
    }

    [DllImport("libc", EntryPoint = "dup2", SetLastError = true)]
    private static extern int Dup2(int oldFd, int newFd);

    // ---- F1: a stale registration on a reused fd number ---------------------

    /// <summary>
    /// An event is left registered on a pipe's read end, and that fd number is then made to
    /// name another pipe (dup2 onto a number this test owns, so no test running in parallel
    /// can take it in between). The kernel forgot the first file with its last descriptor; a
    /// new registration on the number must reach the kernel (as libev's ev_io_start does
    /// through fd_change) although the interest mask does not change. (PollEngine hands the
    /// kernel every fd at each wait, so only epoll had the problem.)
    /// </summary>
    [SkippableFact]
    public void A_new_event_on_a_reused_fd_number_fires_while_a_stale_one_is_registered()
    {
        using var engine = Create("epoll");
        using var first = new NativePipe();
        using var second = new NativePipe();
        int fd = first.ReadFd;
        int oldCalls = 0, newCalls = 0;
        var stale = engine.OnReadable(fd, _ => oldCalls++);

        // Closes the first pipe's read end (its only descriptor) and puts the second one's there.
        Assert.Equal(fd, Dup2(second.ReadFd, fd));
        var fresh = engine.OnReadable(fd, _ => newCalls++);
        second.WriteByte();

        engine.Iter(0);
        Assert.Equal(1, newCalls);
        Assert.Equal(1, oldCalls); // both watch the number, as in Lwt

        stale.Stop();
        engine.Iter(0); // level-triggered: the byte is still there
        Assert.Equal(2, newCalls);
        Assert.Equal(1, oldCalls);

        // A third event on the now live fd re-syncs harmlessly (MOD of what the kernel has).
        int thirdCalls = 0;
        var third = engine.OnReadable(fd, _ => thirdCalls++);
        engine.Iter(0);
        Assert.Equal(3, newCalls);
        Assert.Equal(1, thirdCalls);

        fresh.Stop();
        third.Stop();
        Assert.Equal(1, second.Drain());
        second.WriteByte();
        engine.Iter(0); // nothing registered any more
        Assert.Equal((1, 3, 1), (oldCalls, newCalls, thirdCalls));
        Assert.Equal(0, engine.ReadableCount);
    }

    /// <summary>
    /// The same stale registration, met by a transfer: the target engine (epoll) keeps a stale
    /// read event on a number that now names another pipe, and an event registered on the new
    /// pipe by another engine is transferred to it. The interest mask of the target does not
    /// change, so only a re-sync makes its kernel watch the new file (as for a new event, F1).
    /// </summary>
    [SkippableTheory]
    [MemberData(nameof(Kinds))]
    public void A_transferred_event_on_a_reused_fd_number_fires_while_a_stale_one_is_registered(string sourceKind)
    {
        using var target = Create("epoll");
        using var source = Create(sourceKind);
        using var first = new NativePipe();
        using var second = new NativePipe();
        int fd = first.ReadFd;
        int oldCalls = 0, movedCalls = 0;
        var stale = target.OnReadable(fd, _ => oldCalls++);

        Assert.Equal(fd, Dup2(second.ReadFd, fd));
        var moved = source.OnReadable(fd, _ => movedCalls++);
        source.TransferTo(target);
        Assert.Equal(2, target.ReadableCount); // the stale event and the moved one
        second.WriteByte();

        target.Iter(0);
        Assert.Equal(1, movedCalls);

        stale.Stop();
        target.Iter(0); // level-triggered: the byte is still there
        Assert.Equal(2, movedCalls);

        moved.Stop();
        Assert.Equal(1, second.Drain());
        Assert.Equal(0, target.ReadableCount);
        Assert.Equal(0, source.ReadableCount);
    }

    // ---- F2: a busy loop follows LwtEngine.Set at its next iteration --------

    /// <summary>
    /// Set(transfer: false, destroyPrevious: false) from a busy loop (a pause loop): the loop
    /// must use the new engine from its next iteration, as Set's documentation says, not only
    /// after its periodic look (every 64 busy iterations).
    /// </summary>
    [SkippableFact]
    public void A_busy_loop_moves_to_the_new_engine_at_its_next_iteration()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "uses epoll");
        LoopTest.OnFreshThread(() =>
        {
            var previous = LwtEngine.Current;
            LwtEngine? next = null;
            var onNext = new List<bool>();
            int step = 0;
            LwtMain.Run(() =>
            {
                Promise Step()
                {
                    step++;
                    if (step == 5)
                    {
                        next = new EpollEngine();
                        LwtEngine.Set(next, transfer: false, destroyPrevious: false);
                    }
                    else if (step > 5)
                    {
                        onNext.Add(ReferenceEquals(EventLoop.Current!.Engine, next));
                    }

                    return step == 12 ? Promise.ReturnUnit : Promise.Pause().Bind(Step);
                }

                return Step();
            });

            previous.Dispose(); // `next` is the thread's engine: OnFreshThread disposes it
            Assert.Equal(7, onNext.Count);
            Assert.All(onNext, Assert.True);
        });
    }

    // ---- F3: FakeIo from a FakeIo callback ----------------------------------

    [SkippableTheory]
    [MemberData(nameof(Kinds))]
    public void A_nested_FakeIo_does_not_make_the_outer_one_call_events_its_callbacks_registered(string kind)
    {
        using var engine = Create(kind);
        using var a = new NativePipe();
        using var b = new NativePipe();
        var log = new List<string>();
        engine.OnReadable(b.ReadFd, _ => log.Add("other"));
        // A stays registered (so the outer walk goes on from it to N) until the check below.
        var first = engine.OnReadable(a.ReadFd, _ =>
        {
            log.Add("A");
            engine.OnReadable(a.ReadFd, _ => log.Add("N"));
            engine.FakeIo(b.ReadFd);
        });

        engine.FakeIo(a.ReadFd);
        Assert.Equal(["A", "other"], log);

        // N waited for the next dispatch.
        first.Stop();
        log.Clear();
        engine.FakeIo(a.ReadFd);
        Assert.Equal(["N"], log);
    }

    /// <summary>
    /// FakeIo from a callback of an Iter calls the events registered on the fd before the call,
    /// those registered earlier in the same Iter included: Lwt's fake_io calls every event
    /// registered on the fd (differential area engine, the program
    /// <c>eng ep ep;on w 0 e1 on:r:2:n2+fk:r:2+ss;it 0</c>: Lwt, libev and select, calls n2).
    /// What that FakeIo's own callbacks register waits (FakeIo's doc), and neither it nor the
    /// Iter's walk, which goes on past the FakeIo, calls them.
    /// </summary>
    [SkippableTheory]
    [MemberData(nameof(Kinds))]
    public void FakeIo_from_an_Iter_callback_calls_the_events_registered_earlier_in_that_Iter(string kind)
    {
        using var engine = Create(kind);
        using var a = new NativePipe();
        var log = new List<string>();
        LwtEvent writer = null!;
        writer = engine.OnWritable(a.WriteFd, _ =>
        {
            log.Add("W");
            writer.Stop();
            engine.OnReadable(a.ReadFd, _ =>
            {
                log.Add("N");
                engine.OnWritable(a.WriteFd, _ => log.Add("M")); // kernel-ready, after the Iter's walk position
                engine.OnReadable(a.ReadFd, _ => log.Add("M2"));
            });
            engine.FakeIo(a.ReadFd);
        });

        engine.Iter(1000);
        Assert.Equal(["W", "N"], log);

        log.Clear();
        engine.Iter(1000); // the write end is writable: M runs now
        Assert.Equal(["M"], log);
    }

    [SkippableTheory]
    [MemberData(nameof(Kinds))]
    public void A_nested_FakeIo_does_not_rethrow_a_sibling_callbacks_exception(string kind)
    {
        using var engine = Create(kind);
        using var a = new NativePipe();
        using var b = new NativePipe();
        Exception? nestedError = null;
        bool secondFinished = false;
        engine.OnReadable(a.ReadFd, _ => throw new InvalidCastException("from callback 1"));
        engine.OnReadable(a.ReadFd, _ =>
        {
            try
            {
                engine.FakeIo(b.ReadFd);
                secondFinished = true;
            }
            catch (Exception e)
            {
                nestedError = e;
            }
        });

        var outer = Assert.Throws<InvalidCastException>(() => engine.FakeIo(a.ReadFd));
        Assert.Equal("from callback 1", outer.Message);
        Assert.Null(nestedError);
        Assert.True(secondFinished);

        // The error was rethrown once: the next FakeIo is clean.
        engine.FakeIo(b.ReadFd);

        // Dispose from a FakeIo callback (now marked as dispatching): the rest are not called,
        // and the engine's descriptors are released once the dispatch is over.
        int later = 0;
        engine.OnReadable(b.ReadFd, _ => engine.Dispose());
        engine.OnReadable(b.ReadFd, _ => later++);
        engine.FakeIo(b.ReadFd);
        Assert.Equal(0, later);
        Assert.Throws<ObjectDisposedException>(() => engine.FakeIo(b.ReadFd));
    }

    /// <summary>A FakeIo callback is one of the engine's callbacks: Iter from it is refused, as from an Iter callback.</summary>
    [SkippableTheory]
    [MemberData(nameof(Kinds))]
    public void Iter_from_a_FakeIo_callback_is_refused(string kind)
    {
        using var engine = Create(kind);
        using var a = new NativePipe();
        Exception? error = null;
        engine.OnReadable(a.ReadFd, _ =>
        {
            try
            {
                engine.Iter(false);
            }
            catch (Exception e)
            {
                error = e;
            }
        });

        engine.FakeIo(a.ReadFd);
        Assert.IsType<InvalidOperationException>(error);
    }

    // ---- F4: a timer created during an Iter fires at the next one ----------

    [SkippableTheory]
    [MemberData(nameof(Kinds))]
    public void A_timer_registered_by_an_io_callback_fires_at_the_next_Iter(string kind)
    {
        using var engine = Create(kind);
        using var pipe = new NativePipe();
        pipe.WriteByte();
        var log = new List<string>();
        int iter = 0;
        engine.OnReadable(pipe.ReadFd, ev =>
        {
            ev.Stop();
            log.Add($"io@{iter}");
            engine.OnTimer(0, false, _ => log.Add($"timer@{iter}"));
        });

        for (iter = 0; iter < 3; iter++)
        {
            engine.Iter(false);
        }

        Assert.Equal(["io@0", "timer@1"], log);
        Assert.Equal(0, engine.TimerCount);

        // One made outside any Iter (here by a FakeIo callback) is not held back: the next Iter fires it.
        int fired = 0;
        engine.OnReadable(pipe.ReadFd, ev =>
        {
            ev.Stop();
            engine.OnTimer(0, false, _ => fired++);
        });
        engine.FakeIo(pipe.ReadFd);
        Assert.Equal(0, fired);
        engine.Iter(false);
        Assert.Equal(1, fired);
    }

    [SkippableTheory]
    [MemberData(nameof(Kinds))]
    public void A_timer_registered_by_a_timer_callback_fires_at_the_next_Iter(string kind)
    {
        using var engine = Create(kind);
        var log = new List<string>();
        int iter = 0;
        engine.OnTimer(0, false, _ =>
        {
            log.Add($"first@{iter}");
            engine.OnTimer(-1, false, _ => log.Add($"second@{iter}"));
        });

        for (iter = 0; iter < 3; iter++)
        {
            engine.Iter(false);
        }

        Assert.Equal(["first@0", "second@1"], log);
    }

    /// <summary>A repeating timer made by an I/O callback starts at the next Iter, then fires once per Iter.</summary>
    [SkippableTheory]
    [MemberData(nameof(Kinds))]
    public void A_repeating_timer_registered_by_an_io_callback_starts_at_the_next_Iter(string kind)
    {
        using var engine = Create(kind);
        using var pipe = new NativePipe();
        pipe.WriteByte();
        var log = new List<int>();
        int iter = 0;
        LwtEvent? repeating = null;
        engine.OnReadable(pipe.ReadFd, ev =>
        {
            ev.Stop();
            repeating = engine.OnTimer(0, true, _ => log.Add(iter));
        });

        for (iter = 0; iter < 4; iter++)
        {
            engine.Iter(false);
        }

        repeating!.Stop();
        Assert.Equal([1, 2, 3], log);
    }

    // ---- F5: a negative delay is due at once, a deadline in the past ----------

    [SkippableTheory]
    [MemberData(nameof(Kinds))]
    public void A_negative_timer_delay_is_due_at_once_and_fires_in_deadline_order(string kind)
    {
        // Lwt's engines fire due timers by deadline: a deadline in the past comes before
        // now's, the further in the past the earlier, whatever the order they were set in.
        using var engine = Create(kind);
        var log = new List<string>();
        engine.OnTimer(0, false, _ => log.Add("0"));
        engine.OnTimer(-1, false, _ => log.Add("-1"));
        engine.OnTimer(double.NegativeInfinity, false, _ => log.Add("-inf"));
        engine.OnTimer(-1000, false, _ => log.Add("-1000"));
        Assert.Equal(4, engine.TimerCount);

        engine.Iter(false);
        Assert.Equal(["-inf", "-1000", "-1", "0"], log);
        Assert.Equal(0, engine.TimerCount);

        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => engine.OnTimer(double.NaN, false, _ => { }));
        Assert.Equal("delaySeconds", ex.ParamName);
        Assert.Equal(0, engine.TimerCount);
    }

    /// <summary>A repeating timer with a negative period fires once per Iter, like a 0 period.</summary>
    [SkippableTheory]
    [MemberData(nameof(Kinds))]
    public void A_repeating_timer_with_a_negative_delay_fires_once_per_Iter(string kind)
    {
        using var engine = Create(kind);
        int calls = 0;
        var ev = engine.OnTimer(-0.5, true, _ => calls++);
        for (int i = 0; i < 3; i++)
        {
            engine.Iter(false);
        }

        ev.Stop();
        Assert.Equal(3, calls);
    }
}
