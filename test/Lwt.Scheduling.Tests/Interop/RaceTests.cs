using Lwt.Interop;

namespace Lwt.Tests.Interop;

/// <summary>
/// Cancellation raced with completion from another thread, 10,000 times each: no hang, no
/// unobserved exception, and every promise and Task ends in a state the mapping allows.
/// </summary>
public class RaceTests
{
    private const int Iterations = 10_000;
    private static readonly TimeSpan Hang = TimeSpan.FromSeconds(10);

    [Fact]
    public void AsTaskToken_RacedWithResolve()
    {
        using var unobserved = new UnobservedCounter();
        using var loop = new LoopThread();
        int canceled = 0, completed = 0;
        for (int i = 0; i < Iterations; i++)
        {
            using var cts = new CancellationTokenSource();
            var (p, r, t) = loop.Run(() =>
            {
                var (p, r) = Promise.CreateCancelable<int>();
                return (p, r, p.AsTask(cts.Token));
            });
            int value = i;
            using var go = new Barrier(2);
            var resolver = Task.Run(() => { go.SignalAndWait(); r.Resolve(value); });
            go.SignalAndWait();
            cts.Cancel();
            Assert.True(resolver.Wait(Hang));
            Assert.True(((IAsyncResult)t).AsyncWaitHandle.WaitOne(Hang), "the Task hung");
            var (state, pValue, pCanceled) = loop.Run(() => (p.State, p.IsFulfilled ? p.Value : -1, p.IsCanceled));
            switch (t.Status)
            {
                case TaskStatus.RanToCompletion:
                    completed++;
                    Assert.Equal(value, t.Result);
                    Assert.Equal(PromiseState.Fulfilled, state);
                    Assert.Equal(value, pValue);
                    break;
                case TaskStatus.Canceled:
                    canceled++;
                    // Canceled at once by the token; the promise was then canceled, or the
                    // resolution reached the loop first.
                    Assert.True(pCanceled || pValue == value, $"promise {state}");
                    break;
                default:
                    Assert.Fail($"Task ended {t.Status}");
                    break;
            }
        }
        Assert.Equal(Iterations, canceled + completed);
        Assert.Empty(unobserved.CollectAndGet());
        Assert.Empty(loop.Logs.AtLeast(Microsoft.Extensions.Logging.LogLevel.Warning));
    }

    [Fact]
    public void FromTask_CancelRacedWithCompletion()
    {
        using var unobserved = new UnobservedCounter();
        using var loop = new LoopThread();
        int canceled = 0, fulfilled = 0;
        for (int i = 0; i < Iterations; i++)
        {
            var tcs = new TaskCompletionSource<int>();
            int value = i;
            var (p, t) = loop.Run(() =>
            {
                var p = PromiseInterop.FromTask(ct =>
                {
                    ct.Register(() => tcs.TrySetCanceled(ct));
                    return tcs.Task;
                });
                return (p, p.AsTask());
            });
            using var go = new Barrier(2);
            var completer = Task.Run(() => { go.SignalAndWait(); tcs.TrySetResult(value); });
            go.SignalAndWait();
            p.Cancel();
            Assert.True(completer.Wait(Hang));
            Assert.True(((IAsyncResult)t).AsyncWaitHandle.WaitOne(Hang), "the promise hung");
            var (pCanceled, pValue) = loop.Run(() => (p.IsCanceled, p.IsFulfilled ? p.Value : -1));
            if (tcs.Task.IsCanceled)
            {
                canceled++;
                Assert.True(pCanceled);
                Assert.True(t.IsCanceled);
            }
            else
            {
                fulfilled++;
                Assert.Equal(TaskStatus.RanToCompletion, tcs.Task.Status);
                Assert.Equal(value, pValue);
                Assert.Equal(value, t.Result);
            }
        }
        Assert.Equal(Iterations, canceled + fulfilled);
        Assert.Empty(unobserved.CollectAndGet());
        Assert.Empty(loop.Logs.AtLeast(Microsoft.Extensions.Logging.LogLevel.Warning));
    }

    [Fact]
    public void ToPromise_CompletionFromPool_RacedWithCancelAndFaults()
    {
        using var unobserved = new UnobservedCounter();
        using var loop = new LoopThread();
        for (int i = 0; i < Iterations; i++)
        {
            var tcs = new TaskCompletionSource<int>();
            int value = i;
            var e = new TestException("race");
            var (p, t) = loop.Run(() =>
            {
                var p = tcs.Task.ToPromise();
                return (p, p.AsTask());
            });
            using var go = new Barrier(2);
            var completer = Task.Run(() =>
            {
                go.SignalAndWait();
                if ((value & 1) == 0) tcs.SetResult(value);
                else tcs.SetException(e);
            });
            go.SignalAndWait();
            p.Cancel(); // does nothing to a ToPromise promise
            Assert.True(completer.Wait(Hang));
            Assert.True(((IAsyncResult)t).AsyncWaitHandle.WaitOne(Hang), "the promise hung");
            if ((value & 1) == 0)
            {
                Assert.Equal(value, t.Result);
            }
            else
            {
                Assert.True(t.IsFaulted);
                Assert.Same(e, t.Exception!.InnerException);
                Assert.Same(e, loop.Run(() => p.Exception));
            }
        }
        Assert.Empty(unobserved.CollectAndGet());
    }
}
