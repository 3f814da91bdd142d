using System.Runtime.CompilerServices;

namespace Lwt;

/*
 * The callbacks of Bind and Map, each with what it carries, as small structs.
 *
 * Every Bind and Map overload (ten of them: value-less or given the value, returning a
 * typed promise, an untyped one or a plain value, with a closure or with explicit state)
 * wraps its delegate, and its state if any, in one of the structs below and hands it to
 * the single implementation in BindCore.cs, which is generic over the struct. The structs
 * differ only in how they call the delegate; everything else (calling at once on a
 * fulfilled input, the trampoline, the result node, cancellation, AsyncLocal flow) is
 * written once.
 *
 * Why one struct per overload, and no type parameter anywhere for the callback's return
 * type: the JIT shares one compiled body among all instantiations over reference types,
 * and a shared body reaches the struct's Invoke, the node's type and the helpers it calls
 * through runtime lookups. Promise and Promise<U> are always reference types, so anything
 * generic over them would always be shared. Generic only over the user's types (T, TState,
 * U), the structs, BindCore and the nodes are specialized whenever those are value types
 * (a loop counter, a tuple of them, Unit), and the JIT then inlines Invoke, and often the
 * lambda itself. (bind-resolved/state measured 15.5 ns per op with a struct generic over
 * the return type, 11.5 without.) Whether a Bind's callback returns the result's own type
 * is a static property of the struct instead (IBindCallback.ReturnsResultType).
 */

/// <summary>A Bind callback with what it carries, called with the fulfilled input.</summary>
internal interface IBindCallback
{
    /// <summary>
    /// Whether the callback returns a promise of the Bind result's own type, <c>Promise&lt;U&gt;</c>,
    /// which the result then becomes (a proxy); otherwise it returns any promise, which the
    /// result, a <c>Promise&lt;Unit&gt;</c>, follows. A constant the JIT folds per struct.
    /// </summary>
    static abstract bool ReturnsResultType { get; }

    /// <summary>Calls the callback; <paramref name="fulfilled"/> is the underlying, fulfilled input.</summary>
    Promise? Invoke(Promise fulfilled);
}

/// <summary>A Map callback with what it carries, called with the fulfilled input.</summary>
/// <typeparam name="U">What the callback returns.</typeparam>
internal interface IMapCallback<U>
{
    /// <summary>Calls the callback; <paramref name="fulfilled"/> is the underlying, fulfilled input.</summary>
    U Invoke(Promise fulfilled);
}

// ------------------------------------------------------------------ the value is ignored

/// <summary><c>Promise.Bind(Func&lt;Promise&gt;)</c>.</summary>
internal readonly struct ThunkBindAny(Func<Promise> f) : IBindCallback
{
    public static bool ReturnsResultType => false;

    public Promise? Invoke(Promise fulfilled) => f();
}

/// <summary><c>Promise.Bind&lt;U&gt;(Func&lt;Promise&lt;U&gt;&gt;)</c>.</summary>
internal readonly struct ThunkBind<U>(Func<Promise<U>> f) : IBindCallback
{
    public static bool ReturnsResultType => true;

    public Promise? Invoke(Promise fulfilled) => f();
}

/// <summary><c>Promise.Map&lt;U&gt;(Func&lt;U&gt;)</c>.</summary>
internal readonly struct ThunkMap<U>(Func<U> f) : IMapCallback<U>
{
    public U Invoke(Promise fulfilled) => f();
}

/// <summary><c>Promise.Bind&lt;TState&gt;(Func&lt;TState, Promise&gt;, TState)</c>.</summary>
internal readonly struct StateBindAny<TState>(Func<TState, Promise> f, TState state) : IBindCallback
{
    public static bool ReturnsResultType => false;

    public Promise? Invoke(Promise fulfilled) => f(state);
}

/// <summary><c>Promise.Bind&lt;TState, U&gt;(Func&lt;TState, Promise&lt;U&gt;&gt;, TState)</c>.</summary>
internal readonly struct StateBind<TState, U>(Func<TState, Promise<U>> f, TState state) : IBindCallback
{
    public static bool ReturnsResultType => true;

    public Promise? Invoke(Promise fulfilled) => f(state);
}

/// <summary><c>Promise.Map&lt;TState, U&gt;(Func&lt;TState, U&gt;, TState)</c>.</summary>
internal readonly struct StateMap<TState, U>(Func<TState, U> f, TState state) : IMapCallback<U>
{
    public U Invoke(Promise fulfilled) => f(state);
}

// ------------------------------------------------------------------ given the value

/// <summary><c>Promise&lt;T&gt;.Bind(Func&lt;T, Promise&gt;)</c>.</summary>
internal readonly struct ValueBindAny<T>(Func<T, Promise> f) : IBindCallback
{
    public static bool ReturnsResultType => false;

    public Promise? Invoke(Promise fulfilled) => f(Unsafe.As<Promise<T>>(fulfilled)._value);
}

/// <summary><c>Promise&lt;T&gt;.Bind&lt;U&gt;(Func&lt;T, Promise&lt;U&gt;&gt;)</c>.</summary>
internal readonly struct ValueBind<T, U>(Func<T, Promise<U>> f) : IBindCallback
{
    public static bool ReturnsResultType => true;

    public Promise? Invoke(Promise fulfilled) => f(Unsafe.As<Promise<T>>(fulfilled)._value);
}

/// <summary><c>Promise&lt;T&gt;.Map&lt;U&gt;(Func&lt;T, U&gt;)</c>.</summary>
internal readonly struct ValueMap<T, U>(Func<T, U> f) : IMapCallback<U>
{
    public U Invoke(Promise fulfilled) => f(Unsafe.As<Promise<T>>(fulfilled)._value);
}

/// <summary><c>Promise&lt;T&gt;.Bind&lt;TState&gt;(Func&lt;T, TState, Promise&gt;, TState)</c>.</summary>
internal readonly struct ValueStateBindAny<T, TState>(Func<T, TState, Promise> f, TState state) : IBindCallback
{
    public static bool ReturnsResultType => false;

    public Promise? Invoke(Promise fulfilled) => f(Unsafe.As<Promise<T>>(fulfilled)._value, state);
}

/// <summary><c>Promise&lt;T&gt;.Bind&lt;TState, U&gt;(Func&lt;T, TState, Promise&lt;U&gt;&gt;, TState)</c>.</summary>
internal readonly struct ValueStateBind<T, TState, U>(Func<T, TState, Promise<U>> f, TState state) : IBindCallback
{
    public static bool ReturnsResultType => true;

    public Promise? Invoke(Promise fulfilled) => f(Unsafe.As<Promise<T>>(fulfilled)._value, state);
}

/// <summary><c>Promise&lt;T&gt;.Map&lt;TState, U&gt;(Func&lt;T, TState, U&gt;, TState)</c>.</summary>
internal readonly struct ValueStateMap<T, TState, U>(Func<T, TState, U> f, TState state) : IMapCallback<U>
{
    public U Invoke(Promise fulfilled) => f(Unsafe.As<Promise<T>>(fulfilled)._value, state);
}
