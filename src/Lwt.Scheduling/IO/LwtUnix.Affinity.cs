// CPUs (Lwt_unix.get_cpu, get_affinity, set_affinity): which CPU the calling thread runs on,
// and the set of CPUs a thread may run on. Linux only, as Lwt's stubs (elsewhere they raise
// Lwt_sys.Not_available, here NotAvailableException); LwtSys.Have answers for them.
//
// All three are quick system calls that never block, so like Lwt they run at once on the
// calling thread and return plain values, not promises.
//
// "pid" is Linux's thread id: 0 (no pid) means the calling thread, not the whole process.
// In .NET that is one thread among many (the loop thread, when called from the loop), so
// SetAffinity without a pid pins only the caller, and threads created afterwards by it
// inherit the set; the runtime's other threads keep theirs. To change a whole process, set
// each of its threads (/proc/PID/task).
//
// The set is a bit mask whose size the kernel fixes (nr_cpu_ids, rounded to a word), and
// sched_getaffinity fails with EINVAL when the buffer is smaller. Lwt's stubs use glibc's
// fixed cpu_set_t of 1024 CPUs; this starts there and doubles the buffer on EINVAL, so
// machines with more CPUs work too (capped at MaxCpus, far beyond any kernel's maximum).
// SetAffinity sizes its mask to the largest CPU asked for; the kernel ignores the CPUs it
// does not have and fails with EINVAL if none of those asked for can be used (an empty list
// included), which is reported as is, as Lwt does.

using System.Numerics;
using System.Runtime.InteropServices;

namespace Lwt;

public static partial class LwtUnix
{
    /// <summary>The largest CPU count a mask may describe (Linux's NR_CPUS is at most 8192).</summary>
    private const int MaxCpus = 1 << 16;

    /// <summary>Glibc's cpu_set_t: 1024 CPUs, the first size tried.</summary>
    private const int DefaultCpuSetBits = 1024;

    /// <summary>
    /// The number of the CPU the calling thread is running on (it may have moved by the time
    /// the caller looks). Linux only.
    /// <para>Lwt: <c>Lwt_unix.get_cpu</c></para>
    /// </summary>
    /// <exception cref="NotAvailableException">Not on Linux (<c>get_cpu</c>).</exception>
    /// <exception cref="UnixErrorException">sched_getcpu failed (ENOSYS on a kernel without it).</exception>
    public static int GetCpu()
    {
        LwtSys.Require(Feature.GetCpu);
        int cpu = LibC.SchedGetCpu();
        if (cpu < 0) throw UnixErrorException.FromLastError("sched_getcpu");
        return cpu;
    }

    /// <summary>
    /// The CPUs a thread may run on, in increasing order. Without <paramref name="pid"/>, those
    /// of the calling thread (Linux's affinity belongs to a thread; a process id names its
    /// main thread). Linux only.
    /// <para>Lwt: <c>Lwt_unix.get_affinity</c></para>
    /// </summary>
    /// <param name="pid">A thread or process id, or null (or 0) for the calling thread.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="pid"/> is negative.</exception>
    /// <exception cref="NotAvailableException">Not on Linux (<c>get_affinity</c>).</exception>
    /// <exception cref="UnixErrorException">sched_getaffinity failed: ESRCH (no such thread), EPERM.</exception>
    public static unsafe IReadOnlyList<int> GetAffinity(int? pid = null)
    {
        int id = CheckPid(pid);
        LwtSys.Require(Feature.GetAffinity);
        for (int bits = DefaultCpuSetBits; ; bits *= 2)
        {
            var mask = new ulong[bits / 64];
            int result;
            fixed (ulong* p = mask) result = LibC.SchedGetAffinity(id, (nuint)(mask.Length * sizeof(ulong)), p);
            if (result == 0) return CpusOf(mask);
            int errno = Marshal.GetLastPInvokeError();
            // EINVAL with a valid pid means "buffer smaller than the kernel's mask": grow it.
            if (errno != LibC.EINVAL || bits >= MaxCpus) throw new UnixErrorException(errno, "sched_getaffinity");
        }
    }

    /// <summary>
    /// Restricts a thread to the CPUs <paramref name="cpus"/> (duplicates allowed; CPUs the
    /// machine does not have are ignored by Linux, which fails with EINVAL when none of them
    /// can be used). Without <paramref name="pid"/>, the calling thread only: the runtime's
    /// other threads keep their set, threads it starts afterwards inherit the new one.
    /// Linux only.
    /// <para>Lwt: <c>Lwt_unix.set_affinity</c></para>
    /// </summary>
    /// <param name="pid">A thread or process id, or null (or 0) for the calling thread.</param>
    /// <param name="cpus">The CPU numbers, each from 0 to 65535.</param>
    /// <exception cref="ArgumentNullException"><paramref name="cpus"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="pid"/> is negative, or a CPU number is negative or above 65535.</exception>
    /// <exception cref="NotAvailableException">Not on Linux (<c>set_affinity</c>).</exception>
    /// <exception cref="UnixErrorException">sched_setaffinity failed: EINVAL (no usable CPU, an empty list included), ESRCH, EPERM.</exception>
    public static unsafe void SetAffinity(int? pid, IReadOnlyList<int> cpus)
    {
        ArgumentNullException.ThrowIfNull(cpus);
        int id = CheckPid(pid);
        int highest = -1;
        foreach (int cpu in cpus)
        {
            if ((uint)cpu >= MaxCpus)
                throw new ArgumentOutOfRangeException(nameof(cpus), cpu, $"A CPU number is from 0 to {MaxCpus - 1}.");
            highest = Math.Max(highest, cpu);
        }
        LwtSys.Require(Feature.SetAffinity);

        // At least glibc's size, so that an empty list still passes a valid mask and the
        // kernel, not this code, answers EINVAL for it, as Lwt's stub lets it.
        var mask = new ulong[Math.Max(DefaultCpuSetBits, highest + 1 + 63) / 64];
        foreach (int cpu in cpus) mask[cpu / 64] |= 1UL << (cpu % 64);
        int result;
        fixed (ulong* p = mask) result = LibC.SchedSetAffinity(id, (nuint)(mask.Length * sizeof(ulong)), p);
        if (result != 0) throw UnixErrorException.FromLastError("sched_setaffinity");
    }

    private static int CheckPid(int? pid)
    {
        int id = pid ?? 0;
        if (id < 0) throw new ArgumentOutOfRangeException(nameof(pid), id, "A pid is positive (or 0 or null: the calling thread).");
        return id;
    }

    /// <summary>The numbers of the bits set in <paramref name="mask"/>, in increasing order.</summary>
    private static int[] CpusOf(ulong[] mask)
    {
        var cpus = new List<int>();
        for (int word = 0; word < mask.Length; word++)
            for (ulong bits = mask[word]; bits != 0; bits &= bits - 1)
                cpus.Add(word * 64 + BitOperations.TrailingZeroCount(bits));
        return cpus.ToArray();
    }
}
