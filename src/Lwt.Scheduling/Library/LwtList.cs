using System.Diagnostics.CodeAnalysis;

namespace Lwt;

/*
 * Lwt_list: list operations whose function returns a promise.
 *
 * Two families, as in Lwt:
 *  - `S` (sequential): the function is called on an element only after the promise for
 *    the previous element has resolved; the first rejection stops the walk and rejects
 *    the result. Written as async loops: constant stack however long the list.
 *  - `P` (parallel, i.e. concurrent): the function is called on every element, in order,
 *    before any promise is awaited; the result resolves when they all have. Results keep
 *    the order of the input. Failures follow lwt_list.ml, which waits from the last
 *    element to the first: iter_p joins last-first, so of several calls already rejected
 *    the last element's exception wins (Lwt.join's choice is documented as arbitrary; this
 *    is the choice lwt makes); map_p and the functions built on it wait for the promises
 *    one by one from the last, so a rejection rejects the result as soon as that walk
 *    reaches it.
 *
 * A function that throws instead of returning a promise counts as a rejected promise, and
 * one that returns null counts as a promise rejected with ThrowHelper.NullPromise's
 * InvalidOperationException, in both families.
 *
 * Lwt takes an immutable list, so a walk always sees the elements as they were at the
 * call. Here every operation copies the input into an array at the call, before f runs
 * once, and walks the copy: a callback (or, while an S walk waits, anyone else) may change
 * the caller's collection without breaking the walk or changing what it sees. The copy is
 * made even when the input is already an array, because a callback could still write into
 * its elements; it is one array beside the promise per element the walk holds anyway. Since
 * the input is enumerated completely, the S forms that stop early (ForAllS, ExistsS, FindS)
 * stop calling f early but still read every element, as Lwt's list is built before the
 * call; an endless enumerable is not a list. An exception from enumerating the input
 * rejects the result, as an exception from f does; it is never thrown at the call. Null
 * arguments throw ArgumentNullException at the call.
 */

/// <summary>
/// List functions whose callbacks return promises, sequential (<c>S</c>) or concurrent
/// (<c>P</c>). A <c>P</c> form starts every callback at once; for at most <c>n</c> at a
/// time there is no <c>LwtList</c> function (Lwt_list has none either): use
/// <see cref="LwtStream{T}.IterN"/> over <see cref="LwtStream.OfList{T}(IEnumerable{T})"/>,
/// <see cref="LwtSeq.IterN"/>, or an <see cref="LwtPool{T}"/> of <c>n</c> members. Each
/// function copies its input at the call (an OCaml list is a finished value), so an endless
/// <see cref="IEnumerable{T}"/> never returns from the call: read such a source with
/// <see cref="LwtSeq"/> or <see cref="LwtStream"/>, which pull lazily. A function that
/// throws instead of returning a promise counts as a promise rejected with that exception,
/// and one that returns null as a promise rejected with <see cref="InvalidOperationException"/>.
/// <para>Lwt: <c>Lwt_list</c></para>
/// </summary>
public static class LwtList
{
    // ------------------------------------------------------------------ iteration

    /// <summary>Calls <paramref name="f"/> on each element, one after the other.<para>Lwt: <c>Lwt_list.iter_s</c></para></summary>
    /// <param name="list">The elements.</param>
    /// <param name="f">The function.</param>
    /// <typeparam name="T">The type of the elements.</typeparam>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static Promise IterS<T>(IEnumerable<T> list, Func<T, Promise> f)
    {
        Check(list, f);
        if (!TrySnapshot(list, out var items, out var error)) return Promise.Fail(error);
        return IterSCore(items, f);
    }

    private static async Promise IterSCore<T>(T[] items, Func<T, Promise> f)
    {
        foreach (var x in items) await ThrowHelper.NullAsRejected(f(x));
    }

    /// <summary>Calls <paramref name="f"/> on every element at once, then waits for all.<para>Lwt: <c>Lwt_list.iter_p</c></para></summary>
    /// <param name="list">The elements.</param>
    /// <param name="f">The function.</param>
    /// <typeparam name="T">The type of the elements.</typeparam>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static Promise IterP<T>(IEnumerable<T> list, Func<T, Promise> f)
    {
        Check(list, f);
        if (!TrySnapshot(list, out var items, out var error)) return Promise.Fail(error);
        // f runs in the elements' order; its promises are stored last element first, as Lwt
        // joins List.rev_map's list, so of several already rejected the last one's wins.
        var started = new Promise[items.Length];
        for (int i = 0; i < items.Length; i++) started[items.Length - 1 - i] = Apply(f, items[i]);
        return Promise.Join(started);
    }

