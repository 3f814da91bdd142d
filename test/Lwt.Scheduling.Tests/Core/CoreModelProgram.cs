using System.Text;

namespace Lwt.Tests.Core;

/*
 * Random programs over int promises for the differential tests (CoreModelTests.cs), run
 * against the library and against CoreModel, step by step.
 *
 * Handles are numbered when the program is generated: a step that makes a promise fills
 * its own handle; a callback that makes a fresh pending promise fills a handle of its own
 * (a "slot") when, and if, it runs. A step that names a handle that does not exist yet
 * does nothing, in both worlds alike (whether a handle exists is compared too).
 *
 * No cycles: a callback that returns an existing promise names one that existed before the
 * call that takes the callback (CoreModel's Adopt then only ever folds an older promise into
 * a newer one). Races that the spec leaves open are avoided, not modelled: the promise a
 * callback resolves is a non-cancelable one that no other code resolves ("owned").
 */

internal enum Op
{
    Create, CreateCancelable, Return, Fail,
    Bind, Map, BindUntyped, MapUntyped, Catch, TryBind, Finally,
    Join, And, Both, All, Pick, Choose, Or, PickUntyped, ChooseUntyped, NPick, NChoose, NChooseSplit,
    Protected, NoCancel, WrapInCancelable,
    OnSuccess, OnFailure, OnTermination, OnAny, OnCancel,
    Resolve, Reject, ResolveNow, RejectNow, TryResolve, TryReject, Cancel,
}

/// <summary>The static type of a handle's promise.</summary>
internal enum HKind { Int, Unit, Both, List, Split, Untyped }

internal enum CbKind { Value, Fail, Existing, Fresh, FreshCancelable, Throw }

internal enum EffKind { Resolve, ResolveNow, TryResolve, Reject, Cancel }

/// <summary>What a callback does besides returning: resolve its owned promise, or cancel an existing one.</summary>
internal sealed record Effect(EffKind Kind, int Handle, int Value, Exception Exn)
{
    public override string ToString() => Kind == EffKind.Reject ? $"Reject #{Handle} {Exn.Message}" : $"{Kind} #{Handle}" + (Kind == EffKind.Cancel ? "" : $" {Value}");
}

/// <summary>A callback from the menu.</summary>
internal sealed record Cb(int Id, CbKind Kind, int Value, int Handle, Exception Exn, Effect? Eff)
{
    public override string ToString()
    {
        string body = Kind switch
        {
            CbKind.Value => $"ret {Value}",
            CbKind.Fail => $"fail {Exn.Message}",
            CbKind.Existing => $"ret #{Handle}",
            CbKind.Fresh => $"fresh #{Handle}",
            CbKind.FreshCancelable => $"freshCancelable #{Handle}",
            _ => $"throw {Exn.Message}",
        };
        return $"cb{Id}{{" + (Eff is null ? "" : Eff + "; ") + body + "}";
    }
}

internal sealed record Step(Op Op, int Target, HKind Kind, int[] Args, int Value, Exception Exn, Cb? F, Cb? G, Cb? H, Effect? Eff)
{
    public override string ToString()
    {
        var sb = new StringBuilder();
        if (Target >= 0) sb.Append($"#{Target}:{Kind} = ");
        sb.Append(Op);
        if (Args.Length > 0) sb.Append(' ').Append(string.Join(" ", Args.Select(a => "#" + a)));
        switch (Op)
        {
            case Op.Return or Op.Resolve or Op.ResolveNow or Op.TryResolve: sb.Append(' ').Append(Value); break;
            case Op.Fail or Op.Reject or Op.RejectNow or Op.TryReject: sb.Append(' ').Append(Exn.GetType().Name).Append('(').Append(Exn.Message).Append(')'); break;
        }
        if (Op is >= Op.OnSuccess and <= Op.OnCancel) sb.Append($" on{Value}");
        foreach (var cb in new[] { F, G, H }) if (cb is not null) sb.Append(' ').Append(cb);
        if (Eff is not null) sb.Append(" {").Append(Eff).Append('}');
        return sb.ToString();
    }
}

internal sealed class ModelProgram
{
    public readonly List<Step> Steps = new();
    public int HandleCount;
    public readonly Dictionary<int, HKind> Kinds = new();

    public string Dump(int upTo = int.MaxValue)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < Steps.Count && i <= upTo; i++) sb.Append($"  [{i}] {Steps[i]}\n");
        return sb.ToString();
    }
}

/// <summary>Generates a program from a seed.</summary>
internal sealed class ProgramGenerator
{
    private readonly Random _rng;
    private readonly ModelProgram _prog = new();
    private readonly List<int> _all = new();          // handles that may exist
    private readonly List<int> _ints = new();         // ... of kind Int
    private readonly List<int> _resolvable = new();   // ... with a resolver that top-level steps may use
    private int _cbIds;
    private int _onIds;
    private int _exnIds;

