using Lwt.Interop;

namespace Lwt.Tests.Interop;

/// <summary>LwtStream &lt;-&gt; IAsyncEnumerable.</summary>
public class StreamInteropTests
{
    [Fact]
    public void AsAsyncEnumerable_OnTheLoop_ReadsEveryItem()
    {
        var items = LwtMain.Run(async () =>
        {
            var (stream, push) = LwtStream.Create<int>();
            Promise.Async(async () =>
            {
                for (int i = 1; i <= 3; i++)
                {
                    await LwtUnix.Sleep(0.001);
                    push(Option<int>.Some(i));
                }
                push(Option<int>.None);
            });
            var seen = new List<int>();
            await foreach (var x in stream.AsAsyncEnumerable()) seen.Add(x);
            return (IReadOnlyList<int>)seen;
        });
        Assert.Equal([1, 2, 3], items);
    }

    [Fact]
    public async Task AsAsyncEnumerable_FromThePool_ReadsOnTheLoop()
    {
        using var loop = new LoopThread();
        var stream = loop.Run(() => LwtStream.OfList([1, 2, 3]));
        var seen = new List<int>();
        await foreach (var x in loop.Run(() => stream.AsAsyncEnumerable())) seen.Add(x);
        Assert.Equal([1, 2, 3], seen);
    }

    [Fact]
    public async Task AsAsyncEnumerable_SourceException_SameObject_AfterTheItems()
    {
        var e = new TestException("source");
        int n = 0;
        var stream = LwtStream.From(() => ++n <= 2 ? Promise.ReturnSome(n) : Promise.Fail<Option<int>>(e));
        var seen = new List<int>();
        var thrown = await Assert.ThrowsAsync<TestException>(async () =>
        {
            await foreach (var x in stream.AsAsyncEnumerable()) seen.Add(x);
        });
        Assert.Same(e, thrown);
        Assert.Equal([1, 2], seen);
    }

    [Fact]
    public async Task AsAsyncEnumerable_TokenCancelsThePendingRead_ItemStays()
    {
        var (stream, push) = LwtStream.Create<int>();
        using var cts = new CancellationTokenSource();
        var e = stream.AsAsyncEnumerable().GetAsyncEnumerator(cts.Token);
        var move = e.MoveNextAsync().AsTask();
        Assert.False(move.IsCompleted);
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => move);
        push(Option<int>.Some(5));
        var next = stream.Get();
        Assert.Equal(5, next.Value.Value);
    }

    [Fact]
    public async Task AsAsyncEnumerable_DisposeCancelsThePendingRead()
    {
        var (stream, push) = LwtStream.Create<int>();
        var e = stream.AsAsyncEnumerable().GetAsyncEnumerator();
        var move = e.MoveNextAsync().AsTask();
        await e.DisposeAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => move);
        push(Option<int>.Some(1));
        Assert.Equal(1, stream.Get().Value.Value);
    }

    private static async IAsyncEnumerable<int> Source(int n, List<string> log, Exception? error = null)
    {
        try
        {
            for (int i = 1; i <= n; i++)
            {
                await Task.Yield();
                log.Add($"yield {i}");
                yield return i;
            }
            if (error is not null) throw error;
        }
        finally
        {
            log.Add("disposed");
        }
    }

    [Fact]
    public void ToLwtStream_PullsLazily_AndDisposesAtTheEnd()
    {
        var log = new List<string>();
        var all = LwtMain.Run(async () =>
        {
            var stream = Source(3, log).ToLwtStream();
            Assert.Empty(log);
            int first = (await stream.Get()).Value;
            Assert.Equal(1, first);
            Assert.Equal(["yield 1"], log);
            return await stream.ToList();
        });
        Assert.Equal([2, 3], all);
        Assert.Equal(["yield 1", "yield 2", "yield 3", "disposed"], log);
    }

    [Fact]
    public void ToLwtStream_Exception_SameObject_AfterTheItems()
    {
        var log = new List<string>();
        var e = new TestException("enum");
        var seen = new List<int>();
        var thrown = Assert.Throws<TestException>(() => LwtMain.Run(async () =>
        {
            var stream = Source(2, log, e).ToLwtStream();
            while (true)
            {
                var x = await stream.Get();
                if (!x.HasValue) break;
                seen.Add(x.Value);
            }
        }));
        Assert.Same(e, thrown);
        Assert.Equal([1, 2], seen);
        Assert.Contains("disposed", log);
    }

    [Fact]
    public async Task RoundTrip_StreamEnumerableStream()
    {
        var back = LwtStream.OfList([1, 2, 3]).AsAsyncEnumerable().ToLwtStream();
        var list = await back.ToList().AsTask();
        Assert.Equal([1, 2, 3], list);
    }

    private static async IAsyncEnumerable<int> OneThenWait(List<string> log, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken token = default)
    {
        try
        {
            yield return 1;
            await Task.Delay(Timeout.Infinite, token);
            yield return 2;
        }
        finally
        {
            log.Add("disposed");
        }
    }

    // ToLwtStream's token reaches the source's enumerator, as WithCancellation's does under
    // await foreach: the source stops, the read waiting on it is rejected as canceled, the
    // enumerator is disposed and the stream ends.
    [Fact]
    public void ToLwtStream_with_a_token_gives_it_to_the_source_whose_cancel_ends_the_stream()
    {
        var log = new List<string>();
        using var cts = new CancellationTokenSource();
        var (first, pendingBeforeCancel, second, afterwards) = LwtMain.Run(async () =>
        {
            var stream = OneThenWait(log).ToLwtStream(cts.Token);
            var one = await stream.Get();
            var waiting = stream.Get();
            await Promise.Pause();
            bool pendingBeforeCancel = waiting.IsPending;
            cts.Cancel();
            await waiting.Catch(_ => Promise.ReturnNone<int>());
            return (one, pendingBeforeCancel, waiting, await stream.Get());
        });
        Assert.Equal(Option<int>.Some(1), first);
        Assert.True(pendingBeforeCancel);
        Assert.True(second.IsCanceled, $"the read waiting on the source is {second.State}");
        Assert.False(afterwards.HasValue);
        Assert.Equal(["disposed"], log);
    }

    [Fact]
    public void ToLwtStream_with_a_token_checks_its_source()
    {
        Assert.Equal("source", Assert.Throws<ArgumentNullException>(() => ((IAsyncEnumerable<int>)null!).ToLwtStream(CancellationToken.None)).ParamName);
    }
}