    /// <summary>
    /// Joins the calls' promises last element first, as Lwt_seq.iter_p does (and
    /// Lwt_list.iter_p, whose order IterP builds in its array directly): when several are
    /// already rejected, the last element's exception wins.
    /// </summary>
    internal static Promise JoinLastFirst(List<Promise> started)
    {
        started.Reverse();
        return Promise.Join(started);
    }

    /// <summary>Calls <paramref name="f"/> on each index and element, one after the other.<para>Lwt: <c>Lwt_list.iteri_s</c></para></summary>
    /// <param name="list">The elements.</param>
    /// <param name="f">The function, given the index (from 0) and the element.</param>
    /// <typeparam name="T">The type of the elements.</typeparam>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static Promise IteriS<T>(IEnumerable<T> list, Func<int, T, Promise> f)
    {
        Check(list, f);
        if (!TrySnapshot(list, out var items, out var error)) return Promise.Fail(error);
        return IteriSCore(items, f);
    }

    private static async Promise IteriSCore<T>(T[] items, Func<int, T, Promise> f)
    {
        for (int i = 0; i < items.Length; i++) await ThrowHelper.NullAsRejected(f(i, items[i]));
    }

    /// <summary>Calls <paramref name="f"/> on every index and element at once, then waits for all.<para>Lwt: <c>Lwt_list.iteri_p</c></para></summary>
    /// <param name="list">The elements.</param>
    /// <param name="f">The function, given the index (from 0) and the element.</param>
    /// <typeparam name="T">The type of the elements.</typeparam>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static Promise IteriP<T>(IEnumerable<T> list, Func<int, T, Promise> f)
    {
        Check(list, f);
        if (!TrySnapshot(list, out var items, out var error)) return Promise.Fail(error);
        // As IterP: called in order, joined last element first.
        var started = new Promise[items.Length];
        for (int i = 0; i < items.Length; i++) started[items.Length - 1 - i] = Apply(f, i, items[i]);
        return Promise.Join(started);
    }

    // ------------------------------------------------------------------ maps

    /// <summary>Maps the elements, one after the other.<para>Lwt: <c>Lwt_list.map_s</c></para></summary>
    /// <param name="list">The elements.</param>
    /// <param name="f">The function.</param>
    /// <typeparam name="T">The type of the elements.</typeparam>
    /// <typeparam name="U">The type of the results.</typeparam>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static Promise<IReadOnlyList<U>> MapS<T, U>(IEnumerable<T> list, Func<T, Promise<U>> f)
    {
        Check(list, f);
        if (!TrySnapshot(list, out var items, out var error)) return Promise.Fail<IReadOnlyList<U>>(error);
        return MapSCore(items, (_, x) => f(x));
    }

    /// <summary>Maps the elements, calling <paramref name="f"/> on all of them at once.<para>Lwt: <c>Lwt_list.map_p</c></para></summary>
    /// <param name="list">The elements.</param>
    /// <param name="f">The function.</param>
    /// <typeparam name="T">The type of the elements.</typeparam>
    /// <typeparam name="U">The type of the results.</typeparam>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static Promise<IReadOnlyList<U>> MapP<T, U>(IEnumerable<T> list, Func<T, Promise<U>> f)
    {
        Check(list, f);
        if (!TrySnapshot(list, out var items, out var error)) return Promise.Fail<IReadOnlyList<U>>(error);
        return MapPCore(items, (_, x) => f(x));
    }

    /// <summary>Maps the indexes and elements, one after the other.<para>Lwt: <c>Lwt_list.mapi_s</c></para></summary>
    /// <param name="list">The elements.</param>
    /// <param name="f">The function, given the index (from 0) and the element.</param>
    /// <typeparam name="T">The type of the elements.</typeparam>
    /// <typeparam name="U">The type of the results.</typeparam>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static Promise<IReadOnlyList<U>> MapiS<T, U>(IEnumerable<T> list, Func<int, T, Promise<U>> f)
    {
        Check(list, f);
        if (!TrySnapshot(list, out var items, out var error)) return Promise.Fail<IReadOnlyList<U>>(error);
        return MapSCore(items, f);
    }

