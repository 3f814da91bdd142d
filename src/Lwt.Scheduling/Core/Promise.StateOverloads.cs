using System.Runtime.CompilerServices;

namespace Lwt;

/*
 * Bind and Map with an explicit state argument: `p.Bind(static (v, s) => ..., s)`.
 *
 * Lwt has no such form because OCaml does not need one: `fun () -> loop (n-1)` is a closure
 * of a few words on a bump-allocated minor heap. The same lambda in C# is a display class
 * and a delegate, 88 bytes and two objects per call, and in a loop that recurses through
 * Bind on fulfilled promises they cost about twice what the Bind itself costs (perf
 * `bind-resolved/floor` against `bind-resolved/state`). So, as .NET does for ContinueWith,
 * Register and GetOrAdd, every Bind and Map also comes in a form that takes the callback's
 * state separately (callback first, state second, as those do): with a static lambda the
 * compiler caches the delegate once, the state travels by value, and a Bind on a fulfilled
 * promise allocates nothing at all.
 *
 * The behaviour is exactly that of the closure forms, because it is the same code
 * (BindCore.cs): same trampolining past the nesting limit, same rejection when the
 * callback throws, same proxying, same cancellation, same AsyncLocal flow.
 */

public partial class Promise
{
    /// <summary>
    /// Like <see cref="Bind(Func{Promise})"/>, with the callback's state passed separately so
    /// that a <c>static</c> lambda needs no closure: on a fulfilled promise this allocates nothing.
    /// The callback gets the state, not the value: on a <see cref="Promise{T}"/>, the overloads
    /// whose callback takes two arguments pass the value too.
    /// <para>Lwt: <c>Lwt.bind</c> on <c>unit Lwt.t</c> (the state replaces the closure's captured variables)</para>
    /// </summary>
    /// <param name="f">The callback, given <paramref name="state"/>; called at once if this promise is already fulfilled.</param>
    /// <param name="state">The value passed to <paramref name="f"/>.</param>
    /// <typeparam name="TState">The type of the state.</typeparam>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    public Promise Bind<TState>(Func<TState, Promise> f, TState state)
    {
        if (f is null) ThrowHelper.ThrowArgumentNull(nameof(f));
        return BindCore.Bind<StateBindAny<TState>, Unit>(this, new(f, state));
    }

    /// <summary>
    /// Like <see cref="Bind{U}(Func{Promise{U}})"/>, with the callback's state passed separately.
    /// The callback gets the state, not the value (see <see cref="Bind{TState}(Func{TState, Promise}, TState)"/>).
    /// <para>Lwt: <c>Lwt.bind</c> on <c>unit Lwt.t</c> (the state replaces the closure's captured variables)</para>
    /// </summary>
    /// <param name="f">The callback, given <paramref name="state"/>; called at once if this promise is already fulfilled.</param>
    /// <param name="state">The value passed to <paramref name="f"/>.</param>
    /// <typeparam name="TState">The type of the state.</typeparam>
    /// <typeparam name="U">The type of the result.</typeparam>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    public Promise<U> Bind<TState, U>(Func<TState, Promise<U>> f, TState state)
    {
        if (f is null) ThrowHelper.ThrowArgumentNull(nameof(f));
        return Unsafe.As<Promise<U>>(BindCore.Bind<StateBind<TState, U>, U>(this, new(f, state)));
    }

    /// <summary>
    /// Like <see cref="Map{U}(Func{U})"/>, with the function's state passed separately.
    /// The function gets the state, not the value (see <see cref="Bind{TState}(Func{TState, Promise}, TState)"/>).
    /// <para>Lwt: <c>Lwt.map</c> on <c>unit Lwt.t</c> (the state replaces the closure's captured variables)</para>
    /// </summary>
    /// <param name="f">The function, given <paramref name="state"/>.</param>
    /// <param name="state">The value passed to <paramref name="f"/>.</param>
    /// <typeparam name="TState">The type of the state.</typeparam>
    /// <typeparam name="U">The type of the result.</typeparam>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    public Promise<U> Map<TState, U>(Func<TState, U> f, TState state)
    {
        if (f is null) ThrowHelper.ThrowArgumentNull(nameof(f));
        return BindCore.Map<StateMap<TState, U>, U>(this, new(f, state));
    }
}

public partial class Promise<T>
{
    /// <summary>
    /// Like <see cref="Bind{U}(Func{T, Promise{U}})"/>, with the callback's state passed
    /// separately so that a <c>static</c> lambda needs no closure: on a fulfilled promise this
    /// allocates nothing.
    /// <para>Lwt: <c>Lwt.bind</c>, <c>&gt;&gt;=</c> (the state replaces the closure's captured variables)</para>
    /// </summary>
    /// <param name="f">The callback, given the value and <paramref name="state"/>; called at once if this promise is already fulfilled.</param>
    /// <param name="state">The value passed to <paramref name="f"/>.</param>
    /// <typeparam name="TState">The type of the state.</typeparam>
    /// <typeparam name="U">The type of the result.</typeparam>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    public Promise<U> Bind<TState, U>(Func<T, TState, Promise<U>> f, TState state)
    {
        if (f is null) ThrowHelper.ThrowArgumentNull(nameof(f));
        return Unsafe.As<Promise<U>>(BindCore.Bind<ValueStateBind<T, TState, U>, U>(this, new(f, state)));
    }

    /// <summary>
    /// Like <see cref="Bind(Func{T, Promise})"/>, with the callback's state passed separately.
    /// <para>Lwt: <c>Lwt.bind</c> (the state replaces the closure's captured variables)</para>
    /// </summary>
    /// <param name="f">The callback, given the value and <paramref name="state"/>; called at once if this promise is already fulfilled.</param>
    /// <param name="state">The value passed to <paramref name="f"/>.</param>
    /// <typeparam name="TState">The type of the state.</typeparam>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    public Promise Bind<TState>(Func<T, TState, Promise> f, TState state)
    {
        if (f is null) ThrowHelper.ThrowArgumentNull(nameof(f));
        return BindCore.Bind<ValueStateBindAny<T, TState>, Unit>(this, new(f, state));
    }

    /// <summary>
    /// Like <see cref="Map{U}(Func{T, U})"/>, with the function's state passed separately.
    /// <para>Lwt: <c>Lwt.map</c>, <c>&gt;|=</c> (the state replaces the closure's captured variables)</para>
    /// </summary>
    /// <param name="f">The function, given the value and <paramref name="state"/>.</param>
    /// <param name="state">The value passed to <paramref name="f"/>.</param>
    /// <typeparam name="TState">The type of the state.</typeparam>
    /// <typeparam name="U">The type of the result.</typeparam>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    public Promise<U> Map<TState, U>(Func<T, TState, U> f, TState state)
    {
        if (f is null) ThrowHelper.ThrowArgumentNull(nameof(f));
        return BindCore.Map<ValueStateMap<T, TState, U>, U>(this, new(f, state));
    }
}
