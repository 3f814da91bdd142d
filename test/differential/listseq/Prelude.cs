using Lwt;
using System.Text;

public sealed class E : Exception { public readonly int N; public E(int n) : base("E" + n) { N = n; } }

public static class H
{
    public static StringBuilder Out = new();
    public static void Pr(string s) { Out.Append(s).Append('\n'); }
    public static string ShowExn(Exception? e) => e switch
    {
        E x => "E" + x.N,
        OperationCanceledException => "Canceled",
        KeyNotFoundException => "Not_found",
        ArgumentException => "Invalid_argument",
        _ => "X(" + e?.GetType().Name + ":" + e?.Message + ")",
    };
    public static int ExnCode(Exception e) => e switch { E x => x.N, OperationCanceledException => -1, KeyNotFoundException => -2, _ => -3 };

    public sealed class Slot { public Func<string> State = null!; public Action<int, bool> Res = null!; public Action<int, bool> Rej = null!; public Action Cancel = null!; }
    public static Dictionary<int, Slot> Slots = new();
    public static int Calls;
    public static (char K, int V)[] Behs = Array.Empty<(char, int)>();

    public static string StateStr<T>(Promise<T> p, Func<T, string> show) => p.State switch
    {
        PromiseState.Fulfilled => "F(" + show(p.Value) + ")",
        PromiseState.Rejected => "R(" + ShowExn(p.Exception) + ")",
        _ => "P",
    };
    public static string StateStr(Promise p, Func<Unit, string> show) => p.State switch
    {
        PromiseState.Fulfilled => "F(())",
        PromiseState.Rejected => "R(" + ShowExn(p.Exception) + ")",
        _ => "P",
    };

    public static Promise<T> Call<T>(string label, Func<int, T> conv, Func<T, string> show)
    {
        int c = Calls++;
        Pr($"call{c} {label}");
        var b = c < Behs.Length ? Behs[c] : ('R', c);
        switch (b.Item1)
        {
            case 'R': return Promise.Return(conv(b.Item2));
            case 'F': return Promise.Fail<T>(new E(b.Item2));
            case 'X': throw new E(b.Item2);
            case 'K': Pr("kick"); StepResP(0, 7, b.Item2 == 1); return Promise.Return(conv(c));
            case 'J': Pr("kick"); StepRejP(0, 7, b.Item2 == 1); return Promise.Return(conv(c));
            default:
                var (p, u) = b.Item1 == 'W' ? Promise.Create<T>() : Promise.CreateCancelable<T>();
                Slots[c] = new Slot
                {
                    State = () => StateStr(p, show),
                    Res = (v, later) => { if (later) u.Resolve(conv(v)); else u.ResolveNow(conv(v)); },
                    Rej = (n, later) => { if (later) u.Reject(new E(n)); else u.RejectNow(new E(n)); },
                    Cancel = () => p.Cancel(),
                };
                return p;
        }
    }

    static void Guard(string name, Action f) { try { f(); } catch (Exception e) { Pr(name + " raised " + ShowExn(e)); } }

    public static void StepRes(int c, int v, bool later)
    {
        if (!Slots.TryGetValue(c, out var s)) { Pr($"res c{c}: noslot"); return; }
        if (s.State() != "P") { Pr($"res c{c}: notpending"); return; }
        Pr($"res c{c} {v} {(later ? "true" : "false")}"); Guard("res", () => s.Res(v, later));
    }
    public static void StepRej(int c, int n, bool later)
    {
        if (!Slots.TryGetValue(c, out var s)) { Pr($"rej c{c}: noslot"); return; }
        if (s.State() != "P") { Pr($"rej c{c}: notpending"); return; }
        Pr($"rej c{c} E{n} {(later ? "true" : "false")}"); Guard("rej", () => s.Rej(n, later));
    }
    static int NthPending(int k)
    {
        for (int c = 0; c < Calls; c++)
            if (Slots.TryGetValue(c, out var s) && s.State() == "P" && k-- == 0) return c;
        return -1;
    }
    public static void StepResP(int k, int v, bool later) { int c = NthPending(k); if (c < 0) Pr($"resp {k}: none"); else StepRes(c, v, later); }
    public static void StepRejP(int k, int n, bool later) { int c = NthPending(k); if (c < 0) Pr($"rejp {k}: none"); else StepRej(c, n, later); }
    public static void StepCancelSlot(int c)
    {
        if (!Slots.TryGetValue(c, out var s)) { Pr($"cancel c{c}: noslot"); return; }
        Pr($"cancel c{c}"); Guard("cancel", s.Cancel);
    }
    static string SlotsStr()
    {
        var sb = new StringBuilder();
        for (int c = 0; c < Calls; c++) if (Slots.TryGetValue(c, out var s)) sb.Append($" c{c}={s.State()}");
        return sb.ToString();
    }
    public static void Checkpoint<T>(Promise<T> p, Func<T, string> show) => Pr("  result=" + StateStr(p, show) + " |" + SlotsStr());
    public static void Checkpoint(Promise p, Func<Unit, string> show) => Pr("  result=" + StateStr(p, show) + " |" + SlotsStr());
    public static void Watch<T>(Promise<T> p, Func<T, string> show) => p.OnAny(v => Pr("  done " + show(v)), e => Pr("  failed " + ShowExn(e)));
    public static void Watch(Promise p, Func<Unit, string> show)
    {
        p.OnTermination(() => { if (p.IsFulfilled) Pr("  done ()"); else Pr("  failed " + ShowExn(p.Exception)); });
    }
    public static void CancelP(Promise p) { Pr("cancel result"); Guard("cancel", p.Cancel); }
    public static void Reset(int id, (char, int)[] bs) { Pr("== " + id); Slots.Clear(); Calls = 0; Behs = bs; }

    public static Unit CUnit(int _) => Unit.Value;
    public static int CInt(int v) => v;
    public static bool CBool(int v) => v % 2 == 0;
    public static Option<int> COpt(int v) => v % 3 == 0 ? Option<int>.None : Option.Some(v);
    public static Result<int, int> CRes(int v) => v % 3 == 0 ? Result<int, int>.Error(v) : Result<int, int>.Ok(v);
    public static string SUnit(Unit _) => "()";
    public static string SInt(int v) => v.ToString();
    public static string SBool(bool b) => b ? "true" : "false";
    public static string SOpt(Option<int> o) => o.HasValue ? "Some " + o.Value : "None";
    public static string SList(IReadOnlyList<int> l) => "[" + string.Join(";", l) + "]";
    public static string SPair((IReadOnlyList<int>, IReadOnlyList<int>) p) => "(" + SList(p.Item1) + "," + SList(p.Item2) + ")";
    public static string SUo(Option<(int, int)> o) => o.HasValue ? $"Some ({o.Value.Item1},{o.Value.Item2})" : "None";
    public static T? Try<T>(Func<T> f) where T : class { try { return f(); } catch (Exception e) { Pr("SYNC " + ShowExn(e)); return null; } }
    public static string SRes(Result<int, int> r) => r.IsOk ? "Ok " + r.Value : "Error " + r.ErrorValue;
}