    /// <summary>Maps the indexes and elements, calling <paramref name="f"/> on all at once.<para>Lwt: <c>Lwt_list.mapi_p</c></para></summary>
    /// <param name="list">The elements.</param>
    /// <param name="f">The function, given the index (from 0) and the element.</param>
    /// <typeparam name="T">The type of the elements.</typeparam>
    /// <typeparam name="U">The type of the results.</typeparam>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static Promise<IReadOnlyList<U>> MapiP<T, U>(IEnumerable<T> list, Func<int, T, Promise<U>> f)
    {
        Check(list, f);
        if (!TrySnapshot(list, out var items, out var error)) return Promise.Fail<IReadOnlyList<U>>(error);
        return MapPCore(items, f);
    }

    /// <summary>Maps the elements one after the other; the results come in reverse order.<para>Lwt: <c>Lwt_list.rev_map_s</c></para></summary>
    /// <param name="list">The elements.</param>
    /// <param name="f">The function.</param>
    /// <typeparam name="T">The type of the elements.</typeparam>
    /// <typeparam name="U">The type of the results.</typeparam>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static Promise<IReadOnlyList<U>> RevMapS<T, U>(IEnumerable<T> list, Func<T, Promise<U>> f)
    {
        Check(list, f);
        if (!TrySnapshot(list, out var items, out var error)) return Promise.Fail<IReadOnlyList<U>>(error);
        return MapSCore(items, (_, x) => f(x)).Map(Reversed);
    }

    /// <summary>Maps the elements concurrently; the results come in reverse order.<para>Lwt: <c>Lwt_list.rev_map_p</c></para></summary>
    /// <param name="list">The elements.</param>
    /// <param name="f">The function.</param>
    /// <typeparam name="T">The type of the elements.</typeparam>
    /// <typeparam name="U">The type of the results.</typeparam>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static Promise<IReadOnlyList<U>> RevMapP<T, U>(IEnumerable<T> list, Func<T, Promise<U>> f)
    {
        Check(list, f);
        if (!TrySnapshot(list, out var items, out var error)) return Promise.Fail<IReadOnlyList<U>>(error);
        return MapPCore(items, (_, x) => f(x)).Map(Reversed);
    }

    private static async Promise<IReadOnlyList<U>> MapSCore<T, U>(T[] items, Func<int, T, Promise<U>> f)
    {
        var results = new U[items.Length];
        for (int i = 0; i < items.Length; i++) results[i] = await ThrowHelper.NullAsRejected(f(i, items[i]));
        return results;
    }

    private static Promise<IReadOnlyList<U>> MapPCore<T, U>(T[] items, Func<int, T, Promise<U>> f)
    {
        var started = new Promise<U>[items.Length];
        for (int i = 0; i < items.Length; i++) started[i] = Apply(f, i, items[i]);
        return CollectLastFirst(started);
    }

    /// <summary>
    /// Waits for the calls' promises from the last to the first, as Lwt's <c>_collect_rev</c>
    /// does: rejected as soon as the walk meets a rejected promise (at once when it is the
    /// last element's; only after the later ones have fulfilled when it is an earlier one's),
    /// and <c>Cancel()</c> reaches the promise being waited for, as through a chain of binds.
    /// </summary>
    private static async Promise<IReadOnlyList<U>> CollectLastFirst<U>(Promise<U>[] started)
    {
        var values = new U[started.Length];
        for (int i = values.Length - 1; i >= 0; i--) values[i] = await started[i];
        return values;
    }

    private static IReadOnlyList<U> Reversed<U>(IReadOnlyList<U> list)
    {
        var array = new U[list.Count];
        for (int i = 0; i < array.Length; i++) array[i] = list[array.Length - 1 - i];
        return array;
    }

    // ------------------------------------------------------------------ folds

    /// <summary>Folds from the left: <c>f (... (f init x0) ...) xn</c>, one call after the other.<para>Lwt: <c>Lwt_list.fold_left_s</c></para></summary>
    /// <param name="f">The function, given the accumulator and an element.</param>
    /// <param name="init">The initial accumulator.</param>
    /// <param name="list">The elements.</param>
    /// <typeparam name="T">The type of the elements.</typeparam>
    /// <typeparam name="A">The type of the accumulator.</typeparam>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static Promise<A> FoldLeftS<T, A>(Func<A, T, Promise<A>> f, A init, IEnumerable<T> list)
    {
        Check(list, f);
        if (!TrySnapshot(list, out var items, out var error)) return Promise.Fail<A>(error);
        return FoldLeftSCore(f, init, items);
    }

