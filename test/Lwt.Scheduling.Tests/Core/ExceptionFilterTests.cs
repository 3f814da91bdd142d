using System.Runtime.CompilerServices;
using Lwt.Tests.Loop;

namespace Lwt.Tests.Core;

/// <summary>
/// <see cref="Promise.ExceptionFilter"/> (Lwt.Exception_filter): what the machinery catches and
/// what escapes. The filter is process-wide: serial, and every test puts HandleAll back in a
/// finally (<see cref="FilterScope"/>).
/// </summary>
[Collection(SerialCollection.Name)]
public class ExceptionFilterTests
{
    /// <summary>Sets a filter; Dispose (a finally) puts the default back.</summary>
    private sealed class FilterScope : IDisposable
    {
        public FilterScope(Func<Exception, bool> filter) => Promise.ExceptionFilter.Set(filter);

        public void Dispose() => Promise.ExceptionFilter.Set(Promise.ExceptionFilter.HandleAll);
    }

    private static FilterScope ExceptRuntime() => new(Promise.ExceptionFilter.HandleAllExceptRuntime);

    private static int Depth => ResolutionLoop.Current.Depth;

    private static T Throw<T>(Exception e) => throw e;

    // ------------------------------------------------------------------ the filters themselves

    [Fact]
    public void The_default_is_HandleAll_and_Run_answers_with_the_current_filter()
    {
        var oom = new OutOfMemoryException();
        Assert.True(Promise.ExceptionFilter.Run(oom));
        Assert.True(Promise.ExceptionFilter.Run(new Boom()));
        using (new FilterScope(e => e is not ArgumentException))
        {
            Assert.False(Promise.ExceptionFilter.Run(new ArgumentException("x")));
            Assert.False(Promise.ExceptionFilter.Run(new ArgumentNullException("x")));
            Assert.True(Promise.ExceptionFilter.Run(oom));
        }
        using (ExceptRuntime())
        {
            Assert.False(Promise.ExceptionFilter.Run(oom));
            Assert.True(Promise.ExceptionFilter.Run(new Boom()));
        }
        Assert.True(Promise.ExceptionFilter.Run(oom));
    }

    [Fact]
    public void HandleAllExceptRuntime_refuses_out_of_memory_and_stack_exhaustion_only()
    {
        var f = Promise.ExceptionFilter.HandleAllExceptRuntime;
        Assert.False(f(new OutOfMemoryException()));
        Assert.False(f(new InsufficientMemoryException())); // a subclass of OutOfMemoryException
        Assert.False(f(new InsufficientExecutionStackException()));
        Assert.True(f(new Boom()));
        Assert.True(f(new CanceledException()));
        Assert.True(f(new InvalidOperationException()));
        Assert.True(f(new AggregateException(new OutOfMemoryException()))); // only the exception itself counts
        Assert.True(Promise.ExceptionFilter.HandleAll(new OutOfMemoryException()));
    }

    [Fact]
    public void Set_and_Run_refuse_null()
    {
        Assert.Equal("filter", Assert.Throws<ArgumentNullException>(() => Promise.ExceptionFilter.Set(null!)).ParamName);
        Assert.Equal("exception", Assert.Throws<ArgumentNullException>(() => Promise.ExceptionFilter.Run(null!)).ParamName);
        Assert.True(Promise.ExceptionFilter.Run(new OutOfMemoryException())); // still the default
    }

    [Fact]
    public void A_filter_that_throws_counts_as_handle_and_its_exception_goes_to_the_hook()
    {
        using var hook = new HookCapture();
        var broken = new Boom("filter");
        var thrown = new OutOfMemoryException();
        using (new FilterScope(_ => throw broken))
        {
            Assert.True(Promise.ExceptionFilter.Run(new Boom()));
            var p = Promise.ReturnUnit.Bind(() => throw thrown);
            Assert.Same(thrown, p.Exception); // the original exception is kept, not lost
        }
        Assert.Equal(new Exception[] { broken, broken }, hook.Seen);
    }

