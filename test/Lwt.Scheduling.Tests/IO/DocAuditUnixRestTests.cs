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

            // An FdMove redirection is left to the caller: nothing was started.
            var (r, w) = LwtUnix.Pipe();
            try
            {
                Assert.Throws<ArgumentNullException>(() => LwtProcess.OpenProcessNone(cmd, env: env, stdin: ProcessRedirection.FdMove(r)));
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
}
