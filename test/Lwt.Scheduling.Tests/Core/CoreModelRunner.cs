using System.Text;

namespace Lwt.Tests.Core;

/// <summary>Runs a <see cref="ModelProgram"/> against the library and the model in lockstep and compares after every step.</summary>
internal sealed class CoreModelRunner
{
    private readonly ModelProgram _prog;
    private readonly int _seed;

    // The library's world.
    private readonly Promise?[] _p;
    private readonly Resolver<int>?[] _r;
    private readonly List<string> _libLog = new();

    // The model's world.
    private readonly CoreModel _m = new();
    private readonly MP?[] _mp;
    private readonly List<string> _modelLog = new();

    private readonly List<Exception> _hook;

    public CoreModelRunner(ModelProgram prog, int seed, List<Exception> hook)
    {
        _prog = prog;
        _seed = seed;
        _hook = hook;
        _p = new Promise?[prog.HandleCount];
        _r = new Resolver<int>?[prog.HandleCount];
        _mp = new MP?[prog.HandleCount];
    }

    public void Run()
    {
        for (int i = 0; i < _prog.Steps.Count; i++)
        {
            var step = _prog.Steps[i];
            string? libOut, modelOut;
            try { libOut = LibStep(step); }
            catch (Exception e) { libOut = "throws " + e.GetType().Name; }
            try { modelOut = ModelStep(step); }
            catch (ModelArgumentException) { modelOut = "throws ArgumentException"; }
            catch (InvalidOperationException e) when (e.Message.StartsWith("model:", StringComparison.Ordinal))
            {
                throw new Xunit.Sdk.XunitException($"Model invariant broken at step {i}: {e.Message}\nseed {_seed}\n{_prog.Dump(i)}");
            }
            if (libOut != modelOut) Fail(i, $"top-level outcome: library {libOut ?? "ok"}, model {modelOut ?? "ok"}");
            Compare(i);
        }
    }

    private void Fail(int step, string what)
    {
        var sb = new StringBuilder();
        sb.Append($"Library and model disagree after step {step}: {what}\nseed {_seed}, {_prog.Steps.Count} steps\nprogram:\n{_prog.Dump(step)}");
        sb.Append($"library log: {string.Join(" ", _libLog)}\nmodel log:   {string.Join(" ", _modelLog)}\nstates:\n");
        for (int h = 0; h < _p.Length; h++)
            if (_p[h] is not null || _mp[h] is not null) sb.Append($"  #{h}: library {LibDescribe(h)}, model {_mp[h]?.ToString() ?? "absent"}\n");
        throw new Xunit.Sdk.XunitException(sb.ToString());
    }

    private string LibDescribe(int h)
    {
        var p = _p[h];
        if (p is null) return "absent";
        return p.State switch
        {
            PromiseState.Pending => "pending",
            PromiseState.Fulfilled => "fulfilled " + (LibValue(h) ?? "?"),
            _ => $"rejected {p.Exception!.GetType().Name}({p.Exception.Message}, {p.Exception.GetHashCode()})",
        };
    }

    private string? LibValue(int h)
    {
        var p = _p[h]!;
        return _prog.Kinds[h] switch
        {
            HKind.Int => ((Promise<int>)p).Value.ToString(),
            HKind.Both => ((Promise<(int, int)>)p).Value.ToString().Replace(" ", ""),
            HKind.List => "[" + string.Join(",", ((Promise<IReadOnlyList<int>>)p).Value) + "]",
            HKind.Split => SplitValue(((Promise<(IReadOnlyList<int> Fulfilled, IReadOnlyList<Promise<int>> Pending)>)p).Value),
            _ => null,
        };
    }

    private string SplitValue((IReadOnlyList<int> Fulfilled, IReadOnlyList<Promise<int>> Pending) v)
    {
        // Pending promises are named by the first handle holding that object.
        var names = v.Pending.Select(q => "#" + Array.FindIndex(_p, x => ReferenceEquals(x, q)));
        return $"([{string.Join(",", v.Fulfilled)}],[{string.Join(",", names)}])";
    }

    private string ModelValueOf(int h, object? v)
    {
        if (v is ModelValueText.Split s)
        {
            var names = s.PendingHandles.Select(ph => "#" + Array.FindIndex(_p, x => ReferenceEquals(x, _p[ph])));
            return $"({ModelValueText.Render(s.Fulfilled)},[{string.Join(",", names)}])";
        }
        return ModelValueText.Render(v);
    }

