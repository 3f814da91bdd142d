using System.Text;
using Lwt;

public sealed class Boom : Exception { }

public static class Rt
{
    public static StringBuilder Cur = new();
    public static void LogB(StringBuilder b, string s) => b.Append(s).Append('\n');
    public static string Hb(ReadOnlySpan<byte> s) { var sb = new StringBuilder(); foreach (var x in s) sb.Append(x.ToString("x2")); return sb.ToString(); }
    public static string Hb(byte[] s) => Hb(s.AsSpan());
    public static string Hm(Memory<byte> m) => Hb(m.Span);
    public static string Hs(string s) => Hb(Encoding.UTF8.GetBytes(s));
    public static string Hc(char c) => ((int)c).ToString("x2");
    public static string OptC(Option<char> o) => o.HasValue ? "Some " + Hc(o.Value) : "None";
    public static string OptS(Option<string> o) => o.HasValue ? "Some " + Hs(o.Value) : "None";
    public static string Fb(double d) => BitConverter.DoubleToInt64Bits(d).ToString("x16");
    public static string B(bool b) => b ? "true" : "false";
    public static byte[] Bytes(string hex) => Convert.FromHexString(hex);
    public static byte[] Dots(int n) { var b = new byte[n]; Array.Fill(b, (byte)'.'); return b; }