    // ------------------------------------------------------------------ default: everything is caught

    [Fact]
    public void By_default_an_out_of_memory_from_any_callback_rejects_the_result()
    {
        var oom = new OutOfMemoryException();
        Func<Promise<int>> fail = () => throw oom;
        var results = new List<Promise>
        {
            Promise.Return(1).Bind(_ => fail()),
            Promise.Return(1).Map<int>(_ => throw oom),
            Promise.Catch(fail, e => Promise.Fail<int>(e)), // f's throw reaches the handler
            Promise.Catch(() => Promise.Fail<int>(new Boom()), _ => fail()),
            Promise.Finally(() => Promise.Return(1), () => throw oom),
            Promise.TryBind(() => Promise.Return(1), _ => fail(), _ => Promise.Return(0)),
            Promise.TryBind(fail, _ => Promise.Return(0), _ => fail()),
            Promise.Wrap<int>(() => throw oom),
            Promise.Wrap(() => throw oom),
            Promise.Wrap1<int, int>(_ => throw oom, 1),
        };
        var (pending, r) = Promise.Create<int>();
        var later = new List<Promise>
        {
            pending.Bind(_ => fail()),
            pending.Map<int>(_ => throw oom),
            Promise.Catch(() => pending.Map<int>(_ => throw new Boom()), _ => fail()), // the handler's throw
            Promise.Finally(() => pending, () => throw oom),
            Promise.TryBind(() => pending, _ => fail(), _ => Promise.Return(0)),
        };
        Assert.Null(Record.Exception(() => r.Resolve(1)));
        Assert.All(results.Concat(later), p => Assert.Same(oom, p.Exception));
        Assert.Equal(0, Depth);
    }

    // ------------------------------------------------------------------ HandleAllExceptRuntime: escapes

    [Fact]
    public void An_out_of_memory_escapes_from_Bind_on_a_fulfilled_promise_at_the_call()
    {
        using var scope = ExceptRuntime();
        var oom = new OutOfMemoryException();
        Assert.Same(oom, Assert.Throws<OutOfMemoryException>(() => Promise.Return(1).Bind(_ => Throw<Promise<int>>(oom))));
        Assert.Same(oom, Assert.Throws<OutOfMemoryException>(() => Promise.ReturnUnit.Bind(() => throw oom)));
        Assert.Same(oom, Assert.Throws<OutOfMemoryException>(() => Promise.Return(1).Map<int>(_ => throw oom)));
        Assert.Equal(0, Depth);
    }

