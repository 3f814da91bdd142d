namespace Lwt;

/*
 * Lwt_retry (the lwt_retry library of ocsigen/lwt, src/retry/): retrying a computation
 * that may fail, as a lazy stream of attempts.
 *
 * A computation returns Ok v, Error (Retry r) (worth trying again) or Error (Fatal f)
 * (not worth it). OnError turns it into a stream of attempts, each attempt made only when
 * the stream is read: Ok v, or Error (error, n) for the n-th attempt (1-based); the
 * stream ends after an Ok or a Fatal error. WithSleep puts a delay after each retryable
 * failure, before it is delivered (so before the next attempt is made); NTimes reads at
 * most n + 1 attempts and returns the last one. The attempts are an ordinary LwtStream,
 * so any stream function works on them too:
 *
 *     var result = await LwtRetry.OnError(flakyComputation).WithSleep().NTimes(10);
 *
 * .NET forms: OCaml's polymorphic variants [`Retry of 'r | `Fatal of 'f] become the
 * struct RetryError<TRetry, TFatal>; an attempt ('ok, ('r, 'f) error * int) result is a
 * Result<T, (RetryError<TRetry, TFatal> Error, int Attempt)>; pp_error becomes PpError,
 * returning the string.
 *
 * One difference: Lwt's with_sleep also sleeps before delivering a Fatal error, which
 * ends the stream (nothing follows it to be delayed); here only retryable failures are
 * followed by a sleep, as Lwt's documentation says ("a sleep ... before computing each
 * n-th retryable attempt").
 */

/// <summary>
/// The error of a retryable computation: <c>Retry r</c>, worth trying again, or
/// <c>Fatal f</c>, not.
/// <para>Lwt: <c>Lwt_retry.error</c> (<c>[ `Retry of 'retry | `Fatal of 'fatal ]</c>)</para>
/// </summary>
/// <typeparam name="TRetry">The payload of a retryable error.</typeparam>
/// <typeparam name="TFatal">The payload of a fatal error.</typeparam>
public readonly struct RetryError<TRetry, TFatal> : IEquatable<RetryError<TRetry, TFatal>>
{
    private readonly TRetry _retry;
    private readonly TFatal _fatal;
    private readonly bool _isFatal;

    private RetryError(TRetry retry, TFatal fatal, bool isFatal)
    {
        _retry = retry;
        _fatal = fatal;
        _isFatal = isFatal;
    }

    /// <summary>A retryable error.<para>Lwt: <c>`Retry r</c></para></summary>
    /// <param name="value">Its payload.</param>
    public static RetryError<TRetry, TFatal> Retry(TRetry value) => new(value, default!, false);

    /// <summary>A fatal error.<para>Lwt: <c>`Fatal f</c></para></summary>
    /// <param name="value">Its payload.</param>
    public static RetryError<TRetry, TFatal> Fatal(TFatal value) => new(default!, value, true);

    /// <summary>Whether this is a retryable error.<para>Lwt: <c>`Retry _</c></para></summary>
    public bool IsRetry => !_isFatal;

    /// <summary>Whether this is a fatal error.<para>Lwt: <c>`Fatal _</c></para></summary>
    public bool IsFatal => _isFatal;

    /// <summary>The payload of a retryable error.<para>Lwt: <c>`Retry r</c></para></summary>
    /// <exception cref="InvalidOperationException">The error is fatal.</exception>
    public TRetry RetryValue => _isFatal ? throw new InvalidOperationException("The error is Fatal; check IsRetry before reading RetryValue.") : _retry;

    /// <summary>The payload of a fatal error.<para>Lwt: <c>`Fatal f</c></para></summary>
    /// <exception cref="InvalidOperationException">The error is retryable.</exception>
    public TFatal FatalValue => _isFatal ? _fatal : throw new InvalidOperationException("The error is Retry; check IsFatal before reading FatalValue.");

    /// <summary>Equality with the default comparers of the payloads.<para>Lwt: <c>Lwt_retry.equal_error</c></para></summary>
    /// <param name="other">The other error.</param>
    public bool Equals(RetryError<TRetry, TFatal> other) =>
        _isFatal == other._isFatal && (_isFatal
            ? EqualityComparer<TFatal>.Default.Equals(_fatal, other._fatal)
            : EqualityComparer<TRetry>.Default.Equals(_retry, other._retry));

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is RetryError<TRetry, TFatal> e && Equals(e);

    /// <inheritdoc/>
    public override int GetHashCode() => _isFatal ? HashCode.Combine(1, _fatal) : HashCode.Combine(0, _retry);

    /// <summary>"`Retry r" or "`Fatal f", with the payload's own ToString.<para>Lwt: <c>Lwt_retry.pp_error</c></para></summary>
    public override string ToString() => LwtRetry.PpError(this, r => $"{r}", f => $"{f}");

    /// <summary>Equality of errors.<para>Lwt: <c>Lwt_retry.equal_error</c></para></summary>
    /// <param name="left">An error.</param>
    /// <param name="right">An error.</param>
    public static bool operator ==(RetryError<TRetry, TFatal> left, RetryError<TRetry, TFatal> right) => left.Equals(right);

    /// <summary>Inequality of errors.<para>Lwt: <c>Lwt_retry.equal_error</c></para></summary>
    /// <param name="left">An error.</param>
    /// <param name="right">An error.</param>
    public static bool operator !=(RetryError<TRetry, TFatal> left, RetryError<TRetry, TFatal> right) => !left.Equals(right);
}

