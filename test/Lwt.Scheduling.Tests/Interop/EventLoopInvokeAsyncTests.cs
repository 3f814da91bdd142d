using Lwt.Interop;
using Microsoft.Extensions.DependencyInjection;

namespace Lwt.Tests.Interop;

/// <summary>
/// <see cref="PromiseInterop.InvokeAsync{T}(EventLoop, Func{Promise{T}}, CancellationToken)"/>:
/// Task code handed the host's <see cref="EventLoop"/> from DI runs promise code on it and gets
/// a Task back, with EventLoopThread.InvokeAsync's guarantees (user trial 11: every endpoint
/// wrote a Post, a TaskCompletionSource and an <c>await await</c>, and a function that threw
/// before making its promise left the request waiting for ever).
/// </summary>
public class EventLoopInvokeAsyncTests
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(30); // hang guard, not a timing

    private static ServiceProvider HostLoop(out EventLoop loop)
    {
        var services = new ServiceCollection().AddLwtEventLoop().BuildServiceProvider();
        loop = services.GetRequiredService<EventLoop>();
        return services;
    }

    [Fact]
    public async Task The_hosts_loop_from_DI_runs_the_function_there_and_gives_its_value()
    {
        using var services = HostLoop(out var loop);
        bool ranOnLoop = false;
        int value = await loop.InvokeAsync(() =>
        {
            ranOnLoop = loop.IsOnLoopThread;
            return LwtUnix.Sleep(0.001).Map(() => 42);
        }).WaitAsync(Guard);
        Assert.Equal(42, value);
        Assert.True(ranOnLoop);
        bool untypedRan = false;
        await loop.InvokeAsync(() =>
        {
            untypedRan = loop.IsOnLoopThread;
            return Promise.Pause();
        }).WaitAsync(Guard);
        Assert.True(untypedRan);
    }

    [Fact]
    public async Task A_function_that_throws_before_making_its_promise_faults_the_Task()
    {
        using var services = HostLoop(out var loop);
        var boom = new InvalidTimeZoneException("thrown by the function");
        var thrown = await Assert.ThrowsAsync<InvalidTimeZoneException>(
            () => loop.InvokeAsync<int>(() => throw boom).WaitAsync(Guard));
        Assert.Same(boom, thrown);
    }

    [Fact]
    public async Task The_token_cancels_the_promise_on_the_loop_and_the_Task()
    {
        using var services = HostLoop(out var loop);
        using var cts = new CancellationTokenSource();
        var waiting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        bool canceledOnLoop = false;
        var call = loop.InvokeAsync(() =>
        {
            var (p, _) = Promise.CreateCancelable<int>();
            p.OnCancel(() => canceledOnLoop = loop.IsOnLoopThread);
            waiting.SetResult();
            return p;
        }, cts.Token);
        await waiting.Task.WaitAsync(Guard);
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call.WaitAsync(Guard));
        Assert.True(call.IsCanceled);
        await loop.InvokeAsync(() => Promise.ReturnUnit).WaitAsync(Guard); // the loop has run the cancel
        Assert.True(canceledOnLoop);
    }

    [Fact]
    public void A_loop_that_LwtMain_Run_runs_on_a_thread_of_the_callers_is_refused_with_what_to_do()
    {
        var refused = LwtMain.Run(() =>
        {
            var loop = EventLoop.Current!;
            return Promise.Return(Record.Exception(() => { _ = loop.InvokeAsync(() => Promise.Return(1)); }));
        });
        var e = Assert.IsType<InvalidOperationException>(refused);
        Assert.Contains("EventLoopThread", e.Message);
        Assert.Contains("AsTask", e.Message);
    }

    [Fact]
    public void Bad_arguments_and_a_disposed_loop_throw_at_the_call()
    {
        using var lt = new EventLoopThread();
        Assert.Equal("loop", Assert.Throws<ArgumentNullException>(() => { _ = PromiseInterop.InvokeAsync(null!, () => Promise.Return(1)); }).ParamName);
        Assert.Equal("f", Assert.Throws<ArgumentNullException>(() => { _ = lt.Loop.InvokeAsync((Func<Promise<int>>)null!); }).ParamName);
        Assert.Equal("f", Assert.Throws<ArgumentNullException>(() => { _ = lt.Loop.InvokeAsync((Func<Promise>)null!); }).ParamName);
        var loop = lt.Loop;
        lt.Dispose();
        Assert.Throws<ObjectDisposedException>(() => { _ = loop.InvokeAsync(() => Promise.Return(1)); });
    }
}
