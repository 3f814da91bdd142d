using System.Diagnostics;
using System.Runtime.CompilerServices;
using Lwt;
using Lwt.Tests.Loop;

namespace Lwt.Tests.Loop
{
    /// <summary>
    /// The exit hooks, LwtGC.FinaliseOrExit and the run span, as fixed after the loop-hooks
    /// audit: an exit by the library during the exit hooks ends their pass (OCaml's exit
    /// inside an at_exit function) instead of hanging the process; the pass does not wait for
    /// a promise of a loop that cannot run it; FinaliseOrExit calls f at exit when x was
    /// collected after its loop's last run; LwtMain.Run leaves Activity.Current as it would be
    /// without a listener. What needs a real process exit runs in a child process
    /// (<see cref="ExitChild"/>). In the global-state collection: the exit hooks are
    /// process-wide, and the tests force full collections.
    /// </summary>
    [Collection(LoopGlobalState.Name)]
    public class LoopHooksFixTests
    {
        // ------------------------------------------------------------ exits during the pass

        // lwt.ml's default async_exception_hook prints and calls `exit 2`; OCaml's exit inside
        // an at_exit function does not run Lwt's at_exit function again (each runs at most
        // once), so the hooks not yet taken never run, and the process ends with code 2.
        [Fact]
        public void An_async_failure_in_an_exit_hook_ends_the_process_with_code_2_and_the_remaining_hooks_do_not_run()
        {
            var (code, stdout, stderr) = ExitChild.Run(ExitChild.AsyncFailureInHook);
            Assert.Equal(2, code);
            Assert.Contains("failing hook", stdout);
            Assert.DoesNotContain("after the exit", stdout); // exit does not return
            Assert.DoesNotContain("registered first", stdout); // not taken any more
            Assert.Contains("Fatal error: exception System.Exception: boom in exit hook", stderr);
        }

        // Unix.handle_unix_error's `exit 2`, from inside an exit hook.
        [Fact]
        public void HandleUnixError_in_an_exit_hook_ends_the_process_with_code_2_and_the_remaining_hooks_do_not_run()
        {
            var (code, stdout, stderr) = ExitChild.Run(ExitChild.UnixErrorInHook);
            Assert.Equal(2, code);
            Assert.Contains("unix hook", stdout);
            Assert.DoesNotContain("registered first", stdout);
            Assert.Contains("\"open\" failed on \"/nonexistent/lwt-exit-test\"", stderr);
        }

        // ------------------------------------------------ promises of loops that cannot run

        // The default async exception hook's exit from inside LwtMain.Run: that thread stays
        // blocked in Environment.Exit while the hooks run (on a thread of the runtime's), so its
        // loop is frozen. A hook's sleep of that loop is not waited for; the next hook runs and
        // the process ends with the exit's code.
        [Fact]
        public void An_exit_from_inside_Run_does_not_wait_for_a_hook_promise_of_the_frozen_loop()
        {
            var (code, stdout, _) = ExitChild.Run(ExitChild.FrozenLoopPromise);
            Assert.Equal(2, code);
            Assert.Contains("frozen hook returned", stdout);
            Assert.Contains("next hook ran", stdout);
        }

        // The same in process: RunExitHooks called from inside LwtMain.Run freezes that loop as
        // the exiting thread's is. Both a hook that returns the loop's pending sleep directly
        // and LwtGC.Finalise's termination hook (f's pending sleep) are passed over.
        [Fact]
        public void The_hooks_run_from_inside_Run_pass_over_a_pending_promise_of_the_frozen_loop()
        {
            LwtMain.ExitHooks.RemoveAll();
            var log = new List<string>();
            LoopTest.OnFreshThread(() => LwtMain.Run(async () =>
            {
                bool called = false;
                FinaliseFresh(b => { called = true; return LwtUnix.Sleep(3600); });
                await CollectUntil(() => called);
                Assert.True(called);
                Assert.Equal(1, LwtMain.ExitHooks.Count); // f's sleep, pending

                var sleep = LwtUnix.Sleep(3600);
                LwtMain.ExitHooks.AddLast(() => { lock (log) log.Add("last"); return Promise.ReturnUnit; });
                LwtMain.AtExit(() => sleep);
                LwtMain.RunExitHooks(); // this thread waits: its loop cannot run
                Assert.True(sleep.IsPending);
                sleep.Cancel();
            }));
            Assert.Equal(["last"], log);
            Assert.Equal(0, LwtMain.ExitHooks.Count);
        }

