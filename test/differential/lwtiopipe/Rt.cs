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

    public static async Promise Settle(string tag)
    {
        var b = Cur;
        await PauseN(5);
        await LwtUnix.Sleep(0.002);
        await PauseN(5);
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
}
