using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using static Lwt.Tests.IO.UnixTest;

namespace Lwt.Tests.IO;

/// <summary>
/// Fixes of the unixmisc audit: listing a directory by path fails as opendir does and retries
/// a failed opendir (Lwt_unix.files_of_directory), and getaddrinfo/getnameinfo give what
/// glibc's functions (so Lwt) give for inputs .NET's resolver refuses or reads differently.
/// </summary>
[Collection("IO")]
[SupportedOSPlatform("linux")]
public class UnixMiscFixTests
{
    private const int ENOENT = 2, EACCES = 13, ENOTDIR = 20, ELOOP = 40;

    [DllImport("libc", EntryPoint = "geteuid")]
    private static extern uint GetEuid();

    /// <summary>Both ways of listing <paramref name="path"/> fail as opendir(path) does.</summary>
    private static async Promise AssertListingFailsAsOpenDir(string path, int errno)
    {
        var viaOpenDir = Unix(await Record(LwtUnix.OpenDir(path)));
        Assert.Equal(errno, viaOpenDir.Errno);
        foreach (var e in new[]
                 {
                     await Record(LwtUnix.FilesOfDirectory(path).ToList()),
                     await Record(LwtUnix.ReadDir(path)),
                 })
        {
            var u = Unix(e);
            Assert.Equal(errno, u.Errno);
            Assert.Equal("opendir", u.Function);
            Assert.Equal(path, u.Argument);
        }
    }

    // lwt_unix.cppo.ml: files_of_directory starts with opendir, whose Unix_error reaches the
    // reader. A path through a file is ENOTDIR, a dangling symlink ENOENT, a symlink loop ELOOP.
    [SkippableFact]
    public void ListingByPathFailsWithOpendirsErrno()
    {
        InTempDir(async dir =>
        {
            File.WriteAllText(Path.Combine(dir, "file"), "");
            File.CreateSymbolicLink(Path.Combine(dir, "dangling"), Path.Combine(dir, "nonexistent"));
            File.CreateSymbolicLink(Path.Combine(dir, "loop"), Path.Combine(dir, "loop"));

            await AssertListingFailsAsOpenDir(Path.Combine(dir, "file", "x"), ENOTDIR);
            await AssertListingFailsAsOpenDir(Path.Combine(dir, "file"), ENOTDIR);
            await AssertListingFailsAsOpenDir(Path.Combine(dir, "dangling"), ENOENT);
            await AssertListingFailsAsOpenDir(Path.Combine(dir, "loop"), ELOOP);
            await AssertListingFailsAsOpenDir(Path.Combine(dir, "missing"), ENOENT);
        });
    }

