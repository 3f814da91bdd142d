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
 */

/// <summary>
/// Runs blocking functions on worker threads, and lets them call back into the loop.
/// <para>Lwt: <c>Lwt_preemptive</c></para>
/// </summary>
public static class LwtPreemptive
{
    private static readonly object s_gate = new();
    private static readonly Queue<Action> s_jobs = new();
    private static int s_min;
    private static int s_max = 4;
    private static int s_threads;
    private static int s_idle;
    private static readonly TimeSpan s_idleTimeout = TimeSpan.FromSeconds(10);

    [ThreadStatic]
    private static EventLoop? t_jobLoop;

    /// <summary>The minimum number of worker threads kept alive.<para>Lwt: <c>Lwt_preemptive.get_bounds</c></para></summary>
    public static int MinThreads { get { lock (s_gate) return s_min; } }

    /// <summary>The maximum number of worker threads.<para>Lwt: <c>Lwt_preemptive.get_bounds</c></para></summary>
    public static int MaxThreads { get { lock (s_gate) return s_max; } }

    /// <summary>The number of jobs waiting for a worker.<para>Lwt: <c>Lwt_preemptive.get_max_number_of_threads_queued</c> (the queue)</para></summary>
    public static int QueuedJobs { get { lock (s_gate) return s_jobs.Count; } }

    /// <summary>
    /// Sets the bounds of the worker pool.
    /// <para>Lwt: <c>Lwt_preemptive.set_bounds</c></para>
    /// </summary>
    /// <param name="min">Workers kept alive (at least 0).</param>
    /// <param name="max">Workers at most (at least 1, at least <paramref name="min"/>).</param>
    /// <exception cref="ArgumentOutOfRangeException">The bounds are not 0 &lt;= min &lt;= max, 1 &lt;= max.</exception>
    public static void SetBounds(int min, int max)
    {
        if (min < 0) throw new ArgumentOutOfRangeException(nameof(min), min, "The minimum must be at least 0.");
        if (max < 1 || max < min) throw new ArgumentOutOfRangeException(nameof(max), max, "The maximum must be at least 1 and at least the minimum.");
        lock (s_gate)
        {
            s_min = min;
            s_max = max;
            while (s_threads < s_min) StartWorker();
            Monitor.PulseAll(s_gate);
        }
    }

    /// <summary>
    /// Runs <paramref name="f"/> on a worker thread; the promise is resolved with its result (or
    /// rejected with its exception) on the calling thread's event loop.
    /// <para>Lwt: <c>Lwt_preemptive.detach</c></para>
    /// </summary>
    /// <param name="f">The blocking function.</param>
    /// <typeparam name="T">The type of the result.</typeparam>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    public static Promise<T> Detach<T>(Func<T> f)
    {
        ArgumentNullException.ThrowIfNull(f);
        var loop = EventLoop.ForCurrentThread();
        var (promise, resolver) = Promise.Create<T>();
        Enqueue(() =>
        {
            t_jobLoop = loop;
            try
            {
                T value = f();
                loop.Post(() => resolver.TryResolve(value));
            }
            catch (Exception e)
            {
                loop.Post(() => resolver.TryReject(e));
            }
            finally
            {
                t_jobLoop = null;
            }
        });
        return promise;
    }

    /// <summary>Runs <paramref name="f"/> on a worker thread.<para>Lwt: <c>Lwt_preemptive.detach</c></para></summary>
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
    /// <para>Lwt: <c>Lwt_preemptive.run_in_main</c></para>
    /// </summary>
    /// <param name="f">The function to run on the loop.</param>
    /// <typeparam name="T">The type of the result.</typeparam>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    /// <exception cref="InvalidOperationException">Called on an event loop's own thread, or outside a detached job.</exception>
    public static T RunInMain<T>(Func<Promise<T>> f)
    {
        ArgumentNullException.ThrowIfNull(f);
        var loop = MainLoopForCaller();
        using var done = new ManualResetEventSlim();
        T result = default!;
        ExceptionDispatchInfo? error = null;
        loop.Post(() =>
        {
            Promise<T> p;
            try
            {
                p = f() ?? Promise.Fail<T>(ThrowHelper.NullPromise());
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
        done.Wait();
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
    public static void RunInMainDontWait(Func<Promise> f, Action<Exception>? handler = null)
    {
        ArgumentNullException.ThrowIfNull(f);
        var loop = MainLoopForCaller();
        loop.Post(() => Promise.DontWait(f, handler ?? Promise.ReportUnhandled));
    }

    private static EventLoop MainLoopForCaller()
    {
        if (EventLoop.Current is { IsOnLoopThread: true, IsRunning: true })
            throw new InvalidOperationException("RunInMain was called on an event loop's thread: it would wait for itself. Call the function directly.");
        return t_jobLoop ?? throw new InvalidOperationException(
            "RunInMain is for code running in a job started by LwtPreemptive.Detach: it runs the function on the loop that detached the job.");
    }

    private static void Enqueue(Action job)
    {
        lock (s_gate)
        {
            s_jobs.Enqueue(job);
            if (s_idle > 0) Monitor.Pulse(s_gate);
            else if (s_threads < s_max) StartWorker();
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
                    s_threads--;
                    return;
                }
                while (s_jobs.Count == 0)
                {
                    s_idle++;
                    bool signaled = Monitor.Wait(s_gate, s_idleTimeout);
                    s_idle--;
                    if ((!signaled && s_jobs.Count == 0 && s_threads > s_min) || s_threads > s_max)
                    {
                        s_threads--;
                        return;
                    }
                }
                job = s_jobs.Dequeue();
            }
            job();
        }
    }
}
