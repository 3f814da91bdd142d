using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;

namespace Lwt;

/*
 * Lwt.Exception_filter (Lwt 5.7): which exceptions thrown by user code the Lwt machinery
 * may catch, to turn them into a rejection or a report to the async exception hook, and
 * which ones it must let through to whoever called into Lwt.
 *
 * Why. Turning every exception into a rejection is what makes promises composable, but
 * some exceptions say that the process itself is in trouble (out of memory, stack
 * exhausted). Caught and stored in a promise, such an exception may sit unobserved while
 * the program goes on in a state nobody planned for. A program can ask for those to escape
 * instead: Set(HandleAllExceptRuntime).
 *
 * Where it is consulted: wherever the library catches an exception thrown by user code
 * (a callback, a computation it was given, a user-supplied source or hook) and would
 * otherwise keep it, as Lwt does in its `try ... with exn when Exception_filter.run exn`:
 *  - the callbacks of Bind, Map, Catch, Finally, TryBind, and their first function f
 *    (Lwt.bind/map/catch/finalize/try_bind); Wrap, Wrap1..7 (Lwt.wrap*, Lwt.apply);
 *    Async and DontWait (the synchronous throw of f); the On* callbacks and OnCancel,
 *    whose exceptions go to the async exception hook (handle_with_async_exception_hook);
 *  - the body of an `async Promise` method (its builder's SetException): the method is a
 *    chain of binds (let%lwt), whose callbacks Lwt filters. The compiler hands the builder
 *    every exception the body lets out, so this includes the exception an `await` of a
 *    rejected promise rethrows: where Lwt's bind passes a rejection along unfiltered, here
 *    a rejection with an exception the filter refuses escapes at that await. The machinery
 *    itself never makes such a rejection under a filter that refuses it; only explicit
 *    code does (Promise.Fail, a faulted Task adapted, a worker thread's exception carried
 *    back by LwtPreemptive.Detach). Task's builder filters nothing; Lwt's ppx does.
 *  - the library modules built on those (Lwt_list, Lwt_seq, Lwt_stream sources and
 *    functions, Lwt_switch hooks, Lwt_timeout actions: Lwt.apply there),
 *    LwtUnix.WithTimeout, the server handlers, a channel's operations (its backend may be
 *    user code), LwtIO.Atomic and a channel's close function, LwtMain.Run's start
 *    function, and the event loop's catch of posted work (it reports to the hook).
 * Not consulted where nothing is kept: catches that rethrow, or collect the first error
 * and throw it once the batch is done (timer wheel, engines); where the exception crosses
 * to another thread that waits for it and rethrows it there (LwtPreemptive.Detach and
 * RunInMain, LwtSynchronizationContext.Send: it reaches its caller, as Task.Run's would);
 * where the library catches its own operations, not user code (system calls, process
 * start and reaping, the claimable posts a stopping loop runs); the exit hooks (process
 * exit ignores everything, as Lwt's at_exit does); a finalizer. An await that observes a
 * rejection is not a catch of user code either.
 *
 * How, without touching the hot path. The sites keep their `catch (Exception e)` (no
 * `when` clause, no new try/finally: the filter runs only once something was thrown) and
 * start the catch body with ExceptionFilter.RethrowIfRefused(e), or, where the try changed
 * something to undo first, `if (!ExceptionFilter.Run(e)) { undo it; ExceptionFilter.Rethrow(e); }`.
 * Both are cold calls, and ExceptionDispatchInfo keeps the original stack trace. What each site undoes is what its
 * try changed: the callback's ExecutionContext (CallbackContext.Exit), a channel's turn,
 * and in BindCore.Bind the resolution loop's depth counter, through RethrowAtDepth: set
 * back without draining the deferred queue (what was queued stays queued for the next
 * outermost frame or loop iteration, rather than running more user code while a fatal
 * exception is on its way out), and set by the helper, which looks the loop up again: a
 * catch that used Bind's `loop` local made the JIT keep that local in a callee-saved
 * register on the fulfilled path too (one more push/pop and a bigger frame), where with
 * the helper the method's code outside the catch is unchanged. Frames further out already
 * restore theirs in a finally (RunCallbacks, Immediate.Notify, the deferred queue's drain,
 * the async builder's Start, LwtMain.Run), so after an escape the thread's core state is
 * as before the call into Lwt, and the next LwtMain.Run on it works (Lwt's own loop
 * cannot be restarted then).
 * An escape abandons what it interrupts, as in Lwt: the result promise of the callback
 * that threw stays pending, and the callbacks of the promise being resolved that had not
 * run yet never run. An async method resumed in its own context leaves that context
 * (its AsyncLocal values) on the thread when its exception escapes.
 *
 * The default is HandleAll: what lwt.mli documents ("handle_all is the default filter"),
 * and what Task does. lwt.ml 6.x starts with handle_all_except_runtime instead, so that
 * the runtime's fatal exceptions leave Lwt_main.run; that contradicts its own interface
 * and changed behaviour under existing programs, and here an escaping exception ends a
 * computation halfway (above), so refusing must be the program's explicit choice.
 *
 * A filter that throws: its answer is taken to be "handle", so that the machinery does
 * what it would do without a filter (the original exception becomes the rejection or the
 * report, it is not lost), and the filter's own exception goes to the async exception
 * hook, whose default ends the process: a broken filter is loud, not silent. (Lwt's guard
 * `when` would let the filter's exception escape in place of the original one; C#'s
 * `when` would swallow it as false. Neither keeps the original exception.)
 *
 * Process-wide, as in Lwt: Set may be called from any thread at any time; the filter is
 * one volatile field, read once per caught exception.
 */

