namespace Lwt;

/*
 * The public state-passing overloads of Bind and Map; StatePassing.cs explains why they
 * exist and holds their bodies. Each takes the callback first and its state second, as
 * Task.ContinueWith, CancellationToken.Register and ConcurrentDictionary.GetOrAdd do.
 */

public partial class Promise
{
    /// <summary>
    /// Like <see cref="Bind(Func{Promise})"/>, with the callback's state passed separately so
    /// that a <c>static</c> lambda needs no closure: on a fulfilled promise this allocates nothing.
    /// <para>Lwt: <c>Lwt.bind</c> on <c>unit Lwt.t</c> (the state replaces the closure's captured variables)</para>
    /// </summary>
    /// <param name="f">The callback, given <paramref name="state"/>; called at once if this promise is already fulfilled.</param>
    /// <param name="state">The value passed to <paramref name="f"/>.</param>
    /// <typeparam name="TState">The type of the state.</typeparam>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    public Promise Bind<TState>(Func<TState, Promise> f, TState state)
    {
        if (f is null) ThrowHelper.ThrowArgumentNull(nameof(f));
        return StatePassing.BindAny(this, new StateBindAny<TState>(f, state));
    }

    /// <summary>
    /// Like <see cref="Bind{U}(Func{Promise{U}})"/>, with the callback's state passed separately.
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
        return StatePassing.Bind<StateBind<TState, U>, U>(this, new(f, state));
    }

    /// <summary>
    /// Like <see cref="Map{U}(Func{U})"/>, with the function's state passed separately.
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
        return StatePassing.Map<StateMap<TState, U>, U>(this, new(f, state));
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
        return StatePassing.Bind<ValueStateBind<T, TState, U>, U>(this, new(f, state));
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
        return StatePassing.BindAny(this, new ValueStateBindAny<T, TState>(f, state));
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
        return StatePassing.Map<ValueStateMap<T, TState, U>, U>(this, new(f, state));
    }
}
