using System.Runtime.InteropServices;
using Lwt.Tests.Loop;

namespace Lwt.Tests.IO;

/// <summary>
/// LwtUnix's signal functions (lwt_unix.mli, "Signals") and wait_count. Only SIGUSR2 is ever
/// raised, and only while a handler of these tests is installed (its default action would end
/// the test host); HandleSignal needs no real signal at all. The collection runs alone, so the
/// process-wide counts are not disturbed by other tests.
/// </summary>
[Collection(LoopGlobalState.Name)]
public class UnixSignalTests
{
    private const int SigUsr2 = 12;

    [DllImport("libc", EntryPoint = "kill")]
    private static extern int Kill(int pid, int sig);

    [DllImport("libc", EntryPoint = "signal")]
    private static extern nint Signal(int sig, nint handler);

    [SkippableFact]
    public void HandleSignalRunsEachHandlerOnItsLoopWithoutARealSignal()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        var seen = new List<string>();
        LoopTest.OnFreshThread(() => LwtMain.Run(() =>
        {
            var (p, r) = Promise.Create();
            var first = LwtUnix.OnSignal(SigUsr2, s => seen.Add($"first {s}"));
            var second = LwtUnix.OnSignal(SigUsr2, s =>
            {
                seen.Add($"second {s}");
                r.Resolve();
            });
            var other = new Thread(() => LwtUnix.HandleSignal(SigUsr2)); // thread-safe, as the mli says
            other.Start();
            return p.Bind(() =>
            {
                first.Stop();
                second.Stop();
                return Promise.ReturnUnit;
            });
        }));
        Assert.Equal(["first 12", "second 12"], seen);
    }

    [SkippableFact]
    public void OnSignalFullGivesTheHandlerItsIdSoItCanDisableItself()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        int calls = 0;
        LwtSignalHandler? given = null, installed = null;
        LoopTest.OnFreshThread(() => LwtMain.Run(() =>
        {
            int before = LwtUnix.SignalCount();
            installed = LwtUnix.OnSignalFull(SigUsr2, (id, s) =>
            {
                calls++;
                given = id;
                LwtUnix.DisableSignalHandler(id);
            });
            Assert.Equal(before + 1, LwtUnix.SignalCount());
            var marker = LwtUnix.OnSignal(SigUsr2, _ => { });
            LwtUnix.HandleSignal(SigUsr2);
            LwtUnix.HandleSignal(SigUsr2);
            var (p, r) = Promise.Create();
            LwtUnix.SendNotification(LwtUnix.MakeNotification(r.Resolve, once: true));
            return p.Bind(() =>
            {
                marker.Stop();
                Assert.Equal(before, LwtUnix.SignalCount());
                return Promise.ReturnUnit;
            });
        }));
        Assert.Equal(1, calls);
        Assert.Same(installed, given);
        Assert.False(installed!.IsActive);
    }

    // Runs body on a fresh loop, then waits (through a notification sent after it, which the
    // inbox delivers after everything body sent) until the signals body told have been delivered.
    private static void RunAndSettle(Action body) =>
        LoopTest.OnFreshThread(() => LwtMain.Run(() =>
        {
            body();
            var (p, r) = Promise.Create();
            LwtUnix.SendNotification(LwtUnix.MakeNotification(r.Resolve, once: true));
            return p;
        }));

    [SkippableFact]
    public void AHandlerSwappedWhileASignalIsOnItsWayGetsIt()
    {
        // Lwt reads the handler list when the signal's notification is delivered, so the new
        // handler, installed before the loop got to the signal, runs and the old one does not.
        // (Differential mainsys seed 3 prog 227: each handler had its own notification, so the
        // signal went to the old handler's, which was stopped, and nobody ran.)
        Skip.IfNot(OperatingSystem.IsLinux());
        var seen = new List<string>();
        LwtSignalHandler? sentinel = null, current = null;
        RunAndSettle(() =>
        {
            sentinel = LwtUnix.OnSignal(SigUsr2, _ => seen.Add("sentinel"));
            current = LwtUnix.OnSignal(SigUsr2, _ => seen.Add("old"));
            LwtUnix.HandleSignal(SigUsr2);
            current.Stop();
            current = LwtUnix.OnSignal(SigUsr2, _ => seen.Add("new"));
        });
        sentinel!.Stop();
        current!.Stop();
        Assert.Equal(["sentinel", "new"], seen);
    }

    [SkippableFact]
    public void AHandlerInstalledByAnotherDuringADeliveryRunsInThatDelivery()
    {
        // Lwt walks the list with Lwt_sequence.iter_l, which reaches a node appended during the
        // walk; one disabled by an earlier handler is skipped.
        Skip.IfNot(OperatingSystem.IsLinux());
        var seen = new List<string>();
        var installed = new List<LwtSignalHandler>();
        RunAndSettle(() =>
        {
            LwtSignalHandler? victim = null;
            installed.Add(LwtUnix.OnSignal(SigUsr2, _ =>
            {
                seen.Add("first");
                victim!.Stop();
                if (installed.Count == 3) installed.Add(LwtUnix.OnSignal(SigUsr2, _ => seen.Add("added")));
            }));
            installed.Add(victim = LwtUnix.OnSignal(SigUsr2, _ => seen.Add("victim")));
            installed.Add(LwtUnix.OnSignal(SigUsr2, _ => seen.Add("third")));
            LwtUnix.HandleSignal(SigUsr2);
        });
        foreach (var h in installed) h.Stop();
        Assert.Equal(["first", "third", "added"], seen);
    }

    [SkippableFact]
    public void AThrowingHandlerGoesToTheHookAndTheOthersStillRun()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        var seen = new List<string>();
        var reported = new List<Exception>();
        var boom = new InvalidOperationException("boom");
        LwtSignalHandler? a = null, b = null;
        LoopTest.WithExceptionHook(reported.Add, () => RunAndSettle(() =>
        {
            a = LwtUnix.OnSignal(SigUsr2, _ => throw boom);
            b = LwtUnix.OnSignal(SigUsr2, _ => seen.Add("b"));
            LwtUnix.HandleSignal(SigUsr2);
        }));
        a!.Stop();
        b!.Stop();
        Assert.Equal(["b"], seen);
        Assert.Equal([boom], reported);
    }

    [SkippableFact]
    public void ASignalStillOnItsWayWhenTheLoopsLastHandlerGoesIsDropped()
    {
        // As Lwt's stop_notification when the list empties: a handler installed afterwards
        // does not get the earlier signal.
        Skip.IfNot(OperatingSystem.IsLinux());
        var seen = new List<string>();
        LwtSignalHandler? later = null;
        RunAndSettle(() =>
        {
            var only = LwtUnix.OnSignal(SigUsr2, _ => seen.Add("only"));
            LwtUnix.HandleSignal(SigUsr2);
            only.Stop();
            later = LwtUnix.OnSignal(SigUsr2, _ => seen.Add("later"));
        });
        later!.Stop();
        Assert.Empty(seen);
    }

    [SkippableFact]
    public void SignalCountCountsHandlersAndDisablingIsIdempotent()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        LoopTest.OnFreshThread(() =>
        {
            int before = LwtUnix.SignalCount();
            var a = LwtUnix.OnSignal(SigUsr2, _ => { });
            var b = LwtUnix.OnSignal(SigUsr2, _ => { });
            Assert.Equal(before + 2, LwtUnix.SignalCount());
            Assert.Equal(SigUsr2, a.Signum);
            a.Stop();
            a.Stop();
            LwtUnix.DisableSignalHandler(a);
            Assert.Equal(before + 1, LwtUnix.SignalCount());
            LwtUnix.DisableSignalHandler(b);
            b.Dispose();
            Assert.Equal(before, LwtUnix.SignalCount());
            LwtUnix.HandleSignal(SigUsr2); // no handler left: nothing happens
        });
    }

    [SkippableFact]
    public void ARealSignalReachesTheHandlerAndReinstallPutsBackAReplacedHandler()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        const nint SigIgn = 1;
        int calls = 0;
        LoopTest.OnFreshThread(() => LwtMain.Run(() =>
        {
            var (p, r) = Promise.Create();
            var handler = LwtUnix.OnSignal(SigUsr2, _ =>
            {
                calls++;
                r.Resolve();
            });
            // Other code replaces the process's handler: the signal is then discarded when sent.
            nint runtimeHandler = Signal(SigUsr2, SigIgn);
            Assert.NotEqual(SigIgn, runtimeHandler);
            Assert.Equal(0, Kill(Environment.ProcessId, SigUsr2));
            LwtUnix.ReinstallSignalHandler(SigUsr2);
            nint now = Signal(SigUsr2, SigIgn); // read it back (and put it back at once)
            LwtUnix.ReinstallSignalHandler(SigUsr2);
            Assert.Equal(runtimeHandler, now);
            Assert.Equal(0, Kill(Environment.ProcessId, SigUsr2));
            return p.Bind(() =>
            {
                handler.Stop();
                return Promise.ReturnUnit;
            });
        }));
        Assert.Equal(1, calls);
    }

    [SkippableFact]
    public void ReinstallOfASignalWithoutHandlersDoesNothing()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        nint before = Signal(SigUsr2, 0 /* SIG_DFL */);
        Signal(SigUsr2, before);
        LwtUnix.ReinstallSignalHandler(SigUsr2);
        nint after = Signal(SigUsr2, before);
        Assert.Equal(before, after);
    }

    [Fact]
    public void BadSignalNumbersAndNullHandlersAreRefused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => LwtUnix.OnSignal(0, _ => { }));
        Assert.Throws<ArgumentOutOfRangeException>(() => LwtUnix.OnSignal(65, _ => { }));
        Assert.Throws<ArgumentOutOfRangeException>(() => LwtUnix.OnSignal(9, _ => { }));
        Assert.Throws<ArgumentOutOfRangeException>(() => LwtUnix.OnSignalFull(19, (_, _) => { }));
        Assert.Throws<ArgumentOutOfRangeException>(() => LwtUnix.HandleSignal(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => LwtUnix.ReinstallSignalHandler(0));
        Assert.Throws<ArgumentNullException>(() => LwtUnix.OnSignal(SigUsr2, null!));
        Assert.Throws<ArgumentNullException>(() => LwtUnix.OnSignalFull(SigUsr2, null!));
        Assert.Throws<ArgumentNullException>(() => LwtUnix.DisableSignalHandler(null!));
    }

    /// <summary>
    /// A signal ignored when the handler is installed (as SIGHUP under nohup, inherited) is
    /// handled all the same: Lwt's sigaction replaces SIG_IGN (lwt_unix_stubs.c,
    /// lwt_unix_set_signal), and its remove_signal leaves SIG_DFL. The runtime's registration
    /// alone installed nothing over SIG_IGN, and the handler never ran.
    /// </summary>
    [SkippableFact]
    public void AnIgnoredSignalIsHandledAndHasItsDefaultActionAfterTheLastHandler()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        const nint SigDfl = 0, SigIgn = 1;
        nint saved = Signal(SigUsr2, SigIgn);
        try
        {
            int calls = 0;
            LoopTest.OnFreshThread(() => LwtMain.Run(async () =>
            {
                var (p, r) = Promise.Create();
                var handler = LwtUnix.OnSignal(SigUsr2, _ =>
                {
                    calls++;
                    r.Resolve();
                });
                Assert.Equal(0, Kill(Environment.ProcessId, SigUsr2));
                await LwtUnix.WithTimeout(30, () => p); // a hang guard, not a timing assertion
                handler.Stop();
            }));
            Assert.Equal(1, calls);
            Assert.Equal(SigDfl, Signal(SigUsr2, SigIgn)); // as Lwt's remove_signal leaves it (read, and set back to ignored)
        }
        finally
        {
            Signal(SigUsr2, saved);
        }
    }

    [SkippableFact]
    public void WaitCountCountsThePendingWaitsForAChild()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        Skip.IfNot(File.Exists("/bin/sleep"), "no /bin/sleep to start a child with");
        LoopTest.OnFreshThread(() => LwtMain.Run(async () =>
        {
            int before = LwtUnix.WaitCount();
            int sleeper = LwtProcess.Spawn(ProcessCommand.Of("/bin/sleep", "30"), null, null, ProcessRedirection.Keep, ProcessRedirection.Keep, ProcessRedirection.Keep);
            var canceled = LwtUnix.WaitPid(sleeper);
            var waiting = LwtUnix.Wait4(sleeper);
            Assert.Equal(before + 2, LwtUnix.WaitCount());
            canceled.Cancel();
            Assert.Equal(before + 1, LwtUnix.WaitCount());
            LwtUnix.HandleSignal(17); // SIGCHLD told: the child is checked, and still running
            Assert.Equal(0, Kill(sleeper, 9));
            var (pid, status, _) = await LwtUnix.WithTimeout(30, () => waiting);
            Assert.Equal((sleeper, new ProcessStatus(ProcessStatusKind.Signaled, 9)), (pid, status));
            Assert.Equal(before, LwtUnix.WaitCount());
        }));
    }
}
