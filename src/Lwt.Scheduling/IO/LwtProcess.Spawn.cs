// Starting a child: posix_spawnp with our own pipes (Lwt_process's spawn).
//
// Why not System.Diagnostics.Process: it reaps its children itself (so
// LwtUnix.WaitPid and Wait4 could not see their status, and a death by signal
// would be folded into an exit code), its redirected pipes belong to Streams whose
// asynchronous reads run on the thread pool, and it has no "keep / close /
// copy this fd" redirections. posix_spawnp gives all of Lwt's semantics with
// nothing running between fork and exec but libc's own child code:
//  - the standard descriptors are set up by file actions (dup2, open
//    /dev/null, close), in the order stdin, stdout, stderr;
//  - every descriptor this runtime opens is close-on-exec, and so are our
//    pipes (pipe2 O_CLOEXEC), so the child holds only the ends it was given
//    and EOF on a pipe means the child (and its own children) let go of it;
//  - the .NET runtime ignores SIGPIPE and installs handlers: the child gets
//    every signal back to its default action (POSIX_SPAWN_SETSIGDEF) and an
//    empty signal mask, as a child of a shell would;
//  - a command InNewProcessGroup() gets a process group of its own
//    (POSIX_SPAWN_SETPGROUP with group 0), so that a kill can reach the
//    processes it starts (LwtProcessBase.Kill signals -pid then);
//  - the working directory is set by posix_spawn_file_actions_addchdir_np
//    (glibc 2.29, musl 1.1.24);
//  - the environment, when not given, is the runtime's current one
//    (Environment.GetEnvironmentVariables, which sees SetEnvironmentVariable),
//    as System.Diagnostics.Process does. PATH lookup uses the parent's PATH.
// glibc reports a failed exec (no such program, not executable) as the error
// of posix_spawnp itself, so a bad command fails at the call with
// UnixErrorException instead of exiting 127 in the child. A bad working
// directory fails the same way, with the same errno as a missing program
// (ENOENT...); the error then names chdir and the directory, after a check of
// the directory in the parent.
//
// Lwt execs with execvp, which runs a file the kernel refuses with ENOEXEC (an
// executable script without a #! line) with /bin/sh; glibc's posix_spawnp no
// longer does. So on ENOEXEC the spawn is made again as execvp's fallback
// makes it: /bin/sh, the file's path (as found in PATH), then argv[1...]
// (argv[0] is dropped: the shell's $0 is the path).
//
// Lwt closes the FdMove descriptors in the parent right after its fork, so
// whether or not the exec then succeeds; here they are closed whether or not
// the spawn succeeds.
//
// The status comes from LwtUnix.Wait4 (SIGCHLD-driven, on the loop).

using System.Collections;
using System.Runtime.InteropServices;

namespace Lwt;

