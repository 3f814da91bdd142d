namespace Lwt;

/*
 * Lwt_throttle: a rate limiter per key ("at most `rate` calls per second for each
 * client address", say).
 *
 * The model is Lwt's (src/unix/lwt_throttle.ml), window by window rather than sliding:
 *  - Each key has a count of the calls let through in the current one-second window and
 *    a FIFO of the calls waiting for a later window.
 *  - Wait(key) lets the call through at once (true) while the key's count is below
 *    `rate`; otherwise it waits in the key's queue, unless `max` calls are already
 *    waiting (over all keys, as in Lwt's implementation), in which case it is refused at
 *    once (false).
 *  - While any key is known, a one-second sleep turns the window ("cleaning"): each key
 *    lets up to `rate` of its waiting calls through (they resolve to true, first come,
 *    first served), which becomes its count for the new window; a key that let nothing
 *    through is forgotten. When no key is left, the sleep stops until the next Wait.
 *    The calls let through are resolved key by key (in the table's order), each key's
 *    oldest first. Lwt's update_key collects them in a list it builds by prepending, so
 *    it resolves them in the reverse order, each key's newest first; which calls get
 *    through is the same, only the order their continuations run in differs, and
 *    oldest first is the order a FIFO promises.
 *
 * Different from Lwt, as everywhere in this library (Waiters.cs): a waiting call whose
 * promise is canceled leaves its queue. It is never counted against `rate` when the
 * window turns, and it frees its place under `max` (recounted, lazily, when `max` seems
 * reached).
 *
 * `max` bounds the number of waiting calls over all keys, as Lwt 5.6.1 documents it
 * ("maximum number of pending promises allowed at once, over all channels") and implements
 * it. With `rate` calls let through per second and key, a key's waiting calls wait about
 * (their number) / rate seconds at most.
 *
 * Threads: like Lwt's, a throttle belongs to the event loop of the thread that uses it
 * (its window timer is an LwtUnix.Sleep on that loop).
 */

/// <summary>
/// A rate limiter per key: at most <c>rate</c> calls of <see cref="Wait"/> per second and
/// key go through; the others wait for a later second, up to <c>max</c> waiting calls.
/// <para>Lwt: <c>Lwt_throttle.Make(H).t</c></para>
/// </summary>
/// <typeparam name="TKey">The type of the keys (Lwt's <c>H.t</c>; equality from the comparer).</typeparam>
public sealed class LwtThrottle<TKey> where TKey : notnull
{
    private readonly int _rate;
    private readonly int _max;
    private readonly Dictionary<TKey, Entry> _table;
    private readonly Action<Unit> _turnWindow;
    private int _waiting;
    private Promise? _cleaning;

    private LwtThrottle(int rate, int max, int n, IEqualityComparer<TKey>? comparer)
    {
        _rate = rate;
        _max = max;
        _table = new Dictionary<TKey, Entry>(n, comparer);
        _turnWindow = TurnWindow;
    }

    /// <summary>
    /// A rate limiter letting through at most <paramref name="rate"/> calls per second for
    /// each key, with at most <paramref name="max"/> calls waiting.
    /// <para>Lwt: <c>Lwt_throttle.Make(H).create ~rate ~max ~n</c></para>
    /// </summary>
    /// <param name="rate">Calls let through per second and key (1 or more).</param>
    /// <param name="max">The most calls that may wait at once, over all keys (1 or more).</param>
    /// <param name="n">The initial capacity of the key table (0 or more).</param>
    /// <param name="comparer">Key equality (Lwt's <c>H.equal</c>/<c>H.hash</c>); null for the default.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="rate"/> or <paramref name="max"/> is below 1, or <paramref name="n"/> is negative (Lwt raises Invalid_argument).</exception>
    public static LwtThrottle<TKey> Create(int rate, int max, int n, IEqualityComparer<TKey>? comparer = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rate, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        return new LwtThrottle<TKey>(rate, max, n, comparer);
    }

    /// <summary>Calls let through per second and key.<para>Lwt: the <c>~rate</c> of <c>Lwt_throttle.Make(H).create</c></para></summary>
    public int Rate => _rate;

    /// <summary>The most calls that may wait at once.<para>Lwt: the <c>~max</c> of <c>Lwt_throttle.Make(H).create</c></para></summary>
    public int Max => _max;