    private ProgramGenerator(int seed) => _rng = new Random(seed);

    public static ModelProgram Generate(int seed, int steps)
    {
        var g = new ProgramGenerator(seed);
        for (int i = 0; i < 3; i++) g.Creation();
        while (g._prog.Steps.Count < steps) g.OneStep();
        return g._prog;
    }

    private int NewHandle(HKind kind)
    {
        int h = _prog.HandleCount++;
        _prog.Kinds[h] = kind;
        _all.Add(h);
        if (kind == HKind.Int) _ints.Add(h);
        return h;
    }

    private Exception NewExn() => _rng.Next(8) == 0 ? new CanceledException($"c{_exnIds++}") : new Boom($"e{_exnIds++}");

    private T Pick<T>(IReadOnlyList<T> xs) => xs[_rng.Next(xs.Count)];

    /// <summary>Prefers recent handles: programs then build on what they just made.</summary>
    private int PickHandle(List<int> from) => from[Math.Max(0, from.Count - 1 - (int)Math.Floor(Math.Abs(NextGaussian()) * 4))];

    private double NextGaussian() => Math.Sqrt(-2 * Math.Log(1 - _rng.NextDouble())) * Math.Cos(2 * Math.PI * _rng.NextDouble());

    private void Add(Op op, HKind kind, int[]? args = null, int value = 0, Exception? exn = null, Cb? f = null, Cb? g = null, Cb? h = null, Effect? eff = null, bool resolvable = false, bool hasTarget = true)
    {
        int target = hasTarget ? NewHandle(kind) : -1;
        if (resolvable) _resolvable.Add(target);
        _prog.Steps.Add(new Step(op, target, kind, args ?? Array.Empty<int>(), value, exn ?? new Boom("unused"), f, g, h, eff));
    }

    private void Creation()
    {
        switch (_rng.Next(10))
        {
            case < 4: Add(Op.Create, HKind.Int, resolvable: true); break;
            case < 7: Add(Op.CreateCancelable, HKind.Int, resolvable: true); break;
            case < 9: Add(Op.Return, HKind.Int, value: _rng.Next(100)); break;
            default: Add(Op.Fail, HKind.Int, exn: NewExn()); break;
        }
    }

    private void OneStep()
    {
        int r = _rng.Next(100);
        if (r < 14) Creation();
        else if (r < 52) Combinator();
        else if (r < 66) Handler();
        else TopLevel();
    }

    /// <summary>An effect for a callback: resolve a fresh owned promise (made by a step just before), or cancel something.</summary>
    private Effect? MaybeEffect()
    {
        int r = _rng.Next(100);
        if (r < 70) return null;
        if (r < 82 && _all.Count > 0) return new Effect(EffKind.Cancel, PickHandle(_all), 0, new Boom("unused"));
        // The owned promise: a plain Create nobody else resolves.
        Add(Op.Create, HKind.Int);
        int owned = _prog.HandleCount - 1;
        var kind = Pick(new[] { EffKind.Resolve, EffKind.ResolveNow, EffKind.TryResolve, EffKind.Reject });
        return new Effect(kind, owned, _rng.Next(100), NewExn());
    }

    /// <summary>A callback returning a promise. <paramref name="older"/>: the int handles that exist before the call.</summary>
    private Cb PromiseCb(List<int> older, bool allowEffect = true)
    {
        var eff = allowEffect ? MaybeEffect() : null;
        int r = _rng.Next(100);
        int id = _cbIds++;
        if (r < 25) return new Cb(id, CbKind.Value, _rng.Next(100), -1, new Boom("unused"), eff);
        if (r < 37) return new Cb(id, CbKind.Fail, 0, -1, NewExn(), eff);
        if (r < 57 && older.Count > 0) return new Cb(id, CbKind.Existing, 0, PickHandle(older), new Boom("unused"), eff);
        if (r < 85)
        {
            bool cancelable = _rng.Next(2) == 0;
            int slot = NewHandle(HKind.Int);
            _resolvable.Add(slot);
            return new Cb(id, cancelable ? CbKind.FreshCancelable : CbKind.Fresh, 0, slot, new Boom("unused"), eff);
        }
        return new Cb(id, CbKind.Throw, 0, -1, NewExn(), eff);
    }

    /// <summary>A callback returning a value (Map).</summary>
    private Cb ValueCb()
    {
        var eff = MaybeEffect();
        int id = _cbIds++;
        return _rng.Next(5) == 0
            ? new Cb(id, CbKind.Throw, 0, -1, NewExn(), eff)
            : new Cb(id, CbKind.Value, _rng.Next(100), -1, new Boom("unused"), eff);
    }

