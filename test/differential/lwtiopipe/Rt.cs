// Runtime for generated LwtIO pipe differential programs (lwtiopipe/gen.py); mirrors rt.ml.
using System.Runtime.InteropServices;
using System.Text;
using Lwt;

public static class Rt
{
    public static StringBuilder Cur = new();
    public static void LogB(StringBuilder b, string s) => b.Append(s).Append('\n');
    public static string Hb(ReadOnlySpan<byte> s) { var sb = new StringBuilder(); foreach (var x in s) sb.Append(x.ToString("x2")); return sb.ToString(); }
    public static string Hb(byte[] s) => Hb(s.AsSpan());
    public static string Hs(string s) => Hb(Encoding.UTF8.GetBytes(s));
    public static string Hc(char c) => ((int)c).ToString("x2");
    public static string OptC(Option<char> o) => o.HasValue ? "Some " + Hc(o.Value) : "None";
    public static string OptS(Option<string> o) => o.HasValue ? "Some " + Hs(o.Value) : "None";
    public static string B(bool b) => b ? "true" : "false";
    public static byte[] Bytes(string hex) => Convert.FromHexString(hex);
    public static byte[] Dots(int n) { var b = new byte[n]; Array.Fill(b, (byte)'.'); return b; }

    public static string ExnStr(Exception e) => e switch
    {
        EndOfStreamException => "EOF",
        ChannelClosedException c => "CLOSED(" + c.Channel + ")",
        UnixErrorException u => "UNIX(" + Marshal.GetPInvokeErrorMessage(u.Errno) + ")",
        ArgumentException => "INVARG",
        CanceledException => "CANCELED",
        InvalidOperationException => "FAIL",
        _ => "EXN(" + e.GetType().Name + ": " + e.Message + ")",
    };

    public static Promise Show(string label, Func<Promise<string>> f)
    {
        var b = Cur;
        Promise<string> p;
        try { p = f(); }
        catch (Exception e) { LogB(b, label + " SYNC " + ExnStr(e)); return Promise.ReturnUnit; }
        return Promise.TryBind(() => p,
            v => { LogB(b, label + " = " + v); return Promise.ReturnUnit; },
            e => { LogB(b, label + " ! " + ExnStr(e)); return Promise.ReturnUnit; });
    }

    public static List<(string, Promise)> Spawned = new();
    public static void Spawn(string label, Func<Promise<string>> f)
    {
        var p = Show(label, f);
        if (p.IsPending) Spawned.Add((label, p));
    }

    public static async Promise PauseN(int n) { for (int i = 0; i < n; i++) await Promise.Pause(); }

    // As rt.ml's settle_pauses (the cancel mode sets 300).
    public static int SettlePauses = 5;
    public static async Promise Settle(string tag)
    {
        var b = Cur;
        await PauseN(5);
        await LwtUnix.Sleep(0.002);
        await PauseN(SettlePauses);
        foreach (var (l, p) in Spawned) if (p.IsPending) LogB(b, tag + " " + l + " PENDING");
    }

    public static string State(string name, LwtChannel ch)
    {
        string busy;
        try { busy = B(ch.IsBusy); } catch (Exception e) { busy = ExnStr(e); }
        return $"{name} pos={ch.Position()} buffered={ch.Buffered()} closed={B(ch.IsClosed)} busy={busy}";
    }

    public static async Promise EndPhase(InputChannel ic, OutputChannel oc)
    {
        var b = Cur;
        await Settle("mid");
        LogB(b, State("ic", ic)); LogB(b, State("oc", oc));
        await Show("end:close oc", () => oc.Close().Map(() => "()"));
        await Settle("end");
        Spawned = new();
        await Show("end:drain", () => ic.Read().Map(x => Hb(x)));
        await Show("end:close ic", () => ic.Close().Map(() => "()"));
        LogB(b, State("ic", ic)); LogB(b, State("oc", oc));
    }

