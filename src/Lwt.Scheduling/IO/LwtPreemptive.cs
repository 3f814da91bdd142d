using System.Runtime.ExceptionServices;

namespace Lwt;

/*
 * Lwt_preemptive: running blocking code on other threads.
 *
 * Detach runs a function on a bounded pool of worker threads and resolves its promise on
 * the event loop that called Detach (the resolution is posted to that loop's inbox). The
 * pool has a small maximum by default (Lwt's default is 4; SetBounds changes it), and
 * never grows past it however many jobs are queued: a thousand detached jobs queue, they
 * do not start a thousand threads (Lwt #974). Idle workers above the minimum leave after
 * a while.
 *
 * RunInMain goes the other way: a worker asks the loop that detached its job to run a
 * promise-returning function, and blocks until that promise is resolved.
 * While it blocks, the LwtUnix jobs that function starts (a stat, a file write) would wait
 * behind the blocked workers for ever when every worker is blocked so; Lwt_unix's jobs have a
 * pool of their own in Lwt. So a blocked worker lends its place to an LwtUnix job: a stand-in
 * thread, beyond the maximum, runs queued LwtUnix jobs (never a Detach) while there are at
 * least as many blocked workers as stand-ins (StartStandInIfNeeded).
 *
 * The waiting queue has a size too (Lwt's max_number_of_threads_queued, 1000 by default).
 * lwt_preemptive.mli: "When the queue is full, detach will sleep until a thread is
 * available" -- a Detach over the bound is neither refused nor run early: its promise stays
 * pending and its job waits, behind those already queued, for a worker. Waiting in order
 * behind the queue is exactly the place it holds at the end of the one FIFO order of jobs,
 * so one order serves both: its first max_queued jobs are the queue (NbThreadsQueued, never
 * above the bound), the rest are the sleeping Detach calls; QueuedJobs counts both. Lowering
 * the bound turns queued jobs into sleeping ones and never drops any.
 *
 * That FIFO order is kept in two queues, Detach jobs and LwtUnix jobs, each entry numbered
 * in the one order (s_nextSeq): a worker takes the older of the two heads, a stand-in the
 * head of the LwtUnix queue. Two queues of structs rather than one list from whose middle a
 * stand-in would take: queuing a job allocates nothing.
 */

/// <summary>
/// Runs blocking functions on worker threads, and lets them call back into the loop.
/// <para>Lwt: <c>Lwt_preemptive</c></para>
/// </summary>
public static class LwtPreemptive
{
    private static readonly object s_gate = new();
    private static readonly Queue<(long Seq, Action Job)> s_detachJobs = new();
    private static readonly Queue<(long Seq, Action Job)> s_unixJobs = new();
    private static long s_nextSeq;

    /// <summary>Workers blocked in <see cref="RunInMain"/>, waiting for their loop.</summary>
    private static int s_inMain;

    /// <summary>
    /// Stand-in workers: threads started beyond the maximum, while workers are blocked in
    /// <see cref="RunInMain"/>, that run LwtUnix's jobs only (never a Detach), at most one per
    /// blocked worker. In Lwt, Lwt_unix's jobs have a pool of their own (or run on the loop),
    /// so a function that <c>run_in_main</c> runs can stat or read a file while every
    /// preemptive thread waits in <c>run_in_main</c>; with one pool here, those jobs would wait
    /// behind the blocked workers for ever.
    /// </summary>
    private static int s_standIns;
    private static int s_min;
    private static int s_max = 4;
    private static int s_threads;
    private static int s_idle;

    /// <summary>
    /// The workers counted busy (NbThreadsBusy): from taking a job until the job is over, or,
    /// for a Detach or an LwtUnix job, until just before its result is posted to the loop, so
    /// that a loop that has seen every such promise resolved counts no busy worker (Lwt's
    /// worker is back in its pool before the promise's callbacks run; Lwt's jobs are not
    /// counted at all), even though the thread has a few instructions left before it waits again.
    /// </summary>
    private static int s_busy;

