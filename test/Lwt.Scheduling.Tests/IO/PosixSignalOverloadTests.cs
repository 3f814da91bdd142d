using System.Runtime.InteropServices;
using Lwt.Tests.Loop;

namespace Lwt.Tests.IO;

/// <summary>
/// The overloads that take .NET's <see cref="PosixSignal"/> (user trial 9: <c>Kill((int)PosixSignal.SIGTERM)</c>
/// sent -4 and failed with EINVAL). A named value is its Linux number, checked here against
/// the runtime's own mapping (PosixSignalRegistration); any other value is the raw number.
/// </summary>
[Collection(LoopGlobalState.Name)]
public class PosixSignalOverloadTests
{
    [DllImport("libc", EntryPoint = "kill")]
    private static extern int Kill(int pid, int sig);

    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(20);

    // Only signals whose delivery disturbs nothing else in the test host: SIGTERM, SIGINT and
    // SIGQUIT may have a running generic host's ConsoleLifetime listening, and the stop signals
    // (SIGTSTP, SIGTTIN, SIGTTOU) would stop the process if anything were off.
    [SkippableTheory]
    [InlineData(PosixSignal.SIGHUP, 1)]
    [InlineData(PosixSignal.SIGCHLD, 17)]
    [InlineData(PosixSignal.SIGCONT, 18)]
    [InlineData(PosixSignal.SIGWINCH, 28)]
    public void NamedValue_IsTheNumberTheRuntimeHandles(PosixSignal signal, int linux)
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        Assert.Equal(linux, PosixSignalNumbers.ToLinux(signal));
        using var received = new ManualResetEventSlim();
        using (PosixSignalRegistration.Create(signal, ctx =>
        {
            // SIGHUP would otherwise end the test host; the others keep the runtime's own
            // handling (SIGCHLD's reaps the children of System.Diagnostics.Process).
            if (signal == PosixSignal.SIGHUP) ctx.Cancel = true;
            received.Set();
        }))
        {
            Assert.Equal(0, Kill(Environment.ProcessId, PosixSignalNumbers.ToLinux(signal)));
            Assert.True(received.Wait(Guard), $"the runtime's {signal} handler never ran");
        }
    }

    [Fact]
    public void RawNumbers_PassThrough_AndAnUnnamedNegativeValueThrows()
    {
        Assert.Equal(9, PosixSignalNumbers.ToLinux((PosixSignal)9));
        Assert.Equal(10, PosixSignalNumbers.ToLinux((PosixSignal)10));
        Assert.Equal(15, PosixSignalNumbers.ToLinux(PosixSignal.SIGTERM));
        Assert.Equal(2, PosixSignalNumbers.ToLinux(PosixSignal.SIGINT));
        Assert.Equal(3, PosixSignalNumbers.ToLinux(PosixSignal.SIGQUIT));
        Assert.Equal(20, PosixSignalNumbers.ToLinux(PosixSignal.SIGTSTP));
        Assert.Equal(21, PosixSignalNumbers.ToLinux(PosixSignal.SIGTTIN));
        Assert.Equal(22, PosixSignalNumbers.ToLinux(PosixSignal.SIGTTOU));
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => PosixSignalNumbers.ToLinux((PosixSignal)(-11)));
        Assert.Equal("signal", ex.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => LwtUnix.OnSignal((PosixSignal)(-11), _ => { }));
    }

    [SkippableFact]
    public void KillWithPosixSignal_SendsTheLinuxNumber()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        ProcessStatus term = default, kill = default;
        LoopTest.OnFreshThread(() => LwtMain.Run(async () =>
        {
            var a = LwtProcess.OpenProcessNone(ProcessCommand.Of("sleep", "30"));
            a.Kill(PosixSignal.SIGTERM); // was -4: EINVAL
            term = await a.Close();
            var b = LwtProcess.OpenProcessNone(ProcessCommand.Of("sleep", "30"));
            b.Kill((PosixSignal)9); // SIGKILL, which the enum does not name
            kill = await b.Close();
        }));
        Assert.Equal(new ProcessStatus(ProcessStatusKind.Signaled, 15), term);
        Assert.Equal(new ProcessStatus(ProcessStatusKind.Signaled, 9), kill);
    }

    [SkippableFact]
    public void OnSignalWithPosixSignal_InstallsOnTheLinuxNumber()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        var seen = new List<int>();
        int winchSent = -1, usr2Sent = -1;
        LoopTest.OnFreshThread(() => LwtMain.Run(() =>
        {
            var (both, r) = Promise.Create();
            void Saw(int s)
            {
                seen.Add(s);
                if (seen.Count == 2) r.Resolve();
            }
            var winch = LwtUnix.OnSignal(PosixSignal.SIGWINCH, Saw);
            var usr2 = LwtUnix.OnSignalFull((PosixSignal)12, (self, s) =>
            {
                self.Stop();
                Saw(s);
            });
            // Two signals may reach the loop in either order (OnSignal's docs): wait for both.
            winchSent = Kill(Environment.ProcessId, 28);
            usr2Sent = Kill(Environment.ProcessId, 12);
            var guard = LwtUnix.Sleep(20).Bind(() => Promise.Fail(new TimeoutException("a signal never reached its handler")));
            return Promise.Pick(both, guard).Bind(() =>
            {
                winch.Stop();
                return Promise.ReturnUnit;
            });
        }));
        Assert.Equal(0, winchSent);
        Assert.Equal(0, usr2Sent);
        Assert.Equal([12, 28], seen.Order());
    }
}