    // EACCES is a Unix_error like any other opendir failure, not a .NET access exception. Root
    // reads any directory, so this needs another user.
    [SkippableFact]
    public void ListingAnUnreadableDirectoryIsEacces()
    {
        Skip.If(GetEuid() == 0, "root may read a directory whatever its mode");
        InTempDir(async dir =>
        {
            string locked = Path.Combine(dir, "locked");
            Directory.CreateDirectory(locked);
            File.SetUnixFileMode(locked, UnixFileMode.None);
            try
            {
                await AssertListingFailsAsOpenDir(locked, EACCES);
            }
            finally
            {
                File.SetUnixFileMode(locked, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        });
    }

    // lwt_stream.ml: a generator of Lwt_stream.from that fails pushes nothing, so the next read
    // calls it again; files_of_directory's state is still "not started" after a failed opendir.
    [SkippableFact]
    public void AFailedOpendirIsRetriedByTheNextRead()
    {
        InTempDir(async dir =>
        {
            string later = Path.Combine(dir, "later");
            var stream = LwtUnix.FilesOfDirectory(later);
            Assert.Equal(ENOENT, Errno(await Record(stream.Get())));

            Directory.CreateDirectory(later);
            File.WriteAllText(Path.Combine(later, "f"), "");
            var names = await stream.ToList();
            Assert.Equal(new[] { ".", "..", "f" }, names.Order(StringComparer.Ordinal).ToArray());
        });
    }

    /// <summary>How many of this process's descriptors are open on <paramref name="dir"/>.</summary>
    private static int DescriptorsOn(string dir) =>
        new DirectoryInfo("/proc/self/fd").EnumerateFileSystemInfos()
            .Count(fd => fd.LinkTarget == dir);

    // files_of_directory reads by chunks of 1024 with readdir_n and keeps the handle open
    // between chunks, closing it after the last one; a directory smaller than one chunk is
    // closed before its first name is handed out. ReadDir(path) holds none after its call.
    [SkippableFact]
    public void AListingOfManyChunksKeepsTheDirectoryOpenUntilItsEnd()
    {
        InTempDir(async dir =>
        {
            const int files = 2500;
            for (int i = 0; i < files; i++) File.WriteAllText(Path.Combine(dir, $"f{i:D4}"), "");
            var expected = new[] { ".", ".." }.Concat(Enumerable.Range(0, files).Select(i => $"f{i:D4}"))
                .Order(StringComparer.Ordinal).ToArray();

            Assert.Equal(0, DescriptorsOn(dir));
            var stream = LwtUnix.FilesOfDirectory(dir);
            Assert.Equal(0, DescriptorsOn(dir)); // opened at the first read only
            var first = await stream.Get();
            Assert.True(first.HasValue);
            Assert.Equal(1, DescriptorsOn(dir)); // more chunks to come
            var rest = await stream.ToList();
            Assert.Equal(0, DescriptorsOn(dir)); // closed after the last chunk
            Assert.False((await stream.Get()).HasValue);
            Assert.Equal(expected, rest.Prepend(first.Value).Order(StringComparer.Ordinal).ToArray());

            var all = await LwtUnix.ReadDir(dir);
            Assert.Equal(expected, all.Order(StringComparer.Ordinal).ToArray());
            Assert.Equal(0, DescriptorsOn(dir));

            string small = Path.Combine(dir, "f0000.d");
            Directory.CreateDirectory(small);
            var smallStream = LwtUnix.FilesOfDirectory(small);
            Assert.True((await smallStream.Get()).HasValue);
            Assert.Equal(0, DescriptorsOn(small));
        });
    }

    // unix_getnameinfo_job.c calls getnameinfo(3) without NI_NAMEREQD: no name gives the numeric
    // host. Python's socket.getnameinfo(("0.0.0.0", 80), 0) is ("0.0.0.0", "http").
    [SkippableFact]
    public void GetNameInfoOfTheWildcardAddressesIsNumeric()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        LwtMain.Run(async () =>
        {
            var (_, expectedService) = await LwtUnix.GetNameInfo(new IPEndPoint(IPAddress.Loopback, 80));
            Assert.Equal(("0.0.0.0", expectedService), await LwtUnix.GetNameInfo(new IPEndPoint(IPAddress.Any, 80)));
            Assert.Equal(("::", expectedService), await LwtUnix.GetNameInfo(new IPEndPoint(IPAddress.IPv6Any, 80)));
            Assert.Equal(("0.0.0.0", "54321"), await LwtUnix.GetNameInfo(new IPEndPoint(IPAddress.Any, 54321)));
        });
    }

    // unix_getaddrinfo_job.c: every getaddrinfo error is [] for the caller. glibc answers
    // EAI_NONAME for a host over 255 characters, which .NET refuses with an
    // ArgumentOutOfRangeException before any lookup.
    [SkippableFact]
    public void GetAddrInfoOfAnOverlongHostIsEmpty()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        LwtMain.Run(async () =>
        {
            Assert.Empty(await LwtUnix.GetAddrInfo(new string('a', 300), "80"));
            Assert.Empty(await LwtUnix.GetAddrInfo(string.Join(".", Enumerable.Repeat("abc", 64)) + "a", "80"));
        });
    }

    // Checked against glibc (python3's socket.getaddrinfo): (None, None) is EAI_NONAME,
    // (None, "80") the loopback addresses; "[::1]" and "[::1]:80" are EAI_NONAME; a service for
    // SOCK_RAW is EAI_SERVICE (None is fine), a service name for SOCK_SEQPACKET too (a number is
    // fine); SOCK_RDM is EAI_SOCKTYPE.
    [SkippableFact]
    public void GetAddrInfoGivesNoAnswerWhereGlibcRefuses()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        LwtMain.Run(async () =>
        {
            Assert.Empty(await LwtUnix.GetAddrInfo("", ""));
            var loopback = await LwtUnix.GetAddrInfo("", "80", AddressFamily.InterNetwork, SocketType.Stream);
            Assert.Equal(new IPEndPoint(IPAddress.Loopback, 80), Assert.Single(loopback).Address);

            Assert.Empty(await LwtUnix.GetAddrInfo("[::1]", "80"));
            Assert.Empty(await LwtUnix.GetAddrInfo("[::1]:80", "80"));
            var numeric = await LwtUnix.GetAddrInfo("::1", "80", socketType: SocketType.Stream);
            Assert.Equal(new IPEndPoint(IPAddress.IPv6Loopback, 80), Assert.Single(numeric).Address);

            Assert.Empty(await LwtUnix.GetAddrInfo("127.0.0.1", "80", socketType: SocketType.Raw));
            Assert.Empty(await LwtUnix.GetAddrInfo("127.0.0.1", "0", socketType: SocketType.Raw));
            Assert.Empty(await LwtUnix.GetAddrInfo("127.0.0.1", "http", socketType: SocketType.Raw));
            var raw = Assert.Single(await LwtUnix.GetAddrInfo("127.0.0.1", "", socketType: SocketType.Raw));
            Assert.Equal((SocketType.Raw, (EndPoint)new IPEndPoint(IPAddress.Loopback, 0)), (raw.SocketType, raw.Address));

            var seq = Assert.Single(await LwtUnix.GetAddrInfo("127.0.0.1", "80", socketType: SocketType.Seqpacket));
            Assert.Equal((SocketType.Seqpacket, (EndPoint)new IPEndPoint(IPAddress.Loopback, 80)), (seq.SocketType, seq.Address));
            Assert.Empty(await LwtUnix.GetAddrInfo("127.0.0.1", "http", socketType: SocketType.Seqpacket));
            Assert.Empty(await LwtUnix.GetAddrInfo("127.0.0.1", "80", socketType: SocketType.Rdm));
        });
    }
}
