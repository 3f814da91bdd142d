using Lwt.Tests.Loop;

namespace Lwt.Tests.IO;

/// <summary>
/// LwtUnix.GetCpu, GetAffinity and SetAffinity (Lwt_unix.get_cpu, get_affinity,
/// set_affinity). Linux only. The tests that change an affinity do it on a thread of their
/// own, without a pid (so only that thread), and put the original set back in finally, so
/// neither the test runner's threads nor the rest of the process are ever pinned.
/// </summary>
public class UnixAffinityTests
{
    private const int EINVAL = 22, ESRCH = 3;

    [SkippableFact]
    public void GetCpuIsOneOfTheCpusTheThreadMayRunOn()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "sched_getcpu and sched_getaffinity are Linux's");
        var allowed = LwtUnix.GetAffinity();
        int cpu = LwtUnix.GetCpu();
        // Environment.ProcessorCount counts the allowed CPUs, not their numbers (CPU 5 of an
        // affinity {4, 5} is the count 2), so the number is checked against the set itself.
        Assert.InRange(cpu, 0, allowed[^1]);
        Assert.Contains(cpu, allowed);
    }

    [SkippableFact]
    public void GetAffinityListsDistinctCpusInOrder()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "sched_getaffinity is Linux's");
        var mine = LwtUnix.GetAffinity();
        Assert.NotEmpty(mine);
        Assert.Equal(mine.Distinct().Order(), mine);
        Assert.Equal(mine, LwtUnix.GetAffinity(0));
        Assert.NotEmpty(LwtUnix.GetAffinity(Environment.ProcessId));
    }

    [SkippableFact]
    public void SetAffinityIsReadBackAndRestored()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "sched_setaffinity is Linux's");
        LoopTest.OnFreshThread(() =>
        {
            var original = LwtUnix.GetAffinity();
            try
            {
                // The current set, written back (with a duplicate), reads back the same.
                LwtUnix.SetAffinity(null, [.. original, original[0]]);
                Assert.Equal(original, LwtUnix.GetAffinity());

                // One CPU: the thread is moved there before the call returns.
                int one = original[^1];
                LwtUnix.SetAffinity(null, [one]);
                Assert.Equal([one], LwtUnix.GetAffinity());
                Assert.Equal(one, LwtUnix.GetCpu());

                // CPUs the machine does not have are ignored next to one it has...
                LwtUnix.SetAffinity(0, [original[0], 65535]);
                Assert.Equal([original[0]], LwtUnix.GetAffinity());

                // ...and refused alone, as is an empty set: the set is then unchanged.
                Assert.Equal(EINVAL, Assert.Throws<UnixErrorException>(() => LwtUnix.SetAffinity(null, [65535])).Errno);
                var empty = Assert.Throws<UnixErrorException>(() => LwtUnix.SetAffinity(null, []));
                Assert.Equal(EINVAL, empty.Errno);
                Assert.Equal("sched_setaffinity", empty.Function);
                Assert.Equal([original[0]], LwtUnix.GetAffinity());
            }
            finally
            {
                LwtUnix.SetAffinity(null, original);
            }
            Assert.Equal(original, LwtUnix.GetAffinity());
        });
    }

    [SkippableFact]
    public void BadArgumentsAndMissingThreads()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "sched_getaffinity is Linux's");
        Assert.Throws<ArgumentNullException>(() => LwtUnix.SetAffinity(null, null!));
        Assert.Equal("cpus", Assert.Throws<ArgumentOutOfRangeException>(() => LwtUnix.SetAffinity(null, [0, -1])).ParamName);
        Assert.Equal("cpus", Assert.Throws<ArgumentOutOfRangeException>(() => LwtUnix.SetAffinity(null, [65536])).ParamName);
        Assert.Equal("pid", Assert.Throws<ArgumentOutOfRangeException>(() => LwtUnix.SetAffinity(-1, [0])).ParamName);
        Assert.Equal("pid", Assert.Throws<ArgumentOutOfRangeException>(() => LwtUnix.GetAffinity(-1)).ParamName);

        // Linux's pid_max is at most 2^22: no thread has this id.
        var missing = Assert.Throws<UnixErrorException>(() => LwtUnix.GetAffinity(int.MaxValue));
        Assert.Equal(ESRCH, missing.Errno);
        Assert.Equal("sched_getaffinity", missing.Function);
        Assert.Equal(ESRCH, Assert.Throws<UnixErrorException>(() => LwtUnix.SetAffinity(int.MaxValue, [0])).Errno);
    }

    [SkippableFact]
    public void ElsewhereTheyAreNotAvailable()
    {
        Skip.If(OperatingSystem.IsLinux(), "these calls are available on Linux");
        Assert.Equal("get_cpu", Assert.Throws<NotAvailableException>(() => LwtUnix.GetCpu()).Feature);
        Assert.Equal("get_affinity", Assert.Throws<NotAvailableException>(() => LwtUnix.GetAffinity()).Feature);
        Assert.Equal("set_affinity", Assert.Throws<NotAvailableException>(() => LwtUnix.SetAffinity(null, [0])).Feature);
    }
}
