namespace Lwt.Tests.Loop;

/// <summary>
/// What the docs of EventLoop.Post, LwtHooks and LwtMain.Run say after the doc audit of the
/// loop: the order of posts from the loop thread and from others, a post to a stopped loop,
/// when a hook added meanwhile runs, a throwing hook, Run's start returning null, and Run of
/// a resolved promise. In the global-state collection: the iteration hooks are process-wide.
/// </summary>
[Collection(LoopGlobalState.Name)]
public class LoopDocAuditTests
{
    [Fact]
    public void A_post_from_the_loop_thread_runs_before_an_earlier_post_of_another_thread()
    {
        var log = LoopTest.OnFreshThread(() =>
        {
            var log = new List<string>();
            LwtMain.Run(async () =>
            {
                var loop = EventLoop.Current!;
                var other = new Thread(() =>
                {
                    loop.Post(() => log.Add("other 1"));
                    loop.Post(() => log.Add("other 2"));
                });
                other.Start();
                other.Join(); // both posted before the loop thread's
                loop.Post(() => log.Add("loop 1"));
                loop.Post(() => log.Add("loop 2"));
                await Promise.Pause();
                await Promise.Pause();
            });
            return log;
        });
        // Each thread's posts keep their order; the loop thread's come first.
        Assert.Equal(["loop 1", "loop 2", "other 1", "other 2"], log);
    }

    [Fact]
    public void A_post_to_a_stopped_loop_runs_at_its_next_run_with_the_loops_context()
    {
        var (before, after) = LoopTest.OnFreshThread(() =>
        {
            LwtMain.Run(Promise.Pause());
            var loop = EventLoop.Current!;
            string ran = "";
            loop.Post(() => ran = SynchronizationContext.Current == loop.SynchronizationContext ? "with context" : "without");
            var before = ran;
            LwtMain.Run(Promise.Pause());
            return (before, ran);
        });
        Assert.Equal("", before);
        Assert.Equal("with context", after);
    }

    [Fact]
    public void A_leave_hook_added_during_the_iteration_runs_at_its_end()
    {
        var log = LoopTest.OnFreshThread(() =>
        {
            var me = Thread.CurrentThread;
            var log = new List<string>();
            LwtHook? leave = null;
            var enter = LwtMain.EnterIterHooks.AddLast(() =>
            {
                if (Thread.CurrentThread == me) log.Add("enter");
            });
            try
            {
                LwtMain.Run(async () =>
                {
                    await Promise.Pause();
                    log.Add("work");
                    leave = LwtMain.LeaveIterHooks.AddLast(() =>
                    {
                        if (Thread.CurrentThread == me) log.Add("leave");
                    });
                    await Promise.Pause();
                });
            }
            finally
            {
                LwtMain.EnterIterHooks.Remove(enter);
                if (leave is not null) LwtMain.LeaveIterHooks.Remove(leave);
            }
            return log;
        });
        Assert.Equal(["enter", "work", "leave", "enter", "leave"], log);
    }

    [Fact]
    public void A_throwing_hook_escapes_Run_skips_the_hooks_after_it_and_the_loop_runs_again()
    {
        var (escaped, later, running) = LoopTest.OnFreshThread(() =>
        {
            var me = Thread.CurrentThread;
            var boom = new InvalidTimeZoneException("hook");
            int calls = 0, laterCalls = 0;
            var throwing = LwtMain.EnterIterHooks.AddLast(() =>
            {
                if (Thread.CurrentThread == me && ++calls == 2) throw boom;
            });
            var after = LwtMain.EnterIterHooks.AddLast(() =>
            {
                if (Thread.CurrentThread == me) laterCalls++;
            });
            Exception? escaped;
            try
            {
                escaped = Record.Exception(() => LwtMain.Run(async () =>
                {
                    await Promise.Pause();
                    await Promise.Pause();
                    await Promise.Pause();
                }));
            }
            finally
            {
                LwtMain.EnterIterHooks.Remove(throwing);
                LwtMain.EnterIterHooks.Remove(after);
            }
            bool running = EventLoop.Current!.IsRunning;
            LwtMain.Run(Promise.Pause()); // usable again
            return (ReferenceEquals(escaped, boom), laterCalls, running);
        });
        Assert.True(escaped);
        Assert.Equal(1, later); // the second pass stopped at the throwing hook
        Assert.False(running);
    }

    [Fact]
    public void Run_of_a_start_that_returns_null_throws_InvalidOperationException()
    {
        LoopTest.OnFreshThread(() =>
        {
            Assert.Throws<InvalidOperationException>(() => LwtMain.Run((Func<Promise>)(() => null!)));
            Assert.Throws<InvalidOperationException>(() => LwtMain.Run((Func<Promise<int>>)(() => null!)));
        });
    }

    // Later Lwt's run looks at its promise before it wakes the paused promises
    // (ocsigen/lwt#917); Lwt 5.6.1's woke them first. This follows later Lwt, on purpose (the
    // differential README, mainsys and timed).
    [Fact]
    public void Run_of_a_resolved_promise_does_not_iterate_so_paused_promises_stay_paused()
    {
        var (afterResolved, afterStart, afterPause) = LoopTest.OnFreshThread(() =>
        {
            bool woken = false;
            Promise.Pause().Map(() => woken = true);
            LwtMain.Run(Promise.ReturnUnit);
            bool afterResolved = woken;
            LwtMain.Run(() => Promise.ReturnUnit);
            bool afterStart = woken;
            LwtMain.Run(Promise.Pause());
            return (afterResolved, afterStart, woken);
        });
        Assert.False(afterResolved);
        Assert.False(afterStart);
        Assert.True(afterPause);
    }
}