    /// <summary>Set by <see cref="ReleaseBusy"/> on a worker whose job gave its busy count back early.</summary>
    [ThreadStatic]
    private static bool t_busyReleased;
    private static int s_maxQueued = 1000;
    private static bool s_initialized;
    private static readonly TimeSpan s_idleTimeout = TimeSpan.FromSeconds(10);

    [ThreadStatic]
    private static EventLoop? t_jobLoop;

    /// <summary>The minimum number of worker threads kept alive.<para>Lwt: <c>Lwt_preemptive.get_bounds</c></para></summary>
    public static int MinThreads { get { lock (s_gate) return s_min; } }

    /// <summary>The maximum number of worker threads.<para>Lwt: <c>Lwt_preemptive.get_bounds</c></para></summary>
    public static int MaxThreads { get { lock (s_gate) return s_max; } }

    /// <summary>
    /// The number of jobs waiting for a worker: those in the waiting queue
    /// (<see cref="NbThreadsQueued"/>) and those of the <c>Detach</c> calls sleeping for room in it.
    /// <para>Lwt: <c>Lwt_preemptive.nbthreadsqueued</c>, with the sleeping calls</para>
    /// </summary>
    public static int QueuedJobs { get { lock (s_gate) return QueuedCount; } }

    /// <summary>
    /// The minimum and the maximum number of worker threads: (0, 4), the bounds
    /// <see cref="SimpleInit"/> sets, until <see cref="SetBounds"/> or <see cref="Init"/> sets
    /// others. (Lwt's gives (0, 0) until its pool is initialised, by <c>init</c>,
    /// <c>simple_init</c> or a first <c>detach</c>; bounds that no <c>Detach</c> would use are
    /// not kept.)
    /// <para>Lwt: <c>Lwt_preemptive.get_bounds</c></para>
    /// </summary>
    public static (int Min, int Max) GetBounds()
    {
        lock (s_gate) return (s_min, s_max);
    }

    /// <summary>
    /// The number of worker threads alive, busy or idle. It can exceed <see cref="MaxThreads"/>
    /// by the stand-ins that run LwtUnix's blocking calls while workers wait in
    /// <see cref="RunInMain{T}"/> (at most one per waiting worker; they never run a <c>Detach</c>).
    /// <para>Lwt: <c>Lwt_preemptive.nbthreads</c></para>
    /// </summary>
    public static int NbThreads { get { lock (s_gate) return s_threads + s_standIns; } }

    /// <summary>
    /// The number of worker threads running a job. A <c>Detach</c>'s worker, or a worker of
    /// <see cref="LwtUnix"/>'s blocking calls, stops counting before its promise is resolved:
    /// once the loop has seen every detached or blocking call's promise resolved, this is 0.
    /// <para>Lwt: <c>Lwt_preemptive.nbthreadsbusy</c></para>
    /// </summary>
    public static int NbThreadsBusy { get { lock (s_gate) return s_busy; } }

    /// <summary>
    /// The number of jobs in the waiting queue: at most <see cref="GetMaxNumberOfThreadsQueued"/>;
    /// the jobs of the <c>Detach</c> calls sleeping for room are not counted (<see cref="QueuedJobs"/> counts all).
    /// <para>Lwt: <c>Lwt_preemptive.nbthreadsqueued</c></para>
    /// </summary>
    public static int NbThreadsQueued { get { lock (s_gate) return Math.Min(QueuedCount, s_maxQueued); } }

    /// <summary>
    /// The size of the waiting queue (1000 until set): jobs waiting for a worker past this
    /// many are <c>Detach</c> calls that sleep until a worker is available.
    /// <para>Lwt: <c>Lwt_preemptive.get_max_number_of_threads_queued</c></para>
    /// </summary>
    public static int GetMaxNumberOfThreadsQueued()
    {
        lock (s_gate) return s_maxQueued;
    }

