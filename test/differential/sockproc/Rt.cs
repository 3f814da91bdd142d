// Differential test runtime, area sockproc (see ../README.md): the C# twin of prelude.ml.
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;
using Lwt;

static partial class Rt
{
    static string Esc(string s)
    {
        var sb = new StringBuilder();
        foreach (char c in s)
            sb.Append(c >= ' ' && c <= '~' && c != '\\' && c != '"' ? c.ToString() : $"\\x{(int)c:x2}");
        return sb.ToString();
    }
    static string Q(string s) => "\"" + Esc(s) + "\"";
    static string QB(ReadOnlySpan<byte> b) => Q(Encoding.Latin1.GetString(b));
    static string QL(IEnumerable<string> l) => "[" + string.Join(";", l.Select(Q)) + "]";

    static string Errs(Exception e) => e switch
    {
        UnixErrorException u => $"ERR({Marshal.GetPInvokeErrorMessage(u.Errno)},{u.Function},{u.Argument})",
        ArgumentException => "Invalid_argument",
        EndOfStreamException => "End_of_file",
        OperationCanceledException => "Canceled",
        ChannelClosedException => "Channel_closed",
        _ when e.GetType() == typeof(Exception) => "Failure " + e.Message,
        _ => "EXN " + e.GetType().Name + ": " + e.Message,
    };

    const double Guard = 0.3, PGuard = 8.0;
    static readonly LwtFd[] Fds = new LwtFd[5];
    static readonly Promise<string>[] Pend = new Promise<string>[4];

    static string PState(Promise<string> p) => p.State switch
    {
        PromiseState.Pending => "pending",
        PromiseState.Fulfilled => "done " + p.Value,
        _ => "failed " + Errs(p.Exception),
    };

    static Promise<string> Apply(Func<Promise<string>> f)
    {
        try { return f(); } catch (Exception e) { return Promise.Fail<string>(e); }
    }

    static async Promise<string> Guarded(double g, Func<Promise<string>> f)
    {
        var p = Apply(f);
        var c = Promise.Catch(() => p, e => Promise.Return(Errs(e)));
        var r = await Promise.Choose(c, LwtUnix.Sleep(g).Map(() => "BLOCKED"));
        if (r == "BLOCKED" && c.IsPending) Pend[3] = p;
        return r;
    }

    static async Promise Step(string name, Func<Promise<string>> f) => Console.Out.Write($"  {name} -> {await Guarded(Guard, f)}\n");
    static async Promise PStep(string name, Func<Promise<string>> f) => Console.Out.Write($"  {name} -> {await Guarded(PGuard, f)}\n");

    static Promise Start(int i)
    {
        Console.Out.Write($"P{i}\n");
        Array.Fill(Fds, null);
        Array.Fill(Pend, null);
        V6 = false;
        return Promise.ReturnUnit;
    }

    static Promise Finish()
    {
        foreach (var p in Pend) p?.Cancel();
        foreach (var fd in Fds) { try { fd?.Dispose(); } catch { } }
        return Promise.ReturnUnit;
    }

    static Promise<string> WithFd(int i, Func<LwtFd, Promise<string>> f) => Fds[i] is null ? Promise.Return("nofd") : f(Fds[i]);
    static Promise<string> Ret(string s) => Promise.Return(s);
    static Promise<string> Ok(Promise p) => p.Map(() => "ok");
    static string B(bool b) => b ? "true" : "false";

    // ---- addresses
    static string AddrS(EndPoint a)
    {
        int? slot = null;
        for (int i = 0; i < Fds.Length && slot is null; i++)
            if (Fds[i] is { } fd) { try { if (LwtUnix.GetSockName(fd).Equals(a)) slot = i; } catch { } }
        return a switch
        {
            UnnamedUnixEndPoint => "unix:\"\"",
            UnixDomainSocketEndPoint u => "unix:" + Q(u.ToString()),
            IPEndPoint when slot is { } s => $"slot{s}",
            IPEndPoint ip => $"inet:{ip.Address}:{(ip.Port == 0 ? "0" : "port")}",
            _ => "?" + a.GetType().Name,
        };
    }

