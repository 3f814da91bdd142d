using System.Runtime.CompilerServices;

namespace Lwt;

/// <summary>
/// The first rejection among a combinator's inputs (Join, Both, All reject with it, as
/// Lwt's join keeps the first it sees): kept once, under a compare-and-swap for a shared
/// combinator (of no loop, or of a stopped loop: Promise.IsShared), whose inputs may be
/// resolved on several threads at once.
/// </summary>
internal static class FirstRejection
{
    internal static void Record(Promise combinator, ref Exception? slot, Exception e)
    {
        if (combinator.IsShared) Interlocked.CompareExchange(ref slot, e, null);
        else slot ??= e;
    }
}

/// <summary>
/// <c>Promise.Join</c>: counts the pending inputs down; remembers the first rejection. The
/// count starts at one, the join's own, which <see cref="Arm"/> takes off once every pending
/// input has been attached to (<see cref="Expect"/> adds each): an input of no loop resolved
/// on another thread during the attaching then cannot bring the count to zero too early.
/// </summary>
internal sealed class JoinPromise : Promise<Unit>
{
    private int _remaining = 1;
    private Exception? _firstError;

    internal JoinPromise(Promise[] inputs, Exception? firstError) : base(CancelMode.PropagateToSeveral)
    {
        _link = inputs;
        _firstError = firstError;
    }

    /// <summary>Counts one more input to wait for (before attaching to it).</summary>
    internal void Expect() => CountUp(ref _remaining);

    /// <summary>Notes an input found resolved while attaching to the others.</summary>
    internal void RecordAtCall(Promise u)
    {
        if (u._status == Status.Rejected) RecordError(u.Rejection);
    }

    /// <summary>Takes off the join's own count: every pending input is attached to.</summary>
    internal void Arm()
    {
        if (CountDown(ref _remaining) == 0) Complete();
    }

    internal override void OnDependencyResolved(Promise source)
    {
        if (source._status == Status.Rejected) RecordError(source.Rejection);
        if (CountDown(ref _remaining) == 0) Complete();
    }

    private void RecordError(Exception e) => FirstRejection.Record(this, ref _firstError, e);

    private void Complete()
    {
        var error = _firstError;
        _firstError = null;
        if (error is null) FulfillFromDependency(default);
        else RejectFromDependency(error);
    }
}

/// <summary>
/// <c>Promise.Both</c>. Rejected, once both are resolved, with the exception of the input
/// rejected first, as Lwt's both (a join of two binds) is: the first input when both were
/// rejected before the call, otherwise the one whose rejection came first.
/// </summary>
internal sealed class BothPromise<T1, T2> : Promise<(T1, T2)>
{
    private Promise<T1>? _p1;
    private Promise<T2>? _p2;
    private int _remaining = 2;
    private Exception? _firstError;

    internal BothPromise(Promise<T1> p1, Promise<T2> p2) : base(CancelMode.PropagateToSeveral)
    {
        _p1 = p1;
        _p2 = p2;
        _link = new Promise[] { p1, p2 };
    }

    internal override void OnDependencyResolved(Promise source)
    {
        if (source._status == Status.Rejected) FirstRejection.Record(this, ref _firstError, source.Rejection);
        if (CountDown(ref _remaining) != 0) return;
        var u1 = _p1!.UnderlyingT();
        var u2 = _p2!.UnderlyingT();
        _p1 = null;
        _p2 = null;
        var error = _firstError;
        _firstError = null;
        if (error is not null) RejectFromDependency(error);
        else FulfillFromDependency((u1._value, u2._value));
    }
}

/// <summary>
/// <c>Promise.All</c>: collects the values in input order once every input is resolved.
/// Counts as <see cref="JoinPromise"/> does, its own count included until <see cref="Arm"/>.
/// Rejected, as Lwt's all (a join of binds) is, with the exception of the input rejected
/// first: the first in order of those rejected before the call, else the first to be rejected.
/// </summary>
internal sealed class AllPromise<T> : Promise<IReadOnlyList<T>>
{
    private Promise<T>[]? _inputs;
    private int _remaining = 1;
    private Exception? _firstError;

    internal AllPromise(Promise<T>[] inputs) : base(CancelMode.PropagateToSeveral)
    {
        _inputs = inputs;
        _link = inputs;
    }

    /// <summary>The result for inputs that are all resolved (called at most once).</summary>
    internal Promise<IReadOnlyList<T>> Collect()
    {
        var inputs = _inputs!;
        _inputs = null;
        var values = new T[inputs.Length];
        var error = _firstError;
        _firstError = null;
        for (int i = 0; i < inputs.Length; i++)
        {
            var u = inputs[i].UnderlyingT();
            if (u._status == Status.Rejected) return FromException(error ?? u.Rejection);
            values[i] = u._value;
        }
        return Return<IReadOnlyList<T>>(values);
    }