public static partial class LwtProcess
{
    /// <summary>
    /// Starts <paramref name="command"/> with the given redirections; returns its pid. The
    /// moved descriptors are closed whether or not the child starts (as Lwt closes them after
    /// its fork); the caller's pipes ends are its own business.
    /// </summary>
    /// <exception cref="UnixErrorException">posix_spawnp (or a file action) failed, or chdir to <paramref name="cwd"/>.</exception>
    internal static int Spawn(ProcessCommand command, IEnumerable<string>? env, string? cwd, ProcessRedirection stdin, ProcessRedirection stdout, ProcessRedirection stderr)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS() && !OperatingSystem.IsFreeBSD())
            throw new PlatformNotSupportedException("LwtProcess needs a Unix system (posix_spawn).");

        try
        {
            // Before the child exists: with SIGCHLD ignored, a child that ended before its
            // waiter set things right would already be gone, its status with it.
            if (OperatingSystem.IsLinux()) LwtUnix.EnsureSigChld();
            return SpawnCore(command, env, cwd, stdin, stdout, stderr);
        }
        finally
        {
            stdin.CloseMoved();
            stdout.CloseMoved();
            stderr.CloseMoved();
        }
    }

    private static unsafe int SpawnCore(ProcessCommand command, IEnumerable<string>? env, string? cwd, ProcessRedirection stdin, ProcessRedirection stdout, ProcessRedirection stderr)
    {
        var argv = command.Argv;
        var envp = env?.ToArray() ?? CurrentEnvironment();
        var strings = new List<nint>(argv.Count + envp.Length + 2);
        void* fileActions = NativeMemory.AllocZeroed(SpawnStructSize);
        void* attr = NativeMemory.AllocZeroed(SpawnStructSize);
        byte* sigs = stackalloc byte[SigSetSize * 2];
        bool actionsInit = false, attrInit = false;
        try
        {
            nint file = Utf8(command.File, strings);
            nint* argvp = (nint*)NativeMemory.Alloc((nuint)(argv.Count + 1), (nuint)sizeof(nint));
            strings.Add((nint)argvp);
            for (int i = 0; i < argv.Count; i++) argvp[i] = Utf8(argv[i], strings);
            argvp[argv.Count] = 0;
            nint* envpp = (nint*)NativeMemory.Alloc((nuint)(envp.Length + 1), (nuint)sizeof(nint));
            strings.Add((nint)envpp);
            for (int i = 0; i < envp.Length; i++) envpp[i] = Utf8(envp[i] ?? throw new ArgumentNullException(nameof(env)), strings);
            envpp[envp.Length] = 0;

            Check(PosixSpawnFileActionsInit(fileActions), "posix_spawn_file_actions_init");
            actionsInit = true;
            AddRedirection(fileActions, 0, stdin, strings);
            AddRedirection(fileActions, 1, stdout, strings);
            AddRedirection(fileActions, 2, stderr, strings);
            if (cwd is not null)
            {
                try
                {
                    Check(PosixSpawnFileActionsAddChdir(fileActions, Utf8(cwd, strings)), "posix_spawn_file_actions_addchdir_np", cwd);
                }
                catch (EntryPointNotFoundException e)
                {
                    throw new PlatformNotSupportedException("Setting the working directory of a child needs posix_spawn_file_actions_addchdir_np (glibc 2.29 or later).", e);
                }
            }

            Check(PosixSpawnAttrInit(attr), "posix_spawnattr_init");
            attrInit = true;
            byte* all = sigs, none = sigs + SigSetSize;
            SigFillSet(all);
            SigEmptySet(none);
            Check(PosixSpawnAttrSetSigDefault(attr, all), "posix_spawnattr_setsigdefault");
            Check(PosixSpawnAttrSetSigMask(attr, none), "posix_spawnattr_setsigmask");
            short flags = POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK;
            if (command.NewProcessGroup)
            {
                // Process group 0: the child's own pid, so that it leads a new group.
                Check(PosixSpawnAttrSetPGroup(attr, 0), "posix_spawnattr_setpgroup");
                flags |= POSIX_SPAWN_SETPGROUP;
            }
            Check(PosixSpawnAttrSetFlags(attr, flags), "posix_spawnattr_setflags");

            int pid;
            int rc = PosixSpawnP(&pid, file, fileActions, attr, argvp, envpp);
            if (rc == ENOEXEC && ScriptPath(command.File, cwd) is { } script)
            {
                nint* shArgv = (nint*)NativeMemory.Alloc((nuint)(argv.Count + 2), (nuint)sizeof(nint));
                strings.Add((nint)shArgv);
                shArgv[0] = Utf8(BinSh, strings);
                shArgv[1] = Utf8(script, strings);
                for (int i = 1; i < argv.Count; i++) shArgv[i + 1] = argvp[i];
                shArgv[argv.Count + 1] = 0; // argv has at least its argv[0]
                rc = PosixSpawn(&pid, shArgv[0], fileActions, attr, shArgv, envpp);
            }

            if (rc != 0) throw SpawnError(rc, command, cwd);
            return pid;
        }
        finally
        {
            if (actionsInit) PosixSpawnFileActionsDestroy(fileActions);
            if (attrInit) PosixSpawnAttrDestroy(attr);
            NativeMemory.Free(fileActions);
            NativeMemory.Free(attr);
            foreach (var p in strings) NativeMemory.Free((void*)p);
        }
    }

    private static unsafe void AddRedirection(void* fileActions, int target, ProcessRedirection r, List<nint> strings)
    {
        switch (r.Kind)
        {
            case ProcessRedirection.RedirectionKind.Keep:
                break;
            case ProcessRedirection.RedirectionKind.DevNull:
                Check(PosixSpawnFileActionsAddOpen(fileActions, target, Utf8("/dev/null", strings), O_RDWR, 0), "posix_spawn_file_actions_addopen", "/dev/null");
                break;
            case ProcessRedirection.RedirectionKind.Close:
                Check(PosixSpawnFileActionsAddClose(fileActions, target), "posix_spawn_file_actions_addclose");
                break;
            default:
                // dup2 of a descriptor onto itself clears its close-on-exec flag (glibc 2.29+, POSIX 2024).
                Check(PosixSpawnFileActionsAddDup2(fileActions, r.SourceFd(), target), "posix_spawn_file_actions_adddup2");
                break;
        }
    }

    /// <summary>
    /// The error of a failed posix_spawnp: the directory's when <paramref name="cwd"/> is what
    /// failed (the child's chdir gives the same ENOENT, ENOTDIR or EACCES as a bad program, so
    /// the directory is checked here), else the program's.
    /// </summary>
    private static UnixErrorException SpawnError(int rc, ProcessCommand command, string? cwd)
    {
        if (cwd is not null && rc is LibC.ENOENT or LibC.ENOTDIR or LibC.EACCES)
        {
            if (File.Exists(cwd)) return new UnixErrorException(LibC.ENOTDIR, "chdir", cwd); // there, but not a directory
            if (LibC.Access(cwd, X_OK) != 0) return UnixErrorException.FromLastError("chdir", cwd);
        }

        return new UnixErrorException(rc, "posix_spawnp", command.File);
    }

    /// <summary>
    /// The path execvp would have found <paramref name="file"/> at and handed to /bin/sh after
    /// ENOEXEC: the file itself when it has a '/', else the first entry of the PATH that
    /// posix_spawnp searched (the C library's, not the runtime's copy) holding an executable
    /// file of that name, the entries that fail with ENOENT or EACCES being passed over by
    /// execvp too. Relative paths are checked from <paramref name="cwd"/>, where the child
    /// runs. Null if there is none (the ENOEXEC is then reported).
    /// </summary>
    private static string? ScriptPath(string file, string? cwd)
    {
        if (file.Contains('/')) return file;
        string path = Marshal.PtrToStringUTF8(GetEnv("PATH")) ?? "/bin:/usr/bin"; // glibc's default (confstr _CS_PATH)
        foreach (var dir in path.Split(':'))
        {
            string candidate = dir.Length == 0 ? file : dir + "/" + file; // an empty entry: the working directory
            string probe = cwd is null ? candidate : Path.Combine(cwd, candidate);
            if (File.Exists(probe) && LibC.Access(probe, X_OK) == 0) return candidate;
        }

        return null;
    }

    private static string[] CurrentEnvironment()
    {
        var vars = Environment.GetEnvironmentVariables();
        var result = new string[vars.Count];
        int i = 0;
        foreach (DictionaryEntry e in vars) result[i++] = $"{e.Key}={e.Value}";
        return result;
    }

    /// <summary>A NUL-terminated UTF-8 copy in native memory, recorded in <paramref name="strings"/> to be freed.</summary>
    private static unsafe nint Utf8(string s, List<nint> strings)
    {
        // A backstop: ProcessCommand and CheckSpawnInputs refuse a NUL at the call already.
        if (s.Contains('\0')) throw new ArgumentException("A command, argument, variable or directory contains a NUL character.");
        int n = System.Text.Encoding.UTF8.GetByteCount(s);
        byte* p = (byte*)NativeMemory.Alloc((nuint)n + 1);
        strings.Add((nint)p);
        System.Text.Encoding.UTF8.GetBytes(s, new Span<byte>(p, n));
        p[n] = 0;
        return (nint)p;
    }

    /// <summary>The posix_spawn* functions return the error number (0: success) instead of setting errno.</summary>
    private static void Check(int rc, string function, string argument = "")
    {
        if (rc != 0) throw new UnixErrorException(rc, function, argument);
    }

    /// <summary>
    /// Sends <paramref name="signum"/> to <paramref name="pid"/>.
    /// </summary>
    /// <exception cref="UnixErrorException">kill failed.</exception>
    internal static void SendSignal(int pid, int signum)
    {
        if (Kill(pid, signum) != 0) throw UnixErrorException.FromLastError("kill", pid);
    }

    /// <summary>
    /// Sends <paramref name="signum"/> to the process group that <paramref name="pid"/> leads
    /// (<c>kill(-pid)</c>); false when the group has no member (ESRCH: the child left it, by
    /// <c>setsid</c> say), and nothing was sent.
    /// </summary>
    /// <exception cref="UnixErrorException">kill failed otherwise (EINVAL: no such signal).</exception>
    internal static bool TrySignalGroup(int pid, int signum)
    {
        if (Kill(-pid, signum) == 0) return true;
        var e = UnixErrorException.FromLastError("kill", -pid);
        if (e.Error == UnixError.ESRCH) return false;
        throw e;
    }

    /// <summary>
    /// Whether <paramref name="pid"/> (a child not reaped yet) still leads the process group
    /// it was started in (<c>getpgid(pid) == pid</c>); false when it moved to another group.
    /// </summary>
    internal static bool LeadsItsGroup(int pid) => GetPGid(pid) == pid;

    // posix_spawn_file_actions_t is 80 bytes and posix_spawnattr_t 336 on 64-bit glibc; both
    // are opaque, so they get a generous zeroed block. sigset_t is 128 bytes on glibc.
    private const int SpawnStructSize = 1024;
    private const int SigSetSize = 128;
    private const short POSIX_SPAWN_SETPGROUP = 0x02;
    private const short POSIX_SPAWN_SETSIGDEF = 0x04;
    private const short POSIX_SPAWN_SETSIGMASK = 0x08;
    private const int O_RDWR = 2;
    private const int ENOEXEC = 8;
    private const int X_OK = 1;
    private const string BinSh = "/bin/sh";
    private const string Lib = "libc";

    [LibraryImport(Lib, EntryPoint = "posix_spawnp")]
    private static unsafe partial int PosixSpawnP(int* pid, nint file, void* fileActions, void* attr, nint* argv, nint* envp);

    [LibraryImport(Lib, EntryPoint = "posix_spawn")]
    private static unsafe partial int PosixSpawn(int* pid, nint path, void* fileActions, void* attr, nint* argv, nint* envp);

    [LibraryImport(Lib, EntryPoint = "getenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint GetEnv(string name);

    [LibraryImport(Lib, EntryPoint = "posix_spawn_file_actions_init")]
    private static unsafe partial int PosixSpawnFileActionsInit(void* fileActions);

    [LibraryImport(Lib, EntryPoint = "posix_spawn_file_actions_destroy")]
    private static unsafe partial int PosixSpawnFileActionsDestroy(void* fileActions);

    [LibraryImport(Lib, EntryPoint = "posix_spawn_file_actions_adddup2")]
    private static unsafe partial int PosixSpawnFileActionsAddDup2(void* fileActions, int fd, int newFd);

    [LibraryImport(Lib, EntryPoint = "posix_spawn_file_actions_addclose")]
    private static unsafe partial int PosixSpawnFileActionsAddClose(void* fileActions, int fd);

    [LibraryImport(Lib, EntryPoint = "posix_spawn_file_actions_addopen")]
    private static unsafe partial int PosixSpawnFileActionsAddOpen(void* fileActions, int fd, nint path, int flags, int mode);

    [LibraryImport(Lib, EntryPoint = "posix_spawn_file_actions_addchdir_np")]
    private static unsafe partial int PosixSpawnFileActionsAddChdir(void* fileActions, nint path);

    [LibraryImport(Lib, EntryPoint = "posix_spawnattr_init")]
    private static unsafe partial int PosixSpawnAttrInit(void* attr);

    [LibraryImport(Lib, EntryPoint = "posix_spawnattr_destroy")]
    private static unsafe partial int PosixSpawnAttrDestroy(void* attr);

    [LibraryImport(Lib, EntryPoint = "posix_spawnattr_setflags")]
    private static unsafe partial int PosixSpawnAttrSetFlags(void* attr, short flags);

    [LibraryImport(Lib, EntryPoint = "posix_spawnattr_setsigdefault")]
    private static unsafe partial int PosixSpawnAttrSetSigDefault(void* attr, byte* sigset);

    [LibraryImport(Lib, EntryPoint = "posix_spawnattr_setpgroup")]
    private static unsafe partial int PosixSpawnAttrSetPGroup(void* attr, int pgroup);

    [LibraryImport(Lib, EntryPoint = "posix_spawnattr_setsigmask")]
    private static unsafe partial int PosixSpawnAttrSetSigMask(void* attr, byte* sigset);

    [LibraryImport(Lib, EntryPoint = "sigfillset")]
    private static unsafe partial int SigFillSet(byte* sigset);

    [LibraryImport(Lib, EntryPoint = "sigemptyset")]
    private static unsafe partial int SigEmptySet(byte* sigset);

    [LibraryImport(Lib, EntryPoint = "getpgid", SetLastError = true)]
    private static partial int GetPGid(int pid);

    [LibraryImport(Lib, EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signum);
}
