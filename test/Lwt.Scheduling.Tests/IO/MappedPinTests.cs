using System.Buffers;
using System.Globalization;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.Versioning;
using System.Text;
using static Lwt.Tests.IO.UnixTest;

namespace Lwt.Tests.IO;

/// <summary>
/// The LwtUnix I/O calls hold a pin on a buffer of a MemoryManager (a mapping of
/// <see cref="LwtBytes.MapFile"/>) for the operation's whole life: an <see cref="LwtBytes.Unmap"/>
/// meanwhile waits for the operation (blocking job or queued read) to be over, and a buffer
/// unmapped before the call throws <see cref="ObjectDisposedException"/> at the call on every
/// path. Whether the pages are still mapped is read from /proc/self/maps (the address and the
/// file's name), so the tests need no timing.
/// </summary>
[Collection("IO")]
[SupportedOSPlatform("linux")]
public class MappedPinTests
{
    private const int EBADF = 9;

    /// <summary>A shared mapping of a new file of one page of '.', its address, and the file's path.</summary>
    private static async Promise<(LwtFd Fd, Memory<byte> Map, nint Address, string Path)> MapNewFile(string dir, string name)
    {
        string path = Path.Combine(dir, name);
        File.WriteAllBytes(path, Enumerable.Repeat((byte)'.', LwtBytes.PageSize).ToArray());
        var fd = await LwtUnix.OpenFile(path, OpenFlags.ReadWrite);
        Memory<byte> map = LwtBytes.MapFile(fd, shared: true);
        nint address = Unsafe.ByteOffset(ref Unsafe.NullRef<byte>(), ref map.Span[0]);

        Assert.True(IsMapped(address, path));
        return (fd, map, address, path);
    }

