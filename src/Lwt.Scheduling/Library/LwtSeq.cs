namespace Lwt;

/*
 * Lwt_seq: lazy sequences whose next node is computed by a promise. An LwtSeq<T> is a
 * function, run again each time the sequence is forced (as OCaml's unit -> node Lwt.t):
 * sequences are values, not cursors, so a sequence can be traversed more than once, and
 * a traversal recomputes what it reads (OfSeq over a one-shot enumerable excepted).
 *
 * Nothing is computed until a consumer (Fold*, Iter*, ToList, Force) forces the
 * sequence. Consumers are async loops: constant stack however long the sequence. A
 * function that throws rejects the promise of the force that called it, and one that
 * returns null where a promise is expected counts as one that threw ThrowHelper.NullPromise's
 * InvalidOperationException (a null sequence from FlatMap's function too).
 */

/// <summary>
/// A lazy sequence of items of type <typeparamref name="T"/> whose nodes are computed by
/// promises.
/// <para>Lwt: <c>'a Lwt_seq.t</c></para>
/// </summary>
/// <typeparam name="T">The type of the items.</typeparam>
public sealed class LwtSeq<T>
{
    private readonly Func<Promise<Option<(T Head, LwtSeq<T> Tail)>>> _force;

    /// <summary>
    /// A sequence computed by <paramref name="force"/>: <c>None</c> for the empty sequence
    /// (OCaml's <c>Nil</c>), <c>Some (head, tail)</c> for <c>Cons</c>.
    /// <para>Lwt: <c>'a Lwt_seq.t = unit -&gt; 'a Lwt_seq.node Lwt.t</c></para>
    /// </summary>
    /// <param name="force">Computes the first node.</param>
    /// <exception cref="ArgumentNullException"><paramref name="force"/> is null.</exception>
    public LwtSeq(Func<Promise<Option<(T Head, LwtSeq<T> Tail)>>> force)
    {
        ArgumentNullException.ThrowIfNull(force);
        _force = force;
    }

    /// <summary>Computes the first node: <c>None</c> when empty, else the head and the rest.<para>Lwt: <c>s ()</c></para></summary>
    public Promise<Option<(T Head, LwtSeq<T> Tail)>> Force()
    {
        try
        {
            return ThrowHelper.NullAsRejected(_force());
        }
        catch (Exception e)
        {
            Promise.ExceptionFilter.RethrowIfRefused(e);
            return Promise.Fail<Option<(T, LwtSeq<T>)>>(e);
        }
    }
}

/// <summary>
/// Functions on lazy sequences computed by promises. A function given to them that throws
/// instead of returning a promise rejects the promise of the force (or of the consumer) that
/// called it with that exception; one that returns null where a promise is expected counts as
/// one that threw <see cref="InvalidOperationException"/>.
/// <para>Lwt: <c>Lwt_seq</c></para>
/// </summary>
public static class LwtSeq
{
    private static Promise<Option<(T, LwtSeq<T>)>> Nil<T>() => Promise.Return(Option<(T, LwtSeq<T>)>.None);

    private static Promise<Option<(T, LwtSeq<T>)>> Node<T>(T head, LwtSeq<T> tail) => Promise.Return(Option.Some((head, tail)));

    /// <summary>The empty sequence.<para>Lwt: <c>Lwt_seq.empty</c></para></summary>
    /// <typeparam name="T">The type of the items.</typeparam>
    public static LwtSeq<T> Empty<T>() => new(Nil<T>);

    /// <summary>The sequence of one item.<para>Lwt: <c>Lwt_seq.return</c></para></summary>
    /// <param name="x">The item.</param>
    /// <typeparam name="T">The type of the items.</typeparam>
    public static LwtSeq<T> Return<T>(T x) => Cons(x, Empty<T>());

