using System.Runtime.CompilerServices;

namespace Lwt;

/*
 * Concurrency combinators: join, both, all (wait for every input), pick, choose and their
 * n-variants (wait for the first). The result of each is canceled by propagating to
 * every input (Lwt's Propagate_cancel_to_several): `_link` holds the input array while
 * the result is pending.
 *
 * join/both/all register the result promise itself on each pending input: no allocation
 * per input. The races register one shared Callback node on each input and, when the
 * race is decided, detach it from the losers (CallbackStore.Detach), so a long-lived
 * promise raced many times does not accumulate callbacks (DESIGN.md invariant).
 *
 * "Chosen arbitrarily" in the seeds is, here, deterministic: among inputs already resolved
 * when the combinator is called, a rejected one wins over fulfilled ones (the seeds: "if
 * at least one of the promises is rejected, p is rejected"), and the first in order wins
 * among equals; later, the first to resolve wins.
 */

public partial class Promise
{
    // ---------------------------------------------------------------- join

    /// <summary>
    /// A promise that is pending until every promise in <paramref name="promises"/> is resolved;
    /// then fulfilled if all were fulfilled, otherwise rejected with the exception of the
    /// first to be rejected.
    /// <para>Lwt: <c>Lwt.join</c></para>
    /// </summary>
    /// <param name="promises">The promises to wait for (none: fulfilled at once).</param>
    /// <exception cref="ArgumentNullException"><paramref name="promises"/> or one of its elements is null.</exception>
    /// <exception cref="InvalidOperationException">
    /// An input is pending and belongs to an event loop running on another thread (attach on that
    /// loop's thread).
    /// </exception>
    public static Promise Join(params Promise[] promises) => Join((IEnumerable<Promise>)promises);

    /// <inheritdoc cref="Join(Promise[])"/>
    public static Promise Join(IEnumerable<Promise> promises)
    {
        var inputs = Materialize(promises);
        Exception? firstError = null;
        int i = 0;
        for (; i < inputs.Length; i++)
        {
            var u = inputs[i].Underlying();
            if (!u.IsResolvedNow) break;
            if (u._status == Status.Rejected) firstError ??= u.Rejection;
        }
        if (i == inputs.Length) return firstError is null ? s_unit : Promise<Unit>.FromException(firstError);
        bool anyones = CheckOwnerThreads(inputs.AsSpan(i));
        // One pass from the first input still pending: each input is looked at once, so that
        // one of no loop resolved on another thread meanwhile is counted once, either here
        // or by its callback (JoinPromise counts itself until Arm).
        var join = new JoinPromise(inputs, firstError);
        for (; i < inputs.Length; i++)
        {
            var u = inputs[i].Underlying();
            if (u.IsResolvedNow) join.RecordAtCall(u);
            else
            {
                join.Expect();
                AddCallback(u, join, anyones); // owners checked above
            }
        }
        join.Arm();
        return join;
    }

    /// <summary>Join of two promises.<para>Lwt: <c>&lt;&amp;&gt;</c></para></summary>
    /// <param name="a">A promise.</param>
    /// <param name="b">Another promise.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="InvalidOperationException">
    /// An input is pending and belongs to an event loop running on another thread (attach on that
    /// loop's thread).
    /// </exception>
    public static Promise operator &(Promise a, Promise b) => Join(a, b);

    /// <summary>
    /// A promise of both values, pending until both promises are resolved; rejected (after
    /// both are resolved) if either was rejected.
    /// <para>Lwt: <c>Lwt.both</c>, <c>and*</c></para>
    /// </summary>
    /// <param name="p1">The first promise.</param>
    /// <param name="p2">The second promise.</param>
    /// <typeparam name="T1">The type of the first value.</typeparam>
    /// <typeparam name="T2">The type of the second value.</typeparam>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="InvalidOperationException">
    /// An input is pending and belongs to an event loop running on another thread (attach on that
    /// loop's thread).
    /// </exception>
    public static Promise<(T1, T2)> Both<T1, T2>(Promise<T1> p1, Promise<T2> p2)
    {
        if (p1 is null) ThrowHelper.ThrowArgumentNull(nameof(p1));
        if (p2 is null) ThrowHelper.ThrowArgumentNull(nameof(p2));
        var u1 = p1.UnderlyingT();
        var u2 = p2.UnderlyingT();
        if (u1.IsResolvedNow && u2.IsResolvedNow)
        {
            if (u1._status == Status.Rejected) return Promise<(T1, T2)>.FromException(u1.Rejection);
            if (u2._status == Status.Rejected) return Promise<(T1, T2)>.FromException(u2.Rejection);
            return new Promise<(T1, T2)>((u1._value, u2._value));
        }
        bool anyones = CheckOwnerThreads([u1, u2]);
        var both = new BothPromise<T1, T2>(u1, u2);
        if (!u1.IsResolvedNow) AddCallback(u1, both, anyones);
        else both.OnDependencyResolved(u1);
        if (!u2.IsResolvedNow) AddCallback(u2, both, anyones);
        else both.OnDependencyResolved(u2);
        return both;
    }