    private static async Promise<A> FoldLeftSCore<T, A>(Func<A, T, Promise<A>> f, A acc, T[] items)
    {
        foreach (var x in items) acc = await ThrowHelper.NullAsRejected(f(acc, x));
        return acc;
    }

    /// <summary>Folds from the right: <c>f x0 (... (f xn init))</c>, the last element first.<para>Lwt: <c>Lwt_list.fold_right_s</c></para></summary>
    /// <param name="f">The function, given an element and the accumulator.</param>
    /// <param name="list">The elements.</param>
    /// <param name="init">The initial accumulator.</param>
    /// <typeparam name="T">The type of the elements.</typeparam>
    /// <typeparam name="A">The type of the accumulator.</typeparam>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static Promise<A> FoldRightS<T, A>(Func<T, A, Promise<A>> f, IEnumerable<T> list, A init)
    {
        Check(list, f);
        if (!TrySnapshot(list, out var items, out var error)) return Promise.Fail<A>(error);
        return FoldRightSCore(f, items, init);
    }

    private static async Promise<A> FoldRightSCore<T, A>(Func<T, A, Promise<A>> f, T[] items, A acc)
    {
        for (int i = items.Length - 1; i >= 0; i--) acc = await ThrowHelper.NullAsRejected(f(items[i], acc));
        return acc;
    }

    // ------------------------------------------------------------------ filters

    /// <summary>The elements that satisfy <paramref name="f"/>, tested one after the other.<para>Lwt: <c>Lwt_list.filter_s</c></para></summary>
    /// <param name="list">The elements.</param>
    /// <param name="f">The predicate.</param>
    /// <typeparam name="T">The type of the elements.</typeparam>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static Promise<IReadOnlyList<T>> FilterS<T>(IEnumerable<T> list, Func<T, Promise<bool>> f)
    {
        Check(list, f);
        if (!TrySnapshot(list, out var items, out var error)) return Promise.Fail<IReadOnlyList<T>>(error);
        return PartitionSCore(items, f).Map(static r => r.Satisfying);
    }

    /// <summary>The elements that satisfy <paramref name="f"/>, all tested at once.<para>Lwt: <c>Lwt_list.filter_p</c></para></summary>
    /// <param name="list">The elements.</param>
    /// <param name="f">The predicate.</param>
    /// <typeparam name="T">The type of the elements.</typeparam>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static Promise<IReadOnlyList<T>> FilterP<T>(IEnumerable<T> list, Func<T, Promise<bool>> f)
    {
        Check(list, f);
        if (!TrySnapshot(list, out var items, out var error)) return Promise.Fail<IReadOnlyList<T>>(error);
        return PartitionPCore(items, f).Map(static r => r.Satisfying);
    }

    /// <summary>The <c>Some</c> results of <paramref name="f"/>, called one after the other.<para>Lwt: <c>Lwt_list.filter_map_s</c></para></summary>
    /// <param name="list">The elements.</param>
    /// <param name="f">The function.</param>
    /// <typeparam name="T">The type of the elements.</typeparam>
    /// <typeparam name="U">The type of the results.</typeparam>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static Promise<IReadOnlyList<U>> FilterMapS<T, U>(IEnumerable<T> list, Func<T, Promise<Option<U>>> f)
    {
        Check(list, f);
        if (!TrySnapshot(list, out var items, out var error)) return Promise.Fail<IReadOnlyList<U>>(error);
        return MapSCore(items, (_, x) => f(x)).Map(Somes);
    }

    /// <summary>The <c>Some</c> results of <paramref name="f"/>, called on all elements at once.<para>Lwt: <c>Lwt_list.filter_map_p</c></para></summary>
    /// <param name="list">The elements.</param>
    /// <param name="f">The function.</param>
    /// <typeparam name="T">The type of the elements.</typeparam>
    /// <typeparam name="U">The type of the results.</typeparam>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static Promise<IReadOnlyList<U>> FilterMapP<T, U>(IEnumerable<T> list, Func<T, Promise<Option<U>>> f)
    {
        Check(list, f);
        if (!TrySnapshot(list, out var items, out var error)) return Promise.Fail<IReadOnlyList<U>>(error);
        return MapPCore(items, (_, x) => f(x)).Map(Somes);
    }

