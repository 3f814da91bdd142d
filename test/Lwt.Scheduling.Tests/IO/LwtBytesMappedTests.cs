using System.Runtime.Versioning;
using System.Text;
using static Lwt.Tests.IO.UnixTest;

namespace Lwt.Tests.IO;

/// <summary>
/// LwtBytes' memory-mapped files (Lwt_bytes.map_file, mapped, madvise, mincore, wait_mincore)
/// on real temporary files.
/// </summary>
[Collection("IO")]
[SupportedOSPlatform("linux")]
public class LwtBytesMappedTests
{
    private const int EBADF = 9, EACCES = 13, EINVAL = 22;

    private static int Page => LwtBytes.PageSize;

    [SkippableFact]
    public void A_private_mapping_reads_the_file_and_keeps_its_writes()
    {
        InTempDir(async dir =>
        {
            string path = Path.Combine(dir, "f");
            File.WriteAllText(path, "hello world");
            var fd = await LwtUnix.OpenFile(path, OpenFlags.ReadOnly);

            Memory<byte> map = LwtBytes.MapFile(fd, shared: false);
            Assert.Equal("hello world", LwtBytes.ToString(map));
            Assert.True(LwtBytes.Mapped(map));
            Assert.True(LwtBytes.Mapped(LwtBytes.Proxy(map, 6, 5)));
            Assert.False(LwtBytes.Mapped(LwtBytes.Create(4)));
            Assert.False(LwtBytes.Mapped(Memory<byte>.Empty));

            // Copy-on-write: the buffer changes, the file does not (and a read-only fd suffices).
            LwtBytes.Set(map, 0, (byte)'J');
            Assert.Equal("Jello world", LwtBytes.ToString(map));
            Assert.Equal("hello world", File.ReadAllText(path));

            // A position off a page boundary, and a size.
            foreach (var (part, expected) in new[]
            {
                (LwtBytes.MapFile(fd, shared: false, position: 6), "world"),
                (LwtBytes.MapFile(fd, shared: false, size: 5), "hello"),
                (LwtBytes.MapFile(fd, shared: false, position: 11), ""),
            })
            {
                Assert.Equal(expected, LwtBytes.ToString(part));
                Assert.True(LwtBytes.Mapped(part));
                LwtBytes.Unmap(part);
            }

            LwtBytes.Unmap(map);
            LwtBytes.Unmap(map); // twice: nothing
            Assert.Throws<ObjectDisposedException>(() => map.Span.Length);
            Assert.True(LwtBytes.Mapped(map));
            Assert.Throws<ArgumentException>("buffer", () => LwtBytes.Unmap(LwtBytes.Create(1)));
            await fd.Close();
        });
    }

    [SkippableFact]
    public void A_shared_mapping_grows_the_file_and_its_writes_reach_it()
    {
        InTempDir(async dir =>
        {
            string path = Path.Combine(dir, "f");
            File.WriteAllText(path, "abc");
            var fd = await LwtUnix.OpenFile(path, OpenFlags.ReadWrite);

            Memory<byte> map = LwtBytes.MapFile(fd, shared: true, size: 2 * Page);
            Assert.Equal(2L * Page, new FileInfo(path).Length);
            Assert.Equal("abc", LwtBytes.ToString(map[..3]));
            LwtBytes.BlitFromString("XY", 0, map, Page + 1, 2);

            // The page cache is shared: the file shows the bytes before any unmap or msync.
            var read = new byte[2];
            Assert.Equal(2, await LwtUnix.PRead(fd, read, Page + 1));
            Assert.Equal("XY", Encoding.ASCII.GetString(read));
            LwtBytes.Unmap(map);
            byte[] all = File.ReadAllBytes(path);
            Assert.Equal("abc", Encoding.ASCII.GetString(all, 0, 3));
            Assert.Equal("XY", Encoding.ASCII.GetString(all, Page + 1, 2));
            await fd.Close();
        });
    }

    [SkippableFact]
    public void MapFile_rejects_bad_arguments_and_reports_the_kernel_s_errors()
    {
        InTempDir(async dir =>
        {
            string path = Path.Combine(dir, "f");
            File.WriteAllText(path, "abc");
            var fd = await LwtUnix.OpenFile(path, OpenFlags.ReadOnly);

            Assert.Throws<ArgumentNullException>("fd", () => LwtBytes.MapFile(null!, shared: false));
            Assert.Throws<ArgumentOutOfRangeException>("size", () => LwtBytes.MapFile(fd, shared: false, size: -1));
            Assert.Throws<ArgumentOutOfRangeException>("position", () => LwtBytes.MapFile(fd, shared: false, position: -1));
            Assert.Throws<ArgumentOutOfRangeException>("position", () => LwtBytes.MapFile(fd, shared: false, position: 4));

            // Writes to the file through a read-only descriptor: mmap says EACCES.
            Assert.Equal(EACCES, Assert.Throws<UnixErrorException>(() => LwtBytes.MapFile(fd, shared: true)).Errno);
            // Growing the file needs write access too.
            Assert.Equal(EINVAL, Assert.Throws<UnixErrorException>(() => LwtBytes.MapFile(fd, shared: false, size: 10)).Errno);

            await fd.Close();
            Assert.Equal(EBADF, Assert.Throws<UnixErrorException>(() => LwtBytes.MapFile(fd, shared: false)).Errno);
        });
    }