    public static string ExnStr(Exception e) => e switch
    {
        EndOfStreamException => "EOF",
        ChannelClosedException c => "CLOSED(" + c.Channel + ")",
        ArgumentException => "INVARG",
        CanceledException => "CANCELED",
        Boom => "BOOM",
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

    public static async Promise Finish()
    {
        var b = Cur;
        await PauseN(10);
        foreach (var (l, p) in Spawned) if (p.IsPending) LogB(b, l + " PENDING");
        Spawned = new();
    }

    public static InputChannel MkIn(int bufsize, string data, int[] script, bool async, bool seek)
    {
        var b = Cur;
        var bytes = Encoding.Latin1.GetBytes(data);
        int pos = 0, k = 0;
        Func<Memory<byte>, Promise<int>> read = m =>
        {
            Func<Promise<int>> go = () =>
            {
                int want = script[k % script.Length]; k++;
                int n = Math.Max(0, Math.Min(Math.Min(want, m.Length), bytes.Length - pos));
                bytes.AsSpan(pos, n).CopyTo(m.Span); pos += n;
                LogB(b, $"  R{m.Length}={n}");
                return Promise.Return(n);
            };
            return async ? Promise.Pause().Bind(go) : go();
        };
        Func<long, SeekOrigin, Promise<long>> seekf = (p, cmd) =>
        {
            long r;
            switch (cmd)
            {
                case SeekOrigin.Begin: pos = (int)p; r = p; break;
                case SeekOrigin.End: r = bytes.Length; break;
                default: pos += (int)p; r = pos; break;
            }
            LogB(b, $"  SEEK {p} {(cmd == SeekOrigin.Begin ? "set" : cmd == SeekOrigin.End ? "end" : "cur")}");
            return Promise.Return(r);
        };
        Func<Promise> close = () => { LogB(b, "  CLOSEFN"); return Promise.ReturnUnit; };
        return LwtIO.MakeInput(read, close, bufsize, seek ? seekf : null);
    }

    public static (OutputChannel, Func<string>) MkOut(int bufsize, int[] script, bool async, bool seek)
    {
        var b = Cur;
        var file = new List<byte>();
        int fpos = 0, k = 0;
        Func<ReadOnlyMemory<byte>, Promise<int>> write = m =>
        {
            Func<Promise<int>> go = () =>
            {
                int want = script[k % script.Length]; k++;
                int n = Math.Min(want, m.Length);
                while (file.Count < fpos + n) file.Add(0);
                for (int i = 0; i < n; i++) file[fpos + i] = m.Span[i];
                fpos += n;
                LogB(b, $"  W{m.Length}={n}");
                return Promise.Return(n);
            };
            return async ? Promise.Pause().Bind(go) : go();
        };
        Func<long, SeekOrigin, Promise<long>> seekf = (p, cmd) =>
        {
            long r;
            switch (cmd)
            {
                case SeekOrigin.Begin: fpos = (int)p; r = p; break;
                case SeekOrigin.End: r = file.Count; break;
                default: fpos += (int)p; r = fpos; break;
            }
            LogB(b, $"  SEEK {p} {(cmd == SeekOrigin.Begin ? "set" : cmd == SeekOrigin.End ? "end" : "cur")}");
            return Promise.Return(r);
        };
        Func<Promise> close = () => { LogB(b, "  CLOSEFN"); return Promise.ReturnUnit; };
        var oc = LwtIO.MakeOutput(write, close, bufsize, seek ? seekf : null);
        return (oc, () => Hb(file.ToArray()));
    }


    public static Promise<string> RI(InputChannel c, int blen, int ofs, int len)
    {
        var b = Dots(blen);
        return c.ReadIntoBigstring(b, ofs, len).Map(n => n + " " + Hb(b));
    }
    public static Promise<string> RIE(InputChannel c, int blen, int ofs, int len)
    {
        var b = Dots(blen);
        return c.ReadIntoExactlyBigstring(b, ofs, len).Map(() => Hb(b));
    }
    public static Promise<string> DAIn(InputChannel c, int k, bool perf)
    {
        return c.DirectAccess<string>(async da =>
        {
            string r = perf ? (await da.Perform()).ToString() : "-";
            int kk = Math.Min(k, da.Max - da.Ptr);
            string s = Hm(da.Buffer.Slice(da.Ptr, kk));
            da.Ptr += kk;
            return r + " " + s;
        });
    }
    public static Promise<string> DAOut(OutputChannel c, byte[] data, bool perf)
    {
        return c.DirectAccess<string>(async da =>
        {
            string r = perf ? (await da.Perform()).ToString() : "-";
            int kk = Math.Min(data.Length, da.Max - da.Ptr);
            data.AsSpan(0, kk).CopyTo(da.Buffer.Span.Slice(da.Ptr));
            da.Ptr += kk;
            return r + " " + kk;
        });
    }

    // family "faults" (rt.ml's comment)
    sealed class Pend { public int Id; public Promise<int> P; public Resolver<int> W; public Func<int, int> Go; }
    static readonly Queue<Pend> Pends = new();
    static int NPend;
    static readonly Dictionary<int, Promise<string>> Slots = new();
    public static void ResetFaults() { Pends.Clear(); NPend = 0; Slots.Clear(); }
    public static string PState(Promise p) => p.IsPending ? "pending" : p.IsFulfilled ? "fulfilled" : "rejected " + ExnStr(p.Exception);
    static Promise<int> FaultCall(StringBuilder b, string kind, int len, Func<int, int> go, string act)
    {
        void Tag(string s) { LogB(b, $"  {kind}{len}={s}"); LogB(b, "  bk " + s); }
        switch (act)
        {
            case "R": Tag("RAISE"); throw new Boom();
            case "F": Tag("FAIL"); return Promise.Fail<int>(new Boom());
            case "P": Tag("LATEFAIL"); return Promise.Pause().Bind(() => { LogB(b, "  bk latefail now"); return Promise.Fail<int>(new Boom()); });
            case "N": Tag("NEG"); return Promise.Return(-1);
            case "O": Tag("OVER"); return Promise.Return(len + 1);
            case "W":
            case "T":
                var (p, w) = act == "W" ? Promise.Create<int>() : Promise.CreateCancelable<int>();
                NPend++;
                Tag($"{act}#{NPend}");
                Pends.Enqueue(new Pend { Id = NPend, P = p, W = w, Go = go });
                return p;
            default:
                int k = go(int.Parse(act));
                LogB(b, $"  {kind}{len}={k}");
                return Promise.Return(k);
        }
    }
    public static void BRes(int n)
    {
        var b = Cur;
        if (!Pends.TryDequeue(out var pd)) { LogB(b, "bres none"); return; }
        if (pd.P.IsPending) { int k = pd.Go(n); LogB(b, $"bres #{pd.Id} {k}"); pd.W.ResolveNow(k); }
        else LogB(b, $"bres #{pd.Id} {PState(pd.P)}");
    }
    public static void BRej()
    {
        var b = Cur;
        if (!Pends.TryDequeue(out var pd)) { LogB(b, "brej none"); return; }
        if (pd.P.IsPending) { LogB(b, $"brej #{pd.Id}"); pd.W.RejectNow(new Boom()); }
        else LogB(b, $"brej #{pd.Id} {PState(pd.P)}");
    }
    public static void Slot(int k, string label, Func<Promise<string>> f)
    {
        var b = Cur;
        Promise<string> p;
        try { p = f(); } catch (Exception e) { LogB(b, label + " SYNC " + ExnStr(e)); return; }
        Slots[k] = p;
        Spawn(label, () => p);
    }
    public static void CancelSlot(int k)
    {
        var b = Cur;
        if (!Slots.TryGetValue(k, out var p)) { LogB(b, $"cancel {k} none"); return; }
        LogB(b, $"cancel {k} ({PState(p)})");
        p.Cancel();
    }
    public static InputChannel MkFIn(int bufsize, string data, string[] script)
    {
        var b = Cur;
        var bytes = Encoding.Latin1.GetBytes(data);
        int pos = 0, k = 0;
        Func<Memory<byte>, Promise<int>> read = m =>
        {
            var act = script[k % script.Length]; k++;
            Func<int, int> go = want =>
            {
                int n = Math.Max(0, Math.Min(Math.Min(want, m.Length), bytes.Length - pos));
                bytes.AsSpan(pos, n).CopyTo(m.Span); pos += n; return n;
            };
            return FaultCall(b, "R", m.Length, go, act);
        };
        Func<Promise> close = () => { LogB(b, "  CLOSEFN"); return Promise.ReturnUnit; };
        return LwtIO.MakeInput(read, close, bufsize);
    }
    public static (OutputChannel, Func<string>) MkFOut(int bufsize, string[] script, bool closefail)
    {
        var b = Cur;
        var file = new List<byte>();
        int k = 0;
        Func<ReadOnlyMemory<byte>, Promise<int>> write = m =>
        {
            var act = script[k % script.Length]; k++;
            Func<int, int> go = want =>
            {
                int n = Math.Max(0, Math.Min(want, m.Length));
                file.AddRange(m.Span.Slice(0, n).ToArray()); return n;
            };
            return FaultCall(b, "W", m.Length, go, act);
        };
        Func<Promise> close = () => { LogB(b, "  CLOSEFN"); return closefail ? Promise.Fail(new Boom()) : Promise.ReturnUnit; };
        var oc = LwtIO.MakeOutput(write, close, bufsize);
        return (oc, () => Hb(file.ToArray()));
    }

    // family "faults2" (rt.ml's comment)
    sealed class Pend2 { public int Id; public Func<bool> Sleep = null!; public Func<string> St = null!; public Func<int, (string, Action<bool>)> Go = null!; public Action<bool> Rej = null!; }
    static readonly Queue<Pend2> Pends2 = new();
    public static void ResetFaults2() { ResetFaults(); Pends2.Clear(); Shows.Clear(); }
    static (Promise<T>, string) MkPend2<T>(string act, Func<int, T> go, Func<T, string> toS)
    {
        var (p, w) = act == "W" ? Promise.Create<T>() : Promise.CreateCancelable<T>();
        NPend++;
        int id = NPend;
        Pends2.Enqueue(new Pend2
        {
            Id = id, Sleep = () => p.IsPending, St = () => PState(p),
            Go = n => { var v = go(n); return (toS(v), later => { if (later) w.Resolve(v); else w.ResolveNow(v); }); },
            Rej = later => { if (later) w.Reject(new Boom()); else w.RejectNow(new Boom()); },
        });
        return (p, $"{act}#{id}");
    }
    public static void BRes2(int n, bool later)
    {
        var b = Cur;
        string tg = later ? "bresl" : "bres";
        if (!Pends2.TryDequeue(out var q)) { LogB(b, tg + " none"); return; }
        if (q.Sleep()) { var (s, wake) = q.Go(n); LogB(b, $"{tg} #{q.Id} {s}"); wake(later); }
        else LogB(b, $"{tg} #{q.Id} {q.St()}");
    }
    public static void BRej2(bool later)
    {
        var b = Cur;
        string tg = later ? "brejl" : "brej";
        if (!Pends2.TryDequeue(out var q)) { LogB(b, tg + " none"); return; }
        if (q.Sleep()) { LogB(b, $"{tg} #{q.Id}"); q.Rej(later); }
        else LogB(b, $"{tg} #{q.Id} {q.St()}");
    }
    static readonly Dictionary<int, (Promise<string>, Promise)> Shows = new();
    public static void Slot2(int k, string label, Func<Promise<string>> f)
    {
        var b = Cur;
        Promise<string> p;
        try { p = f(); } catch (Exception e) { LogB(b, label + " SYNC " + ExnStr(e)); return; }
        Slots[k] = p;
        var sp = Show(label, () => p);
        Shows[k] = (p, sp);
        if (sp.IsPending) Spawned.Add((label, sp));
    }
    public static void OnSlot(int k, Action f)
    {
        var b = Cur;
        if (!Shows.TryGetValue(k, out var e)) { LogB(b, $"on {k} none"); return; }
        var (p, sp) = e;
        sp.OnTermination(() => { LogB(b, $"on {k} ({PState(p)})"); f(); });
    }
    static Promise<int> FaultCall2(StringBuilder b, string kind, int len, Func<int, int> go, string act)
    {
        if (act == "W" || act == "T")
        {
            var (p, s) = MkPend2(act, go, x => x.ToString());
            LogB(b, $"  {kind}{len}={s}"); LogB(b, "  bk " + s);
            return p;
        }
        return FaultCall(b, kind, len, go, act);
    }
    static Func<long, SeekOrigin, Promise<long>> SeekCall(StringBuilder b, string[] script, Func<long, SeekOrigin, long> ok)
    {
        int k = 0;
        return (p, cmd) =>
        {
            var act = script[k % script.Length]; k++;
            string cs = cmd == SeekOrigin.Begin ? "set" : cmd == SeekOrigin.End ? "end" : "cur";
            void Tag(string s) => LogB(b, $"  SEEK {p} {cs}={s}");
            switch (act)
            {
                case "R": Tag("RAISE"); throw new Boom();
                case "F": Tag("FAIL"); return Promise.Fail<long>(new Boom());
                case "P": Tag("LATEFAIL"); return Promise.Pause().Bind(() => { LogB(b, "  bk latefail now"); return Promise.Fail<long>(new Boom()); });
                case "N": Tag("NEG"); return Promise.Return(-1L);
                case "X": { long r = ok(p, cmd); Tag("ODD " + r); return Promise.Return(r + 7); }
                case "W":
                case "T": { var (pr, s) = MkPend2(act, _ => ok(p, cmd), x => x.ToString()); Tag(s); return pr; }
                default: { long r = ok(p, cmd); Tag(r.ToString()); return Promise.Return(r); }
            }
        };
    }
    public static InputChannel MkFIn2(int bufsize, string data, string[] script, string[] seekscript)
    {
        var b = Cur;
        var bytes = Encoding.Latin1.GetBytes(data);
        int pos = 0, k = 0;
        Func<Memory<byte>, Promise<int>> read = m =>
        {
            var act = script[k % script.Length]; k++;
            Func<int, int> go = want =>
            {
                int n = Math.Max(0, Math.Min(Math.Min(want, m.Length), bytes.Length - pos));
                bytes.AsSpan(pos, n).CopyTo(m.Span); pos += n; return n;
            };
            return FaultCall2(b, "R", m.Length, go, act);
        };
        Func<long, SeekOrigin, long> ok = (p, cmd) =>
        {
            switch (cmd)
            {
                case SeekOrigin.Begin: pos = (int)Math.Max(0, Math.Min(bytes.Length, p)); return pos;
                case SeekOrigin.End: return bytes.Length;
                default: pos = (int)Math.Max(0, Math.Min(bytes.Length, pos + p)); return pos;
            }
        };
        Func<Promise> close = () => { LogB(b, "  CLOSEFN"); return Promise.ReturnUnit; };
        return LwtIO.MakeInput(read, close, bufsize, seekscript.Length == 0 ? null : SeekCall(b, seekscript, ok));
    }
    public static (OutputChannel, Func<string>) MkFOut2(int bufsize, string[] script, string[] seekscript, bool closefail)
    {
        var b = Cur;
        var file = new List<byte>();
        int fpos = 0, k = 0;
        Func<ReadOnlyMemory<byte>, Promise<int>> write = m =>
        {
            var act = script[k % script.Length]; k++;
            Func<int, int> go = want =>
            {
                int n = Math.Max(0, Math.Min(want, m.Length));
                while (file.Count < fpos + n) file.Add(0);
                for (int i = 0; i < n; i++) file[fpos + i] = m.Span[i];
                fpos += n; return n;
            };
            return FaultCall2(b, "W", m.Length, go, act);
        };
        Func<long, SeekOrigin, long> ok = (p, cmd) =>
        {
            switch (cmd)
            {
                case SeekOrigin.Begin: fpos = (int)Math.Max(0, p); return fpos;
                case SeekOrigin.End: return file.Count;
                default: fpos = (int)Math.Max(0, fpos + p); return fpos;
            }
        };
        Func<Promise> close = () => { LogB(b, "  CLOSEFN"); return closefail ? Promise.Fail(new Boom()) : Promise.ReturnUnit; };
        var oc = LwtIO.MakeOutput(write, close, bufsize, seekscript.Length == 0 ? null : SeekCall(b, seekscript, ok));
        return (oc, () => Hb(file.ToArray()));
    }
    public static LwtStream<T> FStream<T>(int n, T x, string tail)
    {
        int k = 0;
        return LwtStream.From<T>(() =>
        {
            k++;
            if (k <= n) return Promise.Pause().Map(() => Option.Some(x));
            return tail switch
            {
                "fail" => Promise.Fail<Option<T>>(new Boom()),
                "pend" => Promise.Create<Option<T>>().Item1,
                _ => Promise.Return(Option<T>.None),
            };
        });
    }
    public static Promise<string> DAIn2(InputChannel c, int k, int mode)
    {
        return c.DirectAccess<string>(da =>
        {
            if (mode == 2) throw new Boom();
            var pr = mode == 1 || mode == 3 ? da.Perform().Map(x => x.ToString()) : Promise.Return("-");
            return pr.Bind(r =>
            {
                if (mode == 3) return Promise.Fail<string>(new Boom());
                int kk = Math.Min(k, da.Max - da.Ptr);
                string s = Hm(da.Buffer.Slice(da.Ptr, kk));
                da.Ptr += kk;
                return Promise.Return(r + " " + s);
            });
        });
    }
    public static Promise<string> DAOut2(OutputChannel c, byte[] data, int mode)
    {
        return c.DirectAccess<string>(da =>
        {
            if (mode == 2) throw new Boom();
            var pr = mode == 1 || mode == 3 ? da.Perform().Map(x => x.ToString()) : Promise.Return("-");
            return pr.Bind(r =>
            {
                if (mode == 3) return Promise.Fail<string>(new Boom());
                int kk = Math.Min(data.Length, da.Max - da.Ptr);
                data.AsSpan(0, kk).CopyTo(da.Buffer.Span.Slice(da.Ptr));
                da.Ptr += kk;
                return Promise.Return(r + " " + kk);
            });
        });
    }
    public static Promise<string> Block2(LwtChannel c, int n, byte[] s, int mode, bool inp)
    {
        return c.Block<string>(n, (m, o) =>
        {
            if (mode != 0 && !inp) m.Span.Slice(o, n).Clear(); // rt.ml's block2
            switch (mode)
            {
                case 1: throw new Boom();
                case 2: return Promise.Fail<string>(new Boom());
                case 3: return Promise.Pause().Bind(() => Promise.Fail<string>(new Boom()));
                default:
                    if (inp) return Promise.Return(Hm(m.Slice(o, n)));
                    s.AsSpan(0, n).CopyTo(m.Span.Slice(o)); return Promise.Return("()");
            }
        });
    }

    public static string State(LwtChannel ch)
    {
        string busy;
        try { busy = B(ch.IsBusy); } catch (Exception e) { busy = ExnStr(e); }
        return $"END pos={ch.Position()} buffered={ch.Buffered()} closed={B(ch.IsClosed)} busy={busy}";
    }

    public static void RunProg(int n, Func<Promise> f)
    {
        Cur = new StringBuilder();
        var b = Cur;
        try { LwtMain.Run(f); } catch (Exception e) { LogB(b, "RUNEXN " + ExnStr(e)); }
        Console.Out.Write("=== " + n + "\n");
        Console.Out.Write(b.ToString());
    }
}