    private static IReadOnlyList<U> Somes<U>(IReadOnlyList<Option<U>> options)
    {
        var list = new List<U>();
        foreach (var o in options)
            if (o.HasValue) list.Add(o.Value);
        return list;
    }

    /// <summary>Splits the elements into those that satisfy <paramref name="f"/> and the others, tested one after the other.<para>Lwt: <c>Lwt_list.partition_s</c></para></summary>
    /// <param name="list">The elements.</param>
    /// <param name="f">The predicate.</param>
    /// <typeparam name="T">The type of the elements.</typeparam>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static Promise<(IReadOnlyList<T> Satisfying, IReadOnlyList<T> Others)> PartitionS<T>(IEnumerable<T> list, Func<T, Promise<bool>> f)
    {
        Check(list, f);
        if (!TrySnapshot(list, out var items, out var error)) return Promise.Fail<(IReadOnlyList<T>, IReadOnlyList<T>)>(error);
        return PartitionSCore(items, f);
    }

    /// <summary>Splits the elements into those that satisfy <paramref name="f"/> and the others, all tested at once.<para>Lwt: <c>Lwt_list.partition_p</c></para></summary>
    /// <param name="list">The elements.</param>
    /// <param name="f">The predicate.</param>
    /// <typeparam name="T">The type of the elements.</typeparam>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static Promise<(IReadOnlyList<T> Satisfying, IReadOnlyList<T> Others)> PartitionP<T>(IEnumerable<T> list, Func<T, Promise<bool>> f)
    {
        Check(list, f);
        if (!TrySnapshot(list, out var items, out var error)) return Promise.Fail<(IReadOnlyList<T>, IReadOnlyList<T>)>(error);
        return PartitionPCore(items, f);
    }

    private static async Promise<(IReadOnlyList<T> Satisfying, IReadOnlyList<T> Others)> PartitionSCore<T>(T[] items, Func<T, Promise<bool>> f)
    {
        var yes = new List<T>();
        var no = new List<T>();
        foreach (var x in items) (await ThrowHelper.NullAsRejected(f(x)) ? yes : no).Add(x);
        return (yes, no);
    }

    private static Promise<(IReadOnlyList<T> Satisfying, IReadOnlyList<T> Others)> PartitionPCore<T>(T[] items, Func<T, Promise<bool>> f)
    {
        return MapPCore(items, (_, x) => f(x)).Map(tests =>
        {
            var yes = new List<T>();
            var no = new List<T>();
            for (int i = 0; i < items.Length; i++) (tests[i] ? yes : no).Add(items[i]);
            return ((IReadOnlyList<T>)yes, (IReadOnlyList<T>)no);
        });
    }

    // ------------------------------------------------------------------ searches

    /// <summary>Whether every element satisfies <paramref name="f"/>; stops at the first that does not.<para>Lwt: <c>Lwt_list.for_all_s</c></para></summary>
    /// <param name="list">The elements.</param>
    /// <param name="f">The predicate.</param>
    /// <typeparam name="T">The type of the elements.</typeparam>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static Promise<bool> ForAllS<T>(IEnumerable<T> list, Func<T, Promise<bool>> f)
    {
        Check(list, f);
        if (!TrySnapshot(list, out var items, out var error)) return Promise.Fail<bool>(error);
        return ForAllSCore(items, f);
    }

    private static async Promise<bool> ForAllSCore<T>(T[] items, Func<T, Promise<bool>> f)
    {
        foreach (var x in items)
            if (!await ThrowHelper.NullAsRejected(f(x))) return false;
        return true;
    }

    /// <summary>Whether every element satisfies <paramref name="f"/>, all tested at once.<para>Lwt: <c>Lwt_list.for_all_p</c></para></summary>
    /// <param name="list">The elements.</param>
    /// <param name="f">The predicate.</param>
    /// <typeparam name="T">The type of the elements.</typeparam>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static Promise<bool> ForAllP<T>(IEnumerable<T> list, Func<T, Promise<bool>> f)
    {
        Check(list, f);
        if (!TrySnapshot(list, out var items, out var error)) return Promise.Fail<bool>(error);
        return MapPCore(items, (_, x) => f(x)).Map(static tests => tests.All(static t => t));
    }