/// <summary>
/// Retrying failure-prone computations, with the attempts as a lazy stream. See the
/// file comment of LwtRetry.cs for an example.
/// <para>Lwt: <c>Lwt_retry</c> (library <c>lwt_retry</c>)</para>
/// </summary>
public static class LwtRetry
{
    /// <summary>
    /// The stream of attempts to compute <paramref name="f"/>, each made when the stream is
    /// read: <c>Ok v</c>, or <c>Error (error, n)</c> for the n-th attempt (counting from 1).
    /// The stream ends after a success or a fatal error; retryable errors go on forever (bound
    /// it with <see cref="NTimes"/> or <see cref="LwtStream{T}.NGet"/>). An exception from
    /// <paramref name="f"/> comes out of the read that made the attempt.
    /// <para>Lwt: <c>Lwt_retry.on_error</c></para>
    /// </summary>
    /// <param name="f">The computation.</param>
    /// <typeparam name="T">The value of a success.</typeparam>
    /// <typeparam name="TRetry">The payload of a retryable error.</typeparam>
    /// <typeparam name="TFatal">The payload of a fatal error.</typeparam>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    public static LwtStream<Result<T, (RetryError<TRetry, TFatal> Error, int Attempt)>> OnError<T, TRetry, TFatal>(
        Func<Promise<Result<T, RetryError<TRetry, TFatal>>>> f)
    {
        ArgumentNullException.ThrowIfNull(f);
        int i = 0;
        bool stop = false;
        return LwtStream.From(() =>
        {
            i++;
            if (stop) return Promise.Return(Option<Result<T, (RetryError<TRetry, TFatal>, int)>>.None);
            int attempt = i;
            var p = f() ?? throw new InvalidOperationException("LwtRetry.OnError: the computation returned a null promise.");
            return p.Map(result =>
            {
                if (result.IsOk)
                {
                    stop = true;
                    return Option.Some(Result<T, (RetryError<TRetry, TFatal>, int)>.Ok(result.Value));
                }
                var error = result.ErrorValue;
                if (error.IsFatal) stop = true;
                return Option.Some(Result<T, (RetryError<TRetry, TFatal>, int)>.Error((error, attempt)));
            });
        });
    }

    /// <summary>
    /// The stream of <paramref name="attempts"/> with a sleep of <c>duration(n)</c> seconds
    /// after the n-th attempt when it failed with a retryable error (before that attempt is
    /// delivered, hence before the next one is made). Successes and fatal errors are
    /// delivered at once.
    /// <para>Lwt: <c>Lwt_retry.with_sleep</c></para>
    /// </summary>
    /// <param name="attempts">The attempts (from <see cref="OnError"/>).</param>
    /// <param name="duration">The sleep after the n-th attempt, in seconds; null for <see cref="DefaultSleepDuration"/>.</param>
    /// <typeparam name="T">The value of a success.</typeparam>
    /// <typeparam name="TRetry">The payload of a retryable error.</typeparam>
    /// <typeparam name="TFatal">The payload of a fatal error.</typeparam>
    /// <exception cref="ArgumentNullException"><paramref name="attempts"/> is null.</exception>
    public static LwtStream<Result<T, (RetryError<TRetry, TFatal> Error, int Attempt)>> WithSleep<T, TRetry, TFatal>(
        this LwtStream<Result<T, (RetryError<TRetry, TFatal> Error, int Attempt)>> attempts,
        Func<int, double>? duration = null)
    {
        ArgumentNullException.ThrowIfNull(attempts);
        duration ??= DefaultSleepDuration;
        return attempts.MapS(attempt =>
        {
            if (attempt.IsOk || attempt.ErrorValue.Error.IsFatal) return Promise.Return(attempt);
            return LwtUnix.Sleep(duration(attempt.ErrorValue.Attempt)).Map(() => attempt);
        });
    }

    /// <summary>
    /// An exponential backoff: <c>n * 2 * 2^n</c> seconds, which gives 0, 4, 16, 48, 128,
    /// 320, 768, 1792, ... for n = 0, 1, 2, ...
    /// <para>Lwt: <c>Lwt_retry.default_sleep_duration</c></para>
    /// </summary>
    /// <param name="n">The attempt number.</param>
    public static double DefaultSleepDuration(int n) => n * 2.0 * Math.Pow(2.0, n);

    /// <summary>
    /// Reads at most <paramref name="n"/> + 1 attempts (one try, then up to
    /// <paramref name="n"/> retries) and returns the last one read: <c>Ok v</c> if an
    /// attempt succeeded, <c>Error (Fatal f, k)</c> if the k-th failed fatally, or
    /// <c>Error (Retry r, n + 1)</c> when every attempt failed with a retryable error.
    /// <c>NTimes(0)</c> makes exactly one attempt.
    /// <para>Lwt: <c>Lwt_retry.n_times</c></para>
    /// </summary>
    /// <param name="attempts">The attempts (from <see cref="OnError"/>).</param>
    /// <param name="n">The most retries (0 or more).</param>
    /// <typeparam name="T">The value of a success.</typeparam>
    /// <typeparam name="TRetry">The payload of a retryable error.</typeparam>
    /// <typeparam name="TFatal">The payload of a fatal error.</typeparam>
    /// <exception cref="ArgumentNullException"><paramref name="attempts"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="n"/> is negative (Lwt raises Invalid_argument).</exception>
    /// <remarks>The promise is rejected with <see cref="InvalidOperationException"/> if the stream has no attempt left to read.</remarks>
    public static Promise<Result<T, (RetryError<TRetry, TFatal> Error, int Attempt)>> NTimes<T, TRetry, TFatal>(
        this LwtStream<Result<T, (RetryError<TRetry, TFatal> Error, int Attempt)>> attempts, int n)
    {
        ArgumentNullException.ThrowIfNull(attempts);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        int tries = n == int.MaxValue ? n : n + 1;
        return attempts.NGet(tries).Map(list => list.Count != 0
            ? list[^1]
            : throw new InvalidOperationException("LwtRetry.NTimes: the stream of attempts had already ended."));
    }

    /// <summary>
    /// Formats an error as "`Retry r" or "`Fatal f", each payload by its formatter;
    /// "&lt;opaque&gt;" where no formatter is given.
    /// <para>Lwt: <c>Lwt_retry.pp_error</c></para>
    /// </summary>
    /// <param name="error">The error.</param>
    /// <param name="retry">Formats a retryable payload; null for "&lt;opaque&gt;".</param>
    /// <param name="fatal">Formats a fatal payload; null for "&lt;opaque&gt;".</param>
    /// <typeparam name="TRetry">The payload of a retryable error.</typeparam>
    /// <typeparam name="TFatal">The payload of a fatal error.</typeparam>
    public static string PpError<TRetry, TFatal>(RetryError<TRetry, TFatal> error,
        Func<TRetry, string>? retry = null, Func<TFatal, string>? fatal = null) =>
        error.IsFatal
            ? "`Fatal " + (fatal is null ? "<opaque>" : fatal(error.FatalValue))
            : "`Retry " + (retry is null ? "<opaque>" : retry(error.RetryValue));

    /// <summary>
    /// Whether two errors are equal: both retryable with equal payloads by
    /// <paramref name="retry"/>, or both fatal with equal payloads by <paramref name="fatal"/>.
    /// <para>Lwt: <c>Lwt_retry.equal_error</c></para>
    /// </summary>
    /// <param name="retry">Equality of retryable payloads.</param>
    /// <param name="fatal">Equality of fatal payloads.</param>
    /// <param name="a">An error.</param>
    /// <param name="b">An error.</param>
    /// <typeparam name="TRetry">The payload of a retryable error.</typeparam>
    /// <typeparam name="TFatal">The payload of a fatal error.</typeparam>
    /// <exception cref="ArgumentNullException"><paramref name="retry"/> or <paramref name="fatal"/> is null.</exception>
    public static bool EqualError<TRetry, TFatal>(Func<TRetry, TRetry, bool> retry, Func<TFatal, TFatal, bool> fatal,
        RetryError<TRetry, TFatal> a, RetryError<TRetry, TFatal> b)
    {
        ArgumentNullException.ThrowIfNull(retry);
        ArgumentNullException.ThrowIfNull(fatal);
        if (a.IsFatal != b.IsFatal) return false;
        return a.IsFatal ? fatal(a.FatalValue, b.FatalValue) : retry(a.RetryValue, b.RetryValue);
    }
}
