using System.Runtime.Versioning;
using System.Text;
using static Lwt.Tests.IO.UnixTest;

namespace Lwt.Tests.IO;

/// <summary>
/// LwtUnix.PRead, PWrite and PWriteString (Lwt_unix.pread, pwrite, pwrite_string) on real
/// files and pipes: the bytes at an offset, with the descriptor's position left alone.
/// </summary>
[Collection("IO")]
[SupportedOSPlatform("linux")]
public class UnixPositionalTests
{
    private const int EBADF = 9, ESPIPE = 29;

    [SkippableFact]
    public void PReadReadsAtTheOffsetWithoutMovingThePosition()
    {
        InTempDir(async dir =>
        {
            string path = Path.Combine(dir, "f");
            File.WriteAllText(path, "0123456789");
            var fd = await LwtUnix.OpenFile(path, OpenFlags.ReadOnly);
            var buffer = new byte[4];
            Assert.Equal(4, await LwtUnix.PRead(fd, buffer, 3));
            Assert.Equal("3456", Encoding.ASCII.GetString(buffer));

            // The position is still 0: a plain read starts at the beginning.
            Assert.Equal(2, await LwtUnix.Read(fd, buffer.AsMemory(0, 2)));
            Assert.Equal("01", Encoding.ASCII.GetString(buffer, 0, 2));

            // Near the end: what is left; at or past the end: 0.
            Assert.Equal(2, await LwtUnix.PRead(fd, buffer, 8));
            Assert.Equal(0, await LwtUnix.PRead(fd, buffer, 10));
            Assert.Equal(0, await LwtUnix.PRead(fd, buffer, 1L << 40));
            await fd.Close();
            var closed = Unix(await Record(LwtUnix.PRead(fd, buffer, 0)));
            Assert.Equal(EBADF, closed.Errno);
            Assert.Equal("pread", closed.Function);
        });
    }

    [SkippableFact]
    public void PWriteWritesAtTheOffsetAndLeavesAGapOfZeros()
    {
        InTempDir(async dir =>
        {
            string path = Path.Combine(dir, "f");
            File.WriteAllText(path, "abcdef");
            var fd = await LwtUnix.OpenFile(path, OpenFlags.ReadWrite);
            Assert.Equal(2, await LwtUnix.PWrite(fd, "XY"u8.ToArray(), 2));
            Assert.Equal("abXYef", File.ReadAllText(path));

            // The position did not move: a plain write lands at 0.
            Assert.Equal(1, await LwtUnix.Write(fd, "Z"u8.ToArray()));
            Assert.Equal("ZbXYef", File.ReadAllText(path));

            Assert.Equal(1, await LwtUnix.PWrite(fd, "!"u8.ToArray(), 8));
            Assert.Equal("ZbXYef\0\0!"u8.ToArray(), File.ReadAllBytes(path));
            await fd.Close();

            var readOnly = await LwtUnix.OpenFile(path, OpenFlags.ReadOnly);
            Assert.Equal(EBADF, Unix(await Record(LwtUnix.PWrite(readOnly, "x"u8.ToArray(), 0))).Errno);
            await readOnly.Close();
        });
    }

    [SkippableFact]
    public void PWriteStringCountsBytesOfTheUtf8Encoding()
    {
        InTempDir(async dir =>
        {
            string path = Path.Combine(dir, "f");
            File.WriteAllText(path, "------");
            var fd = await LwtUnix.OpenFile(path, OpenFlags.ReadWrite);
            Assert.Equal(2, await LwtUnix.PWriteString(fd, "é", 1));
            Assert.Equal("-é---", File.ReadAllText(path));

            // "aéb" is 61 C3 A9 62: bytes 1..3 are the whole "é".
            Assert.Equal(2, await LwtUnix.PWriteString(fd, "aéb", 4, 1, 2));
            Assert.Equal("-é-é", File.ReadAllText(path));

            Assert.Throws<ArgumentOutOfRangeException>(() => LwtUnix.PWriteString(fd, "aéb", 0, 2, 3));
            Assert.Throws<ArgumentOutOfRangeException>(() => LwtUnix.PWriteString(fd, "ab", 0, -1, 1));
            Assert.Throws<ArgumentOutOfRangeException>(() => LwtUnix.PWriteString(fd, "ab", 0, 0, -1));
            Assert.Throws<ArgumentOutOfRangeException>(() => LwtUnix.PWriteString(fd, "ab", -1, 0, 1));
            Assert.Throws<ArgumentOutOfRangeException>(() => LwtUnix.PWriteString(fd, "ab", -1));
            Assert.Throws<ArgumentNullException>(() => LwtUnix.PWriteString(fd, null!, 0));
            Assert.Throws<ArgumentNullException>(() => LwtUnix.PWriteString(null!, "ab", 0, 0, 1));
            await fd.Close();
        });
    }

    [SkippableFact]
    public void PipesCannotSeekAndBadArgumentsThrowAtTheCall()
    {
        InTempDir(async _ =>
        {
            var (r, w) = LwtUnix.Pipe();
            var read = Unix(await Record(LwtUnix.PRead(r, new byte[1], 0)));
            Assert.Equal(ESPIPE, read.Errno);
            Assert.Equal("pread", read.Function);
            var write = Unix(await Record(LwtUnix.PWrite(w, new byte[1], 0)));
            Assert.Equal(ESPIPE, write.Errno);
            Assert.Equal("pwrite", write.Function);
            Assert.Throws<ArgumentOutOfRangeException>(() => LwtUnix.PRead(r, new byte[1], -1));
            Assert.Throws<ArgumentOutOfRangeException>(() => LwtUnix.PWrite(w, new byte[1], -1));
            await r.Close();
            await w.Close();
        });
        Assert.Throws<ArgumentNullException>(() => LwtUnix.PRead(null!, new byte[1], 0));
        Assert.Throws<ArgumentNullException>(() => LwtUnix.PWrite(null!, new byte[1], 0));
    }
}