    /// <summary>
    /// Sets the size of the waiting queue. When the queue is full, <c>Detach</c> sleeps (its
    /// promise stays pending, its job waits in order) until a worker is available: nothing is
    /// refused, and a smaller size never drops a job.
    /// <para>Lwt: <c>Lwt_preemptive.set_max_number_of_threads_queued</c></para>
    /// </summary>
    /// <param name="n">The size (at least 0).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="n"/> is negative.</exception>
    public static void SetMaxNumberOfThreadsQueued(int n)
    {
        if (n < 0) throw new ArgumentOutOfRangeException(nameof(n), n, "The size of the waiting queue must be at least 0.");
        lock (s_gate) s_maxQueued = n;
    }

    /// <summary>
    /// Initialises the pool: sets its bounds as <see cref="SetBounds"/> does. Lwt calls it once
    /// at the start of a program; calling it again only changes the bounds. The log function
    /// is checked and kept for compatibility, and, as in Lwt 5 (whose <c>init</c> ignores its
    /// <c>_errlog</c>), never called: a job's failure rejects its promise instead.
    /// <para>Lwt: <c>Lwt_preemptive.init</c></para>
    /// </summary>
    /// <param name="min">Workers kept alive (at least 0).</param>
    /// <param name="max">Workers at most (at least 1, at least <paramref name="min"/>).</param>
    /// <param name="log">The error log (unused, as in Lwt).</param>
    /// <exception cref="ArgumentNullException"><paramref name="log"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The bounds are not 0 &lt;= min &lt;= max, 1 &lt;= max.</exception>
    public static void Init(int min, int max, Action<string> log)
    {
        ArgumentNullException.ThrowIfNull(log);
        SetBounds(min, max);
    }

    /// <summary>
    /// Initialises the pool with the default bounds (0, 4) if nothing has set them yet
    /// (<see cref="Init"/> or <see cref="SetBounds"/>); otherwise does nothing.
    /// <c>Detach</c> calls it.
    /// <para>Lwt: <c>Lwt_preemptive.simple_init</c></para>
    /// </summary>
    public static void SimpleInit() => SetBoundsCore(0, 4, onlyIfUninitialized: true);

    /// <summary>
    /// Sets the bounds of the worker pool. This counts as initialising it: a later
    /// <see cref="SimpleInit"/> (and so <c>Detach</c>) keeps these bounds. (Lwt's set_bounds
    /// does not, so there a Detach after set_bounds and before init resets them to (0, 4);
    /// that surprise is not kept.)
    /// <para>Lwt: <c>Lwt_preemptive.set_bounds</c></para>
    /// </summary>
    /// <param name="min">Workers kept alive (at least 0).</param>
    /// <param name="max">Workers at most (at least 1, at least <paramref name="min"/>).</param>
    /// <exception cref="ArgumentOutOfRangeException">The bounds are not 0 &lt;= min &lt;= max, 1 &lt;= max.</exception>
    public static void SetBounds(int min, int max)
    {
        if (min < 0) throw new ArgumentOutOfRangeException(nameof(min), min, "The minimum must be at least 0.");
        if (max < 1 || max < min) throw new ArgumentOutOfRangeException(nameof(max), max, "The maximum must be at least 1 and at least the minimum.");
        SetBoundsCore(min, max, onlyIfUninitialized: false);
    }

    private static void SetBoundsCore(int min, int max, bool onlyIfUninitialized)
    {
        lock (s_gate)
        {
            if (onlyIfUninitialized && s_initialized) return;
            s_initialized = true;
            s_min = min;
            s_max = max;
            while (s_threads < s_min) StartWorker();
            Monitor.PulseAll(s_gate);
        }
    }