        // lwt_gc.mli finalise: Lwt waits at exit for f's promise. Here f's sleep belongs to a
        // loop whose Run has returned: nothing can finish it, so the exit does not wait for it
        // (before the fix, the exit waited for ever).
        [Fact]
        public void The_hooks_pass_over_a_pending_promise_of_a_stopped_loop_and_still_wait_for_one_of_no_loop()
        {
            LwtMain.ExitHooks.RemoveAll();
            var log = new List<string>();
            LoopTest.OnFreshThread(() =>
            {
                bool called = false;
                LwtMain.Run(async () =>
                {
                    FinaliseFresh(b => { called = true; return LwtUnix.Sleep(3600); });
                    await CollectUntil(() => called);
                });
                Assert.True(called);
                Assert.Equal(1, LwtMain.ExitHooks.Count); // the loop has stopped; f's sleep is pending

                // A promise of no loop, resolved on another thread once the hooks' loop is
                // waiting for it (its first iteration): the pass waits for it.
                var (unowned, resolver) = Promise.Create();
                using var iterating = new ManualResetEventSlim();
                var signal = LwtMain.EnterIterHooks.AddFirst(() =>
                {
                    if (Thread.CurrentThread.Name == "Lwt at_exit") iterating.Set();
                });
                var resolving = new Thread(() => { iterating.Wait(); resolver.Resolve(); }) { IsBackground = true };
                try
                {
                    LwtMain.ExitHooks.AddLast(() => { lock (log) log.Add("unowned:" + unowned.IsFulfilled); return unowned; });
                    LwtMain.ExitHooks.AddLast(() => { lock (log) log.Add("after:" + unowned.IsFulfilled); return Promise.ReturnUnit; });
                    resolving.Start();
                    LwtMain.RunExitHooks();
                }
                finally
                {
                    LwtMain.EnterIterHooks.Remove(signal);
                }
                Assert.True(resolving.Join(20_000));
            });
            Assert.Equal(["unowned:False", "after:True"], log);
            Assert.Equal(0, LwtMain.ExitHooks.Count);
        }

        // A hook that touches a pending promise of the frozen loop is refused (cross-thread);
        // Lwt cannot fail that way (its one loop runs the hooks), so it is reported.
        [Fact]
        public void A_hook_refused_for_touching_the_frozen_loop_is_reported_on_standard_error()
        {
            var (code, stdout, stderr) = ExitChild.Run(ExitChild.FrozenLoopMap);
            Assert.Equal(2, code);
            Assert.DoesNotContain("continuation ran", stdout);
            Assert.Contains("Lwt: an exit hook failed: System.InvalidOperationException", stderr);
            Assert.Contains("belongs to an event loop running on another thread", stderr);
        }

        // --------------------------------------------------------------- FinaliseOrExit

        // lwt_gc.mli finalise_or_exit: f runs when x is collected or (exclusively) at exit. x
        // collected after its loop's last run: the collection's post waits in a loop that does
        // not run, so f runs at exit, once, and not again when the loop runs later.
        [Fact]
        public void FinaliseOrExit_runs_f_at_exit_once_when_x_was_collected_after_its_loops_last_run()
        {
            LwtMain.ExitHooks.RemoveAll();
            var (calls, atExit, callsAfterNextRun, hooksLeft) = LoopTest.OnFreshThread(() =>
            {
                int n = 0;
                bool onExitThread = false;
                WeakReference? watch = null;
                LwtMain.Run(() =>
                {
                    watch = FinaliseOrExitFresh(b =>
                    {
                        Interlocked.Add(ref n, b.Value);
                        onExitThread = Thread.CurrentThread.Name == "Lwt at_exit";
                        return Promise.ReturnUnit;
                    });
                    return Promise.ReturnUnit;
                });
                for (int i = 0; i < 10 && watch!.IsAlive; i++)
                {
                    GC.Collect();
                    GC.WaitForPendingFinalizers();
                }
                Assert.False(watch!.IsAlive); // collected, while the loop is not running
                Assert.Equal(0, Volatile.Read(ref n));
                Assert.Equal(1, LwtMain.ExitHooks.Count);

                LwtMain.RunExitHooks();
                int atExitCalls = Volatile.Read(ref n);

                // The loop runs again: the collection's post runs now, and finds f called.
                var loop = EventLoop.Current!;
                LwtMain.Run(() =>
                {
                    var (done, resolver) = Promise.Create();
                    new Thread(() => loop.Post(() => resolver.Resolve())).Start(); // queued after the post
                    return done;
                });
                return (atExitCalls, onExitThread, Volatile.Read(ref n), LwtMain.ExitHooks.Count);
            });
            Assert.Equal(5, calls);
            Assert.True(atExit);
            Assert.Equal(5, callsAfterNextRun);
            Assert.Equal(0, hooksLeft);
        }

