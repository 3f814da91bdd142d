// Differential test runtime, area mainsys (see ../README.md): the C# twin of prelude.ml.
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Lwt;

sealed class E(string s) : Exception(s);

static partial class Rt
{
    static void Pr(string s) { Console.Out.Write(s + "\n"); Console.Out.Flush(); }

    static string Errs(Exception e) => e switch
    {
        E x => "E(" + x.Message + ")",
        UnixErrorException u => $"ERR({Marshal.GetPInvokeErrorMessage(u.Errno)},{u.Function})",
        InvalidOperationException when e.Message.Contains("already inside LwtMain.Run") => "NESTED",
        ArgumentException => "Invalid_argument",
        KeyNotFoundException => "Not_found",
        OperationCanceledException => "Canceled",
        _ => "EXN " + e.GetType().Name + ": " + e.Message,
    };

    static void RunReport(string label, Func<Promise> f)
    {
        try { LwtMain.Run(f); Pr(label + " ok"); }
        catch (Exception e) { Pr(label + " raised " + Errs(e)); }
    }

    static Promise Pauses(int n) => n <= 0 ? Promise.ReturnUnit : Promise.Pause().Bind(() => Pauses(n - 1));

    [DllImport("libc", SetLastError = true)] static extern int kill(int pid, int sig);
    const int USR1 = 10, USR2 = 12, TERM = 15, KILL = 9, HUP = 1, INT = 2, CHLD = 17;
    static string SigName(int s) => s switch
    {
        USR1 => "USR1", USR2 => "USR2", TERM => "TERM", KILL => "KILL", HUP => "HUP", INT => "INT", CHLD => "CHLD",
        _ => s.ToString(),
    };
    static string Status(ProcessStatus st) => st.Kind switch
    {
        ProcessStatusKind.Exited => $"WEXITED {st.Code}",
        ProcessStatusKind.Signaled => "WSIGNALED " + SigName(st.Code),
        _ => "WSTOPPED " + SigName(st.Code),
    };
    static void KillSelf(int s) => kill(Environment.ProcessId, s);
    static Promise Settle() => LwtUnix.Sleep(0.05);

    static Promise Guard(string label, Func<Promise<string>> f)
    {
        Promise<string> p;
        try { p = f(); } catch (Exception e) { p = Promise.Fail<string>(e); }
        return Promise.Catch(() => p.Map(s => { Pr("  " + label + " -> " + s); return default(Unit); }),
            e => { Pr("  " + label + " -> " + Errs(e)); return Promise.Return(default(Unit)); });
    }

    // posix_spawnp, the twin of Unix.create_process (no file actions: the child inherits stdio)
    [DllImport("libc", SetLastError = true)]
    static extern int posix_spawnp(out int pid, string file, IntPtr fileActions, IntPtr attr, string[] argv, string[] envp);
    static int Spawn(params string[] argv)
    {
        var a = new string[argv.Length + 1];
        Array.Copy(argv, a, argv.Length);
        var env = Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
            .Select(d => $"{d.Key}={d.Value}").Append(null).ToArray();
        int rc = posix_spawnp(out int pid, argv[0], IntPtr.Zero, IntPtr.Zero, a, env);
        if (rc != 0) throw new Exception("posix_spawnp " + rc);
        return pid;
    }

    static string Fam(AddressFamily f) => f switch { AddressFamily.InterNetwork => "INET", AddressFamily.InterNetworkV6 => "INET6", AddressFamily.Unix => "UNIX", _ => f.ToString() };
    static string STyp(SocketType t) => t switch { SocketType.Stream => "STREAM", SocketType.Dgram => "DGRAM", SocketType.Raw => "RAW", SocketType.Seqpacket => "SEQPACKET", _ => t.ToString() };
    static string Addr(EndPoint e) => e switch
    {
        IPEndPoint ip => $"{ip.Address}:{ip.Port}",
        UnixDomainSocketEndPoint u => "unix:" + u,
        _ => e.ToString(),
    };
    static string AiStr(AddrInfo ai) => $"{Fam(ai.Family)}/{STyp(ai.SocketType)}/{Addr(ai.Address)}";
    static string Sorted(IEnumerable<string> l) => "[" + string.Join(";", l.OrderBy(x => x, StringComparer.Ordinal)) + "]";
}