    /// <summary>
    /// The inputs of a race (Pick, Choose and the n-variants): one to three; one time in 40,
    /// zero to two, so that empty races, which throw ArgumentException, come up too.
    /// </summary>
    private int[] RaceInputs() => SomeHandles(_ints, _rng.Next(40) == 0 ? 0 : 1);

    private int[] SomeHandles(List<int> from, int min = 1)
    {
        int n = min + _rng.Next(3);
        var xs = new int[n];
        for (int i = 0; i < n; i++) xs[i] = PickHandle(from);
        return xs;
    }

    private void Combinator()
    {
        var older = new List<int>(_ints);
        var nonInt = _all.Where(h => _prog.Kinds[h] != HKind.Int).ToList();
        int r = _rng.Next(24);
        switch (r)
        {
            case 0 or 1 or 2:
                {
                    int a = PickHandle(_ints);
                    Add(Op.Bind, HKind.Int, new[] { a }, f: PromiseCb(older));
                    break;
                }
            case 3 or 4:
                {
                    int a = PickHandle(_ints);
                    Add(Op.Map, HKind.Int, new[] { a }, f: ValueCb());
                    break;
                }
            case 5 when nonInt.Count > 0:
                {
                    int a = PickHandle(nonInt);
                    Add(_rng.Next(2) == 0 ? Op.BindUntyped : Op.MapUntyped, HKind.Int, new[] { a }, f: _rng.Next(2) == 0 ? PromiseCb(older) : ValueCb());
                    break;
                }
            case 6 or 7:
                Add(Op.Catch, HKind.Int, f: PromiseCb(older), g: PromiseCb(older));
                break;
            case 8:
                Add(Op.TryBind, HKind.Int, f: PromiseCb(older), g: PromiseCb(older), h: PromiseCb(older));
                break;
            case 9:
                Add(Op.Finally, HKind.Int, f: PromiseCb(older), g: PromiseCb(older));
                break;
            case 10:
                Add(Op.Join, HKind.Unit, SomeHandles(_all, 0));
                break;
            case 11:
                Add(Op.And, HKind.Unit, new[] { PickHandle(_all), PickHandle(_all) });
                break;
            case 12:
                Add(Op.Both, HKind.Both, new[] { PickHandle(_ints), PickHandle(_ints) });
                break;
            case 13:
                Add(Op.All, HKind.List, SomeHandles(_ints, 0));
                break;
            case 14:
                Add(Op.Pick, HKind.Int, RaceInputs());
                break;
            case 15:
                Add(Op.Choose, HKind.Int, RaceInputs());
                break;
            case 16:
                Add(Op.Or, HKind.Int, new[] { PickHandle(_ints), PickHandle(_ints) });
                break;
            case 17:
                Add(_rng.Next(2) == 0 ? Op.PickUntyped : Op.ChooseUntyped, HKind.Untyped, SomeHandles(_all));
                break;
            case 18:
                Add(Op.NPick, HKind.List, RaceInputs());
                break;
            case 19:
                Add(Op.NChoose, HKind.List, RaceInputs());
                break;
            case 20:
                Add(Op.NChooseSplit, HKind.Split, RaceInputs());
                break;
            default:
                {
                    int a = PickHandle(_all);
                    var op = r switch { 21 => Op.Protected, 22 => Op.NoCancel, _ => Op.WrapInCancelable };
                    Add(op, _prog.Kinds[a], new[] { a });
                    break;
                }
        }
    }

    private void Handler()
    {
        var eff = MaybeEffect();
        int a = PickHandle(_all);
        bool isInt = _prog.Kinds[a] == HKind.Int;
        var op = _rng.Next(5) switch
        {
            0 when isInt => Op.OnSuccess,
            1 => Op.OnFailure,
            2 => Op.OnTermination,
            3 when isInt => Op.OnAny,
            _ => Op.OnCancel,
        };
        Add(op, HKind.Unit, new[] { a }, value: _onIds++, eff: eff, hasTarget: false);
    }

    private void TopLevel()
    {
        if (_rng.Next(4) == 0 || _resolvable.Count == 0)
        {
            Add(Op.Cancel, HKind.Unit, new[] { PickHandle(_all) }, hasTarget: false);
            return;
        }
        int a = PickHandle(_resolvable);
        var op = Pick(new[] { Op.Resolve, Op.Reject, Op.ResolveNow, Op.RejectNow, Op.TryResolve, Op.TryReject, Op.Resolve, Op.TryResolve });
        Add(op, HKind.Unit, new[] { a }, value: _rng.Next(100), exn: NewExn(), hasTarget: false);
    }
}