        // ------------------------------------------------------------------- the run span

        // Without a listener on "Lwt", code that stops the ambient activity inside Run leaves
        // none current after Run; the run span must not put the stopped one back.
        [Fact]
        public void Run_leaves_Activity_Current_as_without_a_listener()
        {
            LwtRuntimeEvents.Enable();
            using var app = new ActivitySource("Lwt.Tests.LoopHooksFix");
            using var listener = new ActivityListener
            {
                ShouldListenTo = s => s.Name == LwtRuntimeEvents.ActivitySourceName || s.Name == app.Name,
                Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            };
            ActivitySource.AddActivityListener(listener);
            var (afterStop, afterStart, inner, outerStopped) = LoopTest.OnFreshThread(() =>
            {
                var outer = app.StartActivity("outer")!;
                LwtMain.Run(() => { outer.Stop(); return Promise.ReturnUnit; });
                var afterStop = Activity.Current;

                Activity? inner = null;
                LwtMain.Run(() => { inner = app.StartActivity("inner"); return Promise.ReturnUnit; });
                var afterStart = Activity.Current;
                inner?.Stop();
                return (afterStop, afterStart, inner, outer.IsStopped);
            });
            Assert.True(outerStopped);
            Assert.Null(afterStop);
            Assert.NotNull(inner);
            Assert.Same(inner, afterStart); // what the code left current stays current
        }

        // ------------------------------------------------------------------ helpers

        private sealed class Box(int value)
        {
            public int Value { get; } = value;
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        private static void FinaliseFresh(Func<Box, Promise> f) => LwtGC.Finalise(f, new Box(1));

        /// <summary>Registers on a fresh object that nothing else references; a weak reference to watch its collection.</summary>
        [MethodImpl(MethodImplOptions.NoInlining)]
        private static WeakReference FinaliseOrExitFresh(Func<Box, Promise> f)
        {
            var box = new Box(5);
            LwtGC.FinaliseOrExit(f, box);
            return new WeakReference(box);
        }

        /// <summary>Collects and lets the loop run until <paramref name="done"/>, at most 200 rounds.</summary>
        private static async Promise CollectUntil(Func<bool> done)
        {
            for (int i = 0; i < 200 && !done(); i++)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
                await Promise.Pause();
            }
        }
    }

    /// <summary>
    /// Runs a case in a child .NET process that really exits: the test assembly itself, whose
    /// generated Main does nothing, with <see cref="StartupHook"/> as its startup hook
    /// (DOTNET_STARTUP_HOOKS), which runs the case named by <see cref="CaseVariable"/> before
    /// Main. A child that has not exited after a generous time is killed and fails the test
    /// (a hang, not a timing measurement).
    /// </summary>
    internal static class ExitChild
    {
        public const string CaseVariable = "LWT_TESTS_EXIT_CASE";
        public const string AsyncFailureInHook = "async-failure-in-hook";
        public const string UnixErrorInHook = "unix-error-in-hook";
        public const string FrozenLoopPromise = "frozen-loop-promise";
        public const string FrozenLoopMap = "frozen-loop-map";
        public const string StandardDescriptors = "standard-descriptors"; // UnixStdioFixTests

        private const int HangGuardMs = 60_000;

        /// <summary>
        /// Runs the case; with <paramref name="converse"/>, its standard input is a pipe too, and
        /// <paramref name="converse"/> talks to the child (writes its input, reads its output's
        /// first lines) before the rest of the output is collected.
        /// </summary>
        public static (int Code, string Stdout, string Stderr) Run(string name, Action<StreamWriter, StreamReader>? converse = null)
        {
            string assembly = typeof(ExitChild).Assembly.Location;
            var start = new ProcessStartInfo(DotnetHost(), ["exec", assembly])
            {
                RedirectStandardInput = converse is not null,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            start.Environment["DOTNET_STARTUP_HOOKS"] = assembly;
            start.Environment[CaseVariable] = name;
            using var child = Process.Start(start)!;
            var stderr = child.StandardError.ReadToEndAsync();
            if (converse is not null)
            {
                var talk = Task.Run(() => converse(child.StandardInput, child.StandardOutput));
                if (!talk.Wait(HangGuardMs))
                {
                    child.Kill(entireProcessTree: true);
                    child.WaitForExit();
                    Assert.Fail($"the child process '{name}' did not answer (a hang). stderr: {stderr.Result}");
                }
            }

            var stdout = child.StandardOutput.ReadToEndAsync();
            if (!child.WaitForExit(HangGuardMs))
            {
                child.Kill(entireProcessTree: true);
                child.WaitForExit();
                Assert.Fail($"the child process '{name}' did not exit (a hang). stdout: {stdout.Result} stderr: {stderr.Result}");
            }
            child.WaitForExit(); // the end of the redirected streams
            return (child.ExitCode, stdout.Result, stderr.Result);
        }

        /// <summary>The dotnet host: the SDK's (dotnet test sets DOTNET_HOST_PATH), or the one above the running runtime.</summary>
        private static string DotnetHost()
        {
            if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host)) return host;
            string runtime = Path.GetDirectoryName(typeof(object).Assembly.Location)!; // <root>/shared/Microsoft.NETCore.App/<version>
            string root = Path.GetFullPath(Path.Combine(runtime, "..", "..", ".."));
            string candidate = Path.Combine(root, "dotnet");
            return File.Exists(candidate) ? candidate : "dotnet";
        }

