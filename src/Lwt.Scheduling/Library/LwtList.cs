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
 * A function that throws instead of returning a promise counts as a rejected promise.
 * The sequence is enumerated once, when the operation starts (the P forms enumerate it
 * completely before calling anything). Null arguments throw at the call.
 */

/// <summary>
/// List functions whose callbacks return promises, sequential (<c>S</c>) or concurrent
/// (<c>P</c>).
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
        return IterSCore(list, f);
    }

    private static async Promise IterSCore<T>(IEnumerable<T> list, Func<T, Promise> f)
    {
        foreach (var x in list) await f(x);
    }

    /// <summary>Calls <paramref name="f"/> on every element at once, then waits for all.<para>Lwt: <c>Lwt_list.iter_p</c></para></summary>
    /// <param name="list">The elements.</param>
    /// <param name="f">The function.</param>
    /// <typeparam name="T">The type of the elements.</typeparam>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static Promise IterP<T>(IEnumerable<T> list, Func<T, Promise> f)
    {
        Check(list, f);
        var started = new List<Promise>();
        foreach (var x in list) started.Add(Apply(f, x));
        return JoinLastFirst(started);
    }

    /// <summary>
    /// Joins the calls' promises last element first, as Lwt's <c>Lwt.join (List.rev_map ...)</c>
    /// does (and Lwt_seq.iter_p): when several are already rejected, the last element's
    /// exception wins.
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
        return IteriSCore(list, f);
    }

    private static async Promise IteriSCore<T>(IEnumerable<T> list, Func<int, T, Promise> f)
    {
        int i = 0;
        foreach (var x in list) await f(i++, x);
    }

    /// <summary>Calls <paramref name="f"/> on every index and element at once, then waits for all.<para>Lwt: <c>Lwt_list.iteri_p</c></para></summary>
    /// <param name="list">The elements.</param>
    /// <param name="f">The function, given the index (from 0) and the element.</param>
    /// <typeparam name="T">The type of the elements.</typeparam>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static Promise IteriP<T>(IEnumerable<T> list, Func<int, T, Promise> f)
    {
        Check(list, f);
        var started = new List<Promise>();
        int i = 0;
        foreach (var x in list)
        {
            int index = i++;
            started.Add(Apply(() => f(index, x)));
        }
        return JoinLastFirst(started);
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
        return MapSCore(list, (_, x) => f(x));
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
        return MapPCore(list, (_, x) => f(x));
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
        return MapSCore(list, f);
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
        return MapPCore(list, f);
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
        return MapSCore(list, (_, x) => f(x)).Map(Reversed);
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
        return MapPCore(list, (_, x) => f(x)).Map(Reversed);
    }

    private static async Promise<IReadOnlyList<U>> MapSCore<T, U>(IEnumerable<T> list, Func<int, T, Promise<U>> f)
    {
        var results = new List<U>();
        int i = 0;
        foreach (var x in list) results.Add(await f(i++, x));
        return results;
    }

    private static Promise<IReadOnlyList<U>> MapPCore<T, U>(IEnumerable<T> list, Func<int, T, Promise<U>> f)
    {
        var started = new List<Promise<U>>();
        int i = 0;
        foreach (var x in list)
        {
            int index = i++;
            started.Add(Apply(() => f(index, x)));
        }
        return CollectLastFirst(started);
    }

    /// <summary>
    /// Waits for the calls' promises from the last to the first, as Lwt's <c>_collect_rev</c>
    /// does: rejected as soon as the walk meets a rejected promise (at once when it is the
    /// last element's; only after the later ones have fulfilled when it is an earlier one's),
    /// and <c>Cancel()</c> reaches the promise being waited for, as through a chain of binds.
    /// </summary>
    private static async Promise<IReadOnlyList<U>> CollectLastFirst<U>(List<Promise<U>> started)
    {
        var values = new U[started.Count];
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
        return FoldLeftSCore(f, init, list);
    }

    private static async Promise<A> FoldLeftSCore<T, A>(Func<A, T, Promise<A>> f, A acc, IEnumerable<T> list)
    {
        foreach (var x in list) acc = await f(acc, x);
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
        return FoldRightSCore(f, list.ToArray(), init);
    }

    private static async Promise<A> FoldRightSCore<T, A>(Func<T, A, Promise<A>> f, T[] items, A acc)
    {
        for (int i = items.Length - 1; i >= 0; i--) acc = await f(items[i], acc);
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
        return PartitionSCore(list, f).Map(static r => r.Satisfying);
    }

    /// <summary>The elements that satisfy <paramref name="f"/>, all tested at once.<para>Lwt: <c>Lwt_list.filter_p</c></para></summary>
    /// <param name="list">The elements.</param>
    /// <param name="f">The predicate.</param>
    /// <typeparam name="T">The type of the elements.</typeparam>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static Promise<IReadOnlyList<T>> FilterP<T>(IEnumerable<T> list, Func<T, Promise<bool>> f)
    {
        Check(list, f);
        return PartitionPCore(list, f).Map(static r => r.Satisfying);
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
        return MapSCore(list, (_, x) => f(x)).Map(Somes);
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
        return MapPCore(list, (_, x) => f(x)).Map(Somes);
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
        return PartitionSCore(list, f);
    }

    /// <summary>Splits the elements into those that satisfy <paramref name="f"/> and the others, all tested at once.<para>Lwt: <c>Lwt_list.partition_p</c></para></summary>
    /// <param name="list">The elements.</param>
    /// <param name="f">The predicate.</param>
    /// <typeparam name="T">The type of the elements.</typeparam>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static Promise<(IReadOnlyList<T> Satisfying, IReadOnlyList<T> Others)> PartitionP<T>(IEnumerable<T> list, Func<T, Promise<bool>> f)
    {
        Check(list, f);
        return PartitionPCore(list, f);
    }

    private static async Promise<(IReadOnlyList<T> Satisfying, IReadOnlyList<T> Others)> PartitionSCore<T>(IEnumerable<T> list, Func<T, Promise<bool>> f)
    {
        var yes = new List<T>();
        var no = new List<T>();
        foreach (var x in list) (await f(x) ? yes : no).Add(x);
        return (yes, no);
    }

    private static Promise<(IReadOnlyList<T> Satisfying, IReadOnlyList<T> Others)> PartitionPCore<T>(IEnumerable<T> list, Func<T, Promise<bool>> f)
    {
        var items = list.ToArray();
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
        return ForAllSCore(list, f);
    }

    private static async Promise<bool> ForAllSCore<T>(IEnumerable<T> list, Func<T, Promise<bool>> f)
    {
        foreach (var x in list)
            if (!await f(x)) return false;
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
        return MapPCore(list, (_, x) => f(x)).Map(static tests => tests.All(static t => t));
    }

    /// <summary>Whether some element satisfies <paramref name="f"/>; stops at the first that does.<para>Lwt: <c>Lwt_list.exists_s</c></para></summary>
    /// <param name="list">The elements.</param>
    /// <param name="f">The predicate.</param>
    /// <typeparam name="T">The type of the elements.</typeparam>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static Promise<bool> ExistsS<T>(IEnumerable<T> list, Func<T, Promise<bool>> f)
    {
        Check(list, f);
        return ExistsSCore(list, f);
    }

    private static async Promise<bool> ExistsSCore<T>(IEnumerable<T> list, Func<T, Promise<bool>> f)
    {
        foreach (var x in list)
            if (await f(x)) return true;
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
        return MapPCore(list, (_, x) => f(x)).Map(static tests => tests.Any(static t => t));
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
        return FindSCore(list, f);
    }

    private static async Promise<T> FindSCore<T>(IEnumerable<T> list, Func<T, Promise<bool>> f)
    {
        foreach (var x in list)
            if (await f(x)) return x;
        throw new KeyNotFoundException("LwtList.FindS: no element satisfies the predicate (OCaml's Not_found).");
    }

    // ------------------------------------------------------------------ helpers

    private static void Check(object list, object f)
    {
        ArgumentNullException.ThrowIfNull(list);
        ArgumentNullException.ThrowIfNull(f);
    }

    /// <summary>Calls f; a throw becomes a rejected promise (Lwt.apply).</summary>
    private static Promise Apply<T>(Func<T, Promise> f, T x)
    {
        try
        {
            return f(x) ?? Promise.Fail(ThrowHelper.NullPromise());
        }
        catch (Exception e)
        {
            Promise.ExceptionFilter.RethrowIfRefused(e);
            return Promise.Fail(e);
        }
    }

    private static Promise Apply(Func<Promise> f)
    {
        try
        {
            return f() ?? Promise.Fail(ThrowHelper.NullPromise());
        }
        catch (Exception e)
        {
            Promise.ExceptionFilter.RethrowIfRefused(e);
            return Promise.Fail(e);
        }
    }

    private static Promise<U> Apply<U>(Func<Promise<U>> f)
    {
        try
        {
            return f() ?? Promise.Fail<U>(ThrowHelper.NullPromise());
        }
        catch (Exception e)
        {
            Promise.ExceptionFilter.RethrowIfRefused(e);
            return Promise.Fail<U>(e);
        }
    }
}
