namespace Lwt;

/// <summary>
/// The exception with which <see cref="Promise.Cancel"/> rejects the promises it cancels.
/// It derives from <see cref="OperationCanceledException"/>, so a canceled promise maps to a
/// canceled <see cref="Task"/> and back.
/// <para>Lwt: <c>Lwt.Canceled</c></para>
/// </summary>
public sealed class CanceledException : OperationCanceledException
{
    /// <summary>Creates the exception with a default message.<para>Lwt: <c>raise Lwt.Canceled</c></para></summary>
    public CanceledException() : base("The promise was canceled.")
    {
    }

    /// <summary>Creates the exception with a message.<para>Lwt: <c>raise Lwt.Canceled</c> (with a message .NET can show)</para></summary>
    /// <param name="message">What was canceled and why.</param>
    public CanceledException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception with a message and an inner exception.<para>Lwt: <c>raise Lwt.Canceled</c> (with a message and a cause)</para></summary>
    /// <param name="message">What was canceled and why.</param>
    /// <param name="innerException">The cause.</param>
    public CanceledException(string message, Exception innerException) : base(message, innerException)
    {
    }
}