    [SkippableFact]
    public void Madvise_is_accepted_on_a_mapping_and_checks_its_range()
    {
        InTempDir(async dir =>
        {
            Memory<byte> map = await MapPages(dir, 2);
            foreach (var advice in new[] { Advice.Normal, Advice.Random, Advice.Sequential, Advice.WillNeed, Advice.DontNeed })
                LwtBytes.Madvise(map, 0, map.Length, advice);
            LwtBytes.Madvise(map, Page, Page, Advice.Normal);
            LwtBytes.Madvise(map, 0, 0, Advice.Normal);

            Assert.Throws<ArgumentOutOfRangeException>("offset", () => LwtBytes.Madvise(map, 1, map.Length, Advice.Normal));
            Assert.Throws<ArgumentOutOfRangeException>("offset", () => LwtBytes.Madvise(map, -1, 1, Advice.Normal));
            Assert.Throws<ArgumentOutOfRangeException>("length", () => LwtBytes.Madvise(map, 0, -1, Advice.Normal));
            Assert.Throws<ArgumentOutOfRangeException>("advice", () => LwtBytes.Madvise(map, 0, 1, (Advice)99));
            // In range but off a page boundary: the kernel's EINVAL.
            Assert.Equal(EINVAL, Assert.Throws<UnixErrorException>(() => LwtBytes.Madvise(map, 1, 10, Advice.Normal)).Errno);
            LwtBytes.Unmap(map);
        });
    }

    [SkippableFact]
    public void Mincore_reports_a_touched_page_and_checks_its_arguments()
    {
        InTempDir(async dir =>
        {
            Memory<byte> map = await MapPages(dir, 3);
            _ = map.Span[Page]; // maps page 1 in
            var states = new bool[2];
            LwtBytes.Mincore(map, Page, states);
            Assert.True(states[0]);
            LwtBytes.Mincore(map, 0, new bool[3]);
            LwtBytes.Mincore(map, 3 * Page, Array.Empty<bool>());

            Assert.Throws<ArgumentNullException>("states", () => LwtBytes.Mincore(map, 0, null!));
            Assert.Throws<ArgumentOutOfRangeException>("offset", () => LwtBytes.Mincore(map, -Page, new bool[1]));
            var misaligned = Assert.Throws<ArgumentException>("offset", () => LwtBytes.Mincore(map, 1, new bool[1]));
            Assert.IsNotType<ArgumentOutOfRangeException>(misaligned);
            Assert.Throws<ArgumentOutOfRangeException>("states", () => LwtBytes.Mincore(map, Page, new bool[3]));
            Assert.Throws<ArgumentOutOfRangeException>("states", () => LwtBytes.Mincore(map, 4 * Page, Array.Empty<bool>()));
            LwtBytes.Unmap(map);
            Assert.Throws<ObjectDisposedException>(() => LwtBytes.Mincore(map, 0, new bool[1]));
        });
    }

    [SkippableFact]
    public void WaitMincore_resolves_once_the_page_is_in()
    {
        InTempDir(async dir =>
        {
            Memory<byte> map = await MapPages(dir, 3);
            LwtBytes.Madvise(map, 0, map.Length, Advice.DontNeed);
            await LwtBytes.WaitMincore(map, 2 * Page + 5);
            var states = new bool[1];
            LwtBytes.Mincore(map, 2 * Page, states);
            Assert.True(states[0]);
            await LwtBytes.WaitMincore(map, 2 * Page); // in already: resolved at once
            Assert.Throws<ArgumentOutOfRangeException>("index", () => LwtBytes.WaitMincore(map, 3 * Page));
            Assert.Throws<ArgumentOutOfRangeException>("index", () => LwtBytes.WaitMincore(map, -1));
            LwtBytes.Unmap(map);
        });
    }

    /// <summary>A private mapping of a new file of <paramref name="pages"/> pages of 'p' bytes.</summary>
    private static async Promise<Memory<byte>> MapPages(string dir, int pages)
    {
        string path = Path.Combine(dir, "pages");
        File.WriteAllBytes(path, Enumerable.Repeat((byte)'p', pages * Page).ToArray());
        var fd = await LwtUnix.OpenFile(path, OpenFlags.ReadOnly);
        Memory<byte> map = LwtBytes.MapFile(fd, shared: false);
        await fd.Close(); // a mapping outlives its descriptor
        return map;
    }
}