    [Fact]
    public void The_escape_keeps_the_original_stack_trace()
    {
        using var scope = ExceptRuntime();
        var e = Assert.Throws<OutOfMemoryException>(() => Promise.ReturnUnit.Bind(ThrowFromANamedMethod));
        Assert.Contains(nameof(ThrowFromANamedMethod), e.StackTrace);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Promise ThrowFromANamedMethod() => throw new OutOfMemoryException();

    [Fact]
    public void An_out_of_memory_escapes_from_Resolve_and_ResolveNow_when_the_input_was_pending()
    {
        using var scope = ExceptRuntime();
        var oom = new OutOfMemoryException();

        var (p, r) = Promise.Create<int>();
        var bound = p.Bind(_ => Throw<Promise<int>>(oom));
        Assert.Same(oom, Assert.Throws<OutOfMemoryException>(() => r.Resolve(1)));
        Assert.True(p.IsFulfilled);
        Assert.True(bound.IsPending); // abandoned, as in Lwt: nothing will resolve it
        Assert.Equal(0, Depth);

        var (q, rq) = Promise.Create<int>();
        var mapped = q.Map<int>(_ => throw oom);
        Assert.Same(oom, Assert.Throws<OutOfMemoryException>(() => rq.ResolveNow(1)));
        Assert.True(mapped.IsPending);
        Assert.Equal(0, Depth);

        var (s, rs) = Promise.Create<int>();
        var caught = Promise.Catch(() => s, _ => throw oom);
        Assert.Same(oom, Assert.Throws<OutOfMemoryException>(() => rs.Reject(new Boom())));
        Assert.True(caught.IsPending);
    }

    [Fact]
    public void Catch_Finally_TryBind_and_Wrap_let_an_out_of_memory_escape()
    {
        using var scope = ExceptRuntime();
        var oom = new OutOfMemoryException();
        Func<Promise<int>> fail = () => throw oom;
        void Escapes(Func<Promise> call) => Assert.Same(oom, Assert.Throws<OutOfMemoryException>(() => call()));

        Escapes(() => Promise.Catch(fail, _ => Promise.Return(0)));                         // f
        Escapes(() => Promise.Catch(() => Promise.Fail<int>(new Boom()), _ => fail()));     // handler, resolved input
        Escapes(() => Promise.Catch(() => Promise.Fail(new Boom()), _ => throw oom));       // untyped
        Escapes(() => Promise.Finally(fail, () => Promise.ReturnUnit));                      // f
        Escapes(() => Promise.Finally(() => Promise.Return(1), () => throw oom));           // cleanup
        Escapes(() => Promise.TryBind(fail, _ => Promise.Return(0), _ => Promise.Return(0)));
        Escapes(() => Promise.TryBind(() => Promise.Return(1), _ => fail(), _ => Promise.Return(0)));
        Escapes(() => Promise.TryBind(() => Promise.Fail<int>(new Boom()), _ => Promise.Return(0), _ => fail()));
        Escapes(() => Promise.Wrap<int>(() => throw oom));
        Escapes(() => Promise.Wrap(() => throw oom));
        Escapes(() => Promise.Wrap1<int, int>(_ => throw oom, 1));
        Escapes(() => Promise.Wrap7<int, int, int, int, int, int, int, int>((_, _, _, _, _, _, _) => throw oom, 1, 2, 3, 4, 5, 6, 7));
        Assert.Equal(0, Depth);
    }

    [Fact]
    public void An_ordinary_exception_is_still_caught_under_HandleAllExceptRuntime()
    {
        using var scope = ExceptRuntime();
        var boom = new Boom();
        Assert.Same(boom, Promise.Return(1).Bind(_ => Throw<Promise<int>>(boom)).Exception);
        Assert.Same(boom, Promise.Wrap<int>(() => throw boom).Exception);
        var (p, r) = Promise.Create<int>();
        var bound = p.Bind(_ => Throw<Promise<int>>(boom));
        r.Resolve(1);
        Assert.Same(boom, bound.Exception);
    }

    [Fact]
    public void A_custom_filter_is_honoured()
    {
        using var scope = new FilterScope(e => e is not ArgumentException);
        var arg = new ArgumentException("refused");
        Assert.Same(arg, Assert.Throws<ArgumentException>(() => Promise.ReturnUnit.Bind(() => throw arg)));
        var oom = new OutOfMemoryException();
        Assert.Same(oom, Promise.ReturnUnit.Bind(() => throw oom).Exception); // this filter handles it
    }

    [Fact]
    public void A_real_stack_exhaustion_in_a_callback_escapes()
    {
        using var scope = ExceptRuntime();
        Threads.Run(() =>
        {
            var e = Assert.Throws<InsufficientExecutionStackException>(() => Promise.ReturnUnit.Bind(() => Exhaust(0)));
            Assert.NotNull(e.StackTrace);
            Assert.Equal(0, Depth);
        }, stackSize: 256 * 1024);
    }

    private static Promise Exhaust(int n)
    {
        RuntimeHelpers.EnsureSufficientExecutionStack();
        return Exhaust(n + 1);
    }

    // ------------------------------------------------------------------ the core is usable afterwards

    [Fact]
    public void After_an_escape_from_nested_binds_the_depth_is_back_and_deep_recursion_still_works()
    {
        using var scope = ExceptRuntime();
        Threads.Run(() =>
        {
            var oom = new OutOfMemoryException();
            // Ten binds deep on fulfilled promises: each level's catch sees the escape and
            // restores its own depth on the way out.
            Promise Nest(int n) => n == 0 ? throw oom : Promise.ReturnUnit.Bind(() => Nest(n - 1));
            Assert.Same(oom, Assert.Throws<OutOfMemoryException>(() => Nest(10)));
            Assert.Equal(0, Depth);

            // From inside a resolution: RunCallbacks' finally restores the depth too.
            var (p, r) = Promise.Create();
            p.Bind(() => Nest(5));
            Assert.Same(oom, Assert.Throws<OutOfMemoryException>(r.Resolve));
            Assert.Equal(0, Depth);

            // 100,000 binds on fulfilled promises trampoline past the nesting limit and are
            // drained by the outermost frame: a depth left above 0 would leave this pending.
            var loop = Loop(100_000);
            Assert.True(loop.IsFulfilled);
            Assert.Equal(0, Depth);
        });
    }

    private static Promise Loop(int n) => n == 0 ? Promise.ReturnUnit : Promise.ReturnUnit.Bind(() => Loop(n - 1));

    [Fact]
    public void An_escape_leaves_LwtMain_Run_and_the_next_run_on_the_thread_works()
    {
        using var hook = new HookCapture(); // not reached: a report would end the test process
        using var scope = ExceptRuntime();
        LoopTest.OnFreshThread(() =>
        {
            var oom = new OutOfMemoryException();
            // Thrown by a callback that a loop iteration runs (a paused promise woken).
            Assert.Same(oom, Assert.Throws<OutOfMemoryException>(() =>
                LwtMain.Run(() => Promise.Pause().Bind(() => Throw<Promise>(oom)))));
            Assert.Equal(0, Depth);
            Assert.Equal(42, LwtMain.Run(async () =>
            {
                await Promise.Pause();
                await LwtUnix.Sleep(0.001);
                return 42;
            }));

            // Thrown by an action posted to the loop (instead of going to the hook).
            Assert.Same(oom, Assert.Throws<OutOfMemoryException>(() => LwtMain.Run(() =>
            {
                EventLoop.Current!.Post(() => throw oom);
                return LwtUnix.Sleep(5);
            })));
            Assert.True(Loop(100_000).IsFulfilled);
            Assert.Equal(7, LwtMain.Run(() => Promise.Pause().Map(() => 7)));
        });
        Assert.Empty(hook.Seen);
    }

    // ------------------------------------------------------------------ async methods, Async, On*

    private static async Promise ThrowAfter(Promise wait, Exception e)
    {
        await wait;
        throw e;
    }

    private static async Promise<int> ThrowAfterTyped(Promise wait, Exception e)
    {
        await wait;
        throw e;
    }

    [Fact]
    public void An_async_method_lets_a_refused_exception_escape_to_its_caller_or_resumer()
    {
        var oom = new OutOfMemoryException();
        Assert.Same(oom, ThrowAfter(Promise.ReturnUnit, oom).Exception); // default: rejected

        using var scope = ExceptRuntime();
        // Completes synchronously: escapes from the call.
        Assert.Same(oom, Assert.Throws<OutOfMemoryException>(() => ThrowAfter(Promise.ReturnUnit, oom)));
        Assert.Same(oom, Assert.Throws<OutOfMemoryException>(() => ThrowAfterTyped(Promise.ReturnUnit, oom)));
        // Resumed by a resolution: escapes from Resolve.
        var (p, r) = Promise.Create();
        var method = ThrowAfterTyped(p, oom);
        Assert.Same(oom, Assert.Throws<OutOfMemoryException>(r.Resolve));
        Assert.True(method.IsPending);
        Assert.Equal(0, Depth);
        // An ordinary exception still rejects.
        var boom = new Boom();
        Assert.Same(boom, ThrowAfter(Promise.ReturnUnit, boom).Exception);
    }

    [Fact]
    public void Async_DontWait_and_On_callbacks_let_a_refused_exception_escape_instead_of_reporting_it()
    {
        using var hook = new HookCapture();
        var oom = new OutOfMemoryException();
        using (ExceptRuntime())
        {
            Assert.Same(oom, Assert.Throws<OutOfMemoryException>(() => Promise.Async(() => throw oom)));
            Assert.Same(oom, Assert.Throws<OutOfMemoryException>(() => Promise.DontWait(() => throw oom, _ => { })));
            Assert.Same(oom, Assert.Throws<OutOfMemoryException>(() => Promise.Return(1).OnSuccess(_ => throw oom)));
            Assert.Same(oom, Assert.Throws<OutOfMemoryException>(() => Promise.ReturnUnit.OnTermination(() => throw oom)));

            var (p, r) = Promise.Create<int>();
            p.OnAny(_ => throw oom, _ => { });
            Assert.Same(oom, Assert.Throws<OutOfMemoryException>(() => r.Resolve(1)));

            var (c, rc) = Promise.CreateCancelable<int>();
            c.OnCancel(() => throw oom);
            Assert.Same(oom, Assert.Throws<OutOfMemoryException>(c.Cancel));
            Assert.Equal(0, Depth);
            Assert.Empty(hook.Seen);

            // An ordinary exception still goes to the hook.
            var boom = new Boom();
            Promise.Async(() => throw boom);
            Promise.Return(1).OnSuccess(_ => throw boom);
            Assert.Equal(new Exception[] { boom, boom }, hook.Seen);
        }
        hook.Seen.Clear();
        Promise.Async(() => throw oom); // the default reports it
        Assert.Same(oom, Assert.Single(hook.Seen));
    }

    // ------------------------------------------------------------------ the library modules

    [Fact]
    public void Library_modules_built_on_apply_let_a_refused_exception_escape()
    {
        var oom = new OutOfMemoryException();
        Assert.Same(oom, LwtList.IterS(new[] { 1, 2 }, _ => throw oom).Exception); // default: rejected
        using var scope = ExceptRuntime();
        Assert.Same(oom, Assert.Throws<OutOfMemoryException>(() => LwtList.IterS(new[] { 1, 2 }, _ => throw oom)));
        Assert.Same(oom, Assert.Throws<OutOfMemoryException>(() => LwtList.IterP(new[] { 1, 2 }, _ => throw oom)));
        Assert.Same(oom, Assert.Throws<OutOfMemoryException>(() => new LwtSeq<int>(() => throw oom).Force()));
        var boom = new Boom();
        Assert.Same(boom, LwtList.IterS(new[] { 1, 2 }, _ => throw boom).Exception);
    }

    private sealed class Fatal() : Exception("refused by the filter");

    // An EventLoopThread runs what reached its loop after the last iteration before the thread
    // ends (EventLoop.Retire). An item whose exception the filter refuses escaped Retire there,
    // and the items behind it never ran: a detached job's result, an await's continuation, lost.
    // The window is reached as RetiredLoopTests reach it: the loop fails, and the thread's last
    // act cancels a call in flight, on the loop thread, after the last iteration.
    [Fact]
    public async Task An_item_whose_exception_the_filter_refuses_does_not_stop_an_ended_loop_running_the_others()
    {
        using var scope = new FilterScope(e => e is not Fatal);
        var guard = TimeSpan.FromSeconds(30); // hang guard, not a timing
        var lt = new Lwt.Interop.EventLoopThread(asyncExceptionHook: e => throw e);
        var loop = lt.Loop;
        int ranAfter = 0;
        var call = lt.InvokeAsync(() =>
        {
            var (inFlight, _) = Promise.CreateCancelable<int>();
            inFlight.OnCancel(() =>
            {
                loop.Post(() => throw new Fatal());
                loop.Post(() => ranAfter++);
            });
            return inFlight;
        });
        await lt.InvokeAsync(() => Promise.Pause()).WaitAsync(guard); // the call is in flight
        loop.Post(() => throw new InvalidTimeZoneException("the loop's failure"));
        await Assert.ThrowsAsync<InvalidTimeZoneException>(() => lt.Completion.WaitAsync(guard));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call.WaitAsync(guard));
        Assert.Equal(1, ranAfter);
        lt.Dispose();
    }
}
