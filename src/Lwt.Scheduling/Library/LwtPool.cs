namespace Lwt;

/*
 * Lwt_pool: a bounded set of reusable members (connections, buffers...) created on
 * demand, handed out by Use one user at a time.
 *
 * Invariants:
 *  - `_count` is the number of members that exist or are being created: idle ones,
 *    ones in use, ones being validated, created or disposed. It is raised before `create`
 *    is called (so that concurrent users cannot overshoot `max`) and lowered when a
 *    creation fails or a disposal ends, whether the disposal succeeded or failed (a
 *    member whose dispose failed is gone all the same: keeping its slot would shrink the
 *    pool for good). It never exceeds `max`.
 *  - A member returned by a user goes to the first live waiter (FIFO), else to the idle
 *    queue. Waiters exist only while `_count == max` and no member is idle (or for a moment,
 *    while ReplaceDisposed hands freed slots out). A Use never takes a free slot ahead of
 *    a live waiter.
 *  - Whenever `_count` goes down and a live waiter is queued, that slot at once gets a
 *    counted fresh member for the oldest live waiter (ReplaceDisposed): a member dropped
 *    after a failed check, after a Clear, or after a failed validation, and a creation
 *    that failed. Without this the waiter would wait for a member that nobody is going to
 *    return, and a later Use, finding `_count < max`, would be served before it (ocsigen/lwt
 *    PR #1121 fixed the failed-check case this way). The one exception is a member that
 *    validate says false about: its slot goes to the fresh member created for the same
 *    user, as in Lwt.
 *  - Before a member is handed to a callback (except one that the same Use created),
 *    `validate` approves it; one it says false about is disposed and replaced by a fresh
 *    one, one it fails on is disposed and that Use rejected with the failure. A callback
 *    that fails (its promise rejected, or it throws) lets `check` decide whether the member
 *    goes back or is disposed; a check that throws counts as "not good".
 *  - Clear disposes the idle members at once (one after another, every one of them even
 *    when a disposal fails) and marks the current generation as cleared: members in use
 *    at that time are disposed when they come back instead of being returned. The next
 *    Use after Clear gets a freshly created member: an idle one is never left over, and
 *    a Use that has to wait for a disposal to end is given a fresh member when it ends.
 *    A member on its way to a callback at the Clear (being validated or created, or handed
 *    to a waiter whose callback has not run) belongs to the generation after it, as in Lwt
 *    (use reads the cleared flag once it holds the member): it is returned, not disposed.
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
    private bool _replacing; // ReplaceDisposed is running: a nested call leaves the freed slot to its loop

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
    /// <param name="create">Creates a member, when one is needed and fewer than <paramref name="max"/> exist. If it fails while other <see cref="Use{U}"/> calls wait, the slot goes to the first of them, which gets a creation of its own (and is rejected with that creation's exception if it fails too).</param>
    /// <param name="validate">Called before a member is handed to a <see cref="Use{U}"/> callback, except one that this <see cref="Use{U}"/> created for itself: on every reuse, and on a member created for a <see cref="Use{U}"/> that was waiting (as in Lwt). False has the member disposed and replaced by a fresh one for the same <see cref="Use{U}"/>; a failure (throws or is rejected) has it disposed and that <see cref="Use{U}"/> rejected with the exception. Default: always valid.</param>
    /// <param name="check">Called after a <see cref="Use{U}"/> callback failed, with the member and a function to call exactly once with whether the member is still good. Default: good. A check that throws counts as "not good": the member is disposed, and that <see cref="Use{U}"/> is rejected with check's exception.</param>
    /// <param name="dispose">Releases a member that is dropped (invalid, failed check, cleared). Default: nothing. A member whose dispose fails (throws or is rejected) no longer counts towards <paramref name="max"/> all the same.</param>
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
    /// disposed, and the returned promise is rejected with that exception (with check's own
    /// exception if check throws, or dispose's if the disposal fails). Whenever a member is
    /// dropped or a creation fails while calls wait, the first of them gets a fresh member.
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
                if (generation.Cleared) return Dispose(member, replace: true).Bind(() => promise);
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
        // A null from f is rejected as Use<U> rejects it (not a NullReferenceException from Map).
        return Use<Unit>(member => ThrowHelper.NullAsRejected(f(member)).Map(static () => Unit.Value));
    }

    /// <summary>
    /// Disposes every idle member, one after the other (the most recently returned first, as
    /// Lwt does), and makes the members now in use be disposed when they are returned. The next <see cref="Use{U}"/> gets a fresh member,
    /// unless a member was on its way to a <see cref="Use{U}"/> callback when Clear ran (being
    /// validated, being created, or handed to a waiting <see cref="Use{U}"/> whose callback has
    /// not started yet): as in Lwt, where use reads the cleared flag only once it holds the
    /// member, such a member counts as taken after the clear, goes back to the pool when its
    /// callback ends and is reused, not disposed.
    /// If a disposal fails, the other idle members are disposed all the same, and the result
    /// is rejected with the first failure.
    /// <para>Lwt: <c>Lwt_pool.clear</c></para>
    /// </summary>
    public Promise Clear()
    {
        var members = _idle.ToArray();
        Array.Reverse(members); // as Lwt: the member returned last is disposed first
        _idle.Clear();
        _generation.Cleared = true;
        _generation = new Generation();
        return members.Length == 0 ? Promise.ReturnUnit : DisposeAll(members, 0, null);
    }

    /// <summary>
    /// Disposes <paramref name="members"/> from <paramref name="from"/> on, each after the
    /// previous one ended (Lwt_list.iter_s), going on past a failure so that no member is
    /// left undisposed; the result is rejected with the first failure. Disposals that end at
    /// once are done in this loop, so that a long list cannot nest calls deeply.
    /// </summary>
    private Promise DisposeAll(T[] members, int from, Exception? firstFailure)
    {
        for (int i = from; i < members.Length; i++)
        {
            var disposing = Dispose(members[i], replace: true);
            if (disposing.IsPending)
            {
                int next = i + 1;
                return Promise.Catch(() => disposing, e =>
                {
                    firstFailure ??= e;
                    return Promise.ReturnUnit;
                }).Bind(() => DisposeAll(members, next, firstFailure));
            }
            if (disposing.IsRejected) firstFailure ??= disposing.Exception;
        }
        return firstFailure is null ? Promise.ReturnUnit : Promise.Fail(firstFailure);
    }

    private Promise<T> Acquire()
    {
        if (_idle.Count == 0)
        {
            // A free slot with a live waiter queued exists only while ReplaceDisposed's loop
            // is handing slots out and user code it called (a waiter's rejection) calls Use:
            // that Use queues behind the waiters instead of taking the slot before them.
            if (_count < _max && !_waiters.HasLive()) return CreateMember();
            var waiter = WaiterPromise.Create<T>();
            _waiters.Enqueue(new PromiseWaiter<T>(waiter));
            if (_count < _max) ReplaceDisposed();
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
            ReplaceDisposed(); // the slot this creation held goes to the first waiter
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

    /// <summary>
    /// Disposes <paramref name="member"/>. The count goes down when the disposal ends, failed
    /// or not (the result keeps dispose's outcome); with <paramref name="replace"/>, the freed
    /// slot then goes to the first waiter (see <see cref="ReplaceDisposed"/>). Without it, the
    /// caller hands the slot on itself.
    /// </summary>
    private Promise Dispose(T member, bool replace)
    {
        if (_dispose is null)
        {
            Disposed(replace);
            return Promise.ReturnUnit;
        }
        return Promise.Finally(() => _dispose(member), () =>
        {
            Disposed(replace);
            return Promise.ReturnUnit;
        });
    }

    private void Disposed(bool replace)
    {
        _count--;
        if (replace) ReplaceDisposed();
    }

    /// <summary>
    /// While a slot is free and a live waiter is queued, creates a counted member for the
    /// oldest live waiter (its Use is rejected with create's exception if that fails). Called
    /// whenever the count went down, so that no waiter waits for a member that will never come
    /// and the waiters are served in order before any later Use. Calling it when no slot is
    /// free, or nobody waits, does nothing.
    /// </summary>
    private void ReplaceDisposed()
    {
        // A creation that fails at once (or a member served at once whose user drops it)
        // lowers the count from inside this loop: the nested call returns, and the loop's
        // next test sees the freed slot. So a long queue of waiters facing a create that
        // always fails is rejected in a loop, not in nested calls. A Use made from code this
        // loop runs (a waiter's rejection) queues behind the waiters (Acquire), and the loop
        // serves it in its turn.
        if (_replacing) return;
        _replacing = true;
        try
        {
            while (_count < _max && _waiters.TryDequeueLive(out var w))
            {
                var waiter = w.Promise;
                CreateMember().OnAny(
                    member =>
                    {
                        if (!WaiterPromise.TryFulfil(waiter, member)) Release(member);
                    },
                    e => WaiterPromise.TryReject(waiter, e));
            }
        }
        finally
        {
            _replacing = false;
        }
    }

    private Promise<T> ValidateAndReturn(T member)
    {
        if (_validate is null) return Promise.Return(member);
        return Promise.TryBind(
            () => _validate(member),
            ok => ok ? Promise.Return(member) : ReplaceInvalid(member),
            e => Dispose(member, replace: true).Bind(() => Promise.Fail<T>(e)));
    }

    /// <summary>
    /// Disposes a member that validate said false about and creates a fresh one for the same
    /// user, in the same slot. If the disposal fails, that user is rejected with its exception
    /// and the slot goes to the first waiter instead.
    /// </summary>
    private Promise<T> ReplaceInvalid(T member) =>
        Promise.Catch(() => Dispose(member, replace: false), e =>
        {
            ReplaceDisposed();
            return Promise.Fail(e);
        }).Bind(CreateMember);

    private Promise CheckAndRelease(T member, Generation generation)
    {
        bool ok = true;
        if (_check is not null)
        {
            ok = false;
            try
            {
                _check(member, result => ok = result);
            }
            catch (Exception e)
            {
                return DropAfterThrowingCheck(member, e);
            }
        }
        if (generation.Cleared || !ok) return Dispose(member, replace: true);
        Release(member);
        return Promise.ReturnUnit;
    }

    /// <summary>
    /// A check that throws says nothing good about the member: it is dropped as after a
    /// "not good" (disposed, its slot given to the first waiter), and the result is rejected
    /// with check's exception, as Lwt's use is, whatever the disposal does.
    /// </summary>
    private Promise DropAfterThrowingCheck(T member, Exception e) =>
        Promise.Catch(() => Dispose(member, replace: true), static _ => Promise.ReturnUnit)
            .Bind(() => Promise.Fail(e));

    /// <summary>The members in use since the last Clear; set when Clear happens.</summary>
    private sealed class Generation
    {
        internal bool Cleared;
    }
}