    /// <summary>The sequence of the one item <paramref name="x"/> will give.<para>Lwt: <c>Lwt_seq.return_lwt</c></para></summary>
    /// <param name="x">The promise of the item.</param>
    /// <typeparam name="T">The type of the items.</typeparam>
    /// <exception cref="ArgumentNullException"><paramref name="x"/> is null.</exception>
    public static LwtSeq<T> ReturnLwt<T>(Promise<T> x) => ConsLwt(x, Empty<T>());

    /// <summary><paramref name="x"/> followed by <paramref name="seq"/>.<para>Lwt: <c>Lwt_seq.cons</c></para></summary>
    /// <param name="x">The first item.</param>
    /// <param name="seq">The rest.</param>
    /// <typeparam name="T">The type of the items.</typeparam>
    /// <exception cref="ArgumentNullException"><paramref name="seq"/> is null.</exception>
    public static LwtSeq<T> Cons<T>(T x, LwtSeq<T> seq)
    {
        ArgumentNullException.ThrowIfNull(seq);
        return new(() => Node(x, seq));
    }

    /// <summary>The item <paramref name="x"/> will give, followed by <paramref name="seq"/>.<para>Lwt: <c>Lwt_seq.cons_lwt</c></para></summary>
    /// <param name="x">The promise of the first item.</param>
    /// <param name="seq">The rest.</param>
    /// <typeparam name="T">The type of the items.</typeparam>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static LwtSeq<T> ConsLwt<T>(Promise<T> x, LwtSeq<T> seq)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(seq);
        return new(() => x.Map(v => Option.Some((v, seq))));
    }

    /// <summary>The items of <paramref name="s1"/>, then those of <paramref name="s2"/>.<para>Lwt: <c>Lwt_seq.append</c></para></summary>
    /// <param name="s1">The first sequence.</param>
    /// <param name="s2">The second sequence.</param>
    /// <typeparam name="T">The type of the items.</typeparam>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static LwtSeq<T> Append<T>(LwtSeq<T> s1, LwtSeq<T> s2)
    {
        ArgumentNullException.ThrowIfNull(s1);
        ArgumentNullException.ThrowIfNull(s2);
        return new(() => s1.Force().Bind(n => n.HasValue ? Node(n.Value.Head, Append(n.Value.Tail, s2)) : s2.Force()));
    }

    /// <summary>The items of each sequence of <paramref name="seqs"/>, one after the other.<para>Lwt: <c>Lwt_seq.concat</c></para></summary>
    /// <param name="seqs">A sequence of sequences.</param>
    /// <typeparam name="T">The type of the items.</typeparam>
    /// <exception cref="ArgumentNullException"><paramref name="seqs"/> is null.</exception>
    public static LwtSeq<T> Concat<T>(LwtSeq<LwtSeq<T>> seqs)
    {
        ArgumentNullException.ThrowIfNull(seqs);
        return FlatMap(seqs, static s => s);
    }

    /// <summary>
    /// The items of the sequences <paramref name="f"/> gives for each item, in order. A null
    /// sequence from <paramref name="f"/> rejects the node that needed it with
    /// <see cref="InvalidOperationException"/>.
    /// <para>Lwt: <c>Lwt_seq.flat_map</c></para>
    /// </summary>
    /// <param name="seq">The sequence.</param>
    /// <param name="f">The function.</param>
    /// <typeparam name="T">The type of the items.</typeparam>
    /// <typeparam name="U">The type of the new items.</typeparam>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static LwtSeq<U> FlatMap<T, U>(LwtSeq<T> seq, Func<T, LwtSeq<U>> f)
    {
        Check(seq, f);
        return new(() => seq.Force().Bind(n => n.HasValue ? Append(f(n.Value.Head) ?? ThrowNullSequence<U>(), FlatMap(n.Value.Tail, f)).Force() : Nil<U>()));
    }

    // A null sequence from FlatMap's f (or in Concat's sequence of sequences) is the caller's
    // mistake, not a null argument of Append's: said as such, in the promise of that node.
    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static LwtSeq<U> ThrowNullSequence<U>() =>
        throw new InvalidOperationException("LwtSeq.FlatMap's function gave a null sequence (or Concat read one); give LwtSeq.Empty instead.");

    /// <summary>The items mapped by <paramref name="f"/>.<para>Lwt: <c>Lwt_seq.map</c></para></summary>
    /// <param name="f">The function.</param>
    /// <param name="seq">The sequence.</param>
    /// <typeparam name="T">The type of the items.</typeparam>
    /// <typeparam name="U">The type of the new items.</typeparam>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static LwtSeq<U> Map<T, U>(Func<T, U> f, LwtSeq<T> seq)
    {
        Check(seq, f);
        return MapS(x => Promise.Return(f(x)), seq);
    }

    /// <summary>The items mapped by <paramref name="f"/>, which returns promises.<para>Lwt: <c>Lwt_seq.map_s</c></para></summary>
    /// <param name="f">The function.</param>
    /// <param name="seq">The sequence.</param>
    /// <typeparam name="T">The type of the items.</typeparam>
    /// <typeparam name="U">The type of the new items.</typeparam>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static LwtSeq<U> MapS<T, U>(Func<T, Promise<U>> f, LwtSeq<T> seq)
    {
        Check(seq, f);
        return new(() => seq.Force().Bind(n => n.HasValue
            ? ThrowHelper.NullAsRejected(f(n.Value.Head)).Map(y => Option.Some((y, MapS(f, n.Value.Tail))))
            : Nil<U>()));
    }

    /// <summary>The items that satisfy <paramref name="f"/>.<para>Lwt: <c>Lwt_seq.filter</c></para></summary>
    /// <param name="f">The predicate.</param>
    /// <param name="seq">The sequence.</param>
    /// <typeparam name="T">The type of the items.</typeparam>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static LwtSeq<T> Filter<T>(Func<T, bool> f, LwtSeq<T> seq)
    {
        Check(seq, f);
        return FilterMapS(x => Promise.Return(f(x) ? Option.Some(x) : Option<T>.None), seq);
    }

    /// <summary>The items that satisfy <paramref name="f"/>, which returns promises.<para>Lwt: <c>Lwt_seq.filter_s</c></para></summary>
    /// <param name="f">The predicate.</param>
    /// <param name="seq">The sequence.</param>
    /// <typeparam name="T">The type of the items.</typeparam>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static LwtSeq<T> FilterS<T>(Func<T, Promise<bool>> f, LwtSeq<T> seq)
    {
        Check(seq, f);
        return FilterMapS(x => ThrowHelper.NullAsRejected(f(x)).Map(ok => ok ? Option.Some(x) : Option<T>.None), seq);
    }

    /// <summary>The <c>Some</c> results of <paramref name="f"/>.<para>Lwt: <c>Lwt_seq.filter_map</c></para></summary>
    /// <param name="f">The function.</param>
    /// <param name="seq">The sequence.</param>
    /// <typeparam name="T">The type of the items.</typeparam>
    /// <typeparam name="U">The type of the new items.</typeparam>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static LwtSeq<U> FilterMap<T, U>(Func<T, Option<U>> f, LwtSeq<T> seq)
    {
        Check(seq, f);
        return FilterMapS(x => Promise.Return(f(x)), seq);
    }

    /// <summary>The <c>Some</c> results of <paramref name="f"/>, which returns promises.<para>Lwt: <c>Lwt_seq.filter_map_s</c></para></summary>
    /// <param name="f">The function.</param>
    /// <param name="seq">The sequence.</param>
    /// <typeparam name="T">The type of the items.</typeparam>
    /// <typeparam name="U">The type of the new items.</typeparam>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static LwtSeq<U> FilterMapS<T, U>(Func<T, Promise<Option<U>>> f, LwtSeq<T> seq)
    {
        Check(seq, f);
        async Promise<Option<(U, LwtSeq<U>)>> Next(LwtSeq<T> s)
        {
            while (true)
            {
                var n = await s.Force();
                if (!n.HasValue) return Option<(U, LwtSeq<U>)>.None;
                var y = await ThrowHelper.NullAsRejected(f(n.Value.Head));
                var tail = n.Value.Tail;
                if (y.HasValue) return Option.Some((y.Value, new LwtSeq<U>(() => Next(tail))));
                s = tail;
            }
        }
        return new(() => Next(seq));
    }

    /// <summary>Folds from the left: <c>f (... (f init x0) ...) xn</c>.<para>Lwt: <c>Lwt_seq.fold_left</c></para></summary>
    /// <param name="f">The function, given the accumulator and an item.</param>
    /// <param name="init">The initial accumulator.</param>
    /// <param name="seq">The sequence.</param>
    /// <typeparam name="T">The type of the items.</typeparam>
    /// <typeparam name="A">The type of the accumulator.</typeparam>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static Promise<A> FoldLeft<T, A>(Func<A, T, A> f, A init, LwtSeq<T> seq)
    {
        Check(seq, f);
        return FoldLeftS((acc, x) => Promise.Return(f(acc, x)), init, seq);
    }

    /// <summary>Folds from the left with a function that returns promises.<para>Lwt: <c>Lwt_seq.fold_left_s</c></para></summary>
    /// <param name="f">The function, given the accumulator and an item.</param>
    /// <param name="init">The initial accumulator.</param>
    /// <param name="seq">The sequence.</param>
    /// <typeparam name="T">The type of the items.</typeparam>
    /// <typeparam name="A">The type of the accumulator.</typeparam>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static Promise<A> FoldLeftS<T, A>(Func<A, T, Promise<A>> f, A init, LwtSeq<T> seq)
    {
        Check(seq, f);
        return FoldCore(f, init, seq);
    }

    private static async Promise<A> FoldCore<T, A>(Func<A, T, Promise<A>> f, A acc, LwtSeq<T> seq)
    {
        while (true)
        {
            var n = await seq.Force();
            if (!n.HasValue) return acc;
            acc = await ThrowHelper.NullAsRejected(f(acc, n.Value.Head));
            seq = n.Value.Tail;
        }
    }

    /// <summary>Calls <paramref name="f"/> on each item.<para>Lwt: <c>Lwt_seq.iter</c></para></summary>
    /// <param name="f">The action.</param>
    /// <param name="seq">The sequence.</param>
    /// <typeparam name="T">The type of the items.</typeparam>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static Promise Iter<T>(Action<T> f, LwtSeq<T> seq)
    {
        Check(seq, f);
        return FoldCore<T, Unit>((_, x) => { f(x); return Promise.ReturnUnit; }, default, seq);
    }

    /// <summary>Calls <paramref name="f"/> on each item, waiting for each call.<para>Lwt: <c>Lwt_seq.iter_s</c></para></summary>
    /// <param name="f">The action.</param>
    /// <param name="seq">The sequence.</param>
    /// <typeparam name="T">The type of the items.</typeparam>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static Promise IterS<T>(Func<T, Promise> f, LwtSeq<T> seq)
    {
        Check(seq, f);
        return FoldCore<T, Unit>((_, x) => ThrowHelper.NullAsRejected(f(x)).Map(static () => Unit.Value), default, seq);
    }

    /// <summary>
    /// Calls <paramref name="f"/> on each item as it is produced, without waiting for the
    /// previous calls; resolves when the sequence is exhausted and every call has resolved.
    /// <para>
    /// A rejected call does not stop the traversal: the sequence is still read to its end
    /// (never, for an infinite one), and the promise is rejected only once the sequence is
    /// exhausted and every call has resolved, as <c>Lwt.join</c> of the calls: with the
    /// exception of the last item whose call was already rejected when the end was reached,
    /// or else of the first call to be rejected after that. A rejected node of the sequence,
    /// or a throw of <paramref name="f"/>, rejects the promise at once and stops the
    /// traversal; the calls already made keep running.
    /// </para>
    /// <para>Lwt: <c>Lwt_seq.iter_p</c></para>
    /// </summary>
    /// <param name="f">The action.</param>
    /// <param name="seq">The sequence.</param>
    /// <typeparam name="T">The type of the items.</typeparam>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static Promise IterP<T>(Func<T, Promise> f, LwtSeq<T> seq)
    {
        Check(seq, f);
        var started = new List<Promise>();
        // As lwt_seq.ml: f is called directly, so a throw ends the traversal at once; the
        // calls are joined last first, so of several already rejected the last one's wins.
        return FoldCore<T, Unit>((_, x) => { started.Add(ThrowHelper.NullAsRejected(f(x))); return Promise.ReturnUnit; }, default, seq)
            .Bind(() => LwtList.JoinLastFirst(started));
    }

    /// <summary>
    /// Calls <paramref name="f"/> on each item, at most <paramref name="maxConcurrency"/>
    /// calls pending at once (the next node is forced only when there is a free slot);
    /// resolves when the sequence is exhausted and every call has resolved. A rejected call
    /// stops the traversal when it next waits for a free slot: the promise is then rejected
    /// at once with that exception (the other calls keep running). If the end of the sequence
    /// comes first, the promise waits, as <c>Lwt.join</c>, for every call still running and
    /// is rejected only once they have all resolved. A rejected node of the sequence, or a
    /// throw of <paramref name="f"/>, stops the traversal and rejects the promise at once
    /// with that exception; the calls already made keep running.
    /// <para>Lwt: <c>Lwt_seq.iter_n</c></para>
    /// </summary>
    /// <param name="f">The action.</param>
    /// <param name="seq">The sequence.</param>
    /// <param name="maxConcurrency">The most calls pending at once (1 or more).</param>
    /// <typeparam name="T">The type of the items.</typeparam>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxConcurrency"/> is less than 1.</exception>
    public static Promise IterN<T>(Func<T, Promise> f, LwtSeq<T> seq, int maxConcurrency = 1)
    {
        Check(seq, f);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxConcurrency, 1);
        return IterNCore(f, seq, maxConcurrency);
    }

    private static async Promise IterNCore<T>(Func<T, Promise> f, LwtSeq<T> seq, int available)
    {
        // The calls still running, kept as lwt_seq.ml's list reversed (oldest first while no
        // wait has reordered it), so that adding one is cheap however large maxConcurrency
        // is. NChooseSplit and Join reject with the first rejected promise in their list's
        // order, so both are given the list reversed, i.e. Lwt's list: of several calls
        // already rejected, the one Lwt's list puts first wins, as in Lwt (and as in IterP).
        var running = new List<Promise<Unit>>();
        while (true)
        {
            if (available == 0)
            {
                running.Reverse();
                var split = Promise.NChooseSplit(running);
                // Lwt.nchoose_split gives the still-pending promises in the order of its list
                // when it had to wait, but in the reverse order when some were already
                // fulfilled at the call (its collect_already_resolved_promises does not reverse
                // its accumulator, see the maintainer's note there); iter_n carries on with that
                // list. NChooseSplit keeps the order it was given in both cases, so the
                // at-once case is the one whose list comes back reversed.
                bool atOnce = !split.IsPending;
                var (done, pending) = await split;
                running.Clear();
                if (atOnce) running.AddRange(pending);
                else for (int i = pending.Count - 1; i >= 0; i--) running.Add(pending[i]);
                available += done.Count;
            }
            var n = await seq.Force();
            if (!n.HasValue) break;
            // As lwt_seq.ml: f is called directly, so a throw ends the traversal at once.
            var call = ThrowHelper.NullAsRejected(f(n.Value.Head));
            running.Add(call.Map(static () => Unit.Value));
            available--;
            seq = n.Value.Tail;
        }
        running.Reverse();
        await Promise.Join(running);
    }

    /// <summary>
    /// The sequence <paramref name="f"/> unfolds from <paramref name="seed"/>: <c>Some (x, next)</c>
    /// gives an item and the next seed, <c>None</c> ends it.
    /// <para>Lwt: <c>Lwt_seq.unfold</c></para>
    /// </summary>
    /// <param name="f">The step.</param>
    /// <param name="seed">The first seed.</param>
    /// <typeparam name="T">The type of the items.</typeparam>
    /// <typeparam name="S">The type of the seeds.</typeparam>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    public static LwtSeq<T> Unfold<T, S>(Func<S, Option<(T, S)>> f, S seed)
    {
        ArgumentNullException.ThrowIfNull(f);
        return UnfoldLwt(s => Promise.Return(f(s)), seed);
    }

    /// <summary>Like <see cref="Unfold{T, S}"/> with a step that returns promises.<para>Lwt: <c>Lwt_seq.unfold_lwt</c></para></summary>
    /// <param name="f">The step.</param>
    /// <param name="seed">The first seed.</param>
    /// <typeparam name="T">The type of the items.</typeparam>
    /// <typeparam name="S">The type of the seeds.</typeparam>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    public static LwtSeq<T> UnfoldLwt<T, S>(Func<S, Promise<Option<(T, S)>>> f, S seed)
    {
        ArgumentNullException.ThrowIfNull(f);
        return new(() => ThrowHelper.NullAsRejected(f(seed)).Map(r => r.HasValue ? Option.Some((r.Value.Item1, UnfoldLwt(f, r.Value.Item2))) : Option<(T, LwtSeq<T>)>.None));
    }

    /// <summary>
    /// The sequence of the elements of <paramref name="list"/> as they are at the call: the
    /// elements are copied, so a later change to <paramref name="list"/> (an element set, an
    /// element added or removed) does not change the sequence, as an OCaml list cannot change
    /// under <c>Lwt_seq.of_list</c> (which builds its whole sequence at the call).
    /// <para>Lwt: <c>Lwt_seq.of_list</c></para>
    /// </summary>
    /// <param name="list">The elements.</param>
    /// <typeparam name="T">The type of the items.</typeparam>
    /// <exception cref="ArgumentNullException"><paramref name="list"/> is null.</exception>
    public static LwtSeq<T> OfList<T>(IReadOnlyList<T> list)
    {
        ArgumentNullException.ThrowIfNull(list);
        // A snapshot, as LwtList's operations and LwtStream.OfList take one: the sequence is
        // a value and is read lazily, possibly long after the call and more than once.
        var items = list.ToArray();
        return Unfold(i => i < items.Length ? Option.Some((items[i], i + 1)) : Option<(T, int)>.None, 0);
    }

    /// <summary>
    /// The sequence of the elements of <paramref name="seq"/>, enumerated lazily (a new
    /// enumeration each time the sequence is traversed from its start).
    /// <para>
    /// Each enumerator is disposed only when a traversal reaches the end of the enumeration
    /// (an iterator whose <c>MoveNext</c> throws runs its own <c>finally</c> blocks). A
    /// traversal that stops early (<see cref="Take{T}"/>, a rejected consumer, a sequence no
    /// longer read) leaves its enumerator undisposed: an iterator's <c>finally</c> blocks do
    /// not run, and a source such as <see cref="File.ReadLines(string)"/> keeps its file
    /// open. A sequence is a value that can be read again from any of its nodes, so there is
    /// no point at which it is known to be finished with. Read such a source to its end, or
    /// release its resources yourself.
    /// </para>
    /// <para>Lwt: <c>Lwt_seq.of_seq</c></para>
    /// </summary>
    /// <param name="seq">The enumerable.</param>
    /// <typeparam name="T">The type of the items.</typeparam>
    /// <exception cref="ArgumentNullException"><paramref name="seq"/> is null.</exception>
    public static LwtSeq<T> OfSeq<T>(IEnumerable<T> seq)
    {
        ArgumentNullException.ThrowIfNull(seq);
        return new(() => FromEnumerator(seq.GetEnumerator()).Force());
    }

    /// <summary>
    /// The rest of an enumeration. Each position reads the enumerator once, when it is first
    /// forced, and remembers its node (or its failure), so a tail forced twice gives the same
    /// items: sequences are values, not cursors, and an enumerator cannot be rewound. Lwt's
    /// of_seq recomputes the node from the OCaml Seq instead, which gives the same items for
    /// a persistent Seq but runs its effects again; here they run once per traversal from
    /// the start.
    /// </summary>
    private static LwtSeq<T> FromEnumerator<T>(IEnumerator<T> e)
    {
        Promise<Option<(T, LwtSeq<T>)>>? node = null;
        return new LwtSeq<T>(() => node ??= NextOf(e));
    }

    private static Promise<Option<(T, LwtSeq<T>)>> NextOf<T>(IEnumerator<T> e)
    {
        try
        {
            if (e.MoveNext()) return Node(e.Current, FromEnumerator(e));
            e.Dispose();
            return Nil<T>();
        }
        catch (Exception error)
        {
            Promise.ExceptionFilter.RethrowIfRefused(error);
            return Promise.Fail<Option<(T, LwtSeq<T>)>>(error);
        }
    }

    /// <summary>
    /// The sequence of the values of the promises of <paramref name="seq"/>, in order: forcing
    /// a node takes the next promise from the enumeration and waits for it; a rejected promise
    /// rejects that node. The enumeration is lazy and remembered, as for
    /// <see cref="OfSeq{T}"/>: the next promise is not even asked for before the node is forced.
    /// The enumerator is disposed only when a traversal reaches its end, as for
    /// <see cref="OfSeq{T}"/>.
    /// <para>Lwt: <c>Lwt_seq.of_seq_lwt</c></para>
    /// </summary>
    /// <param name="seq">The promises.</param>
    /// <typeparam name="T">The type of the items.</typeparam>
    /// <exception cref="ArgumentNullException"><paramref name="seq"/> is null.</exception>
    public static LwtSeq<T> OfSeqLwt<T>(IEnumerable<Promise<T>> seq)
    {
        ArgumentNullException.ThrowIfNull(seq);
        return new(() => FromPromiseEnumerator(seq.GetEnumerator()).Force());
    }

    // FromEnumerator's twin for promises: the node is remembered as soon as it is asked for,
    // while its promise may still be pending, so two readers of one position share one
    // promise and the enumerator is never moved twice for it.
    private static LwtSeq<T> FromPromiseEnumerator<T>(IEnumerator<Promise<T>> e)
    {
        Promise<Option<(T, LwtSeq<T>)>>? node = null;
        return new LwtSeq<T>(() => node ??= NextPromiseOf(e));
    }

    private static Promise<Option<(T, LwtSeq<T>)>> NextPromiseOf<T>(IEnumerator<Promise<T>> e)
    {
        Promise<T> head;
        try
        {
            if (!e.MoveNext())
            {
                e.Dispose();
                return Nil<T>();
            }
            head = ThrowHelper.NullAsRejected(e.Current);
        }
        catch (Exception error)
        {
            Promise.ExceptionFilter.RethrowIfRefused(error);
            return Promise.Fail<Option<(T, LwtSeq<T>)>>(error);
        }
        return head.Map(x => Option.Some((x, FromPromiseEnumerator(e))));
    }

    /// <summary>The items, in order, once the sequence is exhausted.<para>Lwt: <c>Lwt_seq.to_list</c></para></summary>
    /// <param name="seq">The sequence.</param>
    /// <typeparam name="T">The type of the items.</typeparam>
    /// <exception cref="ArgumentNullException"><paramref name="seq"/> is null.</exception>
    public static Promise<IReadOnlyList<T>> ToList<T>(LwtSeq<T> seq)
    {
        ArgumentNullException.ThrowIfNull(seq);
        var list = new List<T>();
        return FoldCore<T, Unit>((_, x) => { list.Add(x); return Promise.ReturnUnit; }, default, seq)
            .Map(() => (IReadOnlyList<T>)list);
    }

    /// <summary>The sequence <c>f 0, f 1, ..., f (n - 1)</c>.<para>Lwt: <c>Seq.init</c> (for <c>Lwt_seq</c>)</para></summary>
    /// <param name="n">The length (0 or more).</param>
    /// <param name="f">The function.</param>
    /// <typeparam name="T">The type of the items.</typeparam>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="n"/> is negative.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    public static LwtSeq<T> Init<T>(int n, Func<int, T> f)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentNullException.ThrowIfNull(f);
        return Unfold(i => i < n ? Option.Some((f(i), i + 1)) : Option<(T, int)>.None, 0);
    }

    /// <summary>The infinite sequence <c>x, x, x, ...</c>.<para>Lwt: <c>Seq.repeat</c> (for <c>Lwt_seq</c>)</para></summary>
    /// <param name="x">The item.</param>
    /// <typeparam name="T">The type of the items.</typeparam>
    public static LwtSeq<T> Repeat<T>(T x)
    {
        LwtSeq<T>? self = null;
        self = new LwtSeq<T>(() => Node(x, self!));
        return self;
    }

    /// <summary>The infinite sequence of the values of successive calls to <paramref name="f"/>.<para>Lwt: <c>Seq.forever</c> (for <c>Lwt_seq</c>)</para></summary>
    /// <param name="f">Produces each item.</param>
    /// <typeparam name="T">The type of the items.</typeparam>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    public static LwtSeq<T> Forever<T>(Func<Promise<T>> f)
    {
        ArgumentNullException.ThrowIfNull(f);
        LwtSeq<T>? self = null;
        self = new LwtSeq<T>(() => ThrowHelper.NullAsRejected(f()).Map(x => Option.Some((x, self!))));
        return self;
    }

    /// <summary>The first <paramref name="n"/> items (fewer if the sequence is shorter).<para>Lwt: <c>Seq.take</c> (for <c>Lwt_seq</c>)</para></summary>
    /// <param name="n">How many (0 or more).</param>
    /// <param name="seq">The sequence.</param>
    /// <typeparam name="T">The type of the items.</typeparam>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="n"/> is negative.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="seq"/> is null.</exception>
    public static LwtSeq<T> Take<T>(int n, LwtSeq<T> seq)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentNullException.ThrowIfNull(seq);
        if (n == 0) return Empty<T>();
        return new(() => seq.Force().Map(node => node.HasValue
            ? Option.Some((node.Value.Head, Take(n - 1, node.Value.Tail)))
            : Option<(T, LwtSeq<T>)>.None));
    }

    /// <summary>The items after the first <paramref name="n"/>.<para>Lwt: <c>Seq.drop</c> (for <c>Lwt_seq</c>)</para></summary>
    /// <param name="n">How many to skip (0 or more).</param>
    /// <param name="seq">The sequence.</param>
    /// <typeparam name="T">The type of the items.</typeparam>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="n"/> is negative.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="seq"/> is null.</exception>
    public static LwtSeq<T> Drop<T>(int n, LwtSeq<T> seq)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentNullException.ThrowIfNull(seq);
        async Promise<Option<(T, LwtSeq<T>)>> Skip()
        {
            var s = seq;
            for (int i = 0; i < n; i++)
            {
                var node = await s.Force();
                if (!node.HasValue) return Option<(T, LwtSeq<T>)>.None;
                s = node.Value.Tail;
            }
            return await s.Force();
        }
        return new(Skip);
    }

    private static void Check(object seq, object f)
    {
        ArgumentNullException.ThrowIfNull(seq);
        ArgumentNullException.ThrowIfNull(f);
    }
}
