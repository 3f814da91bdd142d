using System.Diagnostics;

namespace Lwt.Tests.Library;

public class LwtRetryTests
{
    private static Result<int, RetryError<string, string>> Ok(int v) => Result<int, RetryError<string, string>>.Ok(v);
    private static Result<int, RetryError<string, string>> Retry(string r) => Result<int, RetryError<string, string>>.Error(RetryError<string, string>.Retry(r));
    private static Result<int, RetryError<string, string>> Fatal(string f) => Result<int, RetryError<string, string>>.Error(RetryError<string, string>.Fatal(f));

    [Fact]
    public void SuccessIsOneAttempt()
    {
        int calls = 0;
        var attempts = LwtRetry.OnError(() => { calls++; return Promise.Return(Ok(7)); });
        Assert.Equal(0, calls);   // lazy: nothing until read
        var all = attempts.ToList().Value;
        Assert.Equal(1, calls);
        Assert.True(Assert.Single(all).IsOk);
        Assert.Equal(7, all[0].Value);
    }

    [Fact]
    public void FatalEndsTheStream()
    {
        var all = LwtRetry.OnError(() => Promise.Return(Fatal("no"))).ToList().Value;
        var e = Assert.Single(all).ErrorValue;
        Assert.Equal(RetryError<string, string>.Fatal("no"), e.Error);
        Assert.Equal(1, e.Attempt);
    }

    [Fact]
    public void RetryableErrorsAreNumberedFromOne()
    {
        var three = LwtRetry.OnError(() => Promise.Return(Retry("again"))).NGet(3).Value;
        Assert.Equal([1, 2, 3], three.Select(a => a.ErrorValue.Attempt));
        Assert.All(three, a => Assert.True(a.ErrorValue.Error.IsRetry));
    }

    private static Func<Promise<Result<int, RetryError<string, string>>>> RetriesThenFatal(int retries)
    {
        int i = 0;
        return () => Promise.Return(i++ < retries ? Retry("r") : Fatal("error!"));
    }

    [Fact]
    public void NTimes()
    {
        var zero = LwtRetry.OnError(RetriesThenFatal(3)).NTimes(0).Value;
        Assert.Equal((RetryError<string, string>.Retry("r"), 1), zero.ErrorValue);

        var four = LwtRetry.OnError(RetriesThenFatal(3)).NTimes(4).Value;   // attempts 1-3 retry, 4 fatal
        Assert.Equal((RetryError<string, string>.Fatal("error!"), 4), four.ErrorValue);

        var two = LwtRetry.OnError(RetriesThenFatal(10)).NTimes(2).Value;   // 3 attempts, all retryable
        Assert.Equal((RetryError<string, string>.Retry("r"), 3), two.ErrorValue);

        int calls = 0;
        var ok = LwtRetry.OnError(() => Promise.Return(++calls < 3 ? Retry("r") : Ok(calls))).NTimes(10).Value;
        Assert.Equal(3, ok.Value);
        Assert.Equal(3, calls);

        Assert.Throws<ArgumentOutOfRangeException>(() => LwtRetry.OnError(RetriesThenFatal(1)).NTimes(-1));
        Assert.Throws<ArgumentNullException>(() => LwtRetry.OnError<int, string, string>(null!));
    }

    [Fact]
    public void WithSleepWaitsAfterRetryableFailuresOnly()
    {
        var durationsAskedFor = new List<int>();
        var sw = Stopwatch.StartNew();
        var result = LwtMain.Run(() =>
            LwtRetry.OnError(RetriesThenFatal(2))
                .WithSleep(n => { durationsAskedFor.Add(n); return 0.05; })
                .NTimes(5));
        Assert.Equal((RetryError<string, string>.Fatal("error!"), 3), result.ErrorValue);
        Assert.Equal([1, 2], durationsAskedFor);           // no sleep after the fatal attempt
        Assert.True(sw.Elapsed >= TimeSpan.FromSeconds(0.1), $"{sw.Elapsed}");
    }

    [Fact]
    public void AttemptsAreMadeOnlyAfterTheSleep()
    {
        var madeAt = new List<TimeSpan>();
        var sw = Stopwatch.StartNew();
        LwtMain.Run(() =>
            LwtRetry.OnError(() => { madeAt.Add(sw.Elapsed); return Promise.Return(Retry("r")); })
                .WithSleep(_ => 0.03)
                .NTimes(2));
        Assert.Equal(3, madeAt.Count);
        Assert.True(madeAt[1] - madeAt[0] >= TimeSpan.FromSeconds(0.03));
        Assert.True(madeAt[2] - madeAt[1] >= TimeSpan.FromSeconds(0.03));
    }

    [Fact]
    public void ExceptionsComeOutOfTheRead()
    {
        var boom = new InvalidOperationException("boom");
        var p = LwtRetry.OnError<int, string, string>(() => throw boom).NTimes(3);
        Assert.Same(boom, p.Exception);
    }

    [Fact]
    public void DefaultSleepDuration()
    {
        Assert.Equal([0.0, 4, 16, 48, 128, 320, 768, 1792], Enumerable.Range(0, 8).Select(LwtRetry.DefaultSleepDuration));
    }

    [Fact]
    public void PpErrorAndEqualError()
    {
        var r = RetryError<double, int>.Retry(3.0);
        var f = RetryError<double, int>.Fatal(42);
        Assert.Equal("`Retry 3", LwtRetry.PpError(r, x => x.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Equal("`Fatal 42", LwtRetry.PpError(f, fatal: x => x.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Equal("`Retry <opaque>", LwtRetry.PpError(r));
        Assert.Equal("`Fatal <opaque>", LwtRetry.PpError(f));
        Assert.True(LwtRetry.EqualError((a, b) => a == b, (a, b) => a == b, r, RetryError<double, int>.Retry(3.0)));
        Assert.False(LwtRetry.EqualError((a, b) => a == b, (a, b) => a == b, r, f));
        Assert.False(LwtRetry.EqualError((a, b) => true, (a, b) => true, RetryError<double, int>.Fatal(1), RetryError<double, int>.Retry(1)));
        Assert.True(f == RetryError<double, int>.Fatal(42));
        Assert.Throws<InvalidOperationException>(() => r.FatalValue);
        Assert.Throws<InvalidOperationException>(() => f.RetryValue);
    }
}