    /// <summary>
    /// A promise of every value, in order, pending until all promises are resolved; rejected
    /// (after all are resolved) if any was rejected.
    /// <para>Lwt: <c>Lwt.all</c></para>
    /// </summary>
    /// <param name="promises">The promises.</param>
    /// <typeparam name="T">The type of the values.</typeparam>
    /// <exception cref="ArgumentNullException"><paramref name="promises"/> or one of its elements is null.</exception>
    /// <exception cref="InvalidOperationException">
    /// An input is pending and belongs to an event loop running on another thread (attach on that
    /// loop's thread).
    /// </exception>
    public static Promise<IReadOnlyList<T>> All<T>(IEnumerable<Promise<T>> promises)
    {
        var inputs = Materialize(promises);
        bool anyones = CheckOwnerThreads(inputs);
        var all = new AllPromise<T>(inputs);
        // One pass, as Join's (AllPromise counts itself until Arm).
        bool waiting = false;
        for (int i = 0; i < inputs.Length; i++)
        {
            var u = inputs[i].Underlying();
            if (u.IsResolvedNow)
            {
                all.RecordAtCall(u);
                continue;
            }
            waiting = true;
            all.Expect();
            AddCallback(u, all, anyones); // owners checked above
        }
        if (!waiting) return all.Collect();
        all.Arm();
        return all;
    }

    /// <inheritdoc cref="All{T}(IEnumerable{Promise{T}})"/>
    public static Promise<IReadOnlyList<T>> All<T>(params Promise<T>[] promises) => All((IEnumerable<Promise<T>>)promises);

    // ---------------------------------------------------------------- races

    /// <summary>
    /// A promise that resolves as the first promise in <paramref name="promises"/> to resolve;
    /// then cancels all the others.
    /// <para>
    /// When inputs are already resolved at the call, a rejected one wins; otherwise, as Lwt,
    /// the inputs are walked in order, each pending one canceled before the next is looked at,
    /// and the first found resolved wins: it may be one that such a cancel resolved (the same
    /// cancelable promise listed twice, or one an <see cref="Promise.OnCancel"/> callback
    /// resolves), not the one fulfilled at the call.
    /// </para>
    /// <para>Lwt: <c>Lwt.pick</c></para>
    /// </summary>
    /// <param name="promises">The promises to race.</param>
    /// <typeparam name="T">The type of the value.</typeparam>
    /// <exception cref="ArgumentException"><paramref name="promises"/> is empty.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="promises"/> or one of its elements is null.</exception>
    /// <exception cref="InvalidOperationException">
    /// An input is pending and belongs to an event loop running on another thread (attach on that
    /// loop's thread).
    /// </exception>
    public static Promise<T> Pick<T>(IEnumerable<Promise<T>> promises) => Race<T, Promise<T>>(promises, cancelLosers: true, nameof(Pick));

    /// <inheritdoc cref="Pick{T}(IEnumerable{Promise{T}})"/>
    public static Promise<T> Pick<T>(params Promise<T>[] promises) => Race<T, Promise<T>>((IEnumerable<Promise>)promises, cancelLosers: true, nameof(Pick));

    /// <inheritdoc cref="Pick{T}(IEnumerable{Promise{T}})"/>
    public static Promise<T> Pick<T>(params ReadOnlySpan<Promise<T>> promises) => Race<T, Promise<T>>(Untyped(promises), cancelLosers: true, nameof(Pick));

    /// <summary>The untyped <see cref="Pick{T}(IEnumerable{Promise{T}})"/>.<para>Lwt: <c>Lwt.pick</c></para></summary>
    /// <param name="promises">The promises to race.</param>
    /// <exception cref="ArgumentException"><paramref name="promises"/> is empty.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="promises"/> or one of its elements is null.</exception>
    /// <exception cref="InvalidOperationException">
    /// An input is pending and belongs to an event loop running on another thread (attach on that
    /// loop's thread).
    /// </exception>
    public static Promise Pick(IEnumerable<Promise> promises) => Race<Unit, Promise>(promises, cancelLosers: true, nameof(Pick));

