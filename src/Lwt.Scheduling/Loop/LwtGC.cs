// LwtGC: run a promise-returning function on an object once the GC collected it
// (Lwt_gc), on the event loop of the thread that asked.
//
// How an object's collection is observed. OCaml's Gc.finalise hands the value
// back to the finaliser; .NET has no finaliser per object, but a
// ConditionalWeakTable gives one by proxy: the table maps x to a holder of
// Sentinels, and keeps the holder alive exactly as long as x (an ephemeron: the
// value does not keep its key alive, even when it refers to it). Each Sentinel
// holds x, f and the loop, and has a finalizer. When x becomes unreachable, so
// do the holder and its sentinels; the GC queues the sentinels' finalizers,
// which resurrect x for the time of the call, exactly as Gc.finalise does.
// Caveats, stated in the docs: x's own finalizer (if it has one) may have run
// already, since .NET orders no finalizers; and f runs after some later GC,
// not at a fixed moment.
//
// Where f runs. A finalizer runs on the finalizer thread, where nothing of a
// loop may be touched: it only posts to the loop captured by Finalise
// (EventLoop.Post is the thread-safe entry point), as Lwt's finaliser only
// sends a notification to the main loop. So f runs when that loop next runs;
// a loop that never runs again never runs it (as Lwt's notification).
//
// Termination (Lwt's ensure_termination). If f's promise is still pending, it
// is added to LwtMain.ExitHooks, and removed when it resolves: a process that
// exits meanwhile waits for it, if it can progress. f ran on the registering
// loop, so its sleeps and I/O need that loop: the exit hooks do not wait for a
// promise of a loop that is not running, or that is frozen by the exit itself
// (LwtExitHooks' rule), where Lwt's one loop would still finish it. What f
// throws goes to the loop's Promise.AsyncExceptionHook (it is a posted
// action's exception); a rejection of its promise is ignored, as Lwt ignores it.
//
// FinaliseOrExit. An exit hook is also added, holding x only through a weak
// reference, so the hook does not keep x alive. Whichever comes first,
// collection or exit, runs f; a flag shared by the two (set with an
// interlocked exchange: the exit hook runs on the exit thread, the sentinel's
// post on the loop) makes it run once, and collection removes the now useless
// hook. The collection's post may never run: x can become unreachable after
// its loop's last run (or while the loop's thread is gone for good). f must
// then run at exit, so the exit hook must still reach x after collection:
// the sentinel's finalizer hands x to the hook (a strong reference, until f
// has run), and the weak reference is a long one (trackResurrection), which
// stays valid while the pending finalizer holds x, so no moment exists, between
// x's collection and that hand-over, in which the hook finds nothing.

using System.Runtime.CompilerServices;

namespace Lwt;

/// <summary>
/// Runs a function on an object after the garbage collector collected it, on the event loop of
/// the thread that registered it.
/// <para>Lwt: <c>Lwt_gc</c></para>
/// </summary>
public static class LwtGC
{
    private static readonly ConditionalWeakTable<object, Holder> s_table = new();