    private void Compare(int step)
    {
        for (int h = 0; h < _p.Length; h++)
        {
            var p = _p[h];
            var mp = _mp[h];
            if ((p is null) != (mp is null)) Fail(step, $"#{h} exists in {(p is null ? "the model only" : "the library only")}");
            if (p is null) continue;
            var u = CoreModel.Find(mp!);
            var st = p.State;
            var mst = u.State switch { MState.Pending => PromiseState.Pending, MState.Fulfilled => PromiseState.Fulfilled, _ => PromiseState.Rejected };
            if (st != mst) Fail(step, $"#{h} is {st} in the library, {mst} in the model");
            if (p.IsPending != (st == PromiseState.Pending)) Fail(step, $"#{h}: IsPending disagrees with State");
            if (st == PromiseState.Fulfilled)
            {
                var lv = LibValue(h);
                if (lv is not null && lv != ModelValueOf(h, u.Value)) Fail(step, $"#{h} value: library {lv}, model {ModelValueOf(h, u.Value)}");
                if (p.Exception is not null) Fail(step, $"#{h} is fulfilled but has an exception");
            }
            else if (st == PromiseState.Rejected)
            {
                var e = p.Exception!;
                var me = u.Exn!;
                if (me.IsCancel)
                {
                    if (e is not CanceledException) Fail(step, $"#{h}: library rejected with {e.GetType().Name}, model canceled");
                    me.E ??= e; // the library makes the cancellation's object: from now on it must stay the same
                }
                if (!ReferenceEquals(e, me.E)) Fail(step, $"#{h} exception: library {e.GetType().Name}({e.Message}, {e.GetHashCode()}), model {me}");
                if (p.IsCanceled != me.IsCanceledKind) Fail(step, $"#{h}: IsCanceled {p.IsCanceled}, model {me.IsCanceledKind}");
            }
        }
        if (!_libLog.SequenceEqual(_modelLog)) Fail(step, "callback logs differ");
        if (_hook.Count != 0) Fail(step, $"an On* callback threw: {_hook[0]}");
    }

    // ------------------------------------------------------------------ the library

    private Promise<int> LibInt(int h) => (Promise<int>)_p[h]!;

    private void LibEffect(Effect? eff)
    {
        if (eff is null) return;
        switch (eff.Kind)
        {
            case EffKind.Cancel: _p[eff.Handle]?.Cancel(); break;
            case EffKind.Resolve: _r[eff.Handle]!.Resolve(eff.Value); break;
            case EffKind.ResolveNow: _r[eff.Handle]!.ResolveNow(eff.Value); break;
            case EffKind.TryResolve: _r[eff.Handle]!.TryResolve(eff.Value); break;
            case EffKind.Reject: _r[eff.Handle]!.Reject(eff.Exn); break;
        }
    }

    private Promise<int> LibCall(Cb cb)
    {
        _libLog.Add("cb" + cb.Id);
        LibEffect(cb.Eff);
        switch (cb.Kind)
        {
            case CbKind.Value: return Promise.Return(cb.Value);
            case CbKind.Fail: return Promise.Fail<int>(cb.Exn);
            case CbKind.Existing: return _p[cb.Handle] as Promise<int> ?? Promise.Return(-1);
            case CbKind.Fresh:
            case CbKind.FreshCancelable:
                {
                    if (_p[cb.Handle] is not null) throw new InvalidOperationException("callback called twice");
                    var (p, r) = cb.Kind == CbKind.Fresh ? Promise.Create<int>() : Promise.CreateCancelable<int>();
                    _p[cb.Handle] = p;
                    _r[cb.Handle] = r;
                    return p;
                }
            default: throw cb.Exn;
        }
    }

    private int LibValueCall(Cb cb)
    {
        _libLog.Add("cb" + cb.Id);
        LibEffect(cb.Eff);
        if (cb.Kind == CbKind.Throw) throw cb.Exn;
        return cb.Value;
    }

    private Action LibOn(Step s, string what) => () =>
    {
        _libLog.Add($"on{s.Value}{what}");
        LibEffect(s.Eff);
    };