        /// <summary>The cases, in the child, before its Main returns.</summary>
        internal static void RunCase(string name)
        {
            switch (name)
            {
                case AsyncFailureInHook:
                    LwtMain.AtExit(() => { Console.WriteLine("registered first"); return Promise.ReturnUnit; });
                    LwtMain.AtExit(() =>
                    {
                        Console.WriteLine("failing hook");
                        Promise.Async(() => Promise.Fail(new Exception("boom in exit hook")));
                        Console.WriteLine("after the exit");
                        return Promise.ReturnUnit;
                    });
                    return; // Main returns: ProcessExit runs the hooks

                case UnixErrorInHook:
                    LwtMain.AtExit(() => { Console.WriteLine("registered first"); return Promise.ReturnUnit; });
                    LwtMain.AtExit(() =>
                    {
                        Console.WriteLine("unix hook");
                        return LwtUnix.HandleUnixError(() => Promise.Fail(new UnixErrorException(2, "open", "/nonexistent/lwt-exit-test")));
                    });
                    return;

                case FrozenLoopPromise:
                    LwtMain.Run(() =>
                    {
                        var sleep = LwtUnix.Sleep(3600);
                        LwtMain.AtExit(() => { Console.WriteLine("next hook ran"); return Promise.ReturnUnit; });
                        LwtMain.AtExit(() => { Console.WriteLine("frozen hook returned"); return sleep; });
                        // The default hook's exit from inside Run: this loop is frozen while the hooks run.
                        Promise.Async(() => Promise.Fail(new Exception("boom in Run")));
                        return sleep;
                    });
                    return;

                case FrozenLoopMap:
                    LwtMain.Run(() =>
                    {
                        var sleep = LwtUnix.Sleep(3600);
                        LwtMain.AtExit(() => sleep.Map(() => { Console.WriteLine("continuation ran"); return 0; }));
                        Promise.Async(() => Promise.Fail(new Exception("boom in Run")));
                        return sleep;
                    });
                    return;

                case StandardDescriptors:
                    // fds 0 and 1 are pipes: Lwt's stdin and stdout, then .NET's Console on the
                    // same files, which O_NONBLOCK set by the wrapping would make fail (EAGAIN).
                    LwtMain.Run(async () =>
                    {
                        string line = await LwtIO.Stdin.ReadLine();
                        await LwtIO.Stdout.Write("lwt:" + line + "\n");
                        await LwtIO.Stdout.Flush();
                        _ = LwtUnix.Stderr;
                    });
                    Console.WriteLine("console:" + Console.ReadLine());
                    static bool NonBlocking(int fd) => (Lwt.LibC.Fcntl(fd, Lwt.LibC.F_GETFL, 0) & Lwt.LibC.O_NONBLOCK) != 0;
                    Console.WriteLine($"nonblock:{NonBlocking(0)},{NonBlocking(1)},{NonBlocking(2)}");
                    return;

                default:
                    Console.Error.WriteLine($"unknown case {name}");
                    Environment.Exit(99);
                    return;
            }
        }
    }
}

/// <summary>
/// The startup hook of <see cref="ExitChild"/>'s child processes (the runtime looks for this
/// name, in no namespace): runs the case named in the environment, if any, before Main.
/// </summary>
internal static class StartupHook
{
    public static void Initialize()
    {
        if (Environment.GetEnvironmentVariable(ExitChild.CaseVariable) is { Length: > 0 } name) ExitChild.RunCase(name);
    }
}