    /// <inheritdoc cref="Pick(IEnumerable{Promise})"/>
    public static Promise Pick(params Promise[] promises) => Race<Unit, Promise>((IEnumerable<Promise>)promises, cancelLosers: true, nameof(Pick));

    /// <inheritdoc cref="Pick(IEnumerable{Promise})"/>
    public static Promise Pick(params ReadOnlySpan<Promise> promises) => Race<Unit, Promise>(promises, cancelLosers: true, nameof(Pick));

    /// <summary>
    /// A promise that resolves as the first promise in <paramref name="promises"/> to resolve;
    /// the others are left alone.
    /// <para>Lwt: <c>Lwt.choose</c></para>
    /// </summary>
    /// <param name="promises">The promises to race.</param>
    /// <typeparam name="T">The type of the value.</typeparam>
    /// <exception cref="ArgumentException"><paramref name="promises"/> is empty.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="promises"/> or one of its elements is null.</exception>
    /// <exception cref="InvalidOperationException">
    /// An input is pending and belongs to an event loop running on another thread (attach on that
    /// loop's thread).
    /// </exception>
    public static Promise<T> Choose<T>(IEnumerable<Promise<T>> promises) => Race<T, Promise<T>>(promises, cancelLosers: false, nameof(Choose));

    /// <inheritdoc cref="Choose{T}(IEnumerable{Promise{T}})"/>
    public static Promise<T> Choose<T>(params Promise<T>[] promises) => Race<T, Promise<T>>((IEnumerable<Promise>)promises, cancelLosers: false, nameof(Choose));

    /// <inheritdoc cref="Choose{T}(IEnumerable{Promise{T}})"/>
    public static Promise<T> Choose<T>(params ReadOnlySpan<Promise<T>> promises) => Race<T, Promise<T>>(Untyped(promises), cancelLosers: false, nameof(Choose));

    /// <summary>The untyped <see cref="Choose{T}(IEnumerable{Promise{T}})"/>.<para>Lwt: <c>Lwt.choose</c></para></summary>
    /// <param name="promises">The promises to race.</param>
    /// <exception cref="ArgumentException"><paramref name="promises"/> is empty.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="promises"/> or one of its elements is null.</exception>
    /// <exception cref="InvalidOperationException">
    /// An input is pending and belongs to an event loop running on another thread (attach on that
    /// loop's thread).
    /// </exception>
    public static Promise Choose(IEnumerable<Promise> promises) => Race<Unit, Promise>(promises, cancelLosers: false, nameof(Choose));

    /// <inheritdoc cref="Choose(IEnumerable{Promise})"/>
    public static Promise Choose(params Promise[] promises) => Race<Unit, Promise>((IEnumerable<Promise>)promises, cancelLosers: false, nameof(Choose));

    /// <inheritdoc cref="Choose(IEnumerable{Promise})"/>
    public static Promise Choose(params ReadOnlySpan<Promise> promises) => Race<Unit, Promise>(promises, cancelLosers: false, nameof(Choose));

    /// <summary>
    /// Like <see cref="Pick{T}(IEnumerable{Promise{T}})"/>, but fulfilled with the values of
    /// every promise fulfilled at the moment the race is decided (rejected if one of them is
    /// rejected); the pending ones are canceled.
    /// <para>Lwt: <c>Lwt.npick</c></para>
    /// </summary>
    /// <param name="promises">The promises to race.</param>
    /// <typeparam name="T">The type of the values.</typeparam>
    /// <exception cref="ArgumentException"><paramref name="promises"/> is empty.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="promises"/> or one of its elements is null.</exception>
    /// <exception cref="InvalidOperationException">
    /// An input is pending and belongs to an event loop running on another thread (attach on that
    /// loop's thread).
    /// </exception>
    public static Promise<IReadOnlyList<T>> NPick<T>(IEnumerable<Promise<T>> promises) =>
        NRace<T, IReadOnlyList<T>>(promises, NRaceKind.Pick, nameof(NPick));

    /// <inheritdoc cref="NPick{T}(IEnumerable{Promise{T}})"/>
    public static Promise<IReadOnlyList<T>> NPick<T>(params Promise<T>[] promises) => NPick((IEnumerable<Promise<T>>)promises);