    /// <summary>
    /// Runs <paramref name="f"/> on a worker thread; the promise is resolved with its result (or
    /// rejected with its exception) on the calling thread's event loop.
    /// <para>
    /// That loop must run for the promise to resolve: called where no loop runs (Task code on
    /// a thread-pool thread, such as an ASP.NET Core endpoint or a <c>BackgroundService</c>),
    /// <paramref name="f"/> runs but the promise stays pending for ever, with no error, as a
    /// <see cref="LwtUnix.Sleep(double)"/> there does. From such code, start it on the loop
    /// (<see cref="EventLoop.Post(Action)"/>, then Lwt.Interop's <c>AsTask</c>). If the loop's
    /// thread has ended meanwhile (a host's loop after the host was disposed), the worker
    /// resolves the promise itself.
    /// </para>
    /// <para>
    /// The promise is not cancelable, as in Lwt: <c>Cancel()</c> on it (or a
    /// <see cref="Promise.Pick{T}(IEnumerable{Promise{T}})"/> or <see cref="LwtUnix.WithTimeout{T}"/>
    /// that gives up on it) leaves it pending, and <paramref name="f"/> still runs to its end,
    /// also when it was still waiting for a worker; the promise then resolves with its result,
    /// and a rejection nobody waits for any more is dropped silently. A thread cannot be stopped
    /// from outside: to stop the work early, give <paramref name="f"/> a
    /// <see cref="CancellationToken"/> (or a flag) that it checks, and cancel that. (Lwt 5.6.1,
    /// bounds (0, 1): a canceled detach still pending behind a running one stays pending and its
    /// function runs; one already running, likewise.)
    /// </para>
    /// <para>Lwt: <c>Lwt_preemptive.detach</c></para>
    /// </summary>
    /// <param name="f">The blocking function.</param>
    /// <typeparam name="T">The type of the result.</typeparam>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    public static Promise<T> Detach<T>(Func<T> f)
    {
        ArgumentNullException.ThrowIfNull(f);
        SimpleInit();
        var loop = EventLoop.ForCurrentThread();
        var (promise, resolver) = Promise.Create<T>();
        Enqueue(() =>
        {
            T value = default!;
            Exception? error = null;
            t_jobLoop = loop;
            try
            {
                value = f();
            }
            catch (Exception e)
            {
                error = e;
            }
            finally
            {
                t_jobLoop = null;
            }

            ReleaseBusy();
            // Resolved on the loop that detached the job; if that loop's thread has ended (a
            // host's loop after the host was disposed) nothing can run a post there, so the
            // worker resolves the promise itself, as any thread may once the loop has stopped.
            Action deliver = error is null ? () => resolver.TryResolve(value) : () => resolver.TryReject(error);
            if (!loop.TryPostUnlessEnded(deliver)) deliver();
        });
        return promise;
    }

    /// <summary>
    /// Queues <paramref name="work"/> for a worker thread, as <c>Detach</c> does, for a caller that
    /// resolves its own promise (LwtUnix's jobs: LwtUnix.Jobs.cs). <paramref name="work"/> must
    /// not throw: it runs outside any promise.
    /// </summary>
    internal static void Run(Action work)
    {
        SimpleInit();
        Enqueue(work, unix: true);
    }

    /// <summary>
    /// Runs <paramref name="f"/> on a worker thread, as <see cref="Detach{T}(Func{T})"/> does
    /// (whose remarks hold here: the promise is not cancelable, and <paramref name="f"/> runs
    /// to its end whatever happens to the promise).
    /// <para>Lwt: <c>Lwt_preemptive.detach</c></para>
    /// </summary>
    /// <param name="f">The blocking action.</param>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    public static Promise Detach(Action f)
    {
        ArgumentNullException.ThrowIfNull(f);
        return Detach(() =>
        {
            f();
            return default(Unit);
        });
    }

