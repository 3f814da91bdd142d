namespace Lwt;

/*
 * Lwt's implicit callback arguments: Lwt.new_key, Lwt.get, Lwt.with_value.
 *
 * Lwt keeps a global map from keys to values. with_value k v f changes k in the map for
 * the time f runs, then restores it; every function that attaches a callback (bind, map,
 * catch, finalize, try_bind, on_*) snapshots the map when it attaches and restores that
 * snapshot around the callback. So a callback sees the values that were in force where it
 * was written, however much later it runs.
 *
 * .NET has that map already: the ExecutionContext, whose entries are AsyncLocal<T> values.
 * Every callback here is attached with the context captured at attachment and runs in it
 * (CallbackContext.cs), and so does every `await` in an async Promise method. A key is
 * therefore one AsyncLocal<Option<T>>, and these three functions are thin:
 *
 *   - Get reads the AsyncLocal;
 *   - WithValue sets it, runs f, and sets it back to what it was, also when f throws. It
 *     restores only its own key, as Lwt does: other keys f changed stay changed.
 *
 * Lwt lists these in the "Deprecated" part of lwt.mli (no attribute); the .NET idiom is
 * an AsyncLocal<T> of one's own, which flows the same way. They are kept for code ported
 * from Lwt, without [Obsolete], like Wrap1..Wrap7.
 *
 * Setting an AsyncLocal inside a synchronous call changes the caller's context, which is
 * what with_value needs (the value must be visible to the whole of f, and to what f
 * attaches) and why the restore must happen in a finally: an async method would undo the
 * change on its own at return, but WithValue is not one, so that f can be any function.
 */

/// <summary>
/// A key of Lwt's implicit callback arguments: a value that flows into the callbacks
/// attached while it is set (see <see cref="Promise.WithValue{T, TResult}"/>).
/// <para>Lwt: <c>'a Lwt.key</c></para>
/// </summary>
/// <typeparam name="T">The type of the values associated with the key.</typeparam>
/// <remarks>
/// A key is an <see cref="AsyncLocal{T}"/> of <see cref="Option{T}"/>; new .NET code can
/// use an <see cref="AsyncLocal{T}"/> of its own directly, with the same flow.
/// </remarks>
public sealed class PromiseKey<T>
{
    internal readonly AsyncLocal<Option<T>> Slot = new();

    internal PromiseKey()
    {
    }
}

public partial class Promise
{
    /// <summary>
    /// Creates a fresh key of the implicit callback arguments, associated with no value.
    /// <para>Lwt: <c>Lwt.new_key</c></para>
    /// </summary>
    /// <typeparam name="T">The type of the values associated with the key.</typeparam>
    public static PromiseKey<T> NewKey<T>() => new();

    /// <summary>
    /// The value associated with <paramref name="key"/> where this code runs: the one set by
    /// the innermost <see cref="WithValue{T, TResult}"/> around it, or, in a callback, the
    /// one in force when the callback was attached.
    /// <para>Lwt: <c>Lwt.get</c></para>
    /// </summary>
    /// <param name="key">The key.</param>
    /// <typeparam name="T">The type of the value.</typeparam>
    /// <returns><c>Some value</c>, or <c>None</c> when no value is associated with the key.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="key"/> is null.</exception>
    public static Option<T> Get<T>(PromiseKey<T> key)
    {
        if (key is null) ThrowHelper.ThrowArgumentNull(nameof(key));
        return key.Slot.Value;
    }

    /// <summary>
    /// Associates <paramref name="value"/> with <paramref name="key"/> (<c>None</c>: no
    /// value), calls <paramref name="f"/>, then restores the key's previous value, also when
    /// <paramref name="f"/> throws. Callbacks that <paramref name="f"/> attaches (Bind, Map,
    /// Catch, Finally, TryBind, On*, await) see the value whenever they run.
    /// <para>Lwt: <c>Lwt.with_value</c></para>
    /// </summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The value to associate for the time of the call.</param>
    /// <param name="f">The function to call; typically it returns a promise.</param>
    /// <typeparam name="T">The type of the value.</typeparam>
    /// <typeparam name="TResult">What <paramref name="f"/> returns.</typeparam>
    /// <returns>What <paramref name="f"/> returned.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="key"/> or <paramref name="f"/> is null.</exception>
    /// <remarks>Whatever <paramref name="f"/> throws is thrown here, after the restore.</remarks>
    public static TResult WithValue<T, TResult>(PromiseKey<T> key, Option<T> value, Func<TResult> f)
    {
        if (key is null) ThrowHelper.ThrowArgumentNull(nameof(key));
        if (f is null) ThrowHelper.ThrowArgumentNull(nameof(f));
        var slot = key.Slot;
        var previous = slot.Value;
        slot.Value = value;
        try
        {
            return f();
        }
        finally
        {
            slot.Value = previous;
        }
    }

    /// <summary>
    /// Associates <paramref name="value"/> with <paramref name="key"/> (<c>None</c>: no
    /// value), calls <paramref name="f"/>, then restores the key's previous value, also when
    /// <paramref name="f"/> throws.
    /// <para>Lwt: <c>Lwt.with_value</c> (with a function returning <c>unit</c>)</para>
    /// </summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The value to associate for the time of the call.</param>
    /// <param name="f">The action to call.</param>
    /// <typeparam name="T">The type of the value.</typeparam>
    /// <exception cref="ArgumentNullException"><paramref name="key"/> or <paramref name="f"/> is null.</exception>
    public static void WithValue<T>(PromiseKey<T> key, Option<T> value, Action f)
    {
        if (f is null) ThrowHelper.ThrowArgumentNull(nameof(f));
        WithValue(key, value, () =>
        {
            f();
            return Unit.Value;
        });
    }
}
