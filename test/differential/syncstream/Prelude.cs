using System.Collections;
using System.Text;
using Lwt;

public sealed class E : Exception { public readonly int N; public E(int n) : base("E" + n) { N = n; } }

public static partial class H
{
    public static bool Quiet;
    public static StringBuilder Out = new();
    public static void Log(string s) { if (!Quiet) Out.Append(s).Append('\n'); }

    public static string Exn(Exception e) => e switch
    {
        E x => "E" + x.N,
        OperationCanceledException => "Canceled",
        LwtStream.ClosedException => "Closed",
        LwtStream.FullException => "Full",
        LwtStream.EmptyException => "Empty",
        LwtSwitch.OffException => "Off",
        ArgumentException => "Invalid_argument",
        InvalidOperationException ioe when ioe.Message.Contains("Invalid_argument") => "Invalid_argument",
        _ => "other:" + e.GetType().Name + ":" + e.Message,
    };

    public static string Show(object o)
    {
        switch (o)
        {
            case null: return "null";
            case int i: return i.ToString();
            case bool b: return b ? "true" : "false";
            case Unit: return "()";
            case string s: return s;
        }
        var t = o.GetType();
        if (t.IsGenericType && t.GetGenericTypeDefinition() == typeof(Option<>))
        {
            bool has = (bool)t.GetProperty("HasValue")!.GetValue(o)!;
            return has ? "Some " + Show(t.GetProperty("Value")!.GetValue(o)!) : "None";
        }
        if (o is IEnumerable en)
        {
            var parts = new List<string>();
            foreach (var x in en) parts.Add(Show(x));
            return "[" + string.Join(";", parts) + "]";
        }
        return "?" + t.Name;
    }

    public static string State(Promise p, bool unit)
    {
        if (p.IsPending) return "pending";
        if (p.IsRejected) return "err " + Exn(p.Exception!);
        if (unit) return "ok ()";
        var prop = p.GetType().GetProperty("Value");
        if (prop == null) return "ok ()";
        return "ok " + Show(prop.GetValue(p)!);
    }

    public static Promise[] Slots = new Promise[200];
    public static bool[] SlotUnit = new bool[200];
    public static void Reg(int k, Promise p, bool unit = false)
    {
        Slots[k] = p; SlotUnit[k] = unit;
        p.OnTermination(() => Log($"  p{k} -> {State(p, unit)}"));
    }
    public static void RegU(int k, Promise p) => Reg(k, p, true);
    public static void Cancel(int k)
    {
        if (Slots[k] == null) Log("  no slot"); else Slots[k].Cancel();
    }
    public static Resolver<int>[] Rs = new Resolver<int>[200];
    public static int Nr;
    public static Promise<int> NewR()
    {
        var (p, r) = Promise.CreateCancelable<int>();
        int j = Nr++;
        Rs[j] = r;
        Log($"  (r{j})");
        return p;
    }
    public static void Resolve(int j, int v, bool now)
    {
        var r = Rs[j];
        if (r != null && r.Promise.IsPending) { if (now) r.ResolveNow(v); else r.Resolve(v); }
        else Log("  r not pending");
    }
    public static void Reject(int j, int n)
    {
        var r = Rs[j];
        if (r != null && r.Promise.IsPending) r.Reject(new E(n));
        else Log("  r not pending");
    }
    public static Promise<int> Act(string name, int kind, int arg)
    {
        Log("  cb " + name);
        switch (kind)
        {
            case 0: return Promise.Return(arg);
            case 1: return Promise.Fail<int>(new E(arg));
            case 2: return NewR();
            case 3: return Promise.Pause().Map(() => arg);
            default: throw new E(arg);
        }
    }
    public static Promise ActU(string name, int kind, int arg) => Act(name, kind, arg).Map(_ => Unit.Value);
    public static Promise<bool> ActB(string name, int kind, int arg, int x)
    {
        int a = kind == 0 || kind == 3 ? (x < arg ? 1 : 0) : arg;
        return Act(name, kind, a).Map(v => v % 2 != 0);
    }
    public static void Step(int i, string desc, Action f)
    {
        Log($"step {i} {desc}");
        try { f(); } catch (Exception e) { Log("  raise " + Exn(e)); }
    }
    public static void BeginProg(int n)
    {
        Array.Clear(Slots); Array.Clear(Rs); Nr = 0;
        Log($"=== prog {n}");
    }
    public static void EndProg()
    {
        for (int k = 0; k < 200; k++)
            if (Slots[k] != null) Log($"final p{k} = {State(Slots[k], SlotUnit[k])}");
        Quiet = true;
        Promise.AbandonPaused();
        Quiet = false;
    }
    public static string B(bool b) => b ? "true" : "false";
    public static string L(IEnumerable<int> l) => "[" + string.Join(";", l) + "]";
}