    // ---- sockets
    static Func<Promise<string>> Pair(int a, int b, bool dgram) => () =>
    {
        var (x, y) = LwtUnix.SocketPair(AddressFamily.Unix, dgram ? SocketType.Dgram : SocketType.Stream);
        Fds[a] = x; Fds[b] = y; return Ret("ok");
    };
    // families v6 and accerr: "fam6" makes the program's TCP and UDP sockets IPv6 ones on ::1
    static bool V6;
    static AddressFamily Dom => V6 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork;
    static IPEndPoint Loop0 => new(V6 ? IPAddress.IPv6Loopback : IPAddress.Loopback, 0);
    static Func<Promise<string>> Fam6() => () => { V6 = true; return Ret("ok"); };
    // a bound TCP socket that does not listen (accept: EINVAL); "listen" makes it listen later
    static Func<Promise<string>> Plain(int l) => () =>
    {
        var ls = LwtUnix.Socket(Dom, SocketType.Stream);
        Fds[l] = ls;
        return Ok(LwtUnix.Bind(ls, Loop0));
    };
    static Func<Promise<string>> Listen(int l) => () => WithFd(l, ls => { LwtUnix.Listen(ls, 5); return Ret("ok"); });
    // accept_n: the first connection goes to slot b, the others are closed at once
    static Func<Promise<string>> AcceptN(int b, int l, int n) => () => WithFd(l, ls => LwtUnix.AcceptN(ls, n).Map(r =>
    {
        var names = r.Connections.Select(c => "from " + AddrS(c.Address)).ToList();
        for (int k = 0; k < r.Connections.Count; k++) { if (k == 0) Fds[b] = r.Connections[k].Fd; else r.Connections[k].Fd.Dispose(); }
        return $"n={r.Connections.Count} [{string.Join(";", names)}] err={(r.Error is null ? "None" : Errs(r.Error))}";
    }));
    static Func<Promise<string>> Listener(int l) => () =>
    {
        var ls = LwtUnix.Socket(Dom, SocketType.Stream);
        Fds[l] = ls;
        LwtUnix.SetSockOpt(ls, SocketBoolOption.ReuseAddr, true);
        return LwtUnix.Bind(ls, Loop0).Map(() => { LwtUnix.Listen(ls, 5); return "ok"; });
    };
    static Func<Promise<string>> Connect(int a, int l) => () => WithFd(l, ls =>
    {
        var c = LwtUnix.Socket(Dom, SocketType.Stream);
        Fds[a] = c;
        return Ok(LwtUnix.Connect(c, LwtUnix.GetSockName(ls)));
    });
    static Func<Promise<string>> Accept(int b, int l) => () => WithFd(l, ls => LwtUnix.Accept(ls).Map(r => { Fds[b] = r.Fd; return "from " + AddrS(r.Address); }));
    static Func<Promise<string>> Tcp(int a, int b, int l) => () =>
        Listener(l)().Bind(_ => { var cp = Connect(a, l)(); return Accept(b, l)().Bind(r => cp.Map(c => c + " " + r)); });
    static Func<Promise<string>> Refused(int a) => () =>
    {
        var t = LwtUnix.Socket(Dom, SocketType.Stream);
        return LwtUnix.Bind(t, Loop0).Bind(() =>
        {
            var addr = LwtUnix.GetSockName(t);
            return LwtUnix.Close(t).Bind(() =>
            {
                var c = LwtUnix.Socket(Dom, SocketType.Stream);
                Fds[a] = c;
                return Ok(LwtUnix.Connect(c, addr));
            });
        });
    };
    static Func<Promise<string>> Udp(int a, int b) => () =>
    {
        var x = LwtUnix.Socket(Dom, SocketType.Dgram);
        var y = LwtUnix.Socket(Dom, SocketType.Dgram);
        Fds[a] = x; Fds[b] = y;
        return LwtUnix.Bind(x, Loop0).Bind(() => Ok(LwtUnix.Bind(y, Loop0)));
    };

