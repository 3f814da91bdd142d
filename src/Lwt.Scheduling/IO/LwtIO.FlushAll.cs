// LwtIO.FlushAll (Lwt_io.flush_all) and the registry of open output channels
// it flushes.
//
// FlushAll's registry. Lwt keeps every output channel made by make/of_fd in a
// global weak hash set and flushes them all on flush_all (and at exit). Here a
// channel belongs to the loop of the thread that made it: it may only be used
// from there, so one global set would have FlushAll touch other loops'
// channels. The registry is per thread (one loop per thread): MakeOutput adds
// the channel to its thread's registry, and closing it (Close, Abort, or a
// failed close) takes it out at once, so a program that opens and closes
// channels keeps the registry at the size of what is open. The registry holds
// the channels weakly, as Lwt's: an output channel dropped without being closed
// is collected as it would be without the registry, and its slot is reclaimed
// the next time the registry fills up (a sweep of dead slots before it would
// grow: it grows only when at least half of its slots still hold a live
// channel, so it stays within a small factor of the live channels). A slot
// keeps its WeakReference when freed and the next registration reuses it, so a
// program that opens and closes channels in a loop allocates no more weak
// handles after its first ones. Channels made by OfBytes are not registered, as
// in Lwt (there is nowhere to flush them to), nor the temporary channels of
// Atomic (their channel is).
//
// Lwt also calls flush_all at exit (Lwt_main.at_exit). That is not done here:
// the exit hooks run on a loop of their own, which owns none of these channels,
// and flushing a loop's channels from another thread is what the per-thread
// registry is there to prevent. A program flushes its channels (or calls
// FlushAll) before its LwtMain.Run returns.

namespace Lwt;

public static partial class LwtIO
{
    /// <summary>
    /// Flushes every open output channel of the calling thread's loop (the channels made on
    /// this thread by <see cref="MakeOutput"/>, <see cref="OfFd"/>, <see cref="OfStream"/>,
    /// <see cref="OpenFile"/>, <see cref="Pipe"/>, the servers and connections, and the
    /// standard channels if they were first used on this thread), all at once; resolves
    /// when all are flushed. Each flush waits for the operations already queued on its
    /// channel, as <see cref="Flush"/> does. A channel that fails to flush, or is closed
    /// meanwhile, is skipped: its error is dropped, as in Lwt. Channels made by
    /// <see cref="OfBytes"/> are not included, as in Lwt, nor the channels of other threads
    /// (they belong to other loops). The channels are tracked weakly: an unreferenced,
    /// unclosed channel is collected as usual and its buffered bytes are lost, as in Lwt.
    /// <para>Lwt: <c>Lwt_io.flush_all</c></para>
    /// </summary>
    public static Promise FlushAll()
    {
        var open = OutputRegistry.Current?.Snapshot();
        if (open is null || open.Count == 0) return Promise.ReturnUnit;
        var flushes = new Promise[open.Count];
        for (int i = 0; i < flushes.Length; i++)
        {
            var oc = open[i];
            flushes[i] = Promise.Catch(() => Flush(oc), static _ => Promise.ReturnUnit);
        }

        return Promise.Join(flushes);
    }

    /// <summary>How many output channels the calling thread's registry holds now (live or not yet swept); for tests.</summary>
    internal static int RegisteredOutputCount => OutputRegistry.Current?.Count ?? 0;

    /// <summary>How many slots the calling thread's registry has (its memory); for tests.</summary>
    internal static int RegisteredOutputCapacity => OutputRegistry.Current?.Capacity ?? 0;
}

/// <summary>
/// The open output channels of one thread's loop, held weakly, for <see cref="LwtIO.FlushAll"/>
/// (the file comment of LwtIO.FlushAll.cs).
/// </summary>
internal sealed class OutputRegistry
{
    [ThreadStatic]
    private static OutputRegistry? t_current;

    /// <summary>Slots [0, _count) are registered channels (some may be dead); the ones after keep a free WeakReference for reuse.</summary>
    private WeakReference<OutputChannel>?[] _slots = new WeakReference<OutputChannel>?[16];
    private int _count;

    internal static OutputRegistry? Current => t_current;

    internal static OutputRegistry ForCurrentThread() => t_current ??= new OutputRegistry();

    internal int Count => _count;

    internal int Capacity => _slots.Length;

    /// <summary>Adds a new channel; its core remembers the registry and its slot.</summary>
    internal void Add(OutputChannel oc)
    {
        if (_count == _slots.Length) MakeRoom();
        var slot = _slots[_count];
        if (slot is null) _slots[_count] = new WeakReference<OutputChannel>(oc);
        else slot.SetTarget(oc);
        oc.Core.Registry = this;
        oc.Core.RegistryIndex = _count++;
    }

    /// <summary>Takes a closing channel out: its slot gets the last one (swap-remove, O(1)).</summary>
    internal void Remove(ChannelCore core)
    {
        int index = core.RegistryIndex;
        core.Registry = null;
        core.RegistryIndex = -1;
        RemoveAt(index);
    }

    private void RemoveAt(int index)
    {
        int last = --_count;
        var freed = _slots[index]!;
        freed.SetTarget(null!);
        if (index != last)
        {
            var moved = _slots[last]!;
            _slots[index] = moved;
            _slots[last] = freed;
            if (moved.TryGetTarget(out var oc)) oc.Core.RegistryIndex = index;
        }
    }

    /// <summary>
    /// The registry is full: sweep the slots whose channel was collected, and grow only if
    /// at least half the slots still hold one, so that the sweeps cost O(1) per registration.
    /// </summary>
    private void MakeRoom()
    {
        for (int i = _count - 1; i >= 0; i--)
        {
            if (!_slots[i]!.TryGetTarget(out _)) RemoveAt(i);
        }

        if (_count >= _slots.Length / 2) Array.Resize(ref _slots, _slots.Length * 2);
    }

    /// <summary>The live channels, as strong references (the flushes must not lose them).</summary>
    internal List<OutputChannel> Snapshot()
    {
        var live = new List<OutputChannel>(_count);
        for (int i = 0; i < _count; i++)
        {
            if (_slots[i]!.TryGetTarget(out var oc)) live.Add(oc);
        }

        return live;
    }
}