    /// <summary>
    /// Calls <paramref name="f"/>(<paramref name="x"/>) after <paramref name="x"/> is collected,
    /// on the event loop of the calling thread (when it next runs). If the promise
    /// <paramref name="f"/> returns is still pending then, the process waits for it at exit
    /// (<see cref="LwtMain.ExitHooks"/>), unless its loop can no longer run it: a loop that
    /// has stopped, or the loop of the thread that is exiting (see <see cref="LwtExitHooks"/>). <paramref name="x"/> is handed back to
    /// <paramref name="f"/> as OCaml's <c>Gc.finalise</c> does, but its own .NET finalizer, if
    /// any, may have run already. Several functions may be registered on one object; each runs
    /// once. Nothing runs if <paramref name="x"/> is still alive when the process exits (see
    /// <see cref="FinaliseOrExit{T}"/>). Safe from any thread.
    /// <para>Lwt: <c>Lwt_gc.finalise</c></para>
    /// </summary>
    /// <typeparam name="T">The object's type (a reference type: only those are collected).</typeparam>
    /// <param name="f">The function; what it throws goes to <see cref="Promise.AsyncExceptionHook"/>, a rejection of its promise is ignored.</param>
    /// <param name="x">The object to watch.</param>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> or <paramref name="x"/> is null.</exception>
    public static void Finalise<T>(Func<T, Promise> f, T x)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(f);
        ArgumentNullException.ThrowIfNull(x);
        Attach(x, new Sentinel<T>(x, new Shared<T>(f, null), EventLoop.ForCurrentThread()));
    }

    /// <summary>
    /// As <see cref="Finalise{T}"/>, and also calls <paramref name="f"/>(<paramref name="x"/>)
    /// when the process exits (among <see cref="LwtMain.ExitHooks"/>) if it was not called at
    /// collection by then. <paramref name="f"/> runs exactly once, whichever comes first: if
    /// <paramref name="x"/> is collected when its loop no longer runs (after the loop's last
    /// <see cref="LwtMain.Run(Promise)"/>), <paramref name="f"/> runs at exit, on the exit
    /// hooks' loop. The exit hook holds <paramref name="x"/> weakly, so it does not keep it
    /// alive, and it is removed once <paramref name="f"/> has run.
    /// <para>Lwt: <c>Lwt_gc.finalise_or_exit</c></para>
    /// </summary>
    /// <typeparam name="T">The object's type (a reference type: only those are collected).</typeparam>
    /// <param name="f">The function; at collection, what it throws goes to <see cref="Promise.AsyncExceptionHook"/>; at exit, it is ignored as the exit hooks ignore it.</param>
    /// <param name="x">The object to watch.</param>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> or <paramref name="x"/> is null.</exception>
    public static void FinaliseOrExit<T>(Func<T, Promise> f, T x)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(f);
        ArgumentNullException.ThrowIfNull(x);
        var shared = new Shared<T>(f, new WeakReference<T>(x, trackResurrection: true));
        shared.Hook = LwtMain.ExitHooks.AddFirst(shared.AtExit);
        Attach(x, new Sentinel<T>(x, shared, EventLoop.ForCurrentThread()));
    }

    private static void Attach(object x, Sentinel sentinel)
    {
        Holder holder = s_table.GetValue(x, static _ => new Holder());
        lock (holder) holder.Sentinels.Add(sentinel);
    }

    /// <summary>Runs <paramref name="p"/> to its end before the process exits, if it is still pending (Lwt's ensure_termination).</summary>
    private static void EnsureTermination(Promise p)
    {
        if (p.State != PromiseState.Pending) return;
        LwtExitHook hook = LwtMain.ExitHooks.AddFirst(() => p);
        p.OnTermination(() => LwtMain.ExitHooks.Remove(hook));
    }

    /// <summary>The table's value for one object: its sentinels (kept alive exactly as long as the object).</summary>
    private sealed class Holder
    {
        internal readonly List<Sentinel> Sentinels = new(1);
    }

    /// <summary>A finalizable stand-in for one registration; see the file comment.</summary>
    private abstract class Sentinel;

    /// <summary>What a registration's sentinel and its exit hook (FinaliseOrExit) share.</summary>
    private sealed class Shared<T>(Func<T, Promise> f, WeakReference<T>? weak)
        where T : class
    {
        private int _called;

        /// <summary>x once collected (FinaliseOrExit only), for the exit hook, until f has run (file comment).</summary>
        private T? _collected;

        internal LwtExitHook? Hook;

        /// <summary>Whether an exit hook may have to run f (FinaliseOrExit).</summary>
        internal bool HasExitHook => weak is not null;

        /// <summary>Claims the single call of f; false if it was made (or claimed) already.</summary>
        internal bool TryClaim() => Interlocked.Exchange(ref _called, 1) == 0;

        /// <summary>Runs f on the loop, after collection; drops the exit hook, which has no use any more.</summary>
        internal void AfterCollection(T x)
        {
            if (Hook is { } hook) LwtMain.ExitHooks.Remove(hook);
            Volatile.Write(ref _collected, null);
            if (TryClaim()) EnsureTermination(f(x));
        }

        /// <summary>On the finalizer thread, before the post: lets the exit hook reach x should the post never run.</summary>
        internal void Collected(T x) => Volatile.Write(ref _collected, x);

        /// <summary>The exit hook of FinaliseOrExit: f on x if f was not called.</summary>
        internal Promise AtExit()
        {
            T? x = Volatile.Read(ref _collected);
            // The long weak reference reaches x until f has run (file comment): this
            // fallback to no call is not expected to be taken.
            if (x is null && !weak!.TryGetTarget(out x)) return Promise.ReturnUnit;
            if (!TryClaim()) return Promise.ReturnUnit;
            Volatile.Write(ref _collected, null);
            return f(x);
        }
    }

    private sealed class Sentinel<T>(T x, Shared<T> shared, EventLoop loop) : Sentinel
        where T : class
    {
        /// <summary>Runs on the finalizer thread: only posts (see the file comment).</summary>
        ~Sentinel()
        {
            try
            {
                if (shared.HasExitHook) shared.Collected(x);
                loop.TryPostUnlessEnded(() => shared.AfterCollection(x)); // an ended loop never runs it (file comment)
            }
            catch (Exception)
            {
                // An exception escaping a finalizer ends the process; a post that failed
                // (out of memory) loses one finaliser call instead.
            }
        }
    }
}