    static readonly string Big = new('z', 300000);
    static string Text(string s) => s == "BIG" ? Big : s;
    static byte[] Dots(int n) { var b = new byte[n]; Array.Fill(b, (byte)'.'); return b; }
    static string Got(int k, byte[] b) => $"{k} {QB(b.AsSpan(0, Math.Min(k, 40)))}";

    static Func<Promise<string>> Read(int i, int n) => () => WithFd(i, fd => { var b = Dots(n); return LwtUnix.Read(fd, b, 0, n).Map(k => Got(k, b)); });
    static Func<Promise<string>> ReadBad(int i, int o, int n) => () => WithFd(i, fd => LwtUnix.Read(fd, Dots(4), o, n).Map(k => k.ToString()));
    static Func<Promise<string>> Write(int i, string s) => () => WithFd(i, fd => { var b = Encoding.Latin1.GetBytes(Text(s)); return LwtUnix.Write(fd, b, 0, b.Length).Map(k => k.ToString()); });
    static Func<Promise<string>> Recv(int i, int n, bool peek) => () => WithFd(i, fd => { var b = Dots(n); return LwtUnix.Recv(fd, b, 0, n, peek ? SocketFlags.Peek : SocketFlags.None).Map(k => Got(k, b)); });
    static Func<Promise<string>> Send(int i, string s) => () => WithFd(i, fd => { var b = Encoding.Latin1.GetBytes(Text(s)); return LwtUnix.Send(fd, b, 0, b.Length).Map(k => k.ToString()); });
    static Func<Promise<string>> RecvFrom(int i, int n) => () => WithFd(i, fd => { var b = Dots(n); return LwtUnix.RecvFrom(fd, b, 0, n).Map(r => $"{Got(r.Count, b)} {AddrS(r.Address)}"); });
    static Func<Promise<string>> SendTo(int i, int j, string s) => () => WithFd(i, fd => WithFd(j, fd2 => { var b = Encoding.Latin1.GetBytes(s); return LwtUnix.SendTo(fd, b, 0, b.Length, LwtUnix.GetSockName(fd2)).Map(k => k.ToString()); }));
    static Func<Promise<string>> ReadV(int i, int[] ns) => () => WithFd(i, fd =>
    {
        var bs = ns.Select(Dots).ToArray();
        return LwtUnix.ReadV(fd, bs.Select(b => (Memory<byte>)b).ToArray()).Map(k => $"{k} {QL(bs.Select(b => Encoding.Latin1.GetString(b)))}");
    });
    static Func<Promise<string>> WriteV(int i, string[] ss) => () => WithFd(i, fd =>
        LwtUnix.WriteV(fd, ss.Select(s => (ReadOnlyMemory<byte>)Encoding.Latin1.GetBytes(s)).ToArray()).Map(k => k.ToString()));
    static Func<Promise<string>> RecvMsg(int i, int[] ns) => () => WithFd(i, fd =>
    {
        var bs = ns.Select(Dots).ToArray();
        return LwtUnix.RecvMsg(fd, bs.Select(b => (Memory<byte>)b).ToArray()).Map(r =>
        {
            var fl = new List<string>();
            foreach (var h in r.Fds)
            {
                var b = new byte[8];
                long n = read((int)h.DangerousGetHandle(), b, 8);
                h.Dispose();
                fl.Add(Encoding.Latin1.GetString(b, 0, (int)Math.Max(n, 0)));
            }
            return $"{r.Count} {QL(bs.Select(b => Encoding.Latin1.GetString(b)))} fds={QL(fl)}";
        });
    });
    static Func<Promise<string>> SendMsg(int i, string[] ss, int nfd) => () => WithFd(i, fd =>
    {
        var rs = new List<int>();
        for (int k = 1; k <= nfd; k++)
        {
            int[] p = new int[2];
            if (pipe2(p, 0x80000) != 0) throw new Exception("pipe2");
            write(p[1], Encoding.Latin1.GetBytes("fd" + k), 3);
            close(p[1]);
            rs.Add(p[0]);
        }
        var sp = Apply(() => LwtUnix.SendMsg(fd, ss.Select(s => (ReadOnlyMemory<byte>)Encoding.Latin1.GetBytes(s)).ToArray(), rs).Map(n => n.ToString()));
        sp.OnTermination(() => { foreach (var r in rs) close(r); });
        return sp;
    });
    static Func<Promise<string>> Shutdown(int i, SocketShutdown c) => () => WithFd(i, fd => { LwtUnix.Shutdown(fd, c); return Ret("ok"); });
    static Func<Promise<string>> Close(int i) => () => WithFd(i, fd => Ok(LwtUnix.Close(fd).Bind(() => Promise.Pause())));
    static Func<Promise<string>> Abort(int i) => () => WithFd(i, fd => { LwtUnix.Abort(fd, new Exception("ab")); return Ret("ok"); });
    static Func<Promise<string>> WaitRead(int i) => () => WithFd(i, fd => Ok(LwtUnix.WaitRead(fd)));
    static Func<Promise<string>> WaitWrite(int i) => () => WithFd(i, fd => Ok(LwtUnix.WaitWrite(fd)));
    static Func<Promise<string>> Readable(int i) => () => WithFd(i, fd => Ret(B(LwtUnix.Readable(fd))));
    static Func<Promise<string>> Writable(int i) => () => WithFd(i, fd => Ret(B(LwtUnix.Writable(fd))));
    static Func<Promise<string>> Blocking(int i) => () => WithFd(i, fd => LwtUnix.Blocking(fd).Map(B));
    static Func<Promise<string>> SetBlocking(int i, bool b) => () => WithFd(i, fd => { LwtUnix.SetBlocking(fd, b); return Ret("ok"); });
    static Func<Promise<string>> GetSockName(int i) => () => WithFd(i, fd => Ret(AddrS(LwtUnix.GetSockName(fd))));
    static Func<Promise<string>> GetPeerName(int i) => () => WithFd(i, fd => Ret(AddrS(LwtUnix.GetPeerName(fd))));
    static Func<Promise<string>> GetB(int i, SocketBoolOption o) => () => WithFd(i, fd => Ret(B(LwtUnix.GetSockOpt(fd, o))));
    static Func<Promise<string>> SetB(int i, SocketBoolOption o, bool v) => () => WithFd(i, fd => { LwtUnix.SetSockOpt(fd, o, v); return Ret("ok"); });
    static Func<Promise<string>> GetI(int i, SocketIntOption o) => () => WithFd(i, fd => Ret(LwtUnix.GetSockOpt(fd, o).ToString()));
    static Func<Promise<string>> SetI(int i, SocketIntOption o, int v) => () => WithFd(i, fd => { LwtUnix.SetSockOpt(fd, o, v); return Ret("ok"); });
    static Func<Promise<string>> GetL(int i) => () => WithFd(i, fd => { var o = LwtUnix.GetSockOpt(fd, SocketOptIntOption.Linger); return Ret(o.HasValue ? "Some " + o.Value : "None"); });
    static Func<Promise<string>> SetL(int i, Option<int> v) => () => WithFd(i, fd => { LwtUnix.SetSockOpt(fd, SocketOptIntOption.Linger, v); return Ret("ok"); });
    static Func<Promise<string>> GetF(int i, SocketFloatOption o) => () => WithFd(i, fd => Ret(LwtUnix.GetSockOpt(fd, o).ToString("F2", System.Globalization.CultureInfo.InvariantCulture)));
    static Func<Promise<string>> SetF(int i, SocketFloatOption o, double v) => () => WithFd(i, fd => { LwtUnix.SetSockOpt(fd, o, v); return Ret("ok"); });
    static Func<Promise<string>> SockErr(int i) => () => WithFd(i, fd => { var e = LwtUnix.GetSockOptError(fd); return Ret(e is null ? "None" : Marshal.GetPInvokeErrorMessage(e.Errno)); });

