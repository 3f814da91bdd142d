using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Lwt;

/*
 * Bind and Map, written once for all their overloads (BindCallbacks.cs says how the
 * overloads reach here). The hot path of the whole library.
 *
 * On a fulfilled input, Bind calls the callback at once and returns what it returned: no
 * allocation beyond what the callback allocates. It counts itself on the per-thread depth
 * counter so that a loop recursing through Bind cannot overflow the stack
 * (ResolutionLoop.cs): past the limit it falls to the cold path, which attaches the same
 * node a pending input gets and queues its notification. On a pending input both attach
 * one node (DependentPromises.cs), which is the result promise and the callback at once.
 *
 * A Bind's callback returns either a Promise<U> (IBindCallback.ReturnsResultType: the
 * result is a Promise<U> that becomes a proxy for it) or any promise (the result is a
 * Promise<Unit>, U = Unit, that follows it). Bind returns a Promise typed as the base
 * class; the typed overloads reinterpret it as the Promise<U> it then always is (the
 * callback's own promise, a rejected Promise<U>, or a node).
 *
 * A callback's exception rejects the result unless Promise.ExceptionFilter refuses it;
 * then it escapes from Bind with the depth counter set back. The catch bodies only call
 * out (Promise.ExceptionFilter.cs says why Bind's does not touch its `loop` local).
 */

/// <summary>The one implementation of every Bind and Map overload.</summary>
internal static class BindCore
{
    /// <summary>Bind: the callback's promise becomes the result.</summary>
    /// <typeparam name="TCallback">The callback struct (BindCallbacks.cs).</typeparam>
    /// <typeparam name="U">The result's type (<see cref="Unit"/> when the callback returns any promise).</typeparam>
    internal static Promise Bind<TCallback, U>(Promise input, TCallback callback)
        where TCallback : struct, IBindCallback
    {
        Debug.Assert(TCallback.ReturnsResultType || typeof(U) == typeof(Unit));
        var p = input.Underlying();
        if (p._status == Status.Fulfilled)
        {
            var loop = ResolutionLoop.Current;
            int depth = loop.Depth;
            if (Immediate.CanNest(depth))
            {
                loop.Depth = depth + 1;
                Promise? result;
                try
                {
                    result = callback.Invoke(p);
                }
                catch (Exception e)
                {
                    if (!Promise.ExceptionFilter.Run(e)) Promise.ExceptionFilter.RethrowAtDepth(e, depth);
                    result = Promise<U>.FromException(e);
                }
                loop.Leave(depth);
                return result ?? Promise<U>.FromException(ThrowHelper.NullPromise());
            }
        }
        return BindSlow<TCallback, U>(p, callback);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Promise BindSlow<TCallback, U>(Promise p, TCallback callback)
        where TCallback : struct, IBindCallback
    {
        if (p._status == Status.Rejected) return Promise<U>.FromException(p.Rejection);
        var result = new BindNode<TCallback, U>(p, callback);
        Promise.Attach(p, result); // pending: one node; fulfilled but deep: trampolined
        return result;
    }

    /// <summary>Map: the callback's value fulfils the result.</summary>
    /// <typeparam name="TCallback">The callback struct (BindCallbacks.cs).</typeparam>
    /// <typeparam name="U">The result's type.</typeparam>
    internal static Promise<U> Map<TCallback, U>(Promise input, TCallback callback)
        where TCallback : struct, IMapCallback<U>
    {
        var p = input.Underlying();
        if (p._status == Status.Fulfilled)
        {
            // No depth counting: Map's callback returns a value, not a promise, so no loop
            // can recurse through it in tail position.
            try
            {
                return new Promise<U>(callback.Invoke(p));
            }
            catch (Exception e)
            {
                Promise.ExceptionFilter.RethrowIfRefused(e);
                return Promise<U>.FromException(e);
            }
        }
        if (p._status == Status.Rejected) return Promise<U>.FromException(p.Rejection);
        var result = new MapNode<TCallback, U>(p, callback);
        Promise.Attach(p, result);
        return result;
    }
}