    /// <summary>Does one step on the library; returns null, or what the step returned/threw worth comparing.</summary>
    private string? LibStep(Step s)
    {
        int[] a = s.Args;
        // A step that names a handle that does not exist (yet) does nothing.
        if (a.Any(h => _p[h] is null)) return "skipped";
        Promise? result = null;
        switch (s.Op)
        {
            case Op.Create or Op.CreateCancelable:
                {
                    var (p, r) = s.Op == Op.Create ? Promise.Create<int>() : Promise.CreateCancelable<int>();
                    _r[s.Target] = r;
                    result = p;
                    break;
                }
            case Op.Return: result = Promise.Return(s.Value); break;
            case Op.Fail: result = Promise.Fail<int>(s.Exn); break;
            case Op.Bind: result = LibInt(a[0]).Bind(_ => LibCall(s.F!)); break;
            case Op.Map: result = LibInt(a[0]).Map(_ => LibValueCall(s.F!)); break;
            case Op.BindUntyped: result = _p[a[0]]!.Bind(() => LibCall(s.F!)); break;
            case Op.MapUntyped: result = _p[a[0]]!.Map(() => LibValueCall(s.F!)); break;
            case Op.Catch: result = Promise.Catch(() => LibCall(s.F!), _ => LibCall(s.G!)); break;
            case Op.TryBind: result = Promise.TryBind(() => LibCall(s.F!), _ => LibCall(s.G!), _ => LibCall(s.H!)); break;
            case Op.Finally: result = Promise.Finally(() => LibCall(s.F!), () => LibCall(s.G!)); break;
            case Op.Join: result = Promise.Join(a.Select(h => _p[h]!)); break;
            case Op.And: result = _p[a[0]]! & _p[a[1]]!; break;
            case Op.Both: result = Promise.Both(LibInt(a[0]), LibInt(a[1])); break;
            case Op.All: result = Promise.All(a.Select(LibInt)); break;
            case Op.Pick: result = Promise.Pick(a.Select(LibInt)); break;
            case Op.Choose: result = Promise.Choose(a.Select(LibInt)); break;
            case Op.Or: result = LibInt(a[0]) | LibInt(a[1]); break;
            case Op.PickUntyped: result = Promise.Pick(a.Select(h => _p[h]!)); break;
            case Op.ChooseUntyped: result = Promise.Choose(a.Select(h => _p[h]!)); break;
            case Op.NPick: result = Promise.NPick(a.Select(LibInt)); break;
            case Op.NChoose: result = Promise.NChoose(a.Select(LibInt)); break;
            case Op.NChooseSplit: result = Promise.NChooseSplit(a.Select(LibInt)); break;
            case Op.Protected: result = _p[a[0]] is Promise<int> pi ? pi.Protected() : _p[a[0]]!.Protected(); break;
            case Op.NoCancel: result = _p[a[0]] is Promise<int> pn ? pn.NoCancel() : _p[a[0]]!.NoCancel(); break;
            case Op.WrapInCancelable: result = _p[a[0]] is Promise<int> pw ? pw.WrapInCancelable() : _p[a[0]]!.WrapInCancelable(); break;
            case Op.OnSuccess: LibInt(a[0]).OnSuccess(_ => LibOn(s, "s")()); return null;
            case Op.OnFailure: _p[a[0]]!.OnFailure(_ => LibOn(s, "f")()); return null;
            case Op.OnTermination: _p[a[0]]!.OnTermination(LibOn(s, "t")); return null;
            case Op.OnAny: LibInt(a[0]).OnAny(_ => LibOn(s, "s")(), _ => LibOn(s, "f")()); return null;
            case Op.OnCancel: _p[a[0]]!.OnCancel(LibOn(s, "c")); return null;
            case Op.Cancel: _p[a[0]]!.Cancel(); return null;
            case Op.Resolve: _r[a[0]]!.Resolve(s.Value); return null;
            case Op.ResolveNow: _r[a[0]]!.ResolveNow(s.Value); return null;
            case Op.Reject: _r[a[0]]!.Reject(s.Exn); return null;
            case Op.RejectNow: _r[a[0]]!.RejectNow(s.Exn); return null;
            case Op.TryResolve: return _r[a[0]]!.TryResolve(s.Value) ? "true" : "false";
            case Op.TryReject: return _r[a[0]]!.TryReject(s.Exn) ? "true" : "false";
        }
        _p[s.Target] = result;
        return null;
    }

    // ------------------------------------------------------------------ the model

    private void ModelEffect(Effect? eff)
    {
        if (eff is null) return;
        switch (eff.Kind)
        {
            case EffKind.Cancel:
                if (_mp[eff.Handle] is { } c) _m.Cancel(c);
                break;
            case EffKind.Reject:
                _m.ResolverCall(_mp[eff.Handle]!, MState.Rejected, null, new MExn(eff.Exn), isTry: false, out _, later: true);
                break;
            default:
                _m.ResolverCall(_mp[eff.Handle]!, MState.Fulfilled, eff.Value, null, isTry: eff.Kind == EffKind.TryResolve, out _,
                    later: eff.Kind != EffKind.ResolveNow);
                break;
        }
    }

