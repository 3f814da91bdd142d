namespace Lwt.Tests.IO;

/// <summary>
/// <see cref="ProcessCommand.InNewProcessGroup"/>: the child leads a process group of its own,
/// and a kill (Kill, Terminate, a timeout) reaches what it started. Real shells and sleeps.
/// </summary>
[Collection("IO")]
public class ProcessGroupTests
{
    // The shell starts a sleep in the background, prints its pid and waits for it: the sleep is
    // the child's child, the process that a kill of the child alone leaves running.
    private const string ShellWithAGrandchild = "sleep 1000 & echo $!; wait";

    /// <summary>Runs <paramref name="body"/> on a loop, failing (instead of hanging) after 30 s.</summary>
    private static void Run(Func<Promise> body)
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        LwtMain.Run(() => Promise.Pick(body(), LwtUnix.Timeout(30)));
    }

    /// <summary>A process's state letter and process group from /proc; null when it is gone.</summary>
    private static (char State, int Pgrp)? ProcStat(int pid)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (IOException)
        {
            return null; // reaped
        }
        // pid (comm) state ppid pgrp ...: comm may hold spaces, so read after its ')'.
        var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
        return (fields[0][0], int.Parse(fields[2]));
    }

    private static bool IsGone(int pid) => ProcStat(pid) is not { } s || s.State is 'Z' or 'X';

    /// <summary>Polls until <paramref name="pid"/> is dead (a signal is delivered asynchronously); the run's timeout bounds it.</summary>
    private static async Promise WaitUntilGone(int pid)
    {
        while (!IsGone(pid)) await LwtUnix.Sleep(0.01);
    }

    [Fact]
    public void InNewProcessGroup_IsACopyWithTheFlag_TheOriginalIsUnchanged()
    {
        var plain = LwtProcess.Shell("true");
        var grouped = plain.InNewProcessGroup();
        Assert.NotSame(plain, grouped);
        Assert.False(plain.NewProcessGroup);
        Assert.True(grouped.NewProcessGroup);
        Assert.Equal(plain.Program, grouped.Program);
        Assert.Equal(plain.Args, grouped.Args);
        Assert.True(grouped.InNewProcessGroup().NewProcessGroup);
    }

    [SkippableFact]
    public void TheChildLeadsAGroupOfItsOwn_OnlyWhenAsked()
    {
        Run(async () =>
        {
            int ours = ProcStat(Environment.ProcessId)!.Value.Pgrp;
            var grouped = LwtProcess.OpenProcessNone(ProcessCommand.Of("sleep", "1000").InNewProcessGroup());
            var plain = LwtProcess.OpenProcessNone(ProcessCommand.Of("sleep", "1000"));
            Assert.Equal(grouped.Pid, ProcStat(grouped.Pid)!.Value.Pgrp);
            Assert.Equal(ours, ProcStat(plain.Pid)!.Value.Pgrp);
            grouped.Terminate();
            plain.Terminate();
            await Promise.Join(grouped.Close(), plain.Close());
        });
    }

    [SkippableFact]
    public void Terminate_ReachesWhatAShellStarted_InANewGroup()
    {
        Run(async () =>
        {
            var p = LwtProcess.OpenProcessIn(LwtProcess.Shell(ShellWithAGrandchild).InNewProcessGroup());
            int grandchild = int.Parse(await LwtIO.ReadLine(p.Stdout));
            Assert.False(IsGone(grandchild));
            p.Terminate();
            Assert.Equal(new ProcessStatus(ProcessStatusKind.Signaled, 9), await p.Status);
            await WaitUntilGone(grandchild);
            // Nothing holds the pipe any more: the read ends with end of file, not a wait.
            Assert.Empty(await LwtIO.Read(p.Stdout));
            await p.Close();
        });
    }

    [SkippableFact]
    public void WithoutANewGroup_TheShellsChildSurvivesTheKill_AsDocumented()
    {
        // The control of the test above: the same kill, and the grandchild lives on.
        Run(async () =>
        {
            var p = LwtProcess.OpenProcessIn(LwtProcess.Shell(ShellWithAGrandchild));
            int grandchild = int.Parse(await LwtIO.ReadLine(p.Stdout));
            try
            {
                p.Terminate();
                await p.Status;
                await LwtUnix.Sleep(0.05); // not a timing assertion: the check below holds with or without it
                Assert.False(IsGone(grandchild));
            }
            finally
            {
                await LwtProcess.Exec(LwtProcess.Shell($"kill -9 {grandchild}"));
            }
            await WaitUntilGone(grandchild);
            await p.Close();
        });
    }

    [SkippableFact]
    public void ATimeout_KillsTheWholeGroup()
    {
        Run(async () =>
        {
            var p = LwtProcess.OpenProcessIn(LwtProcess.Shell(ShellWithAGrandchild).InNewProcessGroup(), timeout: 0.2);
            int grandchild = int.Parse(await LwtIO.ReadLine(p.Stdout));
            Assert.Equal(new ProcessStatus(ProcessStatusKind.Signaled, 9), await p.Status);
            Assert.True(p.TimedOut);
            await WaitUntilGone(grandchild);
        });
    }

    [SkippableFact]
    public void AChildThatLeftItsGroup_IsStillKilled()
    {
        Skip.IfNot(File.Exists("/usr/bin/perl"), "needs /usr/bin/perl to move the child out of its group");
        Run(async () =>
        {
            // The child joins this process's group: the group it led is left without a member,
            // and kill(-pid) finds nobody (ESRCH). The kill then goes to the child itself.
            var p = LwtProcess.OpenProcessIn(ProcessCommand.Of("/usr/bin/perl", "-e",
                "$| = 1; setpgrp(0, getpgrp(getppid())) or die; print \"moved\\n\"; sleep 1000").InNewProcessGroup());
            try
            {
                Assert.Equal("moved", await LwtIO.ReadLine(p.Stdout));
                Assert.NotEqual(p.Pid, ProcStat(p.Pid)!.Value.Pgrp);
                p.Terminate();
                Assert.Equal(new ProcessStatus(ProcessStatusKind.Signaled, 9), await p.Status);
            }
            finally
            {
                // A failed kill must not leave a sleeper in the test host's own group.
                if (p.Status.IsPending) await LwtProcess.Exec(LwtProcess.Shell($"kill -9 {p.Pid}"));
                await p.Close();
            }
        });
    }

    [SkippableFact]
    public void AChildThatLeftItsGroup_IsStillKilled_WhenItLeftAProcessInIt()
    {
        Skip.IfNot(File.Exists("/usr/bin/perl"), "needs /usr/bin/perl to move the child out of its group");
        int helper = 0;
        bool? childKilled = null, helperGone = null;
        Run(async () =>
        {
            // The child starts a helper, which stays in the group the child led, then joins
            // this process's group: kill(-pid) succeeds (the helper is there) and must not be
            // all, or the child lives on and its status never comes.
            var p = LwtProcess.OpenProcessIn(ProcessCommand.Of("/usr/bin/perl", "-e",
                "$| = 1; my $h = fork(); if ($h == 0) { sleep 1000; exit 0 } " +
                "setpgrp(0, getpgrp(getppid())) or die; print \"$h\\n\"; sleep 1000").InNewProcessGroup());
            try
            {
                helper = int.Parse(await LwtIO.ReadLine(p.Stdout));
                p.Terminate();
                var status = await Promise.Pick(p.Status.Map(s => (ProcessStatus?)s), LwtUnix.Sleep(5).Map(() => (ProcessStatus?)null));
                childKilled = status == new ProcessStatus(ProcessStatusKind.Signaled, 9);
                var gone = WaitUntilGone(helper).Map(() => true);
                helperGone = await Promise.Pick(gone, LwtUnix.Sleep(5).Map(() => false));
            }
            finally
            {
                // A failed kill must not leave sleepers in the test host's group or elsewhere.
                if (p.Status.IsPending) await LwtProcess.Exec(LwtProcess.Shell($"kill -9 {p.Pid}"));
                if (helper != 0 && !IsGone(helper)) await LwtProcess.Exec(LwtProcess.Shell($"kill -9 {helper}"));
                await p.Close();
            }
        });
        Assert.True(childKilled);
        Assert.True(helperGone);
    }

    [SkippableFact]
    public void PRead_WithATimeout_EndsWhenTheGroupIsKilled()
    {
        // Without the group the read would wait for the sleep, which holds the pipe, for 1000 s.
        Run(async () =>
        {
            var read = LwtProcess.PRead(LwtProcess.Shell("sleep 1000 & echo started; wait").InNewProcessGroup(), timeout: 0.2);
            await Assert.ThrowsAsync<TimeoutException>(async () => await read);
        });
    }
}