    /// <summary>
    /// From a worker thread: runs <paramref name="f"/> on the event loop that detached the
    /// current job, waits for its promise, and returns its value (or rethrows its exception).
    /// <para>
    /// <paramref name="f"/> is posted to that loop (<see cref="EventLoop.Post(Action)"/>), so it
    /// runs only while the loop runs: if <see cref="LwtMain.Run(Promise)"/> has returned (the
    /// program's promise resolved without waiting for this job), the worker thread blocks here
    /// until that thread runs a loop again, and for ever if it never does, with no error (as
    /// in Lwt, where the notification waits for the next <c>Lwt_main.run</c>). Keep the loop
    /// running until the detached jobs that call this have resolved: await their promises.
    /// </para>
    /// <para>
    /// <paramref name="f"/> may make LwtUnix calls that run on the worker pool (Stat, file
    /// reads and writes, DNS) even when every worker waits in <c>RunInMain</c>: such a call then
    /// runs on a stand-in thread started beyond <see cref="MaxThreads"/>, as Lwt_unix's jobs run
    /// on a pool of their own in Lwt. A <c>Detach</c> made by <paramref name="f"/> gets no
    /// stand-in: it waits for a worker, as in Lwt.
    /// </para>
    /// <para>Lwt: <c>Lwt_preemptive.run_in_main</c></para>
    /// </summary>
    /// <param name="f">The function to run on the loop.</param>
    /// <typeparam name="T">The type of the result.</typeparam>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    /// <exception cref="InvalidOperationException">Called on an event loop's own thread while it runs, outside a detached job, or when the thread of the loop that detached the job has ended.</exception>
    public static T RunInMain<T>(Func<Promise<T>> f)
    {
        ArgumentNullException.ThrowIfNull(f);
        var loop = MainLoopForCaller();
        using var done = new ManualResetEventSlim();
        T result = default!;
        ExceptionDispatchInfo? error = null;
        // Under the retirement's lock (EventLoop.Retire): racing the end of the loop's thread,
        // f runs or this throws, and the worker never waits for ever.
        loop.PostUnlessEnded(() =>
        {
            Promise<T> p;
            try
            {
                p = ThrowHelper.NullAsRejected(f());
            }
            catch (Exception e)
            {
                p = Promise.Fail<T>(e);
            }
            p.OnAny(v =>
            {
                result = v;
                done.Set();
            }, e =>
            {
                error = ExceptionDispatchInfo.Capture(e);
                done.Set();
            });
        });
        lock (s_gate)
        {
            s_inMain++;
            StartStandInIfNeeded();
        }
        try
        {
            // A job that f starts on the pool (an LwtUnix call) while every worker waits here
            // gets a stand-in worker (StartStandInIfNeeded), as Lwt_unix's own pool runs it in Lwt.
            done.Wait();
        }
        finally
        {
            lock (s_gate) s_inMain--;
        }
        error?.Throw();
        return result;
    }

    /// <summary>
    /// From a worker thread: runs <paramref name="f"/> on the event loop that detached the
    /// current job, without waiting. Exceptions go to <see cref="Promise.AsyncExceptionHook"/>.
    /// <para>Lwt: <c>Lwt_preemptive.run_in_main_dont_wait</c></para>
    /// </summary>
    /// <param name="f">The function to run on the loop.</param>
    /// <param name="handler">Receives the exception if <paramref name="f"/> fails (the hook when null).</param>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    /// <exception cref="InvalidOperationException">Called on an event loop's own thread while it runs, outside a detached job, or when the thread of the loop that detached the job has ended.</exception>
    public static void RunInMainDontWait(Func<Promise> f, Action<Exception>? handler = null)
    {
        ArgumentNullException.ThrowIfNull(f);
        var loop = MainLoopForCaller();
        loop.PostUnlessEnded(() => Promise.DontWait(f, handler ?? Promise.ReportUnhandled)); // runs or throws, never lost to the thread's end
    }

    private static EventLoop MainLoopForCaller()
    {
        if (EventLoop.Current is { IsOnLoopThread: true, IsRunning: true })
            throw new InvalidOperationException("RunInMain was called on an event loop's thread: it would wait for itself. Call the function directly.");
        return t_jobLoop ?? throw new InvalidOperationException(
            "RunInMain is for code running in a job started by LwtPreemptive.Detach: it runs the function on the loop that detached the job.");
    }

    private static void Enqueue(Action job, bool unix = false)
    {
        lock (s_gate)
        {
            (unix ? s_unixJobs : s_detachJobs).Enqueue((s_nextSeq++, job));
            WakeOrStartWorker();
        }
    }

    /// <summary>The jobs waiting for a worker. Called with s_gate held.</summary>
    private static int QueuedCount => s_detachJobs.Count + s_unixJobs.Count;

