namespace Lwt;

/*
 * Lwt_pool: a bounded set of reusable members (connections, buffers...) created on
 * demand, handed out by Use one user at a time.
 *
 * Invariants:
 *  - `_count` is the number of members that exist or are being created: idle ones,
 *    ones in use, ones being validated or created. It is raised before `create` is
 *    called (so that concurrent users cannot overshoot `max`) and lowered when a
 *    creation fails or a disposal completes. It never exceeds `max`.
 *  - A member returned by a user goes to the first live waiter (FIFO), else to the idle
 *    queue. Waiters exist only while `_count == max` and no member is idle.
 *  - Before a member is handed to a callback, `validate` approves it; one it rejects is
 *    disposed and replaced by a fresh one. A callback that fails (its promise rejected, or
 *    it throws) lets `check` decide whether the member goes back or is disposed.
 *  - Clear disposes the idle members at once (one after another) and marks the current
 *    generation as cleared: members in use at that time are disposed when they come back
 *    instead of being returned. The next Use after Clear gets a freshly created member.
 *  - A canceled waiter leaves the queue (lazily, Waiters.cs) and gets no member.
 */

/// <summary>
/// A pool of at most <c>max</c> members of type <typeparamref name="T"/>, created on
/// demand and reused.
/// <para>Lwt: <c>'a Lwt_pool.t</c></para>
/// </summary>
/// <typeparam name="T">The type of the members.</typeparam>
public sealed class LwtPool<T>
{
    private readonly Func<Promise<T>> _create;
    private readonly Func<T, Promise<bool>>? _validate;
    private readonly Action<T, Action<bool>>? _check;
    private readonly Func<T, Promise>? _dispose;
    private readonly int _max;
    private readonly Queue<T> _idle = new();
    private readonly WaiterQueue<PromiseWaiter<T>> _waiters = new();
    private int _count;
    private Generation _generation = new();

    private LwtPool(int max, Func<Promise<T>> create, Func<T, Promise<bool>>? validate, Action<T, Action<bool>>? check, Func<T, Promise>? dispose)
    {
        _max = max;
        _create = create;
        _validate = validate;
        _check = check;
        _dispose = dispose;
    }

