using Lwt.Interop;

namespace Lwt.Tests.Interop;

/// <summary>
/// AsAsyncEnumerable driven from another thread: its reads are made on the stream's loop,
/// which must be running; once it has stopped, MoveNextAsync says so instead of hanging.
/// </summary>
public class StreamAdapterAuditTests
{
    [Fact]
    public async Task MoveNextAsyncFromAnotherThreadFailsOnceTheStreamsLoopHasStopped()
    {
        IAsyncEnumerable<int>? items = null;
        var thread = new Thread(() => LwtMain.Run(() =>
        {
            items = LwtStream.OfList([1, 2, 3]).AsAsyncEnumerable();
            return Promise.ReturnUnit;
        }));
        thread.Start();
        thread.Join();

        var e = items!.GetAsyncEnumerator();
        // The wait is a guard only: the read used to be queued to the stopped loop, for ever.
        var moved = e.MoveNextAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => moved);
        Assert.Contains("not running", error.Message);
        Assert.Contains("LwtMain.Run", error.Message);
        await e.DisposeAsync();
    }

    [Fact]
    public async Task MoveNextAsyncFromAnotherThreadReadsOnTheLoopWhileItRuns()
    {
        IAsyncEnumerable<int>? items = null;
        Resolver<Unit>? stop = null;
        int loopThread = 0;
        var readOffLoop = 0;
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() => LwtMain.Run(() =>
        {
            loopThread = Environment.CurrentManagedThreadId;
            items = LwtStream.OfList([1, 2, 3]).Map(x =>
            {
                if (Environment.CurrentManagedThreadId != loopThread) readOffLoop++;
                return x * 10;
            }).AsAsyncEnumerable();
            var (stopped, stopper) = Promise.Create();
            stop = stopper;
            ready.SetResult();
            return stopped;
        }));
        thread.Start();
        await ready.Task;

        var seen = new List<int>();
        await foreach (var x in items!) seen.Add(x);
        stop!.Resolve(default); // marshaled to the running loop
        thread.Join();
        Assert.Equal([10, 20, 30], seen);
        Assert.Equal(0, readOffLoop);
    }

    [Fact]
    public async Task AsAsyncEnumerableCalledOffAnyLoopReadsOnTheLoopTheStreamWasMadeOn()
    {
        // The hosted pattern: a stream made by a service on the host's loop, consumed by
        // Task code on the pool, which calls AsAsyncEnumerable there (no loop of its own).
        // The reads used to be made on the pool thread, racing the loop's pushes (an item
        // read as default(T) under load); they must be made on the stream's loop.
        LwtStream<int>? stream = null;
        Resolver<Unit>? stop = null;
        int loopThread = 0;
        var feedThreads = new List<int>();
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() => LwtMain.Run(() =>
        {
            loopThread = Environment.CurrentManagedThreadId;
            int n = 0;
            stream = LwtStream.FromDirect(() =>
            {
                lock (feedThreads) feedThreads.Add(Environment.CurrentManagedThreadId);
                return ++n <= 3 ? Option<int>.Some(n) : Option<int>.None;
            });
            var (stopped, stopper) = Promise.Create();
            stop = stopper;
            ready.SetResult();
            return stopped;
        })) { IsBackground = true };
        thread.Start();
        await ready.Task.WaitAsync(TimeSpan.FromSeconds(30)); // a hang guard, not a timing

        List<int> seen;
        try
        {
            seen = await Task.Run(async () =>
            {
                // No loop runs here; a pool thread may keep the stopped loop of an earlier run,
                // as this one now does.
                LwtMain.Run(Promise.ReturnUnit);
                Assert.False(EventLoop.Current is { IsRunning: true });
                var items = stream!.AsAsyncEnumerable(); // called off any running loop
                var list = new List<int>();
                await foreach (var x in items) list.Add(x);
                return list;
            }).WaitAsync(TimeSpan.FromSeconds(30));
        }
        finally
        {
            stop!.Resolve(default); // the loop thread ends even if the reads failed
        }
        Assert.True(thread.Join(TimeSpan.FromSeconds(30)));
        Assert.Equal([1, 2, 3], seen);
        Assert.All(feedThreads, t => Assert.Equal(loopThread, t));
    }
}
