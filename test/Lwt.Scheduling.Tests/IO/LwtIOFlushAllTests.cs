using System.Runtime.CompilerServices;
using System.Text;
using Lwt.Tests.Loop;

namespace Lwt.Tests.IO;

/// <summary>
/// LwtIO.FlushAll (Lwt_io.flush_all): the open output channels of the calling thread's loop,
/// held weakly and dropped from the registry when closed. Each test runs on a fresh thread,
/// so that the registry holds only its own channels.
/// </summary>
[Collection("IO")]
public class LwtIOFlushAllTests
{
    /// <summary>An output channel into <paramref name="sink"/> whose backend takes at most <paramref name="perWrite"/> bytes a write.</summary>
    private static OutputChannel Sink(List<byte> sink, int perWrite = int.MaxValue) =>
        LwtIO.MakeOutput(
            m =>
            {
                int n = Math.Min(perWrite, m.Length);
                sink.AddRange(m[..n].ToArray());
                return Promise.Return(n);
            },
            bufferSize: 16);

    private static string Text(List<byte> sink) => Encoding.ASCII.GetString(sink.ToArray());

    [Fact]
    public void FlushAllFlushesTheOpenOutputChannelsOfTheLoopAndSkipsTheOthers()
    {
        LoopTest.OnFreshThread(() => LwtMain.Run(async () =>
        {
            List<byte> s1 = new(), s2 = new(), slowSink = new(), abortedSink = new(), closedSink = new();
            var a = Sink(s1);
            var b = Sink(s2, perWrite: 2);
            var slow = LwtIO.MakeOutput(m => Promise.Pause().Map(() =>
            {
                slowSink.AddRange(m.ToArray());
                return m.Length;
            }));
            var aborted = Sink(abortedSink);
            var closed = Sink(closedSink);
            var failing = LwtIO.MakeOutput(_ => Promise.Fail<int>(new IOException("disk full")));
            var array = new byte[8];
            var ofBytes = LwtIO.OfBytes(LwtIO.Output, array);

            await a.Write("one");
            await b.Write("two");
            await slow.Write("slow");
            await aborted.Write("lost");
            await failing.Write("x");
            await ofBytes.Write("kept");
            await closed.Write("closed");
            await closed.Close(); // flushed by its close, and out of the registry
            await aborted.Abort(); // closed without flushing
            Assert.Equal(4, LwtIO.RegisteredOutputCount); // a, b, slow, failing

            Assert.Empty(s1); // no pause has passed: the auto-flush has not run
            var all = LwtIO.FlushAll();
            Assert.True(all.IsPending); // the slow channel's write waits for a pause
            await all;
            Assert.True(all.IsFulfilled); // the failing channel's error is dropped
            Assert.Equal("one", Text(s1));
            Assert.Equal("two", Text(s2));
            Assert.Equal("slow", Text(slowSink));
            Assert.Empty(abortedSink);
            Assert.Equal("closed", Text(closedSink));
            Assert.Equal(0, a.Buffered() + b.Buffered() + slow.Buffered());
            Assert.Equal(1, failing.Buffered()); // still there for a later flush
            Assert.Equal(4, ofBytes.Buffered()); // OfBytes channels are not flushed (nowhere to go)
            await failing.Abort();
        }));
    }

    [Fact]
    public void FlushAllWaitsForTheOperationsQueuedOnAChannel()
    {
        LoopTest.OnFreshThread(() => LwtMain.Run(async () =>
        {
            var sink = new List<byte>();
            var oc = Sink(sink);
            var (inner, done) = Promise.Create<Unit>();
            var atomic = LwtIO.Atomic(oc, c => c.Write("in atomic").Bind(() => inner));
            var all = LwtIO.FlushAll();
            Assert.True(all.IsPending); // behind the atomic block
            done.Resolve(default);
            await atomic;
            await all;
            Assert.Equal("in atomic", Text(sink));
        }));
    }

    [Fact]
    public void FlushAllIsPerThread()
    {
        var sink = new List<byte>();
        OutputChannel? other = null;
        LoopTest.OnFreshThread(() =>
        {
            other = Sink(sink);
            LwtMain.Run(() => other.Write("other loop"));
        });
        LoopTest.OnFreshThread(() => LwtMain.Run(async () =>
        {
            Assert.Equal(0, LwtIO.RegisteredOutputCount);
            await LwtIO.FlushAll();
        }));
        // The other thread's channel was left alone (its own loop's auto-flush may have run).
        Assert.True(sink.Count == 0 || Text(sink) == "other loop");
        GC.KeepAlive(other);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference MakeUnclosedChannel(string text)
    {
        var oc = LwtIO.MakeOutput(static m => Promise.Return(m.Length), bufferSize: 16);
        _ = oc.Write(text);
        return new WeakReference(oc);
    }

    [Fact]
    public void TheRegistryDoesNotKeepChannelsAlive()
    {
        LoopTest.OnFreshThread(() => LwtMain.Run(async () =>
        {
            var weak = MakeUnclosedChannel("unflushed");
            Assert.Equal(1, LwtIO.RegisteredOutputCount);
            await Promise.Pause(); // past the auto-flush, which holds the channel until then
            await Promise.Pause();
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            Assert.False(weak.IsAlive);
            await LwtIO.FlushAll(); // the dead slot is skipped
        }));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void MakeAndDrop() => LwtIO.MakeOutput(static m => Promise.Return(m.Length), bufferSize: 16);

    [Fact]
    public void TheRegistryDoesNotGrowWithChannelsCreatedAndClosedOrDropped()
    {
        LoopTest.OnFreshThread(() => LwtMain.Run(async () =>
        {
            for (int i = 0; i < 100_000; i++)
            {
                var oc = LwtIO.MakeOutput(static m => Promise.Return(m.Length), bufferSize: 16);
                if (i % 2 == 0) await oc.Close();
                else await oc.Abort();
            }

            Assert.Equal(0, LwtIO.RegisteredOutputCount);
            Assert.Equal(16, LwtIO.RegisteredOutputCapacity); // never more than one open at a time

            // Dropped without a close: their slots are swept when the registry fills up. At most
            // one round (1000) is uncollected at a sweep, so the registry stays near that size,
            // not the 50,000 made.
            for (int round = 0; round < 50; round++)
            {
                for (int i = 0; i < 1000; i++) MakeAndDrop();
                GC.Collect();
            }

            Assert.True(LwtIO.RegisteredOutputCapacity <= 4096, $"capacity {LwtIO.RegisteredOutputCapacity}");
            Assert.True(LwtIO.RegisteredOutputCount <= 4096, $"count {LwtIO.RegisteredOutputCount}");
        }), timeoutMs: 60_000);
    }
}
