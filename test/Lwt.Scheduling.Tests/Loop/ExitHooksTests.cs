namespace Lwt.Tests.Loop;

/// <summary>
/// Lwt_main.Exit_hooks (LwtMain.ExitHooks) and Lwt_main's deprecated yield and
/// abandon_yielded_and_paused. In the global-state collection: the exit hooks are process-wide.
/// </summary>
[Collection(LoopGlobalState.Name)]
public class ExitHooksTests
{
    private static Func<Promise> Logging(List<string> log, string name) => () =>
    {
        lock (log) log.Add(name);
        return Promise.ReturnUnit;
    };

    [Fact]
    public void AddFirst_and_AddLast_place_the_functions_at_either_end_and_AtExit_is_AddFirst()
    {
        LwtMain.ExitHooks.RemoveAll();
        var log = new List<string>();
        LwtMain.ExitHooks.AddLast(Logging(log, "c"));
        LwtMain.ExitHooks.AddFirst(Logging(log, "b"));
        LwtMain.AtExit(Logging(log, "a"));
        LwtMain.ExitHooks.AddLast(Logging(log, "d"));
        Assert.Equal(4, LwtMain.ExitHooks.Count);
        LwtMain.RunExitHooks();
        Assert.Equal(["a", "b", "c", "d"], log);
        Assert.Equal(0, LwtMain.ExitHooks.Count); // each runs once
    }

    [Fact]
    public void A_removed_function_does_not_run_and_RemoveAll_leaves_none()
    {
        LwtMain.ExitHooks.RemoveAll();
        var log = new List<string>();
        LwtMain.ExitHooks.AddLast(Logging(log, "kept"));
        var removed = LwtMain.ExitHooks.AddLast(Logging(log, "removed"));
        LwtMain.ExitHooks.Remove(removed);
        LwtMain.ExitHooks.Remove(removed); // not there any more: nothing happens
        Assert.Equal(1, LwtMain.ExitHooks.Count);
        LwtMain.RunExitHooks();
        Assert.Equal(["kept"], log);

        LwtMain.ExitHooks.AddLast(Logging(log, "x"));
        LwtMain.AtExit(Logging(log, "y"));
        LwtMain.ExitHooks.RemoveAll();
        Assert.Equal(0, LwtMain.ExitHooks.Count);
        LwtMain.RunExitHooks();
        Assert.Equal(["kept"], log);
    }

    [Fact]
    public void A_function_added_last_by_an_exit_function_runs_in_the_same_pass()
    {
        LwtMain.ExitHooks.RemoveAll();
        var log = new List<string>();
        LwtMain.ExitHooks.AddLast(() =>
        {
            lock (log) log.Add("outer");
            LwtMain.ExitHooks.AddLast(Logging(log, "added"));
            return LwtUnix.Sleep(0.001);
        });
        LwtMain.ExitHooks.AddLast(Logging(log, "second"));
        LwtMain.RunExitHooks();
        Assert.Equal(["outer", "second", "added"], log);
    }

    // OCaml's at_exit functions (Lwt's exit hooks among them) also run when the program ends
    // with an uncaught exception; .NET raises UnhandledException then, and no ProcessExit.
    [Fact]
    public void An_unhandled_exception_that_ends_the_process_runs_the_functions()
    {
        LwtMain.ExitHooks.RemoveAll();
        var log = new List<string>();
        LwtMain.AtExit(Logging(log, "hook"));
        LwtMain.ExitHooks.OnUnhandledException(isTerminating: false);
        Assert.Empty(log); // one that does not end the process leaves them for the exit
        Assert.Equal(1, LwtMain.ExitHooks.Count);
        LwtMain.ExitHooks.OnUnhandledException(isTerminating: true);
        Assert.Equal(["hook"], log);
        Assert.Equal(0, LwtMain.ExitHooks.Count); // taken out: a later exit does not run them again
    }

    [Fact]
    public void Bad_arguments_throw_ArgumentNullException()
    {
        Assert.Equal("hook", Assert.Throws<ArgumentNullException>(() => LwtMain.ExitHooks.AddFirst(null!)).ParamName);
        Assert.Equal("hook", Assert.Throws<ArgumentNullException>(() => LwtMain.ExitHooks.AddLast(null!)).ParamName);
        Assert.Equal("hook", Assert.Throws<ArgumentNullException>(() => LwtMain.ExitHooks.Remove(null!)).ParamName);
        Assert.Equal("f", Assert.Throws<ArgumentNullException>(() => LwtMain.AtExit(null!)).ParamName);
    }

#pragma warning disable CS0618 // the deprecated Lwt_main names, tested as such
    [Fact]
    public void Yield_is_a_pause_resolved_by_the_next_iteration()
    {
        LoopTest.OnFreshThread(() => LwtMain.Run(() =>
        {
            int before = Promise.PausedCount;
            var p = LwtMain.Yield();
            Assert.True(p.IsPending);
            Assert.Equal(before + 1, Promise.PausedCount);
            return p;
        }));
    }

    [Fact]
    public void AbandonYieldedAndPaused_forgets_the_paused_promises()
    {
        LoopTest.OnFreshThread(() =>
        {
            var p = Promise.Pause();
            var q = LwtMain.Yield();
            Assert.Equal(2, Promise.PausedCount);
            LwtMain.AbandonYieldedAndPaused();
            Assert.Equal(0, Promise.PausedCount);
            Promise.WakeupPaused();
            Assert.True(p.IsPending);
            Assert.True(q.IsPending);
        });
    }
#pragma warning restore CS0618
}