    // ---- background promises
    static Promise Bg(int k, string name, Func<Promise<string>> f)
    {
        var p = Apply(f);
        Pend[k] = p;
        Console.Out.Write($"  bg {k} {name} -> {PState(p)}\n");
        return Promise.ReturnUnit;
    }
    static Promise BgQ(int k, string name, Func<Promise<string>> f)
    {
        Pend[k] = Apply(f);
        Console.Out.Write($"  bg {k} {name} -> started\n");
        return Promise.ReturnUnit;
    }
    static Func<Promise<string>> Await(int k) => () => Pend[k] ?? Ret("nobg");
    static Func<Promise<string>> CancelOp(int k) => () => { if (Pend[k] is not { } p) return Ret("nobg"); p.Cancel(); return Ret(PState(p)); };
    static Func<Promise<string>> CancelQ(int k) => () => { if (Pend[k] is not { } p) return Ret("nobg"); p.Cancel(); return Ret("canceled"); };
    static string States() => string.Join(" ", Pend.Select((p, k) => p is null ? $"{k}:-" : $"{k}:{PState(p)}"));
    static Func<Promise<string>> Settle() => () => LwtUnix.Sleep(0.05).Map(() => States());

    // ---- processes
    static string SigName(int n) => n switch { 9 => "KILL", 15 => "TERM", 2 => "INT", 1 => "HUP", 10 => "USR1", _ => "sig" + n };
    static string StatusS(ProcessStatus s) => s.Kind switch
    {
        ProcessStatusKind.Exited => $"WEXITED {s.Code}",
        ProcessStatusKind.Signaled => "WSIGNALED " + SigName(s.Code),
        _ => "WSTOPPED " + SigName(s.Code),
    };
    static string StateS(ProcessState s) => s.IsRunning ? "Running" : $"Exited({StatusS(s.Status)})";
    static ProcessCommand Sh(string c) => LwtProcess.Shell(c);
    static readonly ProcessCommand NoSuch = new("nosuch-prog-xyz", new[] { "nosuch-prog-xyz", "a" });
    static ProcessRedirection Fed(string s)
    {
        int[] p = new int[2];
        if (pipe2(p, 0x80000) != 0) throw new Exception("pipe2");
        var b = Encoding.Latin1.GetBytes(s);
        if (b.Length > 0) write(p[1], b, b.Length);
        close(p[1]);
        return ProcessRedirection.FdMove(p[0]);
    }
    [DllImport("libc", SetLastError = true)] static extern int pipe2(int[] fds, int flags);
    [DllImport("libc", SetLastError = true)] static extern nint write(int fd, byte[] b, nint n);
    [DllImport("libc", SetLastError = true)] static extern nint read(int fd, byte[] b, nint n);
    [DllImport("libc", SetLastError = true)] static extern int close(int fd);
    static string Drain(int r)
    {
        var sb = new StringBuilder(); var c = new byte[256];
        while (true) { long n = read(r, c, 256); if (n <= 0) { close(r); return sb.ToString(); } sb.Append(Encoding.Latin1.GetString(c, 0, (int)n)); }
    }

