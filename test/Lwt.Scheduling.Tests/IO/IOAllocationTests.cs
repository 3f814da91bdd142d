using System.Net.Sockets;

namespace Lwt.Tests.IO;

/// <summary>
/// What the I/O fast paths allocate, measured against the size of one fulfilled
/// <c>Promise&lt;int&gt;</c> measured in the same test (no hard-coded object sizes). A lambda
/// that captures a parameter makes the compiler allocate its closure on entry to the method,
/// even on paths that never use the lambda: these tests catch that coming back.
/// </summary>
[Collection("IO")]
public class IOAllocationTests
{
    private const int N = 2_000;

    private static long PromiseOfIntSize()
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < N; i++) GC.KeepAlive(Promise.Return(i));
        return (GC.GetAllocatedBytesForCurrentThread() - before) / N;
    }

    // Not Assert.Equal inside the measured loops: it allocates.
    private static void Check(bool ok, string what)
    {
        if (!ok) throw new InvalidOperationException(what);
    }

    // AllocationMeter: the best of three rounds of N calls, after 100 unmeasured ones.
    private static long PerOp(Action op) => AllocationMeter.PerOp(N, op);

    [SkippableFact]
    public void ReadAndWriteThatDoNotWaitAllocateOnlyTheirResult()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        LwtMain.Run(() =>
        {
            var (a, b) = LwtUnix.SocketPair(AddressFamily.Unix, SocketType.Stream);
            var message = new byte[16];
            var into = new byte[16];
            long result = PromiseOfIntSize();

            // Each op writes 16 bytes and reads them back: neither call ever waits.
            long both = PerOp(() =>
            {
                Check(LwtUnix.Write(a, message).Value == 16, "write");
                b.ReadDrained = false; // a short read marks the fd drained (next read waits first); this test reads what it knows is there
                Check(LwtUnix.Read(b, into).Value == 16, "read");
            });
            Assert.True(both <= 2 * result, $"LwtUnix.Write + Read that complete at once: {both} B, two result promises are {2 * result} B");
            return Promise.Join(a.Close(), b.Close());
        });
    }

    [SkippableFact]
    public void ChannelOperationsServedByTheBufferAllocateOnlyTheirResult()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        LwtMain.Run(async () =>
        {
            // 8 KB buffers: the read phase below takes 6,100 bytes from one refill (100 + 3 x 2,000 reads).
            var (ic, oc) = LwtIO.Pipe(bufferSize: 8192);
            var chunk = new byte[1]; // 6,100 one-byte writes stay well inside the pipe's capacity
            long result = PromiseOfIntSize();

            // Writes into buffer space, then one flush: the writes share the auto-flush's pause.
            long written = PerOp(() =>
            {
                Check(oc.WriteFromExactly(chunk).IsFulfilled, "write into the buffer");
                if (oc.Core.Max > 2048) Check(oc.Flush().IsFulfilled, "flush");
            });
            Assert.True(written <= result, $"WriteFromExactly into the buffer (+ a flush every 2,048): {written} B per call");
            await oc.Flush();

            // Fill the input buffer once, then read from it: ReadInto makes its result promise, ReadIntoExactly nothing.
            await oc.WriteFromExactly(new byte[4000]);
            await oc.Flush();
            await ic.ReadIntoExactly(new byte[1]);
            long readInto = PerOp(() =>
            {
                if (ic.Core.Max - ic.Core.Ptr < 1) throw new InvalidOperationException("the buffer ran out");
                Check(ic.ReadInto(chunk.AsMemory(0, 1)).Value == 1, "read from the buffer");
            });
            Assert.True(readInto <= result, $"ReadInto from the buffer: {readInto} B, one result promise is {result} B");
            await Task.CompletedTask;
        });
    }
}
