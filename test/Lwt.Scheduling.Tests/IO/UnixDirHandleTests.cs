using System.Runtime.Versioning;
using static Lwt.Tests.IO.UnixTest;

namespace Lwt.Tests.IO;

/// <summary>
/// LwtUnix.GetCwd, ChDir, ChRoot and the directory handles (Lwt_unix.getcwd, chdir, chroot,
/// opendir, readdir, readdir_n, rewinddir, closedir) on real directories.
/// </summary>
[Collection("IO")]
[SupportedOSPlatform("linux")]
public class UnixDirHandleTests
{
    private const int ENOENT = 2, EBADF = 9, ENOTDIR = 20, EPERM = 1;

    // The IO collection runs alone, so changing the process's directory here is seen by no
    // other test; it is restored in any case.
    [SkippableFact]
    public void ChDirChangesWhatGetCwdAndRelativePathsSee()
    {
        string saved = Environment.CurrentDirectory;
        try
        {
            InTempDir(async dir =>
            {
                Assert.Equal(saved, await LwtUnix.GetCwd());
                Directory.CreateDirectory(Path.Combine(dir, "sub"));
                File.WriteAllText(Path.Combine(dir, "sub", "f"), "x");
                await LwtUnix.ChDir(dir);
                Assert.Equal(dir, await LwtUnix.GetCwd());
                await LwtUnix.ChDir("sub");
                Assert.Equal(Path.Combine(dir, "sub"), await LwtUnix.GetCwd());
                Assert.True(await LwtUnix.FileExists("f"));
                Assert.Equal(Path.Combine(dir, "sub"), Environment.CurrentDirectory);

                var missing = Unix(await Record(LwtUnix.ChDir(Path.Combine(dir, "missing"))));
                Assert.Equal(ENOENT, missing.Errno);
                Assert.Equal("chdir", missing.Function);
                Assert.Equal(ENOTDIR, Unix(await Record(LwtUnix.ChDir("f"))).Errno);
                Assert.Equal(Path.Combine(dir, "sub"), await LwtUnix.GetCwd());
                await LwtUnix.ChDir(saved);
            });
        }
        finally
        {
            Environment.CurrentDirectory = saved;
        }

        Assert.Throws<ArgumentNullException>(() => LwtUnix.ChDir(null!));
    }

    // Only the failing paths: a chroot that succeeded would move this whole test process.
    [SkippableFact]
    public void ChRootReportsTheKernelsRefusal()
    {
        InTempDir(async dir =>
        {
            string file = Path.Combine(dir, "f");
            File.WriteAllText(file, "x");
            Assert.Equal(ENOENT, Unix(await Record(LwtUnix.ChRoot(Path.Combine(dir, "missing")))).Errno);
            var notDir = Unix(await Record(LwtUnix.ChRoot(file)));
            Assert.Equal(ENOTDIR, notDir.Errno);
            Assert.Equal("chroot", notDir.Function);
            if (!IsRoot) Assert.Equal(EPERM, Unix(await Record(LwtUnix.ChRoot(dir))).Errno);
        });
        Assert.Throws<ArgumentNullException>(() => LwtUnix.ChRoot(null!));
    }

    [SkippableFact]
    public void ReadDirGivesEveryEntryOnceThenEndOfStream()
    {
        InTempDir(async dir =>
        {
            var expected = new List<string> { ".", "..", "é-file", "sub" };
            for (int i = 0; i < 40; i++) expected.Add("f" + i);
            foreach (var name in expected.Skip(2)) if (name != "sub") File.WriteAllText(Path.Combine(dir, name), "");
            Directory.CreateDirectory(Path.Combine(dir, "sub"));

            var handle = await LwtUnix.OpenDir(dir);
            var seen = new List<string>();
            while (true)
            {
                try
                {
                    seen.Add(await LwtUnix.ReadDir(handle));
                }
                catch (EndOfStreamException)
                {
                    break;
                }
            }

            Assert.Equal(expected.Order(StringComparer.Ordinal), seen.Order(StringComparer.Ordinal));
            Assert.IsType<EndOfStreamException>(await Record(LwtUnix.ReadDir(handle))); // stays at the end

            // Rewind, then the same entries in chunks: short chunk at the end, then empty.
            await LwtUnix.RewindDir(handle);
            var chunked = new List<string>();
            string[] chunk;
            do
            {
                chunk = await LwtUnix.ReadDirN(handle, 10);
                Assert.True(chunk.Length <= 10);
                chunked.AddRange(chunk);
            }
            while (chunk.Length == 10);
            Assert.Equal(seen, chunked); // same order as the first pass
            Assert.Empty(await LwtUnix.ReadDirN(handle, 10));
            await LwtUnix.RewindDir(handle);
            Assert.Empty(await LwtUnix.ReadDirN(handle, 0));
            Assert.Equal(seen.Take(3), await LwtUnix.ReadDirN(handle, 3));

            await LwtUnix.CloseDir(handle);
            Assert.True(handle.IsClosed);
            Assert.Equal(EBADF, Unix(await Record(LwtUnix.ReadDir(handle))).Errno);
            Assert.Equal(EBADF, Unix(await Record(LwtUnix.ReadDirN(handle, 1))).Errno);
            Assert.Equal(EBADF, Unix(await Record(LwtUnix.RewindDir(handle))).Errno);
            var twice = Unix(await Record(LwtUnix.CloseDir(handle)));
            Assert.Equal(EBADF, twice.Errno);
            Assert.Equal("Lwt_unix.closedir", twice.Function);
            handle.Dispose(); // idempotent
        });
    }