    static Func<Promise<string>> Exec(ProcessCommand cmd, double? timeout = null, ProcessRedirection stdin = null, ProcessRedirection stdout = null, ProcessRedirection stderr = null) => () =>
        LwtProcess.Exec(cmd, timeout, stdin: stdin, stdout: stdout, stderr: stderr).Map(StatusS);
    static Func<Promise<string>> ExecPipe(ProcessCommand cmd, double? timeout = null, ProcessRedirection stdin = null, ProcessRedirection stderr = null) => () =>
    {
        int[] p = new int[2];
        if (pipe2(p, 0x80000) != 0) throw new Exception("pipe2");
        return LwtProcess.Exec(cmd, timeout, stdin: stdin, stdout: ProcessRedirection.FdMove(p[1]), stderr: stderr).Map(s => StatusS(s) + " " + Q(Drain(p[0])));
    };
    static Func<Promise<string>> PRead(ProcessCommand cmd, double? timeout = null, ProcessRedirection stdin = null, ProcessRedirection stderr = null) => () =>
        LwtProcess.PRead(cmd, timeout, stdin: stdin, stderr: stderr).Map(Q);
    static Func<Promise<string>> PReadLine(ProcessCommand cmd, double? timeout = null, ProcessRedirection stdin = null, ProcessRedirection stderr = null) => () =>
        LwtProcess.PReadLine(cmd, timeout, stdin: stdin, stderr: stderr).Map(Q);
    static Func<Promise<string>> PReadLines(ProcessCommand cmd, double? timeout = null, ProcessRedirection stdin = null, ProcessRedirection stderr = null) => () =>
        LwtProcess.PReadLines(cmd, timeout, stdin: stdin, stderr: stderr).ToList().Map(l => QL(l));
    static Func<Promise<string>> PReadChars(ProcessCommand cmd, double? timeout = null, ProcessRedirection stdin = null, ProcessRedirection stderr = null) => () =>
        LwtProcess.PReadChars(cmd, timeout, stdin: stdin, stderr: stderr).ToList().Map(l => Q(new string(l.ToArray())));
    static Func<Promise<string>> PWrite(ProcessCommand cmd, string s, double? timeout = null, ProcessRedirection stdout = null, ProcessRedirection stderr = null) => () =>
        Ok(LwtProcess.PWrite(cmd, s, timeout, stdout: stdout, stderr: stderr));
    static Func<Promise<string>> PWriteLines(ProcessCommand cmd, string[] l, double? timeout = null, ProcessRedirection stdout = null, ProcessRedirection stderr = null) => () =>
        Ok(LwtProcess.PWriteLines(cmd, LwtStream.OfList(l), timeout, stdout: stdout, stderr: stderr));
    static Func<Promise<string>> PMap(ProcessCommand cmd, string s, double? timeout = null, ProcessRedirection stderr = null) => () =>
        LwtProcess.PMap(cmd, s, timeout, stderr: stderr).Map(Q);
    static Func<Promise<string>> PMapLine(ProcessCommand cmd, string s, double? timeout = null, ProcessRedirection stderr = null) => () =>
        LwtProcess.PMapLine(cmd, s, timeout, stderr: stderr).Map(Q);
    static Func<Promise<string>> PMapLines(ProcessCommand cmd, string[] l, double? timeout = null, ProcessRedirection stderr = null) => () =>
        LwtProcess.PMapLines(cmd, LwtStream.OfList(l), timeout, stderr: stderr).ToList().Map(x => QL(x));
    static Func<Promise<string>> ProcIn(ProcessCommand cmd, double? timeout = null, ProcessRedirection stdin = null) => async () =>
    {
        var p = LwtProcess.OpenProcessIn(cmd, timeout, stdin: stdin);
        var o = await p.Stdout.Read();
        var st = await p.Close();
        var st2 = await p.Close();
        return $"{QB(o)} {StatusS(st)} {StatusS(st2)} {StateS(p.State)}";
    };
    static Func<Promise<string>> ProcOut(ProcessCommand cmd, string s, double? timeout = null) => async () =>
    {
        var p = LwtProcess.OpenProcessOut(cmd, timeout, stdout: ProcessRedirection.DevNull);
        await p.Stdin.Write(s);
        var st = await p.Close();
        return $"{StatusS(st)} {StateS(p.State)}";
    };
    static Func<Promise<string>> ProcFull(ProcessCommand cmd, string s, double? timeout = null) => async () =>
    {
        var p = LwtProcess.OpenProcessFull(cmd, timeout);
        await p.Stdin.Write(s); await p.Stdin.Close();
        var o = await p.Stdout.Read(); var e = await p.Stderr.Read();
        var st = await p.Status; var st2 = await p.Close();
        return $"{QB(o)} {QB(e)} {StatusS(st)} {StatusS(st2)}";
    };
    static Func<Promise<string>> ProcInOut(ProcessCommand cmd, string s, double? timeout = null) => async () =>
    {
        var p = LwtProcess.OpenProcess(cmd, timeout);
        await p.Stdin.Write(s); await p.Stdin.Close();
        var o = await p.Stdout.Read();
        var st = await p.Close();
        return $"{QB(o)} {StatusS(st)}";
    };
    static Func<Promise<string>> ProcKill(int sg, ProcessCommand cmd, bool twice = false) => async () =>
    {
        var p = LwtProcess.OpenProcessNone(cmd, stdin: ProcessRedirection.DevNull);
        var s0 = StateS(p.State);
        p.Kill(sg); var st = await p.Status;
        if (twice) p.Kill(sg);
        var st2 = await p.Close();
        return $"{s0} {StatusS(st)} {StatusS(st2)} {StateS(p.State)}";
    };
    static Func<Promise<string>> ProcTerminate(ProcessCommand cmd) => async () =>
    {
        var p = LwtProcess.OpenProcessNone(cmd, stdin: ProcessRedirection.DevNull);
        p.Terminate(); var st = await p.Status; p.Terminate();
        var st2 = await p.Close();
        return $"{StatusS(st)} {StatusS(st2)} {StateS(p.State)}";
    };
    static Func<Promise<string>> ProcPid(ProcessCommand cmd) => async () =>
    {
        var p = LwtProcess.OpenProcessNone(cmd, stdin: ProcessRedirection.DevNull);
        bool pos = p.Pid > 0;
        var st = await p.Close();
        return $"{B(pos)} {StatusS(st)}";
    };
    static Func<Promise<string>> WithIn(ProcessCommand cmd, double? timeout = null, ProcessRedirection stdin = null) => async () =>
    {
        LwtProcessIn pr = null;
        var l = await LwtProcess.WithProcessIn(cmd, p => { pr = p; return p.Stdout.ReadLine(); }, timeout, stdin: stdin);
        var st = await pr.Status;
        return Q(l) + " " + StatusS(st);
    };
    static Func<Promise<string>> WithOut(ProcessCommand cmd, string s, double? timeout = null) => async () =>
    {
        LwtProcessOut pr = null;
        await LwtProcess.WithProcessOut(cmd, p => { pr = p; return p.Stdin.Write(s); }, timeout, stdout: ProcessRedirection.DevNull);
        return StatusS(await pr.Status);
    };
    static Func<Promise<string>> WithFull(ProcessCommand cmd, string s, double? timeout = null) => () =>
        LwtProcess.WithProcessFull(cmd, async p =>
        {
            await p.Stdin.Write(s); await p.Stdin.Close();
            var o = await p.Stdout.Read(); var e = await p.Stderr.Read();
            var st = await p.Status;
            return $"{QB(o)} {QB(e)} {StatusS(st)}";
        }, timeout);
    static Func<Promise<string>> WithFail(ProcessCommand cmd) => async () =>
    {
        LwtProcessNone pr = null;
        try
        {
            await LwtProcess.WithProcessNone(cmd, p => { pr = p; return Promise.Fail(new Exception("inside")); }, stdin: ProcessRedirection.DevNull);
            return "no exception";
        }
        catch (Exception e) { return Errs(e) + " " + StatusS(await pr.Status); }
    };

    static Func<Promise<string>> ProcCancel(int k) => async () =>
    {
        Promise<string> p = k switch
        {
            0 => LwtProcess.PRead(Sh("sleep 0.2; echo x"), stdin: ProcessRedirection.DevNull),
            1 => LwtProcess.PMap(Sh("sleep 0.2; cat"), "abc"),
            2 => LwtProcess.Exec(Sh("sleep 0.2"), stdin: ProcessRedirection.DevNull).Map(StatusS),
            3 => LwtProcess.PReadLine(Sh("sleep 0.2; echo x"), stdin: ProcessRedirection.DevNull),
            _ => LwtProcess.WithProcessIn(Sh("sleep 0.2; echo x"), pr => pr.Stdout.Read().Map(b => Encoding.Latin1.GetString(b)), stdin: ProcessRedirection.DevNull),
        };
        p.Cancel();
        try { return await p; } catch (Exception e) { return Errs(e); }
    };
    static Func<Promise<string>> PReadIn(ProcessCommand cmd, string[] env = null, string cwd = null) => () =>
        LwtProcess.PRead(cmd, env: env, cwd: cwd, stdin: ProcessRedirection.DevNull, stderr: ProcessRedirection.DevNull).Map(Q);
}
