using Lwt.Interop;

namespace Lwt.Tests.Interop;

/// <summary>
/// Off any loop, a promise's Task (AsTask, AsTask(token), AsValueTask) completes on the thread
/// that resolves it, inside its callbacks, and an await that captured no context resumes
/// there, inline. That code is not a callback of the promise: a Resolve it made used to be
/// queued behind it (wakeup_later inside callbacks), so the promise read as fulfilled while
/// its Task, made before, stayed pending until the code returned, and code that waited for
/// it there hung (user trial 10). The adapters now leave the callbacks before completing.
/// </summary>
public class OffLoopContinuationTests
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(30); // hang guard, not a timing

    public static TheoryData<string> Adapters => ["AsTask", "AsTask(token)", "AsValueTask"];

    [Theory]
    [MemberData(nameof(Adapters))]
    public async Task Code_resumed_inline_by_an_adapter_off_any_loop_resolves_as_top_level_code(string adapter)
    {
        using var cts = new CancellationTokenSource();
        var (resolvedOn, resumedOn, laterTaskCompleted) = await Task.Run(async () =>
        {
            var (p, r) = Promise.Create<int>();
            var (q, rq) = Promise.Create<int>();
            var rest = AfterAwait(adapter, p, q, rq, cts.Token);
            int here = Environment.CurrentManagedThreadId;
            r.Resolve(1); // runs the rest of AfterAwait inline, here
            var (thread, completed) = await rest;
            return (here, thread, completed);
        }).WaitAsync(Guard);
        Assert.Equal(resolvedOn, resumedOn); // it did resume inline, inside the resolution
        Assert.True(laterTaskCompleted);
    }

    private static async Task<(int Thread, bool Completed)> AfterAwait(string adapter, Promise<int> p, Promise<int> q, Resolver<int> rq, CancellationToken token)
    {
        switch (adapter)
        {
            case "AsTask": await p.AsTask(); break;
            case "AsTask(token)": await p.AsTask(token); break;
            default: await p.AsValueTask(); break;
        }
        int thread = Environment.CurrentManagedThreadId;
        var qt = q.AsTask();
        rq.Resolve(2);
        return (thread, qt.IsCompleted);
    }
}