    /// <summary>Whether a mapping of the file <paramref name="path"/> covers <paramref name="address"/> (/proc/self/maps).</summary>
    private static bool IsMapped(nint address, string path)
    {
        foreach (string line in File.ReadLines("/proc/self/maps"))
        {
            if (!line.EndsWith(path, StringComparison.Ordinal)) continue;
            string[] range = line[..line.IndexOf(' ')].Split('-');
            long start = long.Parse(range[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            long end = long.Parse(range[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            if (start <= address && address < end) return true;
        }

        return false;
    }

    private static string FileText(string path, int length) => Encoding.ASCII.GetString(File.ReadAllBytes(path), 0, length);

    [SkippableFact]
    public void Unmap_during_a_blocking_read_waits_for_the_read()
    {
        InTempDir(async dir =>
        {
            var (file, map, address, path) = await MapNewFile(dir, "a");
            var (r, w) = LwtUnix.Pipe();
            LwtUnix.SetBlocking(r, true);
            r.AssumeAlwaysReady(); // the read's job starts at once, without waiting for data first

            Promise<int> read = LwtBytes.Read(r, map, 0, 10);
            LwtBytes.Unmap(map);
            // The job holds the pin: the pages stay until read(2) has returned.
            Assert.True(IsMapped(address, path));
            Assert.Throws<ObjectDisposedException>(() => map.Span.Length);

            Assert.Equal(10, await LwtUnix.Write(w, Encoding.ASCII.GetBytes("0123456789")));
            Assert.Equal(10, await read);
            // The read landed in the mapping (shared: the file shows it), which then went.
            Assert.Equal("0123456789", FileText(path, 10));
            Assert.False(IsMapped(address, path));
            await Promise.Join(r.Close(), w.Close(), file.Close());
        });
    }

    [SkippableFact]
    public void Unmap_during_a_queued_read_lets_it_complete_and_unmaps_after()
    {
        InTempDir(async dir =>
        {
            var (file, map, address, path) = await MapNewFile(dir, "a");
            var (r, w) = LwtUnix.Pipe();

            Promise<int> read = LwtBytes.Read(r, map, 2, 5);
            Assert.True(read.IsPending);
            Assert.Equal(1, r.PendingReads);
            LwtBytes.Unmap(map);
            Assert.True(IsMapped(address, path));

            // The engine retries the queued read into the pinned pages: the loop goes on.
            Assert.Equal(5, await LwtUnix.Write(w, Encoding.ASCII.GetBytes("hello")));
            Assert.Equal(5, await read);
            Assert.Equal("..hello...", FileText(path, 10));
            Assert.False(IsMapped(address, path));
            await Promise.Join(r.Close(), w.Close(), file.Close());
        });
    }

    [SkippableFact]
    public void A_queued_operation_canceled_or_failed_by_close_ends_its_pin()
    {
        InTempDir(async dir =>
        {
            var (file, map, address, path) = await MapNewFile(dir, "a");
            var (file2, map2, address2, path2) = await MapNewFile(dir, "b");
            var (r, w) = LwtUnix.Pipe();

            Promise<int> canceled = LwtUnix.Read(r, map);
            Promise<int> closed = LwtUnix.Read(r, map2);
            LwtBytes.Unmap(map);
            LwtBytes.Unmap(map2);
            Assert.True(IsMapped(address, path));
            Assert.True(IsMapped(address2, path2));

            canceled.Cancel();
            Assert.IsType<CanceledException>(await Record(canceled));
            Assert.False(IsMapped(address, path));
            Assert.True(IsMapped(address2, path2));

            await r.Close();
            Assert.Equal(EBADF, Errno(await Record(closed)));
            Assert.False(IsMapped(address2, path2));
            await Promise.Join(w.Close(), file.Close(), file2.Close());
        });
    }

    [SkippableFact]
    public void AbortJobs_does_not_end_the_pin_of_a_read_still_in_the_kernel()
    {
        InTempDir(async dir =>
        {
            var (file, map, address, path) = await MapNewFile(dir, "a");
            var (r, w) = LwtUnix.Pipe();
            LwtUnix.SetBlocking(r, true);
            r.AssumeAlwaysReady(); // the read's job starts at once, without waiting for data first

            Promise<int> read = LwtUnix.Read(r, map[..4]);
            LwtBytes.Unmap(map);
            LwtUnix.AbortJobs(new InvalidOperationException("stop"));
            Assert.IsType<InvalidOperationException>(await Record(read));
            // The promise is rejected, but the worker's read(2) may still write the pages.
            Assert.True(IsMapped(address, path));

            // Let the worker finish; its job then ends the pin. Nothing tells the loop when (the
            // promise is settled already), so look until the pages are gone: r is closed only
            // then, once no worker can still be reading it.
            await LwtUnix.Write(w, Encoding.ASCII.GetBytes("done"));
            while (IsMapped(address, path)) await Promise.Pause();
            Assert.Equal("done", FileText(path, 4));
            await Promise.Join(r.Close(), w.Close(), file.Close());
        });
    }

    [SkippableFact]
    public void Every_call_given_an_unmapped_buffer_throws_ObjectDisposedException_at_the_call()
    {
        InTempDir(async dir =>
        {
            var (file, map, _, _) = await MapNewFile(dir, "a");
            LwtBytes.Unmap(map);
            var (r, w) = LwtUnix.Pipe();
            var (a, b) = LwtUnix.SocketPair(AddressFamily.Unix, SocketType.Dgram);
            var to = new UnixDomainSocketEndPoint(Path.Combine(dir, "nobody"));
            var calls = new (string Name, Func<Promise> Call)[]
            {
                ("Read, blocking descriptor", () => LwtUnix.Read(file, map)),
                ("Write, blocking descriptor", () => LwtUnix.Write(file, map)),
                ("Read, non-blocking descriptor", () => LwtUnix.Read(r, map)),
                ("Write, non-blocking descriptor", () => LwtUnix.Write(w, map)),
                ("LwtBytes.Read", () => LwtBytes.Read(file, map, 0, 4)),
                ("LwtBytes.Write", () => LwtBytes.Write(w, map, 0, 4)),
                ("PRead", () => LwtUnix.PRead(file, map, 0)),
                ("PWrite", () => LwtUnix.PWrite(file, map, 0)),
                ("Recv", () => LwtUnix.Recv(a, map)),
                ("Send", () => LwtUnix.Send(a, map)),
                ("RecvFrom", () => LwtUnix.RecvFrom(a, map)),
                ("SendTo", () => LwtUnix.SendTo(a, map, to)),
                ("ReadV", () => LwtUnix.ReadV(file, new[] { new byte[1], map })),
                ("WriteV", () => LwtUnix.WriteV(w, new ReadOnlyMemory<byte>[] { new byte[1], map })),
                ("RecvMsg", () => LwtUnix.RecvMsg(a, new[] { map })),
                ("SendMsg", () => LwtUnix.SendMsg(a, new ReadOnlyMemory<byte>[] { map }, Array.Empty<int>())),
                // An empty slice of the mapping is still the mapping's memory.
                ("Read, empty slice", () => LwtUnix.Read(r, map[..0])),
            };
            foreach (var (name, call) in calls)
            {
                var e = Thrown(call);
                Assert.True(e is ObjectDisposedException, $"{name}: {e?.GetType().Name ?? "no exception at the call"}");
            }

            // Nothing was queued or started by the refused calls.
            Assert.Equal(0, r.PendingReads);
            Assert.Equal(0, w.PendingWrites);
            Assert.Equal(0, a.PendingReads);
            await Promise.Join(r.Close(), w.Close(), a.Close(), b.Close(), file.Close());
        });
    }

    /// <summary>What <paramref name="call"/> throws (not a rejection of the promise it returns).</summary>
    private static Exception? Thrown(Func<Promise> call)
    {
        try
        {
            call();
            return null;
        }
        catch (Exception e)
        {
            return e;
        }
    }

    [SkippableFact]
    public void Socket_and_vector_calls_hold_the_pin_while_queued_and_none_once_over()
    {
        InTempDir(async dir =>
        {
            var (file, map, address, path) = await MapNewFile(dir, "a");
            var (file2, map2, address2, path2) = await MapNewFile(dir, "b");
            var (a, b) = LwtUnix.SocketPair(AddressFamily.Unix, SocketType.Stream);

            // A queued readv and a queued recv_msg keep their (unmapped) mappings.
            Promise<int> readv = LwtUnix.ReadV(a, new[] { new byte[2], map[..4] });
            var recvMsg = LwtUnix.RecvMsg(a, new[] { map2[..4] });
            Assert.Equal(2, a.PendingReads);
            LwtBytes.Unmap(map);
            LwtBytes.Unmap(map2);
            Assert.True(IsMapped(address, path));
            Assert.True(IsMapped(address2, path2));

            Assert.Equal(6, await LwtUnix.Send(b, "xyEFGH"u8.ToArray()));
            Assert.Equal(6, await readv);
            Assert.Equal("EFGH", FileText(path, 4));
            Assert.False(IsMapped(address, path));
            Assert.True(IsMapped(address2, path2));
            recvMsg.Cancel();
            Assert.False(IsMapped(address2, path2));

            // Calls that complete at once, or fail at once, hold no pin afterwards: the unmap is immediate.
            var (file3, map3, address3, path3) = await MapNewFile(dir, "c");
            Assert.Equal(4, await LwtUnix.Send(b, map3[..4]));
            Assert.Equal(4, await LwtUnix.Recv(a, map3[4..8]));
            Assert.Equal(1, await LwtUnix.WriteV(b, new ReadOnlyMemory<byte>[] { map3[..1] }));
            Assert.Equal(1, await LwtUnix.PRead(file3, map3[..1], 0));
            await b.Close();
            Assert.Equal(EBADF, Errno(await Record(LwtUnix.Send(b, map3))));
            LwtBytes.Unmap(map3);
            Assert.False(IsMapped(address3, path3));
            await Promise.Join(a.Close(), file.Close(), file2.Close(), file3.Close());
        });
    }

    [SkippableFact]
    public void A_memory_manager_that_cannot_pin_is_read_and_written_as_before()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        LwtMain.Run(async () =>
        {
            // Pin throws NotSupportedException: the buffer is used through its Span at each
            // call, as before the pins, queued read included.
            var unpinnable = new UnpinnableMemory(new byte[8]);
            var (r, w) = LwtUnix.Pipe();
            Promise<int> read = LwtUnix.Read(r, unpinnable.Memory);
            Assert.Equal(3, await LwtUnix.Write(w, "xyz"u8.ToArray()));
            Assert.Equal(3, await read);
            Assert.Equal(3, await LwtUnix.Write(w, unpinnable.Memory[..3]));
            var back = new byte[3];
            Assert.Equal(3, await LwtUnix.Read(r, back));
            Assert.Equal("xyz", Encoding.ASCII.GetString(back));
            await Promise.Join(r.Close(), w.Close());
        });
    }

    /// <summary>A manager over managed memory whose Pin is not supported.</summary>
    private sealed class UnpinnableMemory(byte[] array) : MemoryManager<byte>
    {
        public override Span<byte> GetSpan() => array;

        public override MemoryHandle Pin(int elementIndex = 0) => throw new NotSupportedException();

        public override void Unpin()
        {
        }

        protected override void Dispose(bool disposing)
        {
        }
    }
}