    /// <summary>
    /// Like <see cref="NPick{T}(IEnumerable{Promise{T}})"/>, without canceling the pending promises.
    /// <para>Lwt: <c>Lwt.nchoose</c></para>
    /// </summary>
    /// <param name="promises">The promises to race.</param>
    /// <typeparam name="T">The type of the values.</typeparam>
    /// <exception cref="ArgumentException"><paramref name="promises"/> is empty.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="promises"/> or one of its elements is null.</exception>
    /// <exception cref="InvalidOperationException">
    /// An input is pending and belongs to an event loop running on another thread (attach on that
    /// loop's thread).
    /// </exception>
    public static Promise<IReadOnlyList<T>> NChoose<T>(IEnumerable<Promise<T>> promises) =>
        NRace<T, IReadOnlyList<T>>(promises, NRaceKind.Choose, nameof(NChoose));

    /// <inheritdoc cref="NChoose{T}(IEnumerable{Promise{T}})"/>
    public static Promise<IReadOnlyList<T>> NChoose<T>(params Promise<T>[] promises) => NChoose((IEnumerable<Promise<T>>)promises);

    /// <summary>
    /// Like <see cref="NChoose{T}(IEnumerable{Promise{T}})"/>, fulfilled with both the values of
    /// the fulfilled promises and the promises still pending.
    /// <para>Lwt: <c>Lwt.nchoose_split</c></para>
    /// </summary>
    /// <param name="promises">The promises to race.</param>
    /// <typeparam name="T">The type of the values.</typeparam>
    /// <exception cref="ArgumentException"><paramref name="promises"/> is empty.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="promises"/> or one of its elements is null.</exception>
    /// <exception cref="InvalidOperationException">
    /// An input is pending and belongs to an event loop running on another thread (attach on that
    /// loop's thread).
    /// </exception>
    public static Promise<(IReadOnlyList<T> Fulfilled, IReadOnlyList<Promise<T>> Pending)> NChooseSplit<T>(IEnumerable<Promise<T>> promises) =>
        NRace<T, (IReadOnlyList<T> Fulfilled, IReadOnlyList<Promise<T>> Pending)>(promises, NRaceKind.Split, nameof(NChooseSplit));

    /// <inheritdoc cref="NChooseSplit{T}(IEnumerable{Promise{T}})"/>
    public static Promise<(IReadOnlyList<T> Fulfilled, IReadOnlyList<Promise<T>> Pending)> NChooseSplit<T>(params Promise<T>[] promises) =>
        NChooseSplit((IEnumerable<Promise<T>>)promises);

    // ---------------------------------------------------------------- helpers

    private static TP[] Materialize<TP>(IEnumerable<TP> promises) where TP : Promise
    {
        if (promises is null) ThrowHelper.ThrowArgumentNull(nameof(promises));
        var array = promises is TP[] a ? (TP[])a.Clone() : promises.ToArray();
        for (int i = 0; i < array.Length; i++)
            if (array[i] is null) ThrowHelper.ThrowArgumentNull($"{nameof(promises)}[{i}]");
        return array;
    }

    // The array overloads come here too (cast to IEnumerable): a null array would otherwise
    // convert to an empty span and report "needs at least one promise" instead of the null.
    private static TResult Race<T, TResult>(IEnumerable<Promise> promises, bool cancelLosers, string name) where TResult : Promise
    {
        if (promises is null) ThrowHelper.ThrowArgumentNull(nameof(promises));
        // An array is scanned in place: it is copied only if the race has to wait.
        return promises is Promise[] array
            ? Race<T, TResult>(new ReadOnlySpan<Promise>(array), cancelLosers, name)
            : Race<T, TResult>(new ReadOnlySpan<Promise>(promises.ToArray()), cancelLosers, name);
    }