    /// <summary>
    /// Waits until a call for <paramref name="key"/> may go through: <c>true</c> at once
    /// while fewer than <c>rate</c> calls went through for that key in the current second;
    /// <c>true</c> later, in a following second, first come first served; <c>false</c> at
    /// once when <c>max</c> calls are already waiting. A waiting promise is cancelable: the
    /// canceled call leaves the queue.
    /// <para>Lwt: <c>Lwt_throttle.Make(H).wait</c></para>
    /// </summary>
    /// <param name="key">The key.</param>
    /// <exception cref="ArgumentNullException"><paramref name="key"/> is null.</exception>
    public Promise<bool> Wait(TKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        Promise<bool> result;
        if (_table.TryGetValue(key, out var entry))
        {
            if (entry.Consumed >= _rate) result = WaitForWindow(entry);
            else
            {
                entry.Consumed++;
                result = Promise.ReturnTrue;
            }
        }
        else
        {
            _table.Add(key, new Entry { Consumed = 1 });
            result = Promise.ReturnTrue;
        }
        if (_cleaning is null) LaunchCleaning();
        return result;
    }

    private Promise<bool> WaitForWindow(Entry entry)
    {
        if (_waiting >= _max)
        {
            // Canceled waiters free their places: recount before refusing.
            _waiting = CountLiveWaiters();
            if (_waiting >= _max) return Promise.ReturnFalse;
        }
        var waiter = WaiterPromise.Create<bool>();
        (entry.Queue ??= new()).Enqueue(new PromiseWaiter<bool>(waiter));
        _waiting++;
        return waiter;
    }

    private void LaunchCleaning()
    {
        var sleep = LwtUnix.SleepTyped(1.0);
        _cleaning = sleep;
        sleep.OnSuccess(_turnWindow);
    }

    /// <summary>Lwt's <c>clean_table</c>: the one-second window turns. See the file comment.</summary>
    private void TurnWindow(Unit _)
    {
        List<Promise<bool>>? toRun = null;
        int waiting = 0;
        foreach (var (key, entry) in _table)
        {
            int consumed = 0;
            if (entry.Queue is { } queue)
            {
                while (consumed < _rate && queue.TryDequeueLive(out var w))
                {
                    (toRun ??= []).Add(w.Promise);
                    consumed++;
                }
                waiting += queue.CountLive();
            }
            // Removing the current key while enumerating is allowed for Dictionary.
            if (consumed == 0) _table.Remove(key);
            else entry.Consumed = consumed;
        }
        _waiting = waiting;
        if (waiting == 0 && toRun is null) _cleaning = null;
        else LaunchCleaning();
        if (toRun is not null)
            foreach (var p in toRun) WaiterPromise.TryFulfil(p, true);
    }

    private int CountLiveWaiters()
    {
        int n = 0;
        foreach (var entry in _table.Values)
            if (entry.Queue is { } queue) n += queue.CountLive();
        return n;
    }

    /// <summary>A key's state: calls let through in this window, and the calls waiting.</summary>
    private sealed class Entry
    {
        internal int Consumed;
        internal WaiterQueue<PromiseWaiter<bool>>? Queue;
    }
}

/// <summary>
/// Creating rate limiters.
/// <para>Lwt: <c>Lwt_throttle</c></para>
/// </summary>
public static class LwtThrottle
{
    /// <summary>
    /// A rate limiter per key (see <see cref="LwtThrottle{TKey}"/>).
    /// <para>Lwt: <c>Lwt_throttle.Make(H).create ~rate ~max ~n</c></para>
    /// </summary>
    /// <param name="rate">Calls let through per second and key (1 or more).</param>
    /// <param name="max">The most calls that may wait at once, over all keys (1 or more).</param>
    /// <param name="n">The initial capacity of the key table (0 or more).</param>
    /// <param name="comparer">Key equality; null for the default.</param>
    /// <typeparam name="TKey">The type of the keys.</typeparam>
    /// <exception cref="ArgumentOutOfRangeException">A bad <paramref name="rate"/>, <paramref name="max"/> or <paramref name="n"/>.</exception>
    public static LwtThrottle<TKey> Create<TKey>(int rate, int max, int n, IEqualityComparer<TKey>? comparer = null) where TKey : notnull =>
        LwtThrottle<TKey>.Create(rate, max, n, comparer);
}
