namespace Lwt;

/// <summary>
/// The callbacks of <c>OnSuccess</c>, <c>OnFailure</c>, <c>OnTermination</c>, <c>OnAny</c> and
/// <c>OnCancel</c>: side effects that create no promise. What they throw goes to
/// <see cref="Promise.AsyncExceptionHook"/>, as Lwt passes it to <c>!async_exception_hook</c>,
/// unless <see cref="Promise.ExceptionFilter"/> refuses it: then it escapes to the code that
/// resolved the promise (or attached the callback to a resolved one).
/// </summary>
internal sealed class SideEffectCallback : Callback
{
    /// <summary>
    /// What the callback is. <c>SuccessIgnoringValue</c> and <c>AnyIgnoringValue</c> are the
    /// untyped forms (Promise.OnSuccess(Action), OnAny(Action, ...)): their first delegate
    /// takes no value.
    /// </summary>
    internal enum Kind : byte { Success, Failure, Termination, Any, Cancel, SuccessIgnoringValue, AnyIgnoringValue }

    private readonly Kind _kind;
    private Delegate? _first;
    private Delegate? _second;
    private ExecutionContext? _context = CallbackContext.Capture();

    internal SideEffectCallback(Kind kind, Delegate first, Delegate? second = null)
    {
        _kind = kind;
        _first = first;
        _second = second;
    }

    internal override bool IsCancelCallback => _kind == Kind.Cancel;

    internal override void Invoke(Promise source)
    {
        var first = _first!;
        var second = _second;
        _first = null;
        _second = null;
        bool rejected = source._status == Status.Rejected;
        var saved = CallbackContext.Enter(_context);
        _context = null;
        try
        {
            switch (_kind)
            {
                case Kind.Success:
                    if (!rejected) InvokeWithValue(first, source);
                    break;
                case Kind.Failure:
                    if (rejected) ((Action<Exception>)first)(source.Rejection);
                    break;
                case Kind.Termination:
                    ((Action)first)();
                    break;
                case Kind.Any:
                    if (rejected) ((Action<Exception>)second!)(source.Rejection);
                    else InvokeWithValue(first, source);
                    break;
                case Kind.Cancel:
                    if (rejected && source._link is OperationCanceledException) ((Action)first)();
                    break;
                case Kind.SuccessIgnoringValue:
                    if (!rejected) ((Action)first)();
                    break;
                case Kind.AnyIgnoringValue:
                    if (rejected) ((Action<Exception>)second!)(source.Rejection);
                    else ((Action)first)();
                    break;
            }
        }
        catch (Exception e)
        {
            Promise.ExceptionFilter.RethrowIfRefused(e);
            Promise.ReportUnhandled(e);
        }
        finally
        {
            CallbackContext.Exit(saved);
        }
    }

    /// <summary>Calls an <c>Action&lt;T&gt;</c> with the value of <paramref name="source"/>, whatever T is.</summary>
    private static void InvokeWithValue(Delegate f, Promise source) => ((IValueInvoker)source).InvokeWith(f);

    /// <summary>Runs a side effect at once (the promise was already resolved).</summary>
    internal static void RunReporting<TArg>(Action<TArg> f, TArg arg)
    {
        try
        {
            f(arg);
        }
        catch (Exception e)
        {
            Promise.ExceptionFilter.RethrowIfRefused(e);
            Promise.ReportUnhandled(e);
        }
    }

    /// <summary>Runs a side effect at once (the promise was already resolved).</summary>
    internal static void RunReporting(Action f)
    {
        try
        {
            f();
        }
        catch (Exception e)
        {
            Promise.ExceptionFilter.RethrowIfRefused(e);
            Promise.ReportUnhandled(e);
        }
    }
}

/// <summary>Lets untyped code call an <c>Action&lt;T&gt;</c> with a <see cref="Promise{T}"/>'s value.</summary>
internal interface IValueInvoker
{
    void InvokeWith(Delegate action);
}

public partial class Promise<T> : IValueInvoker
{
    void IValueInvoker.InvokeWith(Delegate action) => ((Action<T>)action)(_value);
}
