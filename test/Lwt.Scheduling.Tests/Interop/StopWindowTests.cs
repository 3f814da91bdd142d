using Lwt.Interop;

namespace Lwt.Tests.Interop;

/// <summary>
/// Work that another thread marshals to a loop in the loop's last iteration (it finds the loop
/// running, and the loop returns from <c>LwtMain.Run</c> before getting to it) is done at the
/// loop's exit, not left in its inbox for a run that may never come (ClaimablePost.cs). Once a
/// loop has stopped its promises are anyone's, and the same work a moment later is done at
/// once; so before the fix a promise stayed pending, or resolved, depending on timing alone.
/// (Differential interop area, class stop-window.)
/// </summary>
public class StopWindowTests
{
    private static readonly TimeSpan Hang = TimeSpan.FromSeconds(10);

    public enum Kind { Resolver, ResolverReject, TaskCompletes, TokenFires, AsyncMethodFinishes }

    [Theory]
    [InlineData(Kind.Resolver)]
    [InlineData(Kind.ResolverReject)]
    [InlineData(Kind.TaskCompletes)]
    [InlineData(Kind.TokenFires)]
    [InlineData(Kind.AsyncMethodFinishes)]
    public void WorkMarshaledDuringTheLastIterationIsDoneAtTheLoopsExit(Kind kind)
    {
        var ready = new ManualResetEventSlim();
        var go = new ManualResetEventSlim();
        var marshaled = new ManualResetEventSlim();
        // Continuations run inside SetResult: the async method ends on the other thread, and
        // marshals its end to the loop, before that thread says it has marshaled its work.
        var asyncGate = new TaskCompletionSource();
        var tcs = new TaskCompletionSource<int>();
        using var cts = new CancellationTokenSource();
        var boom = new InvalidOperationException("boom");
        Resolver<int>? r = null;
        Promise<int>? p = null;
        Resolver<Unit>? stop = null;
        EventLoop? loop = null;
        Task<int>? tokenTask = null;

        var loopThread = new Thread(() => LwtMain.Run(() =>
        {
            loop = EventLoop.Current;
            switch (kind)
            {
                case Kind.Resolver or Kind.ResolverReject: (p, r) = Promise.Create<int>(); break;
                case Kind.TaskCompletes: p = tcs.Task.ToPromise(); break;
                case Kind.TokenFires:
                    p = Promise.CreateCancelable<int>().Promise;
                    tokenTask = p.AsTask(cts.Token);
                    break;
                case Kind.AsyncMethodFinishes: p = LeavesTheLoop(asyncGate.Task); break;
            }
            var (main, mainResolver) = Promise.Create();
            stop = mainResolver;
            ready.Set();
            return main;
        }));
        loopThread.Start();
        Assert.True(ready.Wait(Hang));

        var other = new Thread(() =>
        {
            go.Wait();
            switch (kind)
            {
                case Kind.Resolver: r!.Resolve(1); break;
                case Kind.ResolverReject: r!.Reject(boom); break;
                case Kind.TaskCompletes: tcs.SetResult(1); break;
                case Kind.TokenFires: cts.Cancel(); break;
                case Kind.AsyncMethodFinishes: asyncGate.SetResult(); break;
            }
            marshaled.Set();
        });
        other.Start();

        // The loop's last iteration: resolve its main promise, let the other thread find the
        // loop running and marshal its work, then return from Run.
        loop!.Post(() =>
        {
            stop!.Resolve();
            go.Set();
            Assert.True(marshaled.Wait(Hang));
        });
        Assert.True(loopThread.Join(Hang), "LwtMain.Run hung");
        Assert.True(other.Join(Hang));

        // No further run of the loop: the work must be done already.
        switch (kind)
        {
            case Kind.ResolverReject:
                Assert.True(p!.IsRejected);
                Assert.Same(boom, p.Rejection);
                break;
            case Kind.TokenFires:
                Assert.True(p!.IsCanceled);
                Assert.Equal(TaskStatus.Canceled, WaitFor(tokenTask!));
                break;
            default:
                Assert.True(p!.IsFulfilled, $"{kind}: the promise is {p.State}");
                Assert.Equal(1, p.Value);
                Assert.Equal(TaskStatus.RanToCompletion, WaitFor(p.AsTask()));
                break;
        }
    }

    // Resumes on the thread that completes the gate (ConfigureAwait(false)), so its end is
    // marshaled back to its loop.
    private static async Promise<int> LeavesTheLoop(Task gate)
    {
        await gate.ConfigureAwait(false);
        return 1;
    }

    private static TaskStatus WaitFor(Task t)
    {
        Assert.True(((IAsyncResult)t).AsyncWaitHandle.WaitOne(Hang), "the Task hung");
        return t.Status;
    }
}