public partial class Promise
{
    /// <summary>
    /// Which exceptions thrown by user code the promise machinery catches (turning them into
    /// rejections, or reporting them to <see cref="AsyncExceptionHook"/>) and which it lets
    /// escape to whoever called into it: the caller of <c>Bind</c> on a resolved promise, or
    /// the code that resolved the promise and so ran the callback (<c>Resolve</c>, and out of
    /// <see cref="LwtMain.Run(Func{Promise})"/> for the event loop's own work). Process-wide;
    /// the default is <see cref="HandleAll"/>. An exception that escapes abandons the work it
    /// interrupts (the callback's result promise stays pending) but leaves the thread's event
    /// loop usable for the next <c>LwtMain.Run</c>.
    /// <para>Lwt: <c>Lwt.Exception_filter</c></para>
    /// </summary>
    public static class ExceptionFilter
    {
        // Fields in this order: s_current starts as the HandleAll delegate.
        private static readonly Func<Exception, bool> s_handleAll = static _ => true;
        private static readonly Func<Exception, bool> s_handleAllExceptRuntime = static e => !IsRuntimeFailure(e);
        private static volatile Func<Exception, bool> s_current = s_handleAll;

        /// <summary>
        /// The filter that handles every exception: all of them become rejections (or reports to
        /// the hook), out-of-memory ones included. The default.
        /// <para>Lwt: <c>Lwt.Exception_filter.handle_all</c></para>
        /// </summary>
        public static Func<Exception, bool> HandleAll => s_handleAll;

        /// <summary>
        /// The filter that handles every exception except those of the runtime running out of
        /// resources: <see cref="OutOfMemoryException"/> (with its subclasses, such as
        /// <see cref="InsufficientMemoryException"/>) and <see cref="InsufficientExecutionStackException"/>
        /// (what <see cref="RuntimeHelpers.EnsureSufficientExecutionStack"/> throws). These escape
        /// the promise machinery instead of becoming rejections. .NET's own
        /// <see cref="StackOverflowException"/> cannot be caught at all (the process ends), so no
        /// filter ever sees it.
        /// <para>Lwt: <c>Lwt.Exception_filter.handle_all_except_runtime</c> (OCaml's <c>Out_of_memory</c> and <c>Stack_overflow</c>)</para>
        /// </summary>
        public static Func<Exception, bool> HandleAllExceptRuntime => s_handleAllExceptRuntime;