    private MP ModelCall(Cb cb)
    {
        _modelLog.Add("cb" + cb.Id);
        ModelEffect(cb.Eff);
        switch (cb.Kind)
        {
            case CbKind.Value: return _m.Return(cb.Value);
            case CbKind.Fail: return _m.Fail(cb.Exn);
            case CbKind.Existing: return _mp[cb.Handle] ?? _m.Return(-1);
            case CbKind.Fresh:
            case CbKind.FreshCancelable:
                {
                    if (_mp[cb.Handle] is not null) throw new InvalidOperationException("model: callback called twice");
                    var p = _m.Create(cb.Kind == CbKind.FreshCancelable);
                    _mp[cb.Handle] = p;
                    return p;
                }
            default: throw new ModelThrow(cb.Exn);
        }
    }

    private object? ModelValueCall(Cb cb)
    {
        _modelLog.Add("cb" + cb.Id);
        ModelEffect(cb.Eff);
        if (cb.Kind == CbKind.Throw) throw new ModelThrow(cb.Exn);
        return cb.Value;
    }

    private Action ModelOn(Step s, string what) => () =>
    {
        _modelLog.Add($"on{s.Value}{what}");
        ModelEffect(s.Eff);
    };

    private string? ModelStep(Step s)
    {
        int[] a = s.Args;
        if (a.Any(h => _mp[h] is null)) return "skipped";
        MP[] ins = a.Select(h => _mp[h]!).ToArray();
        MP? result = null;
        switch (s.Op)
        {
            case Op.Create: result = _m.Create(false); break;
            case Op.CreateCancelable: result = _m.Create(true); break;
            case Op.Return: result = _m.Return(s.Value); break;
            case Op.Fail: result = _m.Fail(s.Exn); break;
            case Op.Bind or Op.BindUntyped: result = _m.Bind(ins[0], _ => ModelCall(s.F!)); break;
            case Op.Map or Op.MapUntyped: result = _m.Map(ins[0], _ => ModelValueCall(s.F!)); break;
            case Op.Catch: result = _m.Catch(() => ModelCall(s.F!), _ => ModelCall(s.G!)); break;
            case Op.TryBind: result = _m.TryBind(() => ModelCall(s.F!), _ => ModelCall(s.G!), _ => ModelCall(s.H!)); break;
            case Op.Finally: result = _m.Finally(() => ModelCall(s.F!), () => ModelCall(s.G!)); break;
            case Op.Join or Op.And: result = _m.Join(ins); break;
            case Op.Both: result = _m.Both(ins[0], ins[1]); break;
            case Op.All: result = _m.All(ins); break;
            case Op.Pick or Op.PickUntyped: result = _m.Race(ins, cancel: true); break;
            case Op.Choose or Op.Or or Op.ChooseUntyped: result = _m.Race(ins, cancel: false); break;
            case Op.NPick: result = _m.NRace(ins, a, CoreModel.NKind.Pick); break;
            case Op.NChoose: result = _m.NRace(ins, a, CoreModel.NKind.Choose); break;
            case Op.NChooseSplit: result = _m.NRace(ins, a, CoreModel.NKind.Split); break;
            case Op.Protected: result = _m.Protected(ins[0]); break;
            case Op.NoCancel: result = _m.NoCancel(ins[0]); break;
            case Op.WrapInCancelable: result = _m.WrapInCancelable(ins[0]); break;
            case Op.OnSuccess: _m.OnSuccess(ins[0], _ => ModelOn(s, "s")()); return null;
            case Op.OnFailure: _m.OnFailure(ins[0], _ => ModelOn(s, "f")()); return null;
            case Op.OnTermination: _m.OnTermination(ins[0], ModelOn(s, "t")); return null;
            case Op.OnAny: _m.OnAny(ins[0], _ => ModelOn(s, "s")(), _ => ModelOn(s, "f")()); return null;
            case Op.OnCancel: _m.OnCancel(ins[0], ModelOn(s, "c")); return null;
            case Op.Cancel: _m.Cancel(ins[0]); return null;
            case Op.Resolve or Op.ResolveNow or Op.TryResolve:
                {
                    var thrown = _m.ResolverCall(ins[0], MState.Fulfilled, s.Value, null, s.Op == Op.TryResolve, out bool ok,
                        later: s.Op != Op.ResolveNow);
                    if (thrown is not null) return "throws " + thrown.Name;
                    return s.Op == Op.TryResolve ? (ok ? "true" : "false") : null;
                }
            case Op.Reject or Op.RejectNow or Op.TryReject:
                {
                    var thrown = _m.ResolverCall(ins[0], MState.Rejected, null, new MExn(s.Exn), s.Op == Op.TryReject, out bool ok,
                        later: s.Op != Op.RejectNow);
                    if (thrown is not null) return "throws " + thrown.Name;
                    return s.Op == Op.TryReject ? (ok ? "true" : "false") : null;
                }
        }
        _mp[s.Target] = result;
        return null;
    }
}