    /// <summary>Counts one more input to wait for (before attaching to it).</summary>
    internal void Expect() => CountUp(ref _remaining);

    /// <summary>Takes off the promise's own count: every pending input is attached to.</summary>
    internal void Arm() => OnDependencyResolved(this);

    /// <summary>Notes an input found rejected at the call (in input order, before any attaching matters).</summary>
    internal void RecordAtCall(Promise u)
    {
        if (u._status == Status.Rejected) FirstRejection.Record(this, ref _firstError, u.Rejection);
    }

    internal override void OnDependencyResolved(Promise source)
    {
        if (source._status == Status.Rejected && !ReferenceEquals(source, this))
            FirstRejection.Record(this, ref _firstError, source.Rejection);
        if (CountDown(ref _remaining) != 0) return;
        var result = Collect().UnderlyingT();
        if (result._status == Status.Rejected) RejectFromDependency(result.Rejection);
        else FulfillFromDependency(result._value);
    }
}

/// <summary>The callback a race registers on each of its inputs (one node, shared).</summary>
internal sealed class RaceNode(IRace race) : DetachableCallback
{
    internal override void InvokeAttached(Promise source) => race.Decide(source);
}

/// <summary>A race that a resolved input decides.</summary>
internal interface IRace
{
    void Decide(Promise source);
}

/// <summary><c>Promise.Pick</c> and <c>Promise.Choose</c> over pending inputs.</summary>
internal sealed class RacePromise<T> : Promise<T>, IRace
{
    private Promise[]? _inputs;
    private readonly bool _cancelLosers;
    internal readonly RaceNode Node;

    internal RacePromise(Promise[] inputs, bool cancelLosers) : base(CancelMode.PropagateToSeveral)
    {
        _inputs = inputs;
        _link = inputs;
        _cancelLosers = cancelLosers;
        Node = new RaceNode(this);
    }

    public void Decide(Promise source)
    {
        var inputs = TakeOnce(ref _inputs);
        if (inputs is null) return; // already decided
        for (int i = 0; i < inputs.Length; i++) CallbackStore.Detach(inputs[i], Node);
        if (_cancelLosers)
            for (int i = 0; i < inputs.Length; i++) inputs[i].Cancel();
        var outer = Underlying();
        if (outer.MayResolve) outer.ResolveLike(source, allowDeferring: true);
    }
}

/// <summary><c>Promise.NPick</c>, <c>NChoose</c> and <c>NChooseSplit</c>.</summary>
internal sealed class NRacePromise<T, TResult> : Promise<TResult>, IRace
{
    private Promise<T>[]? _inputs;
    private readonly Promise.NRaceKind _kind;
    internal readonly RaceNode Node;

    internal NRacePromise(Promise<T>[] inputs, Promise.NRaceKind kind) : base(CancelMode.PropagateToSeveral)
    {
        _inputs = inputs;
        _link = inputs;
        _kind = kind;
        Node = new RaceNode(this);
    }

    /// <summary>The result when some input was already resolved at the call.</summary>
    internal Promise<TResult> DecideNow()
    {
        var inputs = _inputs!;
        _inputs = null;
        var (error, result) = Outcome(inputs);
        if (_kind == Promise.NRaceKind.Pick)
            for (int i = 0; i < inputs.Length; i++) inputs[i].Cancel();
        return error is null ? Return(result!) : FromException(error);
    }

    public void Decide(Promise source)
    {
        var inputs = TakeOnce(ref _inputs);
        if (inputs is null) return; // already decided
        for (int i = 0; i < inputs.Length; i++) CallbackStore.Detach(inputs[i], Node);
        // Collect before canceling: the pending inputs are the ones the split reports.
        var (error, result) = Outcome(inputs);
        if (_kind == Promise.NRaceKind.Pick)
            for (int i = 0; i < inputs.Length; i++) inputs[i].Cancel();
        if (error is null) FulfillFromDependency(result!);
        else RejectFromDependency(error);
    }

    private (Exception? Error, TResult? Result) Outcome(Promise<T>[] inputs)
    {
        var values = new List<T>();
        var pending = _kind == Promise.NRaceKind.Split ? new List<Promise<T>>() : null;
        for (int i = 0; i < inputs.Length; i++)
        {
            var u = inputs[i].UnderlyingT();
            switch (u._status)
            {
                case Status.Rejected:
                    return (u.Rejection, default);
                case Status.Fulfilled:
                    values.Add(u._value);
                    break;
                default:
                    pending?.Add(inputs[i]);
                    break;
            }
        }
        object result = pending is null ? values : ((IReadOnlyList<T>)values, (IReadOnlyList<Promise<T>>)pending);
        return (null, (TResult)result);
    }
}