        /// <summary>
        /// Makes <paramref name="filter"/> the process-wide filter: true for an exception the
        /// machinery may catch, false for one that must escape. Best set once, at start-up; it
        /// may be called from any thread, and applies to exceptions caught from then on.
        /// A filter that throws counts as answering true, and its exception is passed to
        /// <see cref="AsyncExceptionHook"/>.
        /// <para>Lwt: <c>Lwt.Exception_filter.set</c></para>
        /// </summary>
        /// <param name="filter">The filter: <see cref="HandleAll"/>, <see cref="HandleAllExceptRuntime"/> or a predicate of your own.</param>
        /// <exception cref="ArgumentNullException"><paramref name="filter"/> is null.</exception>
        public static void Set(Func<Exception, bool> filter)
        {
            if (filter is null) ThrowHelper.ThrowArgumentNull(nameof(filter));
            s_current = filter;
        }

        /// <summary>
        /// Whether the current filter lets the machinery catch <paramref name="exception"/>: what
        /// every catch of user code in the library asks. A filter that throws counts as answering
        /// true, and its exception is passed to <see cref="AsyncExceptionHook"/> (or the calling
        /// thread's hosted replacement).
        /// <para>Lwt: <c>Lwt.Exception_filter.run</c> (hidden in lwt.mli)</para>
        /// </summary>
        /// <param name="exception">The exception that was caught.</param>
        /// <returns>True to handle it (reject, report), false to let it escape.</returns>
        /// <exception cref="ArgumentNullException"><paramref name="exception"/> is null.</exception>
        public static bool Run(Exception exception)
        {
            if (exception is null) ThrowHelper.ThrowArgumentNull(nameof(exception));
            var filter = s_current;
            return ReferenceEquals(filter, s_handleAll) || RunUserFilter(filter, exception);
        }

        private static bool RunUserFilter(Func<Exception, bool> filter, Exception exception)
        {
            try
            {
                return filter(exception);
            }
            catch (Exception filterFailure)
            {
                ReportUnhandled(filterFailure);
                return true;
            }
        }

        /// <summary>Whether the runtime threw <paramref name="e"/> because it ran out of memory or stack.</summary>
        private static bool IsRuntimeFailure(Exception e) => e is OutOfMemoryException or InsufficientExecutionStackException;

        /// <summary>
        /// Throws <paramref name="exception"/> again, from a catch that the filter refused, with
        /// its original stack trace. Cold and out of line, so the catch bodies of the hot methods
        /// stay a call.
        /// </summary>
        [DoesNotReturn]
        [MethodImpl(MethodImplOptions.NoInlining)]
        internal static void Rethrow(Exception exception) => ExceptionDispatchInfo.Capture(exception).Throw();

        /// <summary>
        /// The start of the catch body of a site with nothing to undo: throws
        /// <paramref name="exception"/> again (<see cref="Rethrow"/>) when the filter refuses it,
        /// returns when the site may keep it.
        /// </summary>
        [MethodImpl(MethodImplOptions.NoInlining)]
        internal static void RethrowIfRefused(Exception exception)
        {
            if (!Run(exception)) Rethrow(exception);
        }

        /// <summary>
        /// <see cref="Rethrow"/> for a frame that entered the resolution loop at
        /// <paramref name="depth"/>: sets the depth back first (not <see cref="ResolutionLoop.Leave"/>:
        /// what was deferred meanwhile stays queued rather than running more user code while the
        /// exception is on its way out). The calling thread's loop is looked up here rather than
        /// passed in, so that the caller's catch does not use its loop variable: a use there
        /// changes how the JIT keeps that variable on the hot path (BindCore.Bind).
        /// </summary>
        [DoesNotReturn]
        [MethodImpl(MethodImplOptions.NoInlining)]
        internal static void RethrowAtDepth(Exception exception, int depth)
        {
            ResolutionLoop.Current.Depth = depth;
            ExceptionDispatchInfo.Capture(exception).Throw();
        }
    }
}