    // lwt_unix.cppo.ml readdir, readdir_n, rewinddir, closedir: "if valid_dir handle then
    // run_job ... else Lwt.fail (Unix_error (EBADF, "Lwt_unix.readdir", ""))": on a closed
    // handle each is rejected at once, before any job, with its Lwt_unix name and an empty
    // argument (found by differential fuzzing against Lwt 5.6.1: ours named the libc call
    // and gave the path).
    [SkippableFact]
    public void CallsOnAClosedHandleFailAtOnceWithLwtsNames()
    {
        InTempDir(async dir =>
        {
            var handle = await LwtUnix.OpenDir(dir);
            await LwtUnix.CloseDir(handle);
            var calls = new (string Function, Promise Call)[]
            {
                ("Lwt_unix.readdir", LwtUnix.ReadDir(handle)),
                ("Lwt_unix.readdir_n", LwtUnix.ReadDirN(handle, 1)),
                ("Lwt_unix.rewinddir", LwtUnix.RewindDir(handle)),
                ("Lwt_unix.closedir", LwtUnix.CloseDir(handle)),
            };
            foreach (var (function, call) in calls)
            {
                Assert.True(call.IsRejected, function);
                var e = Unix(call.Exception);
                Assert.Equal((EBADF, function, ""), (e.Errno, e.Function, e.Argument));
            }
        });
    }

    // Reads started together on one handle do not overlap: each entry goes to exactly one.
    [SkippableFact]
    public void ConcurrentReadsShareTheStream()
    {
        InTempDir(async dir =>
        {
            for (int i = 0; i < 20; i++) File.WriteAllText(Path.Combine(dir, "f" + i), "");
            using var handle = await LwtUnix.OpenDir(dir);
            var reads = Enumerable.Range(0, 11).Select(_ => LwtUnix.ReadDirN(handle, 2)).ToArray();
            var all = new List<string>();
            foreach (var r in reads) all.AddRange(await r);
            Assert.Equal(22, all.Count);
            Assert.Equal(22, all.Distinct().Count());
        });
    }

    [SkippableFact]
    public void OpenDirReportsTheKernelsErrorsAndArgumentsAreChecked()
    {
        InTempDir(async dir =>
        {
            string file = Path.Combine(dir, "f");
            File.WriteAllText(file, "x");
            var missing = Unix(await Record(LwtUnix.OpenDir(Path.Combine(dir, "missing"))));
            Assert.Equal(ENOENT, missing.Errno);
            Assert.Equal("opendir", missing.Function);
            Assert.Equal(ENOTDIR, Unix(await Record(LwtUnix.OpenDir(file))).Errno);

            using var handle = await LwtUnix.OpenDir(dir);
            Assert.Equal(dir, handle.Path);
            Assert.Throws<ArgumentOutOfRangeException>(() => LwtUnix.ReadDirN(handle, -1));
        });
        Assert.Throws<ArgumentNullException>(() => LwtUnix.OpenDir(null!));
        Assert.Throws<ArgumentNullException>(() => LwtUnix.ReadDir((DirHandle)null!));
        Assert.Throws<ArgumentNullException>(() => LwtUnix.ReadDirN(null!, 1));
        Assert.Throws<ArgumentNullException>(() => LwtUnix.RewindDir(null!));
        Assert.Throws<ArgumentNullException>(() => LwtUnix.CloseDir(null!));
    }
}
