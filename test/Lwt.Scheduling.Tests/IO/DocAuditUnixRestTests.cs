using System.Net;
using System.Net.Sockets;

namespace Lwt.Tests.IO;

/// <summary>
/// The doc audit of the rest of LwtUnix (directories, file system, databases, terminals,
/// connect) and of LwtProcess's env argument: each test pins a claim of the docs that the code
/// did not keep.
/// </summary>
[Collection("IO")]
public class DocAuditUnixRestTests
{
    private static void Run(Func<Promise> body) => ProcessAuditTests.Run(body);

    // A null element in env: ProcessCommand refuses a null argument with ArgumentNullException at
    // the call, and so did OpenProcess*, but Exec, WithProcess* and the P* functions rejected
    // their promise (or failed their stream) with it; and OpenProcess* threw it only in the
    // spawn, after closing the caller's FdMove redirections. All refuse it at the call now,
    // before touching anything.
    [SkippableFact]
    public void ANullEnvironmentElementThrowsAtTheCallEverywhere()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        string[] env = ["A=1", null!];
        var cmd = ProcessCommand.Of("true");
        Run(async () =>
        {
            await LwtProcess.Exec(cmd); // the runtime's lazy descriptors
            var descriptors = OpenDescriptors.Take();

            Assert.Equal("env", Assert.Throws<ArgumentNullException>(() => LwtProcess.Exec(cmd, env: env)).ParamName);
            Assert.Equal("env", Assert.Throws<ArgumentNullException>(() => LwtProcess.WithProcessNone(cmd, _ => Promise.ReturnUnit, env: env)).ParamName);
            Assert.Equal("env", Assert.Throws<ArgumentNullException>(() => LwtProcess.WithProcessIn(cmd, _ => Promise.Return(1), env: env)).ParamName);
            Assert.Equal("env", Assert.Throws<ArgumentNullException>(() => LwtProcess.PRead(cmd, env: env)).ParamName);
            Assert.Equal("env", Assert.Throws<ArgumentNullException>(() => LwtProcess.PReadLines(cmd, env: env)).ParamName);
            Assert.Equal("env", Assert.Throws<ArgumentNullException>(() => LwtProcess.PWrite(cmd, "x", env: env)).ParamName);
            Assert.Equal("env", Assert.Throws<ArgumentNullException>(() => LwtProcess.PMapLines(cmd, LwtStream.OfList(new[] { "x" }), env: env)).ParamName);
            Assert.Equal("env", Assert.Throws<ArgumentNullException>(() => LwtProcess.OpenProcessFull(cmd, env: env)).ParamName);

            // A variable with a NUL (which execve cannot take) likewise: ArgumentException at the
            // call everywhere, where Exec rejected its promise with it.
            string[] nul = ["A=1\0B=2"];
            Assert.Equal("env", Assert.Throws<ArgumentException>(() => LwtProcess.Exec(cmd, env: nul)).ParamName);
            Assert.Equal("env", Assert.Throws<ArgumentException>(() => LwtProcess.PRead(cmd, env: nul)).ParamName);
            Assert.Equal("env", Assert.Throws<ArgumentException>(() => LwtProcess.OpenProcessIn(cmd, env: nul)).ParamName);

            // An FdMove redirection is left to the caller: nothing was started.
            var (r, w) = LwtUnix.Pipe();
            try
            {
                Assert.Throws<ArgumentNullException>(() => LwtProcess.OpenProcessNone(cmd, env: env, stdin: ProcessRedirection.FdMove(r)));
                Assert.Throws<ArgumentException>(() => LwtProcess.OpenProcessNone(cmd, env: nul, stdin: ProcessRedirection.FdMove(r)));
                Assert.False(r.IsClosed);
                Assert.Equal(FileKind.Other, (await LwtUnix.FStat(r)).Kind);
            }
            finally
            {
                r.Dispose();
                w.Dispose();
            }

            descriptors.AssertNoneOpenedSince();
        });
    }

    // A NUL in the command or in cwd, as in env: refused at the call by every function (the
    // command by ProcessCommand itself, when it is made), where OpenProcess* threw it from the
    // spawn and Exec and the P* functions rejected their promise with it.
    [SkippableFact]
    public void ANulInTheCommandOrTheWorkingDirectoryThrowsAtTheCallEverywhere()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        Assert.Equal("program", Assert.Throws<ArgumentException>(() => new ProcessCommand("tr\0ue", ["true"])).ParamName);
        Assert.Equal("args", Assert.Throws<ArgumentException>(() => new ProcessCommand("true", ["true", "a\0b"])).ParamName);
        Assert.Equal("args", Assert.Throws<ArgumentException>(() => ProcessCommand.Of("echo", "a\0b")).ParamName);
        Assert.Throws<ArgumentException>(() => ProcessCommand.Shell("echo a\0b"));
        Assert.Throws<ArgumentException>(() => { ProcessCommand c = ("true", new[] { "true\0x" }); });

        var cmd = ProcessCommand.Of("true");
        const string cwd = "/tmp\0x";
        Run(() =>
        {
            Assert.Equal("cwd", Assert.Throws<ArgumentException>(() => LwtProcess.Exec(cmd, cwd: cwd)).ParamName);
            Assert.Equal("cwd", Assert.Throws<ArgumentException>(() => LwtProcess.PRead(cmd, cwd: cwd)).ParamName);
            Assert.Equal("cwd", Assert.Throws<ArgumentException>(() => LwtProcess.PReadLines(cmd, cwd: cwd)).ParamName);
            Assert.Equal("cwd", Assert.Throws<ArgumentException>(() => LwtProcess.PMapLines(cmd, LwtStream.OfList(new[] { "x" }), cwd: cwd)).ParamName);
            Assert.Equal("cwd", Assert.Throws<ArgumentException>(() => LwtProcess.WithProcessOut(cmd, _ => Promise.ReturnUnit, cwd: cwd)).ParamName);
            Assert.Equal("cwd", Assert.Throws<ArgumentException>(() => LwtProcess.OpenProcessNone(cmd, cwd: cwd)).ParamName);
            Assert.Equal("cwd", Assert.Throws<ArgumentException>(() => LwtProcess.OpenProcessFull(cmd, cwd: cwd)).ParamName);
            return Promise.ReturnUnit;
        });
    }

    // Connect's docs: "Cancelable"; Close's: every pending operation rejects with EBADF;
    // Abort's: the waiting ones reject with its exception. A pending connect (the EAGAIN
    // retry path of a Unix socket whose listener's backlog is full, and the EINPROGRESS path
    // of TCP) does each, leaves no waiter behind, and a cancel leaves the descriptor open and
    // the caller's (as Lwt's wrap_syscall does: only the wait is dropped).
    [SkippableTheory]
    [InlineData("unix", "cancel")]
    [InlineData("unix", "close")]
    [InlineData("unix", "abort")]
    [InlineData("tcp", "cancel")]
    [InlineData("tcp", "close")]
    [InlineData("tcp", "abort")]
    public void APendingConnectEndsAsCancelCloseAndAbortSay(string family, string how)
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        Run(async () =>
        {
            string path = Path.Combine(Path.GetTempPath(), "lwt-connect-" + Guid.NewGuid().ToString("N"));
            var listener = LwtUnix.Socket(family == "unix" ? AddressFamily.Unix : AddressFamily.InterNetwork, SocketType.Stream);
            var others = new List<LwtFd>();
            try
            {
                await LwtUnix.Bind(listener, family == "unix" ? new UnixDomainSocketEndPoint(path) : new IPEndPoint(IPAddress.Loopback, 0));
                LwtUnix.Listen(listener, 0);
                var address = LwtUnix.GetSockName(listener);
                LwtFd client;
                Promise connect;
                while (true)
                {
                    client = LwtUnix.Socket(family == "unix" ? AddressFamily.Unix : AddressFamily.InterNetwork, SocketType.Stream);
                    others.Add(client);
                    connect = LwtUnix.Connect(client, address);
                    if (connect.IsPending) break; // TCP: at once (EINPROGRESS); Unix: once the backlog is full (EAGAIN)
                    Assert.True(others.Count < 10);
                }

                Assert.Equal(1, client.PendingWrites);
                var abort = new InvalidOperationException("aborted");
                if (how == "cancel") connect.Cancel();
                else if (how == "close") await client.Close();
                else LwtUnix.Abort(client, abort);

                Assert.True(connect.IsRejected);
                Assert.Equal(0, client.PendingWrites);
                switch (how)
                {
                    case "cancel":
                        Assert.IsType<CanceledException>(connect.Exception);
                        Assert.Equal(LwtFdState.Opened, client.State);
                        break;
                    case "close":
                        Assert.Equal(9 /* EBADF */, Assert.IsType<UnixErrorException>(connect.Exception).Errno);
                        break;
                    default:
                        Assert.Same(abort, connect.Exception);
                        break;
                }
            }
            finally
            {
                foreach (var fd in others) fd.Dispose();
                listener.Dispose();
                File.Delete(path);
            }
        });
    }

    // Mkdir took any int as its permissions: -1 made a directory with setuid, setgid and sticky
    // bits (mkdir(2) keeps the low 12 bits), while Chmod and Mkfifo, its neighbours, refuse a
    // value outside 0..0o7777 with ArgumentOutOfRangeException at the call. It does too now.
    [SkippableFact]
    public void MkdirRefusesPermissionsOutsideTheTwelveBitsAsChmodDoes()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        string dir = Path.Combine(Path.GetTempPath(), "lwt-mkdir-" + Guid.NewGuid().ToString("N"));
        Run(async () =>
        {
            try
            {
                Assert.Equal("permissions", Assert.Throws<ArgumentOutOfRangeException>(() => LwtUnix.Mkdir(dir, -1)).ParamName);
                Assert.Throws<ArgumentOutOfRangeException>(() => LwtUnix.Mkdir(dir, 0x1000));
                Assert.False(Directory.Exists(dir));
                Assert.Throws<ArgumentOutOfRangeException>(() => LwtUnix.Chmod(dir, -1)); // the neighbour it agrees with
                await LwtUnix.Mkdir(dir, 0b111_000_000);
                Assert.Equal(FileKind.Directory, (await LwtUnix.Stat(dir)).Kind);
            }
            finally
            {
                if (Directory.Exists(dir)) Directory.Delete(dir);
            }
        });
    }

    // GetNameInfo of a Unix-domain address gave (path, ""); Lwt 5.6.1 gives (host name, path),
    // which is what glibc's getnameinfo answers for AF_UNIX (probed: getnameinfo (ADDR_UNIX
    // "/tmp/sock") [] is {ni_hostname = gethostname (); ni_service = "/tmp/sock"}). Another
    // kind of EndPoint (a DnsEndPoint) gave ("Unspecified/localhost:80", ""); it is refused at
    // the call with ArgumentException now, as Connect and Bind refuse it.
    [SkippableFact]
    public void GetNameInfoOfAUnixAddressIsTheHostNameAndThePath()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        Run(async () =>
        {
            string host = await LwtUnix.GetHostName();
            Assert.Equal((host, "/tmp/lwt-sock"), await LwtUnix.GetNameInfo(new UnixDomainSocketEndPoint("/tmp/lwt-sock")));
            Assert.Equal((host, ""), await LwtUnix.GetNameInfo(new UnnamedUnixEndPoint()));
            Assert.Equal("address", Assert.Throws<ArgumentException>(() => LwtUnix.GetNameInfo(new DnsEndPoint("localhost", 80))).ParamName);
        });
    }

    // A path with a NUL character reached C cut at the NUL: Unlink("a\0b") removed "a",
    // Stat("/tmp\0x") described /tmp, FileExists said true (as Lwt 5.6.1 does: its jobs strdup
    // the string; probed). Every LwtUnix function taking a path now refuses it with
    // ArgumentException at the call, as GetPwNam refuses such a name and LwtProcess such an
    // argument; nothing is done.
    [SkippableFact]
    public void APathWithANulIsRefusedAtTheCallAndNothingIsDone()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        string dir = Path.Combine(Path.GetTempPath(), "lwt-nul-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        string a = Path.Combine(dir, "a"), bad = a + "\0b";
        File.WriteAllText(a, "x");
        try
        {
            Run(async () =>
            {
                void Refused(string param, Action call) => Assert.Equal(param, Assert.Throws<ArgumentException>(call).ParamName);
                Refused("path", () => LwtUnix.Unlink(bad));
                Refused("path", () => LwtUnix.Rmdir(dir + "\0x"));
                Refused("path", () => LwtUnix.Mkdir(bad));
                Refused("from", () => LwtUnix.Rename(bad, a + "2"));
                Refused("to", () => LwtUnix.Rename(a, bad));
                Refused("path", () => LwtUnix.OpenFile(bad, OpenFlags.WriteOnly | OpenFlags.Truncate));
                Refused("path", () => LwtUnix.Stat(bad));
                Refused("path", () => LwtUnix.LStat(bad));
                Refused("path", () => LwtUnix.FileExists(bad));
                Refused("path", () => LwtUnix.Access(bad, AccessPermissions.Exists));
                Refused("path", () => LwtUnix.Chmod(bad, 0));
                Refused("path", () => LwtUnix.Chown(bad, -1, -1));
                Refused("from", () => LwtUnix.Link(bad, a + "2"));
                Refused("to", () => LwtUnix.Link(a, bad));
                Refused("target", () => LwtUnix.Symlink("x\0y", a + "3"));
                Refused("linkPath", () => LwtUnix.Symlink("x", bad));
                Refused("path", () => LwtUnix.Readlink(bad));
                Refused("path", () => LwtUnix.Utimes(bad, 1, 1));
                Refused("path", () => LwtUnix.Mkfifo(bad, 0));
                Refused("path", () => LwtUnix.Truncate(bad, 0));
                Refused("path", () => LwtUnix.ChDir(dir + "\0x"));
                Refused("path", () => LwtUnix.ChRoot(dir + "\0x"));
                Refused("path", () => LwtUnix.OpenDir(dir + "\0x"));
                Refused("path", () => LwtUnix.ReadDir(dir + "\0x"));
                Refused("path", () => LwtUnix.FilesOfDirectory(dir + "\0x"));
                // LwtIO's file functions, the lazy streams included (they refused it only at
                // their first read).
                Refused("path", () => LwtIO.OpenFile(LwtIO.Output, bad));
                Refused("path", () => LwtIO.WithFile(LwtIO.Input, bad, _ => Promise.ReturnUnit));
                Refused("path", () => LwtIO.FileLength(bad));
                Refused("path", () => LwtIO.LinesOfFile(bad));
                Refused("path", () => LwtIO.CharsOfFile(bad));
                Refused("path", () => LwtIO.LinesToFile(bad, LwtStream.OfList(new[] { "y" })));
                Refused("path", () => LwtIO.CharsToFile(bad, LwtStream.OfList(new[] { 'y' })));

                // Nothing was done to "a" (the path cut at the NUL).
                Assert.Equal("x", File.ReadAllText(a));
                Assert.Equal(["a"], Directory.GetFileSystemEntries(dir).Select(Path.GetFileName));
                Assert.NotEqual(0, (int)(await LwtUnix.Stat(a)).Permissions);
            });
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    // GetAddrInfo's service is "a port number or service name"; glibc reads a number with
    // strtoul, so Lwt 5.6.1 answers port 80 for "+80" and " 80" (probed), and nothing for
    // "-1". This gave no answers for the first two (they were looked up as service names).
    [SkippableFact]
    public void GetAddrInfoReadsAPortNumberAsGlibcDoes()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        Run(async () =>
        {
            foreach (var service in new[] { "80", "+80", " 80", "080" })
            {
                var answers = await LwtUnix.GetAddrInfo("127.0.0.1", service, socketType: SocketType.Stream);
                Assert.Equal(new IPEndPoint(IPAddress.Loopback, 80), Assert.Single(answers).Address);
            }

            Assert.Empty(await LwtUnix.GetAddrInfo("127.0.0.1", "-1", socketType: SocketType.Stream));
            Assert.Empty(await LwtUnix.GetAddrInfo("127.0.0.1", "80 ", socketType: SocketType.Stream));
        });
    }
}