    private static TResult Race<T, TResult>(ReadOnlySpan<Promise> inputs, bool cancelLosers, string name) where TResult : Promise
    {
        if (inputs.Length == 0) ThrowHelper.ThrowEmpty(name);
        // Already resolved inputs decide at once: a rejected one first, else the first fulfilled.
        // Every element is null-checked first, even after a rejected one decided the race.
        Promise? winner = null;
        bool rejected = false;
        for (int i = 0; i < inputs.Length; i++)
        {
            var input = inputs[i];
            if (input is null) ThrowHelper.ThrowArgumentNull($"promises[{i}]");
            if (rejected) continue;
            var u = input.Underlying();
            if (u._status == Status.Rejected) { winner = input; rejected = true; }
            else if (u._status == Status.Fulfilled) winner ??= input;
        }
        if (winner is not null)
        {
            if (cancelLosers)
            {
                if (rejected)
                {
                    for (int i = 0; i < inputs.Length; i++) inputs[i].Cancel();
                }
                else
                {
                    // Lwt's pick (lwt.ml's nth_resolved_and_cancel_pending, 5.6.1 and later)
                    // walks the inputs in order and cancels each pending one before it looks
                    // at the next: the first input found resolved at its turn wins. So a cancel
                    // that resolves a later input (the same task twice in the list, or an
                    // OnCancel callback that resolves another input) decides the race; the
                    // input fulfilled at the call is still resolved when its turn comes, so
                    // one is always found.
                    int i = 0;
                    for (; i < inputs.Length; i++)
                    {
                        if (inputs[i].Underlying().IsResolvedNow) { winner = inputs[i]; break; }
                        inputs[i].Cancel();
                    }
                    for (i++; i < inputs.Length; i++) inputs[i].Cancel();
                }
            }
            return Unsafe.As<TResult>(winner);
        }
        bool anyones = CheckOwnerThreads(inputs);
        var race = new RacePromise<T>(inputs.ToArray(), cancelLosers);
        // An input of no loop may resolve on another thread meanwhile and decide the race
        // (AddCallback runs the node then): the rest need no node.
        for (int i = 0; i < inputs.Length && !race.Node.Detached; i++)
            AddCallback(inputs[i].Underlying(), race.Node, anyones); // owners checked above
        return Unsafe.As<TResult>(race);
    }

    /// <summary>
    /// Refuses a combinator with an input of a loop running on another thread before it
    /// attaches to any input. Attached to the inputs before that one, the combinator, though
    /// its call threw, would stay in their callbacks: a race would still be decided when one
    /// of them resolved, and Pick's would cancel the others; a join would be kept alive, and
    /// counted, by every one of them. Only pending inputs are checked: a resolved one gets no
    /// callback. The combinators then attach with AddCallback, which does not check again
    /// (one thread-static read per input of a loop is enough).
    /// <para>
    /// True when an input belongs to a loop other than the caller's that is not running here,
    /// which in practice is a loop that has stopped (anyone's): the combinator then attaches to
    /// every input under its lock, as to promises of no loop (a rare case, so not told apart).
    /// Resolved inputs count too: such a promise seen pending by the caller a moment ago may
    /// have been resolved by another thread since, and a plain add to a resolved promise
    /// would never run, where the locked one runs the callback.
    /// </para>
    /// </summary>
    private static bool CheckOwnerThreads(ReadOnlySpan<Promise> inputs)
    {
        bool anyones = false;
        for (int i = 0; i < inputs.Length; i++)
        {
            var u = inputs[i].Underlying();
            if (u._owner == 0) continue;
            if (!u.IsResolvedNow) anyones |= u.CheckOwnerThread();
            else anyones |= u._owner != ResolutionLoop.Current.LoopId;
        }
        return anyones;
    }

    /// <summary>Views a span of typed promises as a span of promises (both are references).</summary>
    private static ReadOnlySpan<Promise> Untyped<T>(ReadOnlySpan<Promise<T>> span) =>
        System.Runtime.InteropServices.MemoryMarshal.CreateReadOnlySpan(
            ref Unsafe.As<Promise<T>, Promise>(ref System.Runtime.InteropServices.MemoryMarshal.GetReference(span)), span.Length);

    internal enum NRaceKind : byte { Pick, Choose, Split }

    private static Promise<TResult> NRace<T, TResult>(IEnumerable<Promise<T>> promises, NRaceKind kind, string name)
    {
        var inputs = Materialize(promises);
        if (inputs.Length == 0) ThrowHelper.ThrowEmpty(name);
        var race = new NRacePromise<T, TResult>(inputs, kind);
        bool anyResolved = false;
        for (int i = 0; i < inputs.Length; i++)
            if (inputs[i].Underlying().IsResolvedNow) { anyResolved = true; break; }
        if (anyResolved) return race.DecideNow();
        bool anyones = CheckOwnerThreads(inputs);
        for (int i = 0; i < inputs.Length && !race.Node.Detached; i++)
            AddCallback(inputs[i].Underlying(), race.Node, anyones); // owners checked above
        return race;
    }
}