    /// <summary>As rt.ml's sock: a server on 127.0.0.1:port and a client connected to it.</summary>
    public static async Promise<(LwtServer, Resolver<Unit>, InputChannel, OutputChannel, InputChannel, OutputChannel)> Sock(int bufsize, int port)
    {
        var addr = new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, port);
        var (got, gotR) = Promise.Create<(InputChannel, OutputChannel)>();
        var (finished, finishedR) = Promise.Create<Unit>();
        var server = await LwtIO.EstablishServerWithClientAddress(addr, (_, ic, oc) => { gotR.ResolveNow((ic, oc)); return finished; }, bufferSize: bufsize);
        var (cic, coc) = await LwtIO.OpenConnection(addr, bufsize);
        var (sic, soc) = await got;
        return (server, finishedR, sic, soc, cic, coc);
    }

    public static async Promise SockEnd(LwtServer server, Resolver<Unit> finished, OutputChannel soc, InputChannel cic)
    {
        var b = Cur;
        finished.ResolveNow(default);
        await Settle("sock");
        await Show("end:client read", () => cic.Read().Map(x => Hb(x)));
        LogB(b, "server oc closed=" + B(soc.IsClosed));
        await LwtIO.ShutdownServer(server);
    }

    public static Promise<string> RI(InputChannel c, int blen, int ofs, int len)
    {
        var b = Dots(blen);
        return c.ReadInto(b.AsMemory(ofs, len)).Map(n => n + " " + Hb(b));
    }
    public static Promise<string> RIE(InputChannel c, int blen, int ofs, int len)
    {
        var b = Dots(blen);
        return c.ReadIntoExactly(b.AsMemory(ofs, len)).Map(() => Hb(b));
    }

    public static void RunProg(int n, Func<Promise> f)
    {
        Cur = new StringBuilder();
        Spawned = new();
        var b = Cur;
        bool hang = false;
        try
        {
            LwtMain.Run(() => Promise.Pick(new Promise[] { f(), LwtUnix.Sleep(5).Map(() => { hang = true; LogB(b, "HANG"); return default(Unit); }) }));
        }
        catch (Exception e) { LogB(b, "RUNEXN " + ExnStr(e)); }
        Console.Out.Write("=== " + n + "\n");
        Console.Out.Write(b.ToString());
        // As rt.ml: the program's canceled steps would go on logging into the next ones.
        if (hang) { Console.Out.Write("STOPPED AFTER HANG\n"); Console.Out.Flush(); Environment.Exit(3); }
    }

    // ---- the server mode (gen.py server); mirrors rt.ml's server section ----
    public static System.Net.EndPoint SrvAddr(string kind, int idx, string tag)
    {
        if (kind == "unix") { var p = $"{tag}{idx}.sock"; try { File.Delete(p); } catch { } return new System.Net.Sockets.UnixDomainSocketEndPoint(p); }
        if (kind == "tcp6") return new System.Net.IPEndPoint(System.Net.IPAddress.IPv6Loopback, idx);
        return new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, idx);
    }
    // MODE=serveropts, as rt.ml's start_server_o / srv_end_o
    public static List<Func<Promise>> Held = new();
    public static async Promise<LwtFd> OptFd(string kind, System.Net.EndPoint addr, string fdk)
    {
        if (fdk == "none") return null;
        var s = LwtUnix.Socket(addr.AddressFamily, System.Net.Sockets.SocketType.Stream);
        if (fdk == "bound") await LwtUnix.Bind(s, SrvAddr(kind, 0, "other"));
        else if (fdk == "closed") await s.Close();
        return s;
    }
    public static async Promise<LwtServer> StartServerO(string sk, string kind, System.Net.EndPoint addr, string fdk, int backlog, bool noclose)
    {
        NConn = 0; Held = new();
        var fd = await OptFd(kind, addr, fdk);
        var b = Cur;
        try
        {
            LwtServer server;
            if (sk == "addr")
                server = backlog < 0
                    ? await LwtIO.EstablishServerWithClientAddress(addr, HAddr(noclose), fd: fd, noClose: noclose, bufferSize: 64)
                    : await LwtIO.EstablishServerWithClientAddress(addr, HAddr(noclose), backlog, fd, noclose, 64);
            else
                server = backlog < 0
                    ? await LwtIO.EstablishServerWithClientSocket(addr, HSock(noclose), serverFd: fd, noClose: noclose)
                    : await LwtIO.EstablishServerWithClientSocket(addr, HSock(noclose), backlog, fd, noclose);
            LogB(b, "server started");
            return server;
        }
        catch (Exception e)
        {
            LogB(b, "server failed " + ExnStr(e) + (fd is null ? "" : " fd " + (fd.IsClosed ? "closed" : "open")));
            return null;
        }
    }
    static Func<System.Net.EndPoint, InputChannel, OutputChannel, Promise> HAddr(bool noclose) => (_, ic, oc) =>
    {
        int k = ++NConn; LogB(Cur, $"h{k} start");
        if (noclose) Held.Add(() => oc.Close().Bind(() => ic.Close()));
        return Serve(k, ic, oc);
    };
    static Func<System.Net.EndPoint, LwtFd, Promise> HSock(bool noclose) => async (_, fd) =>
    {
        int k = ++NConn; LogB(Cur, $"h{k} start(fd)");
        if (noclose) Held.Add(() => fd.Close());
        var ic = LwtIO.OfFd(LwtIO.Input, fd, closeFd: false);
        var oc = LwtIO.OfFd(LwtIO.Output, fd, closeFd: false);
        await Serve(k, ic, oc);
        await oc.Flush();
    };
    public static async Promise SrvEndO(LwtServer server)
    {
        await Settle("fin");
        var h = Held; Held = new();
        foreach (var f in h) { try { await f(); } catch { } }
        await Settle("held");
        if (server is null) await Settle("fin2"); else await SrvEnd(server);
    }
    public static void SetHook() => Promise.AsyncExceptionHook = e => LogB(Cur, "hook " + ExnStr(e));
    public static async Promise Serve(int k, InputChannel ic, OutputChannel oc)
    {
        var b = Cur;
        while (true)
        {
            var r = await ic.ReadLineOpt();
            if (!r.HasValue) { LogB(b, $"h{k} eof"); return; }
            var l = r.Value;
            LogB(b, $"h{k} got {l}");
            switch (l)
            {
                case "q": LogB(b, $"h{k} quit"); return;
                case "x": LogB(b, $"h{k} raise"); throw new InvalidOperationException("x");
                case "c": await oc.Close(); await ic.Close(); LogB(b, $"h{k} closed"); return;
                case "n": await oc.WriteLine("r:" + l); LogB(b, $"h{k} noflush"); return;
                default: await oc.WriteLine("r:" + l); await oc.Flush(); break;
            }
        }
    }
    public static int NConn;
    public static Promise<LwtServer> StartServer(string kind, System.Net.EndPoint addr)
    {
        NConn = 0;
        if (kind == "addr")
            return LwtIO.EstablishServerWithClientAddress(addr, (_, ic, oc) => { int k = ++NConn; LogB(Cur, $"h{k} start"); return Serve(k, ic, oc); }, bufferSize: 64);
        return LwtIO.EstablishServerWithClientSocket(addr, async (_, fd) =>
        {
            int k = ++NConn; LogB(Cur, $"h{k} start(fd)");
            var ic = LwtIO.OfFd(LwtIO.Input, fd, closeFd: false);
            var oc = LwtIO.OfFd(LwtIO.Output, fd, closeFd: false);
            await Serve(k, ic, oc);
            await oc.Flush();
        });
    }
    public static Dictionary<int, (InputChannel, OutputChannel)> Clients = new();
    public static async Promise CReq(int c, (InputChannel ic, OutputChannel oc) ch, string s)
    {
        var b = Cur;
        await ch.oc.WriteLine(s); await ch.oc.Flush();
        if (s == "n") return;
        var r = await ch.ic.ReadLineOpt();
        LogB(b, $"c{c} {s} -> {(r.HasValue ? r.Value : "EOF")}");
    }
    public static Promise SReq(int c, string s) => Show($"req c{c} {s}", () => CReq(c, Clients[c], s).Map(() => "()"));
    public static Promise SReqBg(int c, string s) { Spawn($"req c{c} {s}", () => CReq(c, Clients[c], s).Map(() => "()")); return Promise.ReturnUnit; }
    public static Promise SOpen(int c, System.Net.EndPoint addr) => Show($"open c{c}", () => LwtIO.OpenConnection(addr).Map(ch => { Clients[c] = ch; return "()"; }));
    public static Promise SClose(int c) => Show($"close c{c}", () => { var (ic, oc) = Clients[c]; return oc.Close().Bind(() => ic.Close()).Map(() => "()"); });
    public static async Promise<string> Body(int c, string[] reqs, bool fail, InputChannel ic, OutputChannel oc)
    {
        foreach (var s in reqs) { if (s == "t") await oc.WriteLine(s); else await CReq(c, (ic, oc), s); }
        if (fail) throw new InvalidOperationException("f");
        return "ok";
    }
    public static Promise SWith(int c, System.Net.EndPoint addr, string[] reqs, bool fail) => Show($"with c{c}", () => LwtIO.WithConnection<string>(addr, (ic, oc) => Body(c, reqs, fail, ic, oc)));
    public static Promise SWithClose(int c, System.Net.EndPoint addr, string[] reqs, bool fail) => Show($"withclose c{c}", () =>
        LwtIO.OpenConnection(addr).Bind(ch => LwtIO.WithCloseConnection<string>((ic, oc) => Body(c, reqs, fail, ic, oc), ch)));
    // Lwt's shutdown_server resolves once the listening socket is closed: ListenerClosed here.
    public static Promise SShutdown(LwtServer server) => Show("shutdown", () => { server.Shutdown(); return server.ListenerClosed.Map(() => "()"); });
    public static async Promise SrvEnd(LwtServer server)
    {
        await Settle("fin");
        foreach (var (ic, oc) in Clients.Values) Promise.Async(() => Promise.Catch(() => oc.Close().Bind(() => ic.Close()), _ => Promise.ReturnUnit));
        Clients.Clear();
        await Settle("fin2");
        server.Shutdown();
        await server.ListenerClosed;
    }
    public static async Promise<LwtFd> RawListen(System.Net.EndPoint addr)
    {
        var s = LwtUnix.Socket(addr.AddressFamily, System.Net.Sockets.SocketType.Stream);
        if (addr.AddressFamily != System.Net.Sockets.AddressFamily.Unix) LwtUnix.SetSockOpt(s, SocketBoolOption.ReuseAddr, true);
        await LwtUnix.Bind(s, addr);
        LwtUnix.Listen(s, 16);
        return s;
    }
    public static List<LwtFd> RawC = new(), Accepted = new();
    public static Promise RawConnect(System.Net.EndPoint addr, int k) => Show($"connect {k}", async () =>
    {
        for (int i = 0; i < k; i++)
        {
            var s = LwtUnix.Socket(addr.AddressFamily, System.Net.Sockets.SocketType.Stream);
            RawC.Add(s);
            await LwtUnix.Connect(s, addr);
        }
        return "()";
    });
    public static Func<Promise<string>> AccN(LwtFd s, int n) => () => LwtUnix.AcceptN(s, n).Map(r =>
    {
        foreach (var (fd, _) in r.Connections) Accepted.Add(fd);
        return $"{r.Connections.Count} {(r.Error is null ? "none" : ExnStr(r.Error))}";
    });
    public static Promise RawEnd(LwtFd s)
    {
        foreach (var fd in RawC.Concat(Accepted)) { var f = fd; Promise.Async(() => f.Close()); }
        RawC = new(); Accepted = new();
        return s.Close();
    }
    public static async Promise BgLoop(int n) { for (int i = 0; i < n; i++) { LogB(Cur, $"bg {i}"); await Promise.Pause(); } }
    public static async Promise FgLoop(Func<Promise> f, int n) { for (int i = 0; i < n; i++) { LogB(Cur, $"fg {i}"); await f(); } }

    // ---- MODE=cancel (gen.py's CancelProg); mirrors rt.ml's cancel section ----
    public static Dictionary<string, Promise> Slots = new();
    public static P Reg<P>(string k, P p) where P : Promise { Slots[k] = p; return p; }
    public static string Rle(ReadOnlySpan<byte> s)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < s.Length;)
        {
            int j = i; while (j < s.Length && s[j] == s[i]) j++;
            if (j - i >= 6) { sb.Append('[').Append(s[i].ToString("x2")).Append('*').Append(j - i).Append(']'); i = j; }
            else { sb.Append(s[i].ToString("x2")); i++; }
        }
        return sb.ToString();
    }
    public static string Rle(byte[] s) => Rle(s.AsSpan());
    public static string Rle(string s) => Rle(Encoding.UTF8.GetBytes(s));
    public static Promise<string> RIc(string k, InputChannel c, int blen, int ofs, int len)
    {
        var b = Dots(blen);
        return Reg(k, c.ReadInto(b.AsMemory(ofs, len))).Map(n => n + " " + Hb(b));
    }
    public static Promise<string> RIEc(string k, InputChannel c, int blen, int ofs, int len)
    {
        var b = Dots(blen);
        return Reg(k, c.ReadIntoExactly(b.AsMemory(ofs, len))).Map(() => Hb(b));
    }
    public static Promise CancelSlot(string label, string k, InputChannel ic, OutputChannel oc)
    {
        var b = Cur;
        LogB(b, label + ":cancel " + k);
        if (Slots.TryGetValue(k, out var p)) p.Cancel(); else LogB(b, "  no slot");
        LogB(b, "  " + State("ic", ic)); LogB(b, "  " + State("oc", oc));
        return Promise.ReturnUnit;
    }
    public static async Promise EndPhaseC(InputChannel ic, OutputChannel oc)
    {
        var b = Cur;
        await Settle("mid");
        LogB(b, State("ic", ic)); LogB(b, State("oc", oc));
        var d = Show("end:drain", () => ic.Read().Map(x => Rle(x)));
        await Show("end:close oc", () => oc.Close().Map(() => "()"));
        await Settle("end");
        await d;
        Spawned = new();
        await Show("end:close ic", () => ic.Close().Map(() => "()"));
        LogB(b, State("ic", ic)); LogB(b, State("oc", oc));
    }

    // ---- MODE=cancelsock / cancelx; mirrors rt.ml's sockpair, sshut, fb ----
    public static async Promise<(InputChannel, OutputChannel, LwtFd, LwtFd)> SockPair(int bufsize, int port)
    {
        var addr = new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, port);
        var l = LwtUnix.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream);
        LwtUnix.SetSockOpt(l, SocketBoolOption.ReuseAddr, true);
        await LwtUnix.Bind(l, addr);
        LwtUnix.Listen(l, 4);
        var cfd = LwtUnix.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream);
        await LwtUnix.Connect(cfd, addr);
        var (sfd, _) = await LwtUnix.Accept(l);
        await l.Close();
        var ic = LwtIO.OfFd(LwtIO.Input, sfd, bufferSize: bufsize);
        var oc = LwtIO.OfFd(LwtIO.Output, cfd, bufferSize: bufsize);
        return (ic, oc, sfd, cfd);
    }
    public static Promise SShut(string label, LwtFd fd, System.Net.Sockets.SocketShutdown how, InputChannel ic, OutputChannel oc)
    {
        var b = Cur;
        var hs = how switch { System.Net.Sockets.SocketShutdown.Send => "send", System.Net.Sockets.SocketShutdown.Receive => "receive", _ => "all" };
        try { LwtUnix.Shutdown(fd, how); LogB(b, label + ":shutdown " + hs + " = ()"); }
        catch (Exception e) { LogB(b, label + ":shutdown " + hs + " ! " + ExnStr(e)); }
        LogB(b, "  " + State("ic", ic)); LogB(b, "  " + State("oc", oc));
        return Promise.ReturnUnit;
    }
    public static string Fb(double d) => BitConverter.DoubleToInt64Bits(d).ToString("x16");
}