    /// <summary>Takes the oldest queued job, of either queue (there is one). Called with s_gate held.</summary>
    private static Action DequeueOldest()
    {
        bool detachFirst = s_unixJobs.Count == 0
            || (s_detachJobs.Count != 0 && s_detachJobs.Peek().Seq < s_unixJobs.Peek().Seq);
        return (detachFirst ? s_detachJobs : s_unixJobs).Dequeue().Job;
    }

    // A queued job needs a worker: an idle one if there are at least as many idle workers as
    // queued jobs, else a new one if the pool has room. Counting the jobs, not only the idle
    // workers, matters: a worker woken for a job stays counted as idle until it runs again, so
    // two jobs queued in a row with one idle worker would otherwise both pulse that worker, and
    // the second would wait for the first to end even with the pool below its maximum (a
    // deadlock when the first waits for the second). A surplus pulse is harmless: a woken
    // worker finding no job waits again. Called with s_gate held.
    private static void WakeOrStartWorker()
    {
        if (QueuedCount <= s_idle) Monitor.Pulse(s_gate);
        else if (s_threads < s_max) StartWorker();
        else StartStandInIfNeeded();
    }

    // Every worker is taken and a worker waits in RunInMain: an LwtUnix job still queued gets
    // a stand-in, so that it does not wait for the workers that wait for it. Called with s_gate held.
    private static void StartStandInIfNeeded()
    {
        if (s_standIns >= s_inMain || s_unixJobs.Count == 0 || QueuedCount <= s_idle) return;
        s_standIns++;
        var thread = new Thread(StandInLoop) { IsBackground = true, Name = "Lwt_preemptive worker (stand-in)" };
        thread.Start();
    }

    private static void StandInLoop()
    {
        while (true)
        {
            Action job;
            lock (s_gate)
            {
                // Not needed any more (no LwtUnix job queued, or a worker back from RunInMain).
                if (s_unixJobs.Count == 0 || s_standIns > s_inMain)
                {
                    s_standIns--;
                    return;
                }
                job = s_unixJobs.Dequeue().Job;
                s_busy++;
            }
            RunJob(job);
        }
    }

    // Runs a job taken from the queue (counted busy when taken), then gives its busy count
    // back, unless the job gave it back itself before posting its result (ReleaseBusy).
    private static void RunJob(Action job)
    {
        try
        {
            job();
        }
        finally
        {
            if (t_busyReleased) t_busyReleased = false;
            else lock (s_gate) s_busy--;
        }
    }

    private static void StartWorker()
    {
        s_threads++;
        var thread = new Thread(WorkerLoop) { IsBackground = true, Name = "Lwt_preemptive worker" };
        thread.Start();
    }

    private static void WorkerLoop()
    {
        while (true)
        {
            Action job;
            lock (s_gate)
            {
                // Above the maximum (SetBounds lowered it): leave before taking another job,
                // even while jobs are queued, so the pool shrinks to the new bound (Lwt's
                // add_worker kills a worker that comes back to an over-full pool).
                if (s_threads > s_max)
                {
                    LeavePool();
                    return;
                }
                while (QueuedCount == 0)
                {
                    s_idle++;
                    bool signaled = Monitor.Wait(s_gate, s_idleTimeout);
                    s_idle--;
                    if ((!signaled && QueuedCount == 0 && s_threads > s_min) || s_threads > s_max)
                    {
                        LeavePool();
                        return;
                    }
                }
                job = DequeueOldest();
                s_busy++;
            }
            RunJob(job);
        }
    }

    /// <summary>On a worker, before its job's result is posted (Detach, LwtUnix's jobs): the job no longer counts as busy (s_busy).</summary>
    internal static void ReleaseBusy()
    {
        lock (s_gate) s_busy--;
        t_busyReleased = true;
    }

    // A worker leaving (over the maximum, or idle too long) may have been the one Enqueue
    // pulsed for a job: pass that wake-up on, or start a worker if the pool has room, so a
    // queued job never waits for a worker that is gone. Called with s_gate held.
    private static void LeavePool()
    {
        s_threads--;
        if (QueuedCount != 0) WakeOrStartWorker();
    }
}