    /// <summary>Whether some element satisfies <paramref name="f"/>; stops at the first that does.<para>Lwt: <c>Lwt_list.exists_s</c></para></summary>
    /// <param name="list">The elements.</param>
    /// <param name="f">The predicate.</param>
    /// <typeparam name="T">The type of the elements.</typeparam>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static Promise<bool> ExistsS<T>(IEnumerable<T> list, Func<T, Promise<bool>> f)
    {
        Check(list, f);
        if (!TrySnapshot(list, out var items, out var error)) return Promise.Fail<bool>(error);
        return ExistsSCore(items, f);
    }

    private static async Promise<bool> ExistsSCore<T>(T[] items, Func<T, Promise<bool>> f)
    {
        foreach (var x in items)
            if (await ThrowHelper.NullAsRejected(f(x))) return true;
        return false;
    }

    /// <summary>Whether some element satisfies <paramref name="f"/>, all tested at once.<para>Lwt: <c>Lwt_list.exists_p</c></para></summary>
    /// <param name="list">The elements.</param>
    /// <param name="f">The predicate.</param>
    /// <typeparam name="T">The type of the elements.</typeparam>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static Promise<bool> ExistsP<T>(IEnumerable<T> list, Func<T, Promise<bool>> f)
    {
        Check(list, f);
        if (!TrySnapshot(list, out var items, out var error)) return Promise.Fail<bool>(error);
        return MapPCore(items, (_, x) => f(x)).Map(static tests => tests.Any(static t => t));
    }

    /// <summary>
    /// The first element that satisfies <paramref name="f"/>, tested one after the other;
    /// rejected with <see cref="KeyNotFoundException"/> (OCaml's <c>Not_found</c>) when none does.
    /// <para>Lwt: <c>Lwt_list.find_s</c></para>
    /// </summary>
    /// <param name="list">The elements.</param>
    /// <param name="f">The predicate.</param>
    /// <typeparam name="T">The type of the elements.</typeparam>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static Promise<T> FindS<T>(IEnumerable<T> list, Func<T, Promise<bool>> f)
    {
        Check(list, f);
        if (!TrySnapshot(list, out var items, out var error)) return Promise.Fail<T>(error);
        return FindSCore(items, f);
    }

    private static async Promise<T> FindSCore<T>(T[] items, Func<T, Promise<bool>> f)
    {
        foreach (var x in items)
            if (await ThrowHelper.NullAsRejected(f(x))) return x;
        throw new KeyNotFoundException("LwtList.FindS: no element satisfies the predicate (OCaml's Not_found).");
    }

    // ------------------------------------------------------------------ helpers

    private static void Check(object list, object f)
    {
        ArgumentNullException.ThrowIfNull(list);
        ArgumentNullException.ThrowIfNull(f);
    }

    /// <summary>
    /// Copies <paramref name="list"/> into a new array, the snapshot every operation walks
    /// (see the comment at the top of the file). An exception from enumerating it is
    /// returned, for the caller to reject its result with, unless the exception filter
    /// refuses it.
    /// </summary>
    private static bool TrySnapshot<T>(IEnumerable<T> list, [NotNullWhen(true)] out T[]? items, [NotNullWhen(false)] out Exception? error)
    {
        try
        {
            items = list.ToArray();
            error = null;
            return true;
        }
        catch (Exception e)
        {
            Promise.ExceptionFilter.RethrowIfRefused(e);
            items = null;
            error = e;
            return false;
        }
    }

    /// <summary>Calls f; a throw becomes a rejected promise (Lwt.apply).</summary>
    private static Promise Apply<T>(Func<T, Promise> f, T x)
    {
        try
        {
            return ThrowHelper.NullAsRejected(f(x));
        }
        catch (Exception e)
        {
            Promise.ExceptionFilter.RethrowIfRefused(e);
            return Promise.Fail(e);
        }
    }

    private static Promise Apply<T>(Func<int, T, Promise> f, int i, T x)
    {
        try
        {
            return ThrowHelper.NullAsRejected(f(i, x));
        }
        catch (Exception e)
        {
            Promise.ExceptionFilter.RethrowIfRefused(e);
            return Promise.Fail(e);
        }
    }

    private static Promise<U> Apply<T, U>(Func<int, T, Promise<U>> f, int i, T x)
    {
        try
        {
            return ThrowHelper.NullAsRejected(f(i, x));
        }
        catch (Exception e)
        {
            Promise.ExceptionFilter.RethrowIfRefused(e);
            return Promise.Fail<U>(e);
        }
    }
}
