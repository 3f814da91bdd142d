using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Lwt;

/*
 * The loop's inbox: a multi-producer, single-consumer FIFO of work items.
 *
 * ConcurrentQueue is multi-consumer: every dequeue pays a compare-and-swap on the head,
 * contended with the producers' cache traffic. The loop is the only consumer, so here a
 * dequeue is plain reads and writes. Producers claim a slot of the tail segment with one
 * Interlocked.Increment, store the item, then publish the slot (a volatile write). The
 * consumer takes slots in order and stops at the first slot not yet published, so the
 * order is the order of the claims (per producer: the order of its posts).
 *
 * Segments. The producer that claims the first index past the end of a segment installs
 * the next one; producers that claim further past it wait (spin) for it. The consumer
 * moves to the next segment once it has taken every slot of the current one. A segment
 * is never reused (a slow producer may still look at an old one), so the queue allocates
 * one segment per SegmentSize items: 16 bytes per item plus the publication flags.
 *
 * False sharing. What the producers write (a segment's claim counter) and what the consumer
 * writes (its position) each sit on a cache line of their own, away from what the other
 * side only reads (the segment's arrays, the inbox's two holders), so a stream of posts does
 * not bounce one line between the poster's core and the loop's for every item.
 */

/// <summary>An int alone on its cache line (with 64 bytes on either side).</summary>
[StructLayout(LayoutKind.Explicit, Size = 136)]
internal struct PaddedInt
{
    [FieldOffset(64)]
    internal int Value;
}

/// <summary>A long alone on its cache line (with 64 bytes on either side).</summary>
[StructLayout(LayoutKind.Explicit, Size = 136)]
internal struct PaddedLong
{
    [FieldOffset(64)]
    internal long Value;
}

/// <summary>A multi-producer, single-consumer FIFO queue (the event loop's inbox).</summary>
internal sealed class Inbox<T>
{
    private const int SegmentSize = 1024;

    private sealed class Segment
    {
        internal readonly T[] Items = new T[SegmentSize];
        internal readonly int[] Published = new int[SegmentSize];
        internal Segment? Next;
        internal PaddedInt Claimed;
    }

    /// <summary>The producers' side: the tail segment (read by every post, written once per segment).</summary>
    private sealed class ProducerSide(Segment tail)
    {
        internal Segment Tail = tail;
#pragma warning disable CS0169 // padding: keeps the next object's fields off this line
        private PaddedInt _padding;
#pragma warning restore CS0169
    }

    /// <summary>The consumer's side: its position (written by every dequeue).</summary>
    private sealed class ConsumerSide(Segment head)
    {
        internal Segment Head = head;
        internal int Index;
#pragma warning disable CS0169 // padding: keeps the next object's fields off this line
        private PaddedInt _padding;
#pragma warning restore CS0169
    }

    private readonly ProducerSide _producers;
    private readonly ConsumerSide _consumer;

    internal Inbox()
    {
        var first = new Segment();
        _producers = new ProducerSide(first);
        _consumer = new ConsumerSide(first);
    }

    /// <summary>Adds an item. Safe from any thread. Ends with a full fence (the loop's wake-up protocol relies on it).</summary>
    internal void Enqueue(in T item)
    {
        var spinner = default(SpinWait);
        while (true)
        {
            var producers = _producers;
            var segment = Volatile.Read(ref producers.Tail);
            int index = Interlocked.Increment(ref segment.Claimed.Value) - 1;
            if (index < SegmentSize)
            {
                segment.Items[index] = item;
                Interlocked.Exchange(ref segment.Published[index], 1); // publish, with a full fence
                return;
            }
            if (index == SegmentSize)
            {
                // This producer installs the next segment; the others wait for it below.
                var next = new Segment();
                Volatile.Write(ref segment.Next, next);
                Volatile.Write(ref producers.Tail, next);
                continue;
            }
            while (Volatile.Read(ref producers.Tail) == segment) spinner.SpinOnce(sleep1Threshold: -1);
        }
    }

    /// <summary>Whether the next item is published (consumer only; a claimed but unpublished slot counts as empty).</summary>
    internal bool IsEmpty
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            var consumer = _consumer;
            var segment = consumer.Head;
            int index = consumer.Index;
            if (index == SegmentSize)
            {
                var next = Volatile.Read(ref segment.Next);
                if (next is null) return true;
                segment = next;
                index = 0;
            }
            return Volatile.Read(ref segment.Published[index]) == 0;
        }
    }

    /// <summary>Takes the next item, if published. Consumer only.</summary>
    internal bool TryDequeue(out T item)
    {
        var consumer = _consumer;
        var segment = consumer.Head;
        int index = consumer.Index;
        if (index == SegmentSize)
        {
            var next = Volatile.Read(ref segment.Next);
            if (next is null)
            {
                item = default!;
                return false;
            }
            consumer.Head = segment = next;
            consumer.Index = index = 0;
        }
        if (Volatile.Read(ref segment.Published[index]) == 0)
        {
            item = default!;
            return false;
        }
        item = segment.Items[index];
        if (RuntimeHelpers.IsReferenceOrContainsReferences<T>()) segment.Items[index] = default!;
        consumer.Index = index + 1;
        return true;
    }

    /// <summary>
    /// An upper bound of the items published or being published now (consumer only): what
    /// a drain bounded to "what was there at the start" may take.
    /// </summary>
    internal long CountUpperBound()
    {
        long count = 0;
        Segment? segment = _consumer.Head;
        int from = _consumer.Index;
        while (segment is not null)
        {
            count += Math.Min(Volatile.Read(ref segment.Claimed.Value), SegmentSize) - from;
            segment = Volatile.Read(ref segment.Next);
            from = 0;
        }
        return count;
    }
}