    /// <summary>
    /// Creates a pool of at most <paramref name="max"/> members.
    /// <para>Lwt: <c>Lwt_pool.create</c></para>
    /// </summary>
    /// <param name="max">The largest number of members that may exist at once (at least 1).</param>
    /// <param name="create">Creates a member, when one is needed and fewer than <paramref name="max"/> exist.</param>
    /// <param name="validate">Called before each reuse of an idle member; false (or a failure) has it disposed and replaced. Default: always valid.</param>
    /// <param name="check">Called after a <see cref="Use{U}"/> callback failed, with the member and a function to call exactly once with whether the member is still good. Default: good.</param>
    /// <param name="dispose">Releases a member that is dropped (invalid, failed check, cleared). Default: nothing.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="max"/> is less than 1.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="create"/> is null.</exception>
    public static LwtPool<T> Create(
        int max,
        Func<Promise<T>> create,
        Func<T, Promise<bool>>? validate = null,
        Action<T, Action<bool>>? check = null,
        Func<T, Promise>? dispose = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 1);
        ArgumentNullException.ThrowIfNull(create);
        return new LwtPool<T>(max, create, validate, check, dispose);
    }

    /// <summary>
    /// The number of <see cref="Use{U}"/> calls waiting for a member to become available.
    /// <para>Lwt: <c>Lwt_pool.wait_queue_length</c></para>
    /// </summary>
    public int WaitQueueLength => _waiters.CountLive();

    /// <summary>
    /// Gets a member (an idle one, validated; a new one if fewer than <c>max</c> exist;
    /// otherwise waits for one to be returned, first come first served), calls
    /// <paramref name="f"/> with it, and returns the member to the pool when the promise
    /// <paramref name="f"/> returned resolves. If <paramref name="f"/> fails (throws or its
    /// promise is rejected), <c>check</c> decides whether the member goes back or is
    /// disposed, and the returned promise is rejected with that exception.
    /// <para>Lwt: <c>Lwt_pool.use</c></para>
    /// </summary>
    /// <param name="f">What to do with the member.</param>
    /// <typeparam name="U">The type of the result.</typeparam>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    public Promise<U> Use<U>(Func<T, Promise<U>> f)
    {
        ArgumentNullException.ThrowIfNull(f);
        return Acquire().Bind(member =>
        {
            var generation = _generation;
            var promise = Promise.Catch(
                () => f(member),
                e => CheckAndRelease(member, generation).Bind(() => Promise.Fail<U>(e)));
            return promise.Bind(_ =>
            {
                if (generation.Cleared) return Dispose(member).Bind(() => promise);
                Release(member);
                return promise;
            });
        });
    }

    /// <summary>
    /// Like <see cref="Use{U}"/> for a callback whose promise carries no value.
    /// <para>Lwt: <c>Lwt_pool.use</c></para>
    /// </summary>
    /// <param name="f">What to do with the member.</param>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    public Promise Use(Func<T, Promise> f)
    {
        ArgumentNullException.ThrowIfNull(f);
        return Use<Unit>(member => f(member).Map(static () => Unit.Value));
    }

    /// <summary>
    /// Disposes every idle member, one after the other (the most recently returned first, as
    /// Lwt does), and makes the members now in use be disposed when they are returned. The next <see cref="Use{U}"/> gets a fresh member.
    /// <para>Lwt: <c>Lwt_pool.clear</c></para>
    /// </summary>
    public Promise Clear()
    {
        var members = _idle.ToArray();
        Array.Reverse(members); // as Lwt: the member returned last is disposed first
        _idle.Clear();
        _generation.Cleared = true;
        _generation = new Generation();
        return LwtList.IterS(members, Dispose);
    }

    private Promise<T> Acquire()
    {
        if (_idle.Count == 0)
        {
            if (_count < _max) return CreateMember();
            var waiter = WaiterPromise.Create<T>();
            _waiters.Enqueue(new PromiseWaiter<T>(waiter));
            return waiter.Bind(ValidateAndReturn);
        }
        return ValidateAndReturn(_idle.Dequeue());
    }

    private Promise<T> CreateMember()
    {
        _count++;
        var created = Promise.Catch(_create, e =>
        {
            _count--;
            return Promise.Fail<T>(e);
        });
        return created;
    }

    private void Release(T member)
    {
        while (_waiters.TryDequeueLive(out var w))
            if (WaiterPromise.TryFulfil(w.Promise, member)) return;
        _idle.Enqueue(member);
    }

    private Promise Dispose(T member)
    {
        var disposing = _dispose is null ? Promise.ReturnUnit : Promise.Catch(() => _dispose(member), Promise.Fail);
        return disposing.Bind(() =>
        {
            _count--;
            return Promise.ReturnUnit;
        });
    }

    /// <summary>After a failed validation, gives a fresh member to the first waiter, if any.</summary>
    private void ReplaceDisposed()
    {
        while (_waiters.TryDequeueLive(out var w))
        {
            if (!WaiterPromise.IsLive(w.Promise)) continue;
            CreateMember().OnAny(
                member =>
                {
                    if (!WaiterPromise.TryFulfil(w.Promise, member)) Release(member);
                },
                e => WaiterPromise.TryReject(w.Promise, e));
            return;
        }
    }

    private Promise<T> ValidateAndReturn(T member)
    {
        if (_validate is null) return Promise.Return(member);
        return Promise.TryBind(
            () => _validate(member),
            ok => ok ? Promise.Return(member) : Dispose(member).Bind(CreateMember),
            e => Dispose(member).Bind(() =>
            {
                ReplaceDisposed();
                return Promise.Fail<T>(e);
            }));
    }

    private Promise CheckAndRelease(T member, Generation generation)
    {
        bool ok = true;
        if (_check is not null)
        {
            ok = false;
            _check(member, result => ok = result);
        }
        if (generation.Cleared || !ok) return Dispose(member);
        Release(member);
        return Promise.ReturnUnit;
    }

    /// <summary>The members in use since the last Clear; set when Clear happens.</summary>
    private sealed class Generation
    {
        internal bool Cleared;
    }
}
