// Runtime of the timed area's C# programs (gen.py writes Progs.cs against it); mirrors prelude.ml.
using System.Diagnostics;
using System.Text;
using Lwt;

public sealed class E : Exception { public readonly int N; public E(int n) : base("E" + n) { N = n; } }
public sealed class TE : Exception { public readonly int P, N; public TE(int p, int n) : base("TE") { P = p; N = n; } }

public sealed class TT { public LwtTimeout T; public double D; }

public sealed class Ctx
{
    public readonly int Id;
    public readonly Func<string>[] States = new Func<string>[64];
    public readonly Action[] Cancels = new Action[64];
    public readonly List<Action> Extra = new();
    public long T0; // the program's start (programs run together start each at its own time)
    public void Start() => T0 = System.Diagnostics.Stopwatch.GetTimestamp();
    public Ctx(int id) { Id = id; for (int i = 0; i < 64; i++) { States[i] = () => "none"; Cancels[i] = () => { }; } }
}

public static partial class Rt
{
    public static double UnitS = 0.06;
    public static readonly StringBuilder[] Bufs = Enumerable.Range(0, 4000).Select(_ => new StringBuilder()).ToArray();
    public static int Slot(Ctx c) => (int)Math.Round(Stopwatch.GetElapsedTime(c.T0).TotalSeconds / UnitS, MidpointRounding.AwayFromZero);

    public static string Exn(Exception e) => e switch
    {
        E x => "E" + x.N,
        OperationCanceledException => "Canceled",
        TimeoutException => "Timeout",
        ArgumentException => "Invalid_argument",
        _ => "other:" + e.GetType().Name + ":" + e.Message,
    };

    public static void Log(Ctx c, string s) => Bufs[c.Id].Append('[').Append(Slot(c)).Append("] ").Append(s).Append('\n');

    public static string Show(Promise p) => p switch
    {
        Promise<int> pi => pi.Value.ToString(),
        Promise<bool> pb => pb.Value ? "true" : "false",
        _ => "()",
    };
    public static string State(Promise p) =>
        p.IsPending ? "pending" : p.IsRejected ? "err " + Exn(p.Exception!) : "ok " + Show(p);

    public static void Watch(Ctx c, int k, Promise p)
    {
        c.States[k] = () => State(p);
        c.Cancels[k] = () => p.Cancel();
        p.OnTermination(() => Log(c, p.IsRejected ? $"p{k} -> err {Exn(p.Exception!)}" : $"p{k} -> ok {Show(p)}"));
    }

    public static void Keep(Ctx c, Promise p) => c.Extra.Add(() => p.Cancel());
    public static void Cancel(Ctx c, int k) { Log(c, $"cancel p{k}"); c.Cancels[k](); }
    public static void St(Ctx c, int k) => Log(c, $"state p{k} {c.States[k]()}");

    public static void Finish(Ctx c, int n)
    {
        Log(c, "end");
        for (int k = 0; k < n; k++) Log(c, $"final p{k} {c.States[k]()}");
        for (int k = 0; k < n; k++) c.Cancels[k]();
        foreach (var f in c.Extra) f();
        Promise.AbandonPaused();
    }

    public static void RunSeq(Ctx c, int n, Func<Promise> main)
    {
        c.Start();
        try { LwtMain.Run(main); } catch (Exception e) { Log(c, "run raised " + Exn(e)); }
        Finish(c, n);
    }

    // Lwt_timeout: one handler for all programs; the exception says which program raised.
    public static readonly Ctx[] TCtxs = Enumerable.Range(0, 4000).Select(i => new Ctx(i)).ToArray();
    public static void InitTimeoutHandler() => LwtTimeout.SetExnHandler(e =>
    {
        if (e is TE te) Log(TCtxs[te.P], $"handler E{te.N}");
        else Console.Error.WriteLine("timeout handler: " + e);
    });
    // Lwt's delay d started at a half second runs at the tick d + 0.5 s later; started from an
    // action (on a tick), d later (gen.py, tmo): `off` is that half second.
    public static TT TCreate(Ctx c, int k, int d, Action f)
    {
        try { return new TT { T = LwtTimeout.Create(d >= 1 ? d + 0.5 : d, f), D = d }; }
        catch (Exception e) { Log(c, $"create t{k} {Exn(e)}"); return null; }
    }
    public static void TStart(Ctx c, int k, TT x, double off)
    {
        if (x == null) { Log(c, $"start t{k} none"); return; }
        try { x.T.Change(x.D + off); if (!x.T.IsStarted) x.T.Start(); } catch (Exception e) { Log(c, $"start t{k} {Exn(e)}"); }
    }
    public static void TStop(Ctx c, int k, TT x)
    {
        if (x == null) { Log(c, $"stop t{k} none"); return; }
        try { x.T.Stop(); } catch (Exception e) { Log(c, $"stop t{k} {Exn(e)}"); }
    }
    public static void TChange(Ctx c, int k, TT x, int d, double off)
    {
        if (x == null) { Log(c, $"change t{k} none"); return; }
        // Lwt's delays are whole seconds, 1 or more; ours any positive number: 0 is refused by both
        try { if (d < 1) x.T.Change(d); x.D = d; x.T.Change(d + off); } catch (Exception e) { Log(c, $"change t{k} {Exn(e)}"); }
    }
    public static LwtTimeout TmoCreate(Ctx c, int k, double d, Action f)
    {
        try { return LwtTimeout.Create(d, f); }
        catch (Exception e) { Log(c, $"create t{k} {Exn(e)}"); return null; }
    }
    public static void TmoDo(Ctx c, int k, string name, LwtTimeout t, Action<LwtTimeout> f)
    {
        if (t == null) { Log(c, $"{name} t{k} none"); return; }
        try { f(t); } catch (Exception e) { Log(c, $"{name} t{k} {Exn(e)}"); }
    }

    // JIT warm-up before the first program (its first slots would otherwise come late).
    public static void WarmUp()
    {
        var c = new Ctx(3999);
        for (int i = 0; i < 3; i++)
            RunSeq(c, 8, async () =>
            {
                Watch(c, 0, LwtUnix.Sleep(0.001));
                Watch(c, 1, LwtUnix.Timeout(0.001));
                Watch(c, 2, LwtUnix.WithTimeout<int>(0.002, () => LwtUnix.Sleep(0.001).Bind(() => Promise.Return(1))));
                Watch(c, 3, Promise.Pick(new Promise<int>[] { LwtUnix.Sleep(0.001).Map(() => 1), Promise.Return(2) }));
                Watch(c, 4, Promise.Choose(new Promise<int>[] { LwtUnix.Sleep(0.001).Map(() => 1), Promise.Return(2) }));
                var th = LwtThrottle.Create<int>(1, 2, 4);
                Watch(c, 5, th.Wait(1)); Watch(c, 6, th.Wait(1));
                var t = LwtTimeout.Create(0.001, () => Log(c, "t")); t.Start(); t.Change(0.002); t.Stop(); t.Start();
                Cancel(c, 6); St(c, 0);
                await Promise.Pause();
                await LwtUnix.Yield();
                await LwtUnix.Sleep(0.005);
            });
        Bufs[3999].Clear();
    }
}
