// Compile-time and run-time checks of the public surface in shared/docs/API.md.
// Every member API.md lists is used here in a way that fails to compile if its name,
// parameter names, static-ness, parameter types or return type differ ("// API.md:NN"
// gives the line). Exact return types are checked with Exact<T>(ref v): a ref argument
// needs the identical type (no covariance), unlike a method-group-to-delegate conversion.
// The run-time facts then check the behaviour API.md states explicitly.
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using Lwt;
using Lwt.Interop;
using Lwt.Tests.Core;
using Microsoft.Extensions.DependencyInjection;

namespace Lwt.Tests.ApiContract;

[Collection(SerialCollection.Name)]
public class ApiContractTests
{
    /// <summary>Compiles only when <paramref name="_"/>'s static type is exactly <typeparamref name="T"/>.</summary>
    static void Exact<T>(ref T _) { }

    static Exception Ex(string m = "x") => new InvalidTimeZoneException(m);

    // ---------------------------------------------------------------- core value types
    [Fact]
    public void CoreValueTypes()
    {
        // API.md:29 enum PromiseState { Pending, Fulfilled, Rejected }
        PromiseState st = PromiseState.Pending; st = PromiseState.Fulfilled; st = PromiseState.Rejected;
        Assert.True(typeof(PromiseState).IsEnum && typeof(PromiseState).IsPublic);
        Assert.Equal(new[] { "Pending", "Fulfilled", "Rejected" }, Enum.GetNames<PromiseState>());
        _ = st;

        // API.md:31 readonly struct Unit { static readonly Unit Value; }  (a field: ref readonly only binds to a field)
        ref readonly Unit u = ref Unit.Value;
        _ = u;
        Assert.True(typeof(Unit).IsValueType && typeof(Unit).IsPublic);
        Assert.True(typeof(Unit).IsDefined(typeof(IsReadOnlyAttribute)), "Unit is not a readonly struct");
        var unitField = typeof(Unit).GetField("Value", BindingFlags.Public | BindingFlags.Static);
        Assert.True(unitField is { IsInitOnly: true }, "Unit.Value is not a public static readonly field");

        // API.md:32-37 readonly struct Option<T> : IEquatable<Option<T>>
        IEquatable<Option<int>> eq = Option<int>.None;                  // API.md:32
        _ = eq;
        var none = Option<int>.None; Exact<Option<int>>(ref none);         // API.md:33
        var some = Option<int>.Some(value: 3); Exact<Option<int>>(ref some); // API.md:34
        var has = some.HasValue; Exact<bool>(ref has);                  // API.md:35
        var val = some.Value; Exact<int>(ref val);                      // API.md:36
        Assert.True(typeof(Option<int>).IsValueType);
        Assert.True(typeof(Option<>).IsDefined(typeof(IsReadOnlyAttribute)), "Option<T> is not a readonly struct");
        Assert.True(typeof(Option<>).IsPublic);
        Assert.False(none.HasValue);
        Assert.Equal(3, val);
        Assert.Throws<InvalidOperationException>(() => Option<int>.None.Value); // API.md:36

        // API.md:39-42 sealed class CanceledException : OperationCanceledException
        OperationCanceledException oce = new CanceledException();           // API.md:40
        oce = new CanceledException(message: "m");                       // API.md:41
        Assert.Equal("m", oce.Message);
        Assert.True(typeof(CanceledException).IsSealed, "CanceledException is not sealed");
        Assert.NotNull(typeof(CanceledException).GetConstructor(Type.EmptyTypes));
        Assert.NotNull(typeof(CanceledException).GetConstructor(new[] { typeof(string) }));
    }

    // ---------------------------------------------------------------- Promise (unit t)
    static async Promise AsyncUnit(Promise p) { await p; }                      // API.md:44 builder
    static async Promise<int> AsyncInt(Promise<int> p) => await p + 1;          // API.md:116 builder

    [Fact]
    public void PromiseInstanceMembers()
    {
        // API.md:44 [AsyncMethodBuilder(typeof(PromiseMethodBuilder))] on Promise
        var b0 = typeof(Promise).GetCustomAttribute<AsyncMethodBuilderAttribute>();
        Assert.Equal(typeof(PromiseMethodBuilder), b0?.BuilderType);
        // API.md:116 [AsyncMethodBuilder(typeof(PromiseMethodBuilder<>))] on Promise<T>
        var b1 = typeof(Promise<>).GetCustomAttribute<AsyncMethodBuilderAttribute>();
        Assert.Equal(typeof(PromiseMethodBuilder<>), b1?.BuilderType);
        Assert.True(typeof(Promise).IsClass && typeof(Promise).IsPublic);

        Promise p = Promise.Return(1);
        var state = p.State; Exact<PromiseState>(ref state);                   // API.md:46
        var pend = p.IsPending; Exact<bool>(ref pend);                         // API.md:47
        var ful = p.IsFulfilled; Exact<bool>(ref ful);                         // API.md:48
        var rej = p.IsRejected; Exact<bool>(ref rej);                          // API.md:49
        var can = p.IsCanceled; Exact<bool>(ref can);                          // API.md:50
        Exception? exn = p.Exception;                                          // API.md:51
        { var e2 = p.Exception; Exact<Exception?>(ref e2); }
        Assert.Equal(PromiseState.Fulfilled, state);
        Assert.True(ful && !pend && !rej && !can);
        Assert.Null(exn);

        var aw = p.GetAwaiter(); Exact<PromiseAwaiter>(ref aw);                // API.md:53
        var ca = p.ConfigureAwait(continueOnCapturedContext: false); Exact<ConfiguredPromiseAwaitable>(ref ca); // API.md:54
        Action cancel = p.Cancel; p.Cancel();                                  // API.md:55
        p.OnCancel(f: () => { });                                              // API.md:56
        p.OnFailure(f: (Exception e) => { });                                  // API.md:57
        p.OnTermination(f: () => { });                                         // API.md:58
        var prot = p.Protected(); Exact<Promise>(ref prot);                    // API.md:59
        var nc = p.NoCancel(); Exact<Promise>(ref nc);                         // API.md:60
        var wic = p.WrapInCancelable(); Exact<Promise>(ref wic);               // API.md:61
        var bu = p.Bind(f: () => Promise.Fail(Ex())); Exact<Promise>(ref bu);  // API.md:62
        Func<Func<Promise>, Promise> bindU = p.Bind;
        var bt = p.Bind<int>(f: () => Promise.Return(7)); Exact<Promise<int>>(ref bt); // API.md:63
        Func<Func<Promise<int>>, Promise<int>> bindT = p.Bind<int>;
        var mp = p.Map<string>(f: () => "s"); Exact<Promise<string>>(ref mp);  // API.md:64
        Func<Func<string>, Promise<string>> mapT = p.Map<string>;
        Assert.Equal(7, bt.Value);
        Assert.Equal("s", mp.Value);
        Assert.True(bu.IsRejected);

        // await (API.md:53): returns, or rethrows the rejection itself
        var boom = new Boom();
        var awaited = AsyncUnit(Promise.Fail(boom));
        Assert.Same(boom, awaited.Exception);
        Assert.Equal(5, AsyncInt(Promise.Return(4)).Value);
    }

    [Fact]
    public void PromiseStaticMembers()
    {
        // API.md:67-70 creation, tuple element names Promise / Resolver
        var c1 = Promise.Create<int>(); Exact<(Promise<int>, Resolver<int>)>(ref c1);       // API.md:67
        Promise<int> c1p = c1.Promise; Resolver<int> c1r = c1.Resolver;
        var c2 = Promise.CreateCancelable<int>(); Exact<(Promise<int>, Resolver<int>)>(ref c2); // API.md:68
        Promise<int> c2p = c2.Promise; Resolver<int> c2r = c2.Resolver;
        var c3 = Promise.Create(); Exact<(Promise<Unit>, Resolver<Unit>)>(ref c3);           // API.md:69
        Promise<Unit> c3p = c3.Promise; Resolver<Unit> c3r = c3.Resolver;
        var c4 = Promise.CreateCancelable(); Exact<(Promise<Unit>, Resolver<Unit>)>(ref c4); // API.md:70
        Promise<Unit> c4p = c4.Promise; Resolver<Unit> c4r = c4.Resolver;

        var r1 = Promise.Return<int>(value: 1); Exact<Promise<int>>(ref r1);     // API.md:72
        var r2 = Promise.Return(); Exact<Promise<Unit>>(ref r2);                 // API.md:73
        var r3 = Promise.ReturnUnit; Exact<Promise<Unit>>(ref r3);               // API.md:74
        var r4 = Promise.ReturnTrue; Exact<Promise<bool>>(ref r4);               // API.md:75
        var r5 = Promise.ReturnFalse; Exact<Promise<bool>>(ref r5);              // API.md:76
        var f1 = Promise.Fail<int>(exception: Ex()); Exact<Promise<int>>(ref f1); // API.md:77
        var f2 = Promise.Fail(exception: Ex()); Exact<Promise>(ref f2);          // API.md:78
        Assert.Same(Promise.ReturnUnit, Promise.ReturnUnit);                     // API.md:74 one shared instance
        Assert.True(r4.Value && !r5.Value);

        // API.md:81-88
        var k1 = Promise.Catch<int>(f: () => Promise.Fail<int>(Ex()), handler: e => Promise.Return(2)); Exact<Promise<int>>(ref k1); // :81
        var k2 = Promise.Catch(f: () => Promise.Fail(Ex()), handler: (Exception e) => Promise.ReturnUnit); Exact<Promise>(ref k2);    // :82
        Func<Func<Promise>, Func<Exception, Promise>, Promise> k2g = Promise.Catch;
        var fi1 = Promise.Finally<int>(f: () => Promise.Return(3), cleanup: () => Promise.ReturnUnit); Exact<Promise<int>>(ref fi1); // :83
        var fi2 = Promise.Finally(f: () => (Promise)Promise.ReturnUnit, cleanup: () => Promise.ReturnUnit); Exact<Promise>(ref fi2); // :84
        Func<Func<Promise>, Func<Promise>, Promise> fi2g = Promise.Finally;
        var tb = Promise.TryBind<int, string>(f: () => Promise.Return(4), onFulfilled: x => Promise.Return(x.ToString()),
                                               onRejected: e => Promise.Return("e")); Exact<Promise<string>>(ref tb); // :85-86
        var w1 = Promise.Wrap<int>(f: () => 5); Exact<Promise<int>>(ref w1);     // :87
        var w2 = Promise.Wrap(f: () => { }); Exact<Promise>(ref w2);             // :88
        Func<Action, Promise> w2g = Promise.Wrap;
        Assert.Equal(2, k1.Value);
        Assert.True(k2.IsFulfilled);
        Assert.Equal(3, fi1.Value);
        Assert.Equal("4", tb.Value);
        Assert.Equal(5, w1.Value);
        Assert.True(w2.IsFulfilled);

        // API.md:91-101 concurrency
        Promise u1 = Promise.ReturnUnit, u2 = Promise.Return(1);
        var j1 = Promise.Join(u1, u2); Exact<Promise>(ref j1);                                  // :91 params
        var j1b = Promise.Join(promises: new[] { u1, u2 }); Exact<Promise>(ref j1b);           // :91
        var j2 = Promise.Join(promises: (IEnumerable<Promise>)new List<Promise> { u1 }); Exact<Promise>(ref j2); // :92
        Func<Promise[], Promise> j1g = Promise.Join;
        Func<IEnumerable<Promise>, Promise> j2g = Promise.Join;
        var both = Promise.Both<int, string>(p1: Promise.Return(1), p2: Promise.Return("a")); Exact<Promise<(int, string)>>(ref both); // :93
        IEnumerable<Promise<int>> seq = new[] { Promise.Return(1), Promise.Return(2) };
        var all = Promise.All<int>(promises: seq); Exact<Promise<IReadOnlyList<int>>>(ref all);              // :94
        var allP = Promise.All(Promise.Return(1), Promise.Return(2)); Exact<Promise<IReadOnlyList<int>>>(ref allP); // :94 params
        Func<Promise<int>[], Promise<IReadOnlyList<int>>> allPg = Promise.All<int>;
        var pick = Promise.Pick<int>(promises: seq); Exact<Promise<int>>(ref pick);                          // :95
        var pickP = Promise.Pick(Promise.Return(1), Promise.Return(2)); Exact<Promise<int>>(ref pickP);       // :95 params
        Func<Promise<int>[], Promise<int>> pickPg = Promise.Pick<int>;
        var ch = Promise.Choose<int>(promises: seq); Exact<Promise<int>>(ref ch);                            // :96
        var chP = Promise.Choose(Promise.Return(1), Promise.Return(2)); Exact<Promise<int>>(ref chP);         // :96 params
        Func<Promise<int>[], Promise<int>> chPg = Promise.Choose<int>;
        var np = Promise.NPick<int>(promises: seq); Exact<Promise<IReadOnlyList<int>>>(ref np);              // :97
        var npP = Promise.NPick(Promise.Return(1), Promise.Return(2)); Exact<Promise<IReadOnlyList<int>>>(ref npP); // :97 params
        Func<Promise<int>[], Promise<IReadOnlyList<int>>> npPg = Promise.NPick<int>;
        var nc = Promise.NChoose<int>(promises: seq); Exact<Promise<IReadOnlyList<int>>>(ref nc);            // :98
        var ncP = Promise.NChoose(Promise.Return(1), Promise.Return(2)); Exact<Promise<IReadOnlyList<int>>>(ref ncP); // :98 params
        Func<Promise<int>[], Promise<IReadOnlyList<int>>> ncPg = Promise.NChoose<int>;
        var ns = Promise.NChooseSplit<int>(promises: seq);                                                   // :99-100
        Exact<Promise<(IReadOnlyList<int>, IReadOnlyList<Promise<int>>)>>(ref ns);
        IReadOnlyList<int> nsF = ns.Value.Fulfilled; IReadOnlyList<Promise<int>> nsP = ns.Value.Pending;
        // API.md:101 Pick/Choose/Join also take non-generic Promise sequences, returning Promise
        IEnumerable<Promise> useq = new[] { u1, u2 };
        var pickU = Promise.Pick(promises: useq); Exact<Promise>(ref pickU);
        var chU = Promise.Choose(promises: useq); Exact<Promise>(ref chU);
        Func<IEnumerable<Promise>, Promise> pickUg = Promise.Pick;
        Func<IEnumerable<Promise>, Promise> chUg = Promise.Choose;
        Assert.True(j1.IsFulfilled && j2.IsFulfilled && pickU.IsFulfilled && chU.IsFulfilled);
        Assert.Equal((1, "a"), both.Value);
        Assert.Equal(new[] { 1, 2 }, all.Value);
        Assert.Equal(new[] { 1, 2 }, np.Value);
        Assert.Equal(new[] { 1, 2 }, nsF);
        Assert.Empty(nsP);

        // API.md:104-106
        Action<Func<Promise>> asyncG = Promise.Async;
        Promise.Async(f: () => Promise.ReturnUnit);                                    // :104
        Action<Func<Promise>, Action<Exception>> dwG = Promise.DontWait;
        Promise.DontWait(f: () => Promise.ReturnUnit, handler: e => { });             // :105
        var hook = Promise.AsyncExceptionHook; Exact<Action<Exception>>(ref hook);    // :106 get
        Promise.AsyncExceptionHook = hook;                                            // :106 set

        // API.md:109-113 yielding (the paused queue and its notifier are per thread: a fresh one)
        Threads.Run(() =>
        {
            int notified = -1;
            Action<Action<int>> rpn = Promise.RegisterPauseNotifier;                  // :113
            Promise.RegisterPauseNotifier(notifier: n => notified = n);
            var pause = Promise.Pause(); Exact<Promise>(ref pause);                   // :109
            var pc = Promise.PausedCount; Exact<int>(ref pc);                         // :110
            Assert.Equal(1, pc);
            Assert.Equal(1, notified);
            Action wp = Promise.WakeupPaused; Promise.WakeupPaused();                  // :111
            Assert.True(pause.IsFulfilled);
            var pause2 = Promise.Pause();
            Action ap = Promise.AbandonPaused; Promise.AbandonPaused();               // :112
            Assert.Equal(0, Promise.PausedCount);
        });
    }

    // ---------------------------------------------------------------- Promise<T>
    [Fact]
    public void PromiseOfTMembers()
    {
        // API.md:117 Promise<T> : Promise
        Promise<int> p = Promise.Return(10);
        Promise asBase = p;
        Assert.True(typeof(Promise).IsAssignableFrom(typeof(Promise<int>)));
        Assert.Equal(typeof(Promise), typeof(Promise<>).BaseType);

        var v = p.Value; Exact<int>(ref v);                                           // :118
        var aw = p.GetAwaiter(); Exact<PromiseAwaiter<int>>(ref aw);                  // :119
        var ca = p.ConfigureAwait(continueOnCapturedContext: true); Exact<ConfiguredPromiseAwaitable<int>>(ref ca); // :120
        var b1 = p.Bind<string>(f: x => Promise.Return(x.ToString())); Exact<Promise<string>>(ref b1); // :121
        Func<Func<int, Promise<string>>, Promise<string>> b1g = p.Bind;
        var b2 = p.Bind(f: (int x) => (Promise)Promise.ReturnUnit); Exact<Promise>(ref b2); // :122
        Func<Func<int, Promise>, Promise> b2g = p.Bind;
        var m = p.Map<string>(f: x => x + "!"); Exact<Promise<string>>(ref m);       // :123
        Func<Func<int, string>, Promise<string>> mg = p.Map;
        int seen = 0;
        p.OnSuccess(f: x => seen = x);                                                // :124
        Action<Action<int>> osg = p.OnSuccess;
        p.OnAny(onFulfilled: x => seen += x, onRejected: e => { });                   // :125
        Action<Action<int>, Action<Exception>> oag = p.OnAny;
        var prot = p.Protected(); Exact<Promise<int>>(ref prot);                      // :126
        var nc = p.NoCancel(); Exact<Promise<int>>(ref nc);                           // :127
        var wic = p.WrapInCancelable(); Exact<Promise<int>>(ref wic);                 // :128
        var sel = p.Select<string>(f: x => x.ToString()); Exact<Promise<string>>(ref sel); // :130
        var sm = p.SelectMany<int, string>(f: x => Promise.Return(x + 1), project: (x, y) => $"{x}{y}"); Exact<Promise<string>>(ref sm); // :131
        // API.md:129 LINQ query syntax
        var q = from x in p
                from y in Promise.Return(2)
                select x * y;
        Exact<Promise<int>>(ref q);
        var q2 = from x in p select x + 1;
        Exact<Promise<int>>(ref q2);
        // API.md:132 operator | (choose)
        var or = p | Promise.Return(11); Exact<Promise<int>>(ref or);
        Func<Promise<int>, Promise<int>, Promise<int>> orOp = (a, b) => a | b;
        // API.md:134 operator & on Promise (join)
        Promise pa = Promise.ReturnUnit, pb = Promise.Return(1);
        var and = pa & pb; Exact<Promise>(ref and);
        var opAnd = typeof(Promise).GetMethod("op_BitwiseAnd", new[] { typeof(Promise), typeof(Promise) });
        Assert.True(opAnd is { IsStatic: true } && opAnd.ReturnType == typeof(Promise), "Promise.operator & is not (Promise, Promise) -> Promise on Promise");
        var opOr = typeof(Promise<int>).GetMethod("op_BitwiseOr", new[] { typeof(Promise<int>), typeof(Promise<int>) });
        Assert.True(opOr is { IsStatic: true } && opOr.ReturnType == typeof(Promise<int>), "Promise<T>.operator | missing");

        Assert.Equal(10, v);
        Assert.Equal("10", b1.Value);
        Assert.Equal("10!", m.Value);
        Assert.Equal(20, seen);
        Assert.Equal("10", sel.Value);
        Assert.Equal("1011", sm.Value);
        Assert.Equal(20, q.Value);
        Assert.Equal(11, q2.Value);
        Assert.Equal(10, or.Value);
        Assert.True(and.IsFulfilled);
        Assert.Same(asBase, p);
    }

    // ---------------------------------------------------------------- Resolver
    [Fact]
    public void ResolverMembers()
    {
        var (p, r) = Promise.Create<int>();
        Resolver rb = r;                                                              // :144 Resolver<T> : Resolver
        var rbp = rb.Promise; Exact<Promise>(ref rbp);                                // :137
        var rp = r.Promise; Exact<Promise<int>>(ref rp);                              // :145
        Assert.Same(p, rp);
        Assert.Same(p, rbp);
        Action rs = rb.Resolve;                                                       // :138
        Action<Exception> rj = rb.Reject; rb = r;                                     // :139
        Action rsn = rb.ResolveNow;                                                   // :140
        Action<Exception> rjn = rb.RejectNow;                                         // :141
        Func<Exception, bool> trj = rb.TryReject;                                     // :142
        var t = rb.TryReject(exception: Ex()); Exact<bool>(ref t);
        Action<int> rsT = r.Resolve;                                                  // :146
        Action<int> rsnT = r.ResolveNow;                                              // :147
        Func<int, bool> trs = r.TryResolve;                                           // :148
        var t2 = r.TryResolve(value: 1); Exact<bool>(ref t2);
        Assert.True(t);        // it was pending: rejected now
        Assert.False(t2);      // no longer pending: false, no throw
        Assert.False(rb.TryReject(exception: Ex()));   // :142 false, no throw, when not pending

        var (p2, r2) = Promise.Create<int>();
        r2.Resolve(value: 1);
        var (p3, r3) = Promise.Create<int>(); r3.ResolveNow(value: 1);
        var (p4, r4) = Promise.Create(); ((Resolver)r4).Resolve(); ((Resolver)Promise.Create().Resolver).ResolveNow();
        var (p5, r5) = Promise.Create<int>(); r5.Reject(exception: Ex());
        var (p6, r6) = Promise.Create<int>(); r6.RejectNow(exception: Ex());
        Assert.True(p2.IsFulfilled && p3.IsFulfilled && p4.IsFulfilled && p5.IsRejected && p6.IsRejected);
        Assert.True(typeof(Resolver).IsAssignableFrom(typeof(Resolver<int>)));
    }

    // ---------------------------------------------------------------- event loop
    [Fact]
    public void EventLoopMembers()
    {
        Threads.Run(() =>
        {
            Func<Promise<int>, int> run1 = LwtMain.Run;                                 // :189
            Action<Promise> run2 = LwtMain.Run;                                         // :190
            Func<Func<Promise<int>>, int> run3 = LwtMain.Run;                           // :191
            Action<Func<Promise>> run4 = LwtMain.Run;                                   // :192
            Action<Func<Promise>> atExit = LwtMain.AtExit;                              // :193
            var a = LwtMain.Run<int>(promise: Promise.Return(1)); Exact<int>(ref a);
            LwtMain.Run(promise: Promise.ReturnUnit);
            EventLoop? seenLoop = null;
            bool onLoop = false;
            SynchronizationContext? ctxInStart = null;
            var b = LwtMain.Run<int>(start: () =>
            {
                var cur = EventLoop.Current; Exact<EventLoop?>(ref cur);               // :197
                seenLoop = cur;
                var ctx = cur!.SynchronizationContext; Exact<SynchronizationContext>(ref ctx); // :198
                var ts = cur.TaskScheduler; Exact<TaskScheduler>(ref ts);               // :199
                var on = cur.IsOnLoopThread; Exact<bool>(ref on);                       // :200
                onLoop = on;
                ctxInStart = SynchronizationContext.Current;
                var (pp, rr) = Promise.Create<int>();
                Action<Action> post = cur.Post;                                         // :201
                var other = new Thread(() => cur.Post(action: () => rr.Resolve(2)));
                other.Start(); other.Join();
                return pp;
            });
            LwtMain.Run(start: () => Promise.ReturnUnit);
            Assert.Equal(2, b);
            Assert.NotNull(seenLoop);
            Assert.True(onLoop);
            Assert.IsType<LwtSynchronizationContext>(seenLoop!.SynchronizationContext);  // :198
            Assert.IsType<LwtTaskScheduler>(seenLoop.TaskScheduler);                    // :199
            Assert.Same(seenLoop.SynchronizationContext, ctxInStart);
            Assert.True(typeof(EventLoop).IsSealed);
        });
        // API.md:194 Enter_iter_hooks / Leave_iter_hooks (no signature given: checked as the
        // natural reading, two static hook collections on LwtMain with add/remove).
        LwtHook h = LwtMain.EnterIterHooks.AddLast(() => { });
        LwtMain.EnterIterHooks.Remove(h);
        h = LwtMain.LeaveIterHooks.AddFirst(() => { });
        LwtMain.LeaveIterHooks.Remove(h);
        // AtExit is only bound (registering would run at process exit).
    }

    [Fact]
    public void LwtUnixTimers()
    {
        Func<double, Promise> s1 = LwtUnix.Sleep;                                        // :204
        Func<TimeSpan, Promise> s2 = LwtUnix.Sleep;                                      // :205
        Func<double, Promise> to = LwtUnix.Timeout;                                      // :206
        Func<double, Func<Promise<int>>, Promise<int>> wt = LwtUnix.WithTimeout<int>;    // :207
        Threads.Run(() =>
        {
            LwtMain.Run(start: () =>
            {
                var a = LwtUnix.Sleep(seconds: 0.001); Exact<Promise>(ref a);
                var b = LwtUnix.Sleep(delay: TimeSpan.FromSeconds(30)); Exact<Promise>(ref b);
                b.Cancel();
                Assert.True(b.IsCanceled, "LwtUnix.Sleep is not cancelable");          // :204 (cancelable)
                var c = LwtUnix.Timeout(seconds: 0.001); Exact<Promise>(ref c);
                var d = LwtUnix.WithTimeout<int>(seconds: 0.001, f: () => Promise.Create<int>().Promise); Exact<Promise<int>>(ref d);
                var e = LwtUnix.WithTimeout<int>(seconds: 30, f: () => Promise.Return(3));
                return a.Bind(() => Promise.Catch(() => c, ex =>
                {
                    Assert.IsType<TimeoutException>(ex);                                 // :206
                    return Promise.ReturnUnit;
                })).Bind(() => Promise.Catch(() => d.Map(_ => Unit.Value), ex =>
                {
                    Assert.IsType<TimeoutException>(ex);
                    return Promise.ReturnUnit;
                })).Bind(() => e.Map(x => { Assert.Equal(3, x); return Unit.Value; }));
            });
        });
    }

    [Fact]
    public void RunRulesFromApiMd()
    {
        Threads.Run(() =>
        {
            // API.md:211 nested Run on the same thread throws InvalidOperationException
            Exception? nested = null;
            LwtMain.Run(start: () =>
            {
                try { LwtMain.Run(Promise.ReturnUnit); } catch (Exception e) { nested = e; }
                return Promise.ReturnUnit;
            });
            Assert.IsType<InvalidOperationException>(nested);
            // API.md:212 rejected promise: Run rethrows that exception with its original stack trace
            Exception orig;
            try { ThrowHere(); throw null!; } catch (Exception e) { orig = e; }
            var thrown = Assert.ThrowsAny<Exception>(() => LwtMain.Run(Promise.Fail<int>(orig)));
            Assert.Same(orig, thrown);
            Assert.Contains(nameof(ThrowHere), thrown.StackTrace);
        });
    }
    [MethodImpl(MethodImplOptions.NoInlining)] static void ThrowHere() => throw new Boom();

    // ---------------------------------------------------------------- interop
    [Fact]
    public void InteropMembers()
    {
        Promise<int> pi = Promise.Return(1);
        Promise pu = Promise.ReturnUnit;
        var t1 = pi.AsTask(); Exact<Task<int>>(ref t1);                                   // :219
        t1 = PromiseInterop.AsTask<int>(promise: pi);
        var t2 = pu.AsTask(); Exact<Task>(ref t2);                                        // :220
        t2 = PromiseInterop.AsTask(promise: pu);
        var t3 = pi.AsTask(CancellationToken.None); Exact<Task<int>>(ref t3);             // :221
        t3 = PromiseInterop.AsTask<int>(promise: pi, cancellationToken: CancellationToken.None);
        var t4 = pu.AsTask(CancellationToken.None); Exact<Task>(ref t4);                  // :222
        t4 = PromiseInterop.AsTask(promise: pu, cancellationToken: CancellationToken.None);
        var v1 = pi.AsValueTask(); Exact<ValueTask<int>>(ref v1);                         // :223
        v1 = PromiseInterop.AsValueTask<int>(promise: pi);
        var v2 = pu.AsValueTask(); Exact<ValueTask>(ref v2);                              // :224
        v2 = PromiseInterop.AsValueTask(promise: pu);
        var q1 = Task.FromResult(2).ToPromise(); Exact<Promise<int>>(ref q1);             // :225
        q1 = PromiseInterop.ToPromise<int>(task: Task.FromResult(2));
        var q2 = Task.CompletedTask.ToPromise(); Exact<Promise>(ref q2);                  // :226
        q2 = PromiseInterop.ToPromise(task: Task.CompletedTask);
        var q3 = new ValueTask<int>(3).ToPromise(); Exact<Promise<int>>(ref q3);          // :227
        q3 = PromiseInterop.ToPromise<int>(task: new ValueTask<int>(3));
        var q4 = default(ValueTask).ToPromise(); Exact<Promise>(ref q4);                  // :228
        q4 = PromiseInterop.ToPromise(task: default(ValueTask));
        var ft1 = PromiseInterop.FromTask<int>(start: ct => Task.FromResult(4)); Exact<Promise<int>>(ref ft1); // :229
        var ft2 = PromiseInterop.FromTask(start: (CancellationToken ct) => Task.CompletedTask); Exact<Promise>(ref ft2); // :230
        Func<Func<CancellationToken, Task>, Promise> ft2g = PromiseInterop.FromTask;
        var stream = LwtStream.OfList(new[] { 1, 2, 3 });
        var ae = stream.AsAsyncEnumerable(); Exact<IAsyncEnumerable<int>>(ref ae);        // :231
        ae = PromiseInterop.AsAsyncEnumerable<int>(stream: LwtStream.OfList(new[] { 1 }));
        var ls = ae.ToLwtStream(); Exact<LwtStream<int>>(ref ls);                         // :232
        ls = PromiseInterop.ToLwtStream<int>(source: ae);
        Assert.True(typeof(PromiseInterop).IsAbstract && typeof(PromiseInterop).IsSealed); // static class

        Assert.Equal(1, t1.Result);
        Assert.True(t2.IsCompletedSuccessfully && t4.IsCompletedSuccessfully);
        Assert.Equal(1, t3.Result);
        Assert.Equal(1, v1.Result);
        Assert.Equal(2, q1.Value);                     // :246 completed Task -> already resolved, no hop
        Assert.True(q2.IsFulfilled && q4.IsFulfilled);
        Assert.Equal(3, q3.Value);
        Assert.Equal(4, ft1.Value);
        Assert.True(ft2.IsFulfilled);
    }

    sealed class ContractService : PromiseBackgroundService                               // :283
    {
        public ContractService() : base() { }
        protected override Promise ExecuteAsync(CancellationToken stoppingToken) => Promise.ReturnUnit;
    }

    [Fact]
    public void HostingMembers()
    {
        IServiceCollection services = new ServiceCollection();
        Func<IServiceCollection, IServiceCollection> add = LwtServiceCollectionExtensions.AddLwtEventLoop; // :279
        var s1 = services.AddLwtEventLoop();
        var s2 = services.AddPromiseHostedService<ContractService>();                                   // :287
        Assert.Same(services, s1);
        Assert.True(typeof(PromiseBackgroundService).IsAbstract);
        var ctor = typeof(PromiseBackgroundService).GetConstructor(BindingFlags.Instance | BindingFlags.NonPublic, Type.EmptyTypes);
        Assert.True(ctor is { IsFamily: true }, "PromiseBackgroundService() is not protected");
        var exec = typeof(PromiseBackgroundService).GetMethod("ExecuteAsync", BindingFlags.Instance | BindingFlags.NonPublic);
        Assert.True(exec is { IsFamily: true, IsAbstract: true } && exec.ReturnType == typeof(Promise), "ExecuteAsync is not protected abstract Promise");
        Assert.Equal("stoppingToken", exec!.GetParameters().Single().Name);
        var abstracts = typeof(PromiseBackgroundService).GetMethods(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic)
            .Where(m => m.IsAbstract).Select(m => m.Name).ToArray();
        Assert.Equal(new[] { "ExecuteAsync" }, abstracts);
        // :280 resolvable as EventLoop from DI, also before the host starts
        using (var sp = services.BuildServiceProvider())
        {
            var loop = sp.GetService<EventLoop>();
            Assert.NotNull(loop);
        }
    }

    // ---------------------------------------------------------------- natural calls (no type arguments)
    // How an outside suite would write the calls: overload resolution and type inference must
    // pick the member API.md lists, with its return type.
    static async Promise<int> AwaitConfigured(Promise<int> p) { var a = await p.ConfigureAwait(false); await ((Promise)p).ConfigureAwait(false); await Promise.Pause(); return a; }
    static async Promise UnitAsync() { await Task.CompletedTask; await Promise.ReturnUnit; }

    [Fact]
    public async Task NaturalCalls()
    {
        Promise<int> p = Promise.Return(2);
        Promise<string> ps = Promise.Return("s");
        Promise u = Promise.ReturnUnit;
        Promise<Unit> pu = Promise.Return();
        var b1 = p.Bind(x => Promise.Return(x + 1)); Exact<Promise<int>>(ref b1);
        var b2 = p.Bind(x => u); Exact<Promise>(ref b2);
        var b3 = p.Bind(x => LwtUnix.Sleep(0)); Exact<Promise>(ref b3);
        var m1 = p.Map(x => x.ToString()); Exact<Promise<string>>(ref m1);
        var b4 = u.Bind(() => Promise.Return(1)); Exact<Promise<int>>(ref b4);
        var b5 = u.Bind(() => u); Exact<Promise>(ref b5);
        var m2 = u.Map(() => 3); Exact<Promise<int>>(ref m2);
        var b6 = pu.Bind(() => Promise.Return(1)); Exact<Promise<int>>(ref b6);
        var b7 = pu.Bind(_ => Promise.Return(1)); Exact<Promise<int>>(ref b7);
        var m3 = pu.Map(() => 3); Exact<Promise<int>>(ref m3);
        var k1 = Promise.Catch(() => p, e => Promise.Return(0)); Exact<Promise<int>>(ref k1);
        var k2 = Promise.Catch(() => u, e => Promise.Fail(e)); Exact<Promise>(ref k2);
        var f1 = Promise.Finally(() => p, () => u); Exact<Promise<int>>(ref f1);
        var f2 = Promise.Finally(() => u, () => u); Exact<Promise>(ref f2);
        var t1 = Promise.TryBind(() => p, x => Promise.Return(x.ToString()), e => Promise.Return("e")); Exact<Promise<string>>(ref t1);
        var w1 = Promise.Wrap(() => 1); Exact<Promise<int>>(ref w1);
        var w2 = Promise.Wrap(() => { }); Exact<Promise>(ref w2);
        var j1 = Promise.Join(p, ps, u); Exact<Promise>(ref j1);
        var j2 = Promise.Join(new List<Promise> { p, u }); Exact<Promise>(ref j2);
        var a1 = Promise.All(new List<Promise<int>> { p, p }); Exact<Promise<IReadOnlyList<int>>>(ref a1);
        var a2 = Promise.All(p, p); Exact<Promise<IReadOnlyList<int>>>(ref a2);
        var pk1 = Promise.Pick(new List<Promise<int>> { p }); Exact<Promise<int>>(ref pk1);
        var pk2 = Promise.Pick(p, p); Exact<Promise<int>>(ref pk2);
        var pk3 = Promise.Pick(new List<Promise> { u }); Exact<Promise>(ref pk3);
        var c1 = Promise.Choose(new List<Promise<int>> { p }); Exact<Promise<int>>(ref c1);
        var c2 = Promise.Choose(p, p); Exact<Promise<int>>(ref c2);
        var c3 = Promise.Choose(new List<Promise> { u }); Exact<Promise>(ref c3);
        var n1 = Promise.NPick(p, p); Exact<Promise<IReadOnlyList<int>>>(ref n1);
        var n2 = Promise.NChoose(new List<Promise<int>> { p }); Exact<Promise<IReadOnlyList<int>>>(ref n2);
        var n3 = Promise.NChooseSplit(new List<Promise<int>> { p }); Exact<Promise<(IReadOnlyList<int>, IReadOnlyList<Promise<int>>)>>(ref n3);
        var bo = Promise.Both(p, ps); Exact<Promise<(int, string)>>(ref bo);
        var or = p | Promise.Return(1); Exact<Promise<int>>(ref or);
        var and = u & p & ps; Exact<Promise>(ref and);
        var q = from x in p from y in ps select $"{x}{y}"; Exact<Promise<string>>(ref q);
        Promise.Async(() => u);
        Promise.Async(async () => { await Promise.Pause(); });
        Promise.DontWait(() => u, e => { });
        Promise.DontWait(async () => { await Promise.ReturnUnit; }, e => { });
        var r1 = 0;
        Threads.Run(() =>
        {
            r1 = LwtMain.Run(async () => { await Promise.Pause(); return 1; });          // Run<T>(Func<Promise<T>>) with an async lambda
            LwtMain.Run(async () => { await LwtUnix.Sleep(0); });                       // Run(Func<Promise>) with an async lambda
            LwtMain.Run(() => Promise.Return(1).Bind(x => u));
            LwtMain.Run(UnitAsync());
            r1 += LwtMain.Run(AwaitConfigured(Promise.Return(1)));
            r1 += LwtMain.Run(() => LwtUnix.WithTimeout(1, () => Promise.Return(1)));
        });
        Assert.Equal(3, r1);
        // awaitable from Task-based code; IAsyncEnumerable with await foreach
        Assert.Equal(2, await p);
        await u;
        await u.AsTask();
        var sum = 0;
        await foreach (var x in LwtStream.OfList(new[] { 1, 2, 3 }).AsAsyncEnumerable()) sum += x;
        Assert.Equal(6, sum);
        Assert.Equal(3, b1.Value);
        Assert.Equal(0, k1.Value is 2 ? 0 : 1);
        Assert.Equal("s", or.Value is 2 ? "s" : "x");
        Assert.Equal("2s", q.Value);
    }

    // ---------------------------------------------------------------- exact signatures by reflection
    // Every signature API.md writes out, transcribed into one normal form, compared with the
    // public members the type itself declares (DeclaredOnly: a "new" member must be on the
    // derived type). The form has static-ness, return type (with tuple element names and
    // top-level nullability), name, generic parameters, parameter types and names, params,
    // this, defaults; generic constraints are listed apart (API.md shows none).
    static readonly NullabilityInfoContext Nullability = new();

    static string TypeName(Type t, Queue<string?>? tupleNames = null)
    {
        if (t.IsByRef) return "ref " + TypeName(t.GetElementType()!, tupleNames);
        if (t.IsArray) return TypeName(t.GetElementType()!, tupleNames) + "[]";
        if (t.IsGenericParameter) return t.Name;
        if (Nullable.GetUnderlyingType(t) is { } under) return TypeName(under, tupleNames) + "?";
        var alias = t == typeof(int) ? "int" : t == typeof(bool) ? "bool" : t == typeof(string) ? "string" : t == typeof(void) ? "void"
            : t == typeof(object) ? "object" : t == typeof(double) ? "double" : t == typeof(long) ? "long" : null;
        if (alias != null) return alias;
        if (t.IsGenericType && t.FullName?.StartsWith("System.ValueTuple`") != false && t.Namespace == "System" && t.Name.StartsWith("ValueTuple`"))
        {
            var args = t.GetGenericArguments();
            var names = args.Select(_ => tupleNames is { Count: > 0 } ? tupleNames.Dequeue() : null).ToArray();
            return "(" + string.Join(", ", args.Select((a, i) => TypeName(a, tupleNames) + (names[i] is { } n ? " " + n : ""))) + ")";
        }
        if (t.IsGenericType)
        {
            var name = t.Name[..t.Name.IndexOf('`')];
            return name + "<" + string.Join(", ", t.GetGenericArguments().Select(a => TypeName(a, tupleNames))) + ">";
        }
        return t.Name;
    }

    static Queue<string?>? TupleNames(ICustomAttributeProvider p) =>
        p.GetCustomAttributes(typeof(TupleElementNamesAttribute), false).OfType<TupleElementNamesAttribute>().FirstOrDefault() is { } a
            ? new Queue<string?>(a.TransformNames) : null;

    static string ParamSig(ParameterInfo p, bool isExtension)
    {
        var s = "";
        if (isExtension && p.Position == 0) s += "this ";
        if (p.IsDefined(typeof(ParamArrayAttribute))) s += "params ";
        var tn = TypeName(p.ParameterType, TupleNames(p));
        if (!p.ParameterType.IsValueType && !p.ParameterType.IsGenericParameter && Nullability.Create(p).ReadState == NullabilityState.Nullable) tn += "?";
        s += tn + " " + p.Name;
        if (p.IsOptional) s += " = " + (p.DefaultValue is null ? "default" : p.DefaultValue is bool b ? (b ? "true" : "false") : p.DefaultValue.ToString());
        return s;
    }

    static string RetSig(ParameterInfo ret)
    {
        var tn = TypeName(ret.ParameterType, TupleNames(ret));
        if (ret.ParameterType != typeof(void) && !ret.ParameterType.IsValueType && !ret.ParameterType.IsGenericParameter
            && Nullability.Create(ret).ReadState == NullabilityState.Nullable) tn += "?";
        return tn;
    }

    static readonly Dictionary<string, string> Operators = new() { ["op_BitwiseOr"] = "operator |", ["op_BitwiseAnd"] = "operator &" };

    static IEnumerable<(string Sig, string Constraints)> Signatures(Type type)
    {
        const BindingFlags flags = BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        foreach (var c in type.GetConstructors(flags))
            yield return ($"{type.Name.Split('`')[0]}({string.Join(", ", c.GetParameters().Select(p => ParamSig(p, false)))})", "");
        foreach (var m in type.GetMethods(flags).Where(m => !m.IsSpecialName || Operators.ContainsKey(m.Name)))
        {
            var ext = m.IsDefined(typeof(ExtensionAttribute));
            var gen = m.IsGenericMethodDefinition ? "<" + string.Join(", ", m.GetGenericArguments().Select(a => a.Name)) + ">" : "";
            var name = Operators.TryGetValue(m.Name, out var op) ? op + " " : m.Name;
            var constraints = string.Join("; ", m.IsGenericMethodDefinition ? m.GetGenericArguments()
                .Where(a => a.GetGenericParameterConstraints().Length > 0 || a.GenericParameterAttributes != GenericParameterAttributes.None)
                .Select(a => $"where {a.Name} : {a.GenericParameterAttributes} {string.Join(",", a.GetGenericParameterConstraints().Select(x => TypeName(x)))}") : []);
            yield return ($"{(m.IsStatic ? "static " : "")}{RetSig(m.ReturnParameter)} {name}{gen}({string.Join(", ", m.GetParameters().Select(p => ParamSig(p, ext)))})".Replace("operator | (", "operator |(").Replace("operator & (", "operator &("), constraints);
        }
        foreach (var p in type.GetProperties(flags))
        {
            var get = p.GetMethod is { IsPublic: true } g ? g : null;
            var set = p.SetMethod is { IsPublic: true } s ? s : null;
            var acc = (get ?? set)!;
            var tn = TypeName(p.PropertyType, TupleNames(p));
            if (!p.PropertyType.IsValueType && !p.PropertyType.IsGenericParameter && Nullability.Create(p).ReadState == NullabilityState.Nullable) tn += "?";
            yield return ($"{(acc.IsStatic ? "static " : "")}{tn} {p.Name} {{ {(get != null ? "get; " : "")}{(set != null ? "set; " : "")}}}", "");
        }
        foreach (var f in type.GetFields(flags))
            yield return ($"{(f.IsStatic ? "static " : "")}{(f.IsInitOnly ? "readonly " : "")}{TypeName(f.FieldType)} {f.Name}", "");
    }

    // API.md's signatures, line by line, in the normal form above.
    static readonly (Type Type, int Line, string Sig)[] Expected =
    {
        (typeof(Option<>), 33, "static Option<T> None { get; }"),
        (typeof(Option<>), 34, "static Option<T> Some(T value)"),
        (typeof(Option<>), 35, "bool HasValue { get; }"),
        (typeof(Option<>), 36, "T Value { get; }"),
        (typeof(Unit), 31, "static readonly Unit Value"),
        (typeof(CanceledException), 40, "CanceledException()"),
        (typeof(CanceledException), 41, "CanceledException(string message)"),
        (typeof(Promise), 46, "PromiseState State { get; }"),
        (typeof(Promise), 47, "bool IsPending { get; }"),
        (typeof(Promise), 48, "bool IsFulfilled { get; }"),
        (typeof(Promise), 49, "bool IsRejected { get; }"),
        (typeof(Promise), 50, "bool IsCanceled { get; }"),
        (typeof(Promise), 51, "Exception? Exception { get; }"),
        (typeof(Promise), 53, "PromiseAwaiter GetAwaiter()"),
        (typeof(Promise), 54, "ConfiguredPromiseAwaitable ConfigureAwait(bool continueOnCapturedContext)"),
        (typeof(Promise), 55, "void Cancel()"),
        (typeof(Promise), 56, "void OnCancel(Action f)"),
        (typeof(Promise), 57, "void OnFailure(Action<Exception> f)"),
        (typeof(Promise), 58, "void OnTermination(Action f)"),
        (typeof(Promise), 59, "Promise Protected()"),
        (typeof(Promise), 60, "Promise NoCancel()"),
        (typeof(Promise), 61, "Promise WrapInCancelable()"),
        (typeof(Promise), 62, "Promise Bind(Func<Promise> f)"),
        (typeof(Promise), 63, "Promise<U> Bind<U>(Func<Promise<U>> f)"),
        (typeof(Promise), 64, "Promise<U> Map<U>(Func<U> f)"),
        (typeof(Promise), 67, "static (Promise<T> Promise, Resolver<T> Resolver) Create<T>()"),
        (typeof(Promise), 68, "static (Promise<T> Promise, Resolver<T> Resolver) CreateCancelable<T>()"),
        (typeof(Promise), 69, "static (Promise<Unit> Promise, Resolver<Unit> Resolver) Create()"),
        (typeof(Promise), 70, "static (Promise<Unit> Promise, Resolver<Unit> Resolver) CreateCancelable()"),
        (typeof(Promise), 72, "static Promise<T> Return<T>(T value)"),
        (typeof(Promise), 73, "static Promise<Unit> Return()"),
        (typeof(Promise), 74, "static Promise<Unit> ReturnUnit { get; }"),
        (typeof(Promise), 75, "static Promise<bool> ReturnTrue { get; }"),
        (typeof(Promise), 76, "static Promise<bool> ReturnFalse { get; }"),
        (typeof(Promise), 77, "static Promise<T> Fail<T>(Exception exception)"),
        (typeof(Promise), 78, "static Promise Fail(Exception exception)"),
        (typeof(Promise), 81, "static Promise<T> Catch<T>(Func<Promise<T>> f, Func<Exception, Promise<T>> handler)"),
        (typeof(Promise), 82, "static Promise Catch(Func<Promise> f, Func<Exception, Promise> handler)"),
        (typeof(Promise), 83, "static Promise<T> Finally<T>(Func<Promise<T>> f, Func<Promise> cleanup)"),
        (typeof(Promise), 84, "static Promise Finally(Func<Promise> f, Func<Promise> cleanup)"),
        (typeof(Promise), 85, "static Promise<U> TryBind<T, U>(Func<Promise<T>> f, Func<T, Promise<U>> onFulfilled, Func<Exception, Promise<U>> onRejected)"),
        (typeof(Promise), 87, "static Promise<T> Wrap<T>(Func<T> f)"),
        (typeof(Promise), 88, "static Promise Wrap(Action f)"),
        (typeof(Promise), 91, "static Promise Join(params Promise[] promises)"),
        (typeof(Promise), 92, "static Promise Join(IEnumerable<Promise> promises)"),
        (typeof(Promise), 93, "static Promise<(T1, T2)> Both<T1, T2>(Promise<T1> p1, Promise<T2> p2)"),
        (typeof(Promise), 94, "static Promise<IReadOnlyList<T>> All<T>(IEnumerable<Promise<T>> promises)"),
        (typeof(Promise), 94, "static Promise<IReadOnlyList<T>> All<T>(params Promise<T>[] promises)"),
        (typeof(Promise), 95, "static Promise<T> Pick<T>(IEnumerable<Promise<T>> promises)"),
        (typeof(Promise), 95, "static Promise<T> Pick<T>(params Promise<T>[] promises)"),
        (typeof(Promise), 96, "static Promise<T> Choose<T>(IEnumerable<Promise<T>> promises)"),
        (typeof(Promise), 96, "static Promise<T> Choose<T>(params Promise<T>[] promises)"),
        (typeof(Promise), 97, "static Promise<IReadOnlyList<T>> NPick<T>(IEnumerable<Promise<T>> promises)"),
        (typeof(Promise), 97, "static Promise<IReadOnlyList<T>> NPick<T>(params Promise<T>[] promises)"),
        (typeof(Promise), 98, "static Promise<IReadOnlyList<T>> NChoose<T>(IEnumerable<Promise<T>> promises)"),
        (typeof(Promise), 98, "static Promise<IReadOnlyList<T>> NChoose<T>(params Promise<T>[] promises)"),
        (typeof(Promise), 99, "static Promise<(IReadOnlyList<T> Fulfilled, IReadOnlyList<Promise<T>> Pending)> NChooseSplit<T>(IEnumerable<Promise<T>> promises)"),
        (typeof(Promise), 101, "static Promise Pick(IEnumerable<Promise> promises)"),
        (typeof(Promise), 101, "static Promise Choose(IEnumerable<Promise> promises)"),
        (typeof(Promise), 104, "static void Async(Func<Promise> f)"),
        (typeof(Promise), 105, "static void DontWait(Func<Promise> f, Action<Exception> handler)"),
        (typeof(Promise), 106, "static Action<Exception> AsyncExceptionHook { get; set; }"),
        (typeof(Promise), 109, "static Promise Pause()"),
        (typeof(Promise), 110, "static int PausedCount { get; }"),
        (typeof(Promise), 111, "static void WakeupPaused()"),
        (typeof(Promise), 112, "static void AbandonPaused()"),
        (typeof(Promise), 113, "static void RegisterPauseNotifier(Action<int> notifier)"),
        (typeof(Promise), 134, "static Promise operator &(Promise a, Promise b)"),
        (typeof(Promise<>), 118, "T Value { get; }"),
        (typeof(Promise<>), 119, "PromiseAwaiter<T> GetAwaiter()"),
        (typeof(Promise<>), 120, "ConfiguredPromiseAwaitable<T> ConfigureAwait(bool continueOnCapturedContext)"),
        (typeof(Promise<>), 121, "Promise<U> Bind<U>(Func<T, Promise<U>> f)"),
        (typeof(Promise<>), 122, "Promise Bind(Func<T, Promise> f)"),
        (typeof(Promise<>), 123, "Promise<U> Map<U>(Func<T, U> f)"),
        (typeof(Promise<>), 124, "void OnSuccess(Action<T> f)"),
        (typeof(Promise<>), 125, "void OnAny(Action<T> onFulfilled, Action<Exception> onRejected)"),
        (typeof(Promise<>), 126, "Promise<T> Protected()"),
        (typeof(Promise<>), 127, "Promise<T> NoCancel()"),
        (typeof(Promise<>), 128, "Promise<T> WrapInCancelable()"),
        (typeof(Promise<>), 130, "Promise<U> Select<U>(Func<T, U> f)"),
        (typeof(Promise<>), 131, "Promise<V> SelectMany<U, V>(Func<T, Promise<U>> f, Func<T, U, V> project)"),
        (typeof(Promise<>), 132, "static Promise<T> operator |(Promise<T> a, Promise<T> b)"),
        (typeof(Resolver), 137, "Promise Promise { get; }"),
        (typeof(Resolver), 138, "void Resolve()"),
        (typeof(Resolver), 139, "void Reject(Exception exception)"),
        (typeof(Resolver), 140, "void ResolveNow()"),
        (typeof(Resolver), 141, "void RejectNow(Exception exception)"),
        (typeof(Resolver), 142, "bool TryReject(Exception exception)"),
        (typeof(Resolver<>), 145, "Promise<T> Promise { get; }"),
        (typeof(Resolver<>), 146, "void Resolve(T value)"),
        (typeof(Resolver<>), 147, "void ResolveNow(T value)"),
        (typeof(Resolver<>), 148, "bool TryResolve(T value)"),
        (typeof(LwtMain), 189, "static T Run<T>(Promise<T> promise)"),
        (typeof(LwtMain), 190, "static void Run(Promise promise)"),
        (typeof(LwtMain), 191, "static T Run<T>(Func<Promise<T>> start)"),
        (typeof(LwtMain), 192, "static void Run(Func<Promise> start)"),
        (typeof(LwtMain), 193, "static void AtExit(Func<Promise> f)"),
        (typeof(EventLoop), 197, "static EventLoop? Current { get; }"),
        (typeof(EventLoop), 198, "SynchronizationContext SynchronizationContext { get; }"),
        (typeof(EventLoop), 199, "TaskScheduler TaskScheduler { get; }"),
        (typeof(EventLoop), 200, "bool IsOnLoopThread { get; }"),
        (typeof(EventLoop), 201, "void Post(Action action)"),
        (typeof(LwtUnix), 204, "static Promise Sleep(double seconds)"),
        (typeof(LwtUnix), 205, "static Promise Sleep(TimeSpan delay)"),
        (typeof(LwtUnix), 206, "static Promise Timeout(double seconds)"),
        (typeof(LwtUnix), 207, "static Promise<T> WithTimeout<T>(double seconds, Func<Promise<T>> f)"),
        (typeof(PromiseInterop), 219, "static Task<T> AsTask<T>(this Promise<T> promise)"),
        (typeof(PromiseInterop), 220, "static Task AsTask(this Promise promise)"),
        (typeof(PromiseInterop), 221, "static Task<T> AsTask<T>(this Promise<T> promise, CancellationToken cancellationToken)"),
        (typeof(PromiseInterop), 222, "static Task AsTask(this Promise promise, CancellationToken cancellationToken)"),
        (typeof(PromiseInterop), 223, "static ValueTask<T> AsValueTask<T>(this Promise<T> promise)"),
        (typeof(PromiseInterop), 224, "static ValueTask AsValueTask(this Promise promise)"),
        (typeof(PromiseInterop), 225, "static Promise<T> ToPromise<T>(this Task<T> task)"),
        (typeof(PromiseInterop), 226, "static Promise ToPromise(this Task task)"),
        (typeof(PromiseInterop), 227, "static Promise<T> ToPromise<T>(this ValueTask<T> task)"),
        (typeof(PromiseInterop), 228, "static Promise ToPromise(this ValueTask task)"),
        (typeof(PromiseInterop), 229, "static Promise<T> FromTask<T>(Func<CancellationToken, Task<T>> start)"),
        (typeof(PromiseInterop), 230, "static Promise FromTask(Func<CancellationToken, Task> start)"),
        (typeof(PromiseInterop), 231, "static IAsyncEnumerable<T> AsAsyncEnumerable<T>(this LwtStream<T> stream)"),
        (typeof(PromiseInterop), 232, "static LwtStream<T> ToLwtStream<T>(this IAsyncEnumerable<T> source)"),
        (typeof(LwtServiceCollectionExtensions), 279, "static IServiceCollection AddLwtEventLoop(this IServiceCollection services)"),
        (typeof(LwtServiceCollectionExtensions), 287, "static IServiceCollection AddPromiseHostedService<TService>(this IServiceCollection services)"),
    };

    [Fact]
    public void ExactSignatures()
    {
        var report = new List<string>();
        foreach (var group in Expected.GroupBy(e => e.Type))
        {
            var actual = Signatures(group.Key).ToList();
            foreach (var (type, line, sig) in group)
            {
                if (actual.Any(a => a.Sig == sig)) continue;
                var name = sig.Contains("operator") ? sig[sig.IndexOf("operator")..].Split('(')[0] : sig.Split('(')[0].Split(' ').Last().Split('<')[0];
                var near = actual.Where(a => a.Sig.Contains(" " + name + "(") || a.Sig.Contains(" " + name + "<") || a.Sig.Contains(name + " {") || a.Sig.StartsWith(name + "(")).Select(a => a.Sig);
                report.Add($"API.md:{line} {TypeName(type)}: expected `{sig}`; declared: {string.Join(" | ", near.Select(n => "`" + n + "`").DefaultIfEmpty("(none)"))}");
            }
            foreach (var (sig, cons) in actual.Where(a => a.Constraints != ""))
                if (group.Any(e => e.Sig.Split('(')[0] == sig.Split('(')[0])
                    // API.md:287 gives AddPromiseHostedService<TService>() in prose only; a constraint
                    // to PromiseBackgroundService is the natural reading (see FINDINGS.md, ambiguous).
                    && cons != "where TService : None PromiseBackgroundService")
                    report.Add($"constraint not in API.md: {TypeName(group.Key)} `{sig}` {cons}");
        }
        Assert.True(report.Count == 0, string.Join("\n", report));
    }

    // ---------------------------------------------------------------- public-ness by reflection
    // The test assembly sees the library's internals (InternalsVisibleTo), so a member that is
    // internal would still compile above: check that every type named by API.md is public.
    [Fact]
    public void NamedTypesArePublic()
    {
        foreach (var t in new[] {
            typeof(PromiseState), typeof(Unit), typeof(Option<>), typeof(CanceledException), typeof(Promise), typeof(Promise<>),
            typeof(PromiseAwaiter), typeof(PromiseAwaiter<>), typeof(ConfiguredPromiseAwaitable), typeof(ConfiguredPromiseAwaitable<>),
            typeof(PromiseMethodBuilder), typeof(PromiseMethodBuilder<>), typeof(Resolver), typeof(Resolver<>),
            typeof(LwtMain), typeof(EventLoop), typeof(LwtUnix), typeof(LwtSynchronizationContext), typeof(LwtTaskScheduler),
            typeof(PromiseInterop), typeof(LwtServiceCollectionExtensions), typeof(PromiseBackgroundService), typeof(LwtStream<>) })
            Assert.True(t.IsPublic, $"{t} is not public");
        Assert.Equal("Lwt.Scheduling", typeof(Promise).Assembly.GetName().Name);
        Assert.Equal("Lwt.Interop", typeof(PromiseInterop).Assembly.GetName().Name);
        Assert.Equal("Lwt", typeof(Promise).Namespace);
        Assert.Equal("Lwt.Interop", typeof(PromiseInterop).Namespace);
        Assert.Equal("Lwt.Interop", typeof(LwtServiceCollectionExtensions).Namespace);
    }
}

/// <summary>
/// The behaviour API.md states explicitly about the members it lists. Each fact collects every
/// failed check (labelled with its API.md line) and reports them together.
/// </summary>
[Collection(SerialCollection.Name)]
public class ApiContractBehaviourTests
{
    readonly List<string> _failures = new();

    void Check(string label, Action body)
    {
        try { body(); }
        catch (Exception e) { _failures.Add($"{label}: {e.GetType().Name}: {e.Message.Split('\n')[0]}"); }
    }

    void Done()
    {
        Assert.True(_failures.Count == 0, string.Join("\n", _failures));
    }

    static void Rejects(Promise p, Exception e)
    {
        Assert.True(p.IsRejected, $"not rejected (state {p.State})");
        Assert.Same(e, p.Exception);
    }

    [Fact]
    public void ThrowingCallbacksRejectTheReturnedPromise()   // API.md:152-158
    {
        var e = new Boom();
        foreach (var later in new[] { false, true })
        {
            string w = later ? "later" : "resolved";
            (Promise<int> P, Action Go) Ok() { if (!later) return (Promise.Return(1), () => { }); var (p, r) = Promise.Create<int>(); return (p, () => r.Resolve(1)); }
            (Promise<int> P, Action Go) Bad() { if (!later) return (Promise.Fail<int>(new Boom("in")), () => { }); var (p, r) = Promise.Create<int>(); return (p, () => r.Reject(new Boom("in"))); }
            void Case(string label, Func<(Promise<int>, Action)> input, Func<Promise<int>, Promise> call) => Check($"API.md:152 {label} ({w} input)", () =>
            {
                var (p, go) = input();
                Promise q = null!;
                var thrown = Record.Exception(() => q = call(p));
                Assert.Null(thrown);
                go();
                Rejects(q, e);
            });
            Case("Promise<T>.Bind<U>", Ok, p => p.Bind<int>(_ => throw e));
            Case("Promise<T>.Bind(Func<T,Promise>)", Ok, p => p.Bind((Func<int, Promise>)(_ => throw e)));
            Case("Promise<T>.Map", Ok, p => p.Map<int>(_ => throw e));
            Case("Promise.Bind (unit)", Ok, p => ((Promise)p).Bind((Func<Promise>)(() => throw e)));
            Case("Promise.Bind<U> (unit)", Ok, p => ((Promise)p).Bind<int>(() => throw e));
            Case("Promise.Map<U> (unit)", Ok, p => ((Promise)p).Map<int>(() => throw e));
            Case("Select", Ok, p => p.Select<int>(_ => throw e));
            Case("SelectMany f", Ok, p => p.SelectMany<int, int>(_ => throw e, (a, b) => a));
            Case("SelectMany project", Ok, p => p.SelectMany<int, int>(x => Promise.Return(x), (a, b) => throw e));
            Case("Catch handler", Bad, p => Promise.Catch<int>(() => p, _ => throw e));
            Case("Catch (unit) handler", Bad, p => Promise.Catch(() => (Promise)p, (Func<Exception, Promise>)(_ => throw e)));
            Case("Finally cleanup", Ok, p => Promise.Finally<int>(() => p, () => throw e));
            Case("Finally (unit) cleanup", Ok, p => Promise.Finally(() => (Promise)p, () => throw e));
            Case("TryBind onFulfilled", Ok, p => Promise.TryBind<int, int>(() => p, _ => throw e, _ => Promise.Return(0)));
            Case("TryBind onRejected", Bad, p => Promise.TryBind<int, int>(() => p, _ => Promise.Return(0), _ => throw e));
        }
        Check("API.md:152 Catch f throws", () => { Promise<int> q = null!; Assert.Null(Record.Exception(() => q = Promise.Catch<int>(() => throw e, x => Promise.Fail<int>(x)))); Rejects(q, e); });
        Check("API.md:152 Catch (unit) f throws", () => { Promise q = null!; Assert.Null(Record.Exception(() => q = Promise.Catch((Func<Promise>)(() => throw e), x => Promise.Fail(x)))); Rejects(q, e); });
        Check("API.md:152 Finally f throws", () => { Promise<int> q = null!; Assert.Null(Record.Exception(() => q = Promise.Finally<int>(() => throw e, () => Promise.ReturnUnit))); Rejects(q, e); });
        Check("API.md:152 Finally (unit) f throws", () => { Promise q = null!; Assert.Null(Record.Exception(() => q = Promise.Finally((Func<Promise>)(() => throw e), () => Promise.ReturnUnit))); Rejects(q, e); });
        Check("API.md:152 TryBind f throws", () => { Promise<int> q = null!; Assert.Null(Record.Exception(() => q = Promise.TryBind<int, int>(() => throw e, x => Promise.Return(x), x => Promise.Fail<int>(x)))); Rejects(q, e); });
        Done();
    }

    [Fact]
    public void EmptySequencesThrowArgumentException()   // API.md:165-167
    {
        void Case(string label, Action a) => Check($"API.md:165 {label}", () => Assert.ThrowsAny<ArgumentException>(a));
        Case("Pick<T>(IEnumerable)", () => Promise.Pick(Enumerable.Empty<Promise<int>>()));
        Case("Pick<T>(params)", () => Promise.Pick(Array.Empty<Promise<int>>()));
        Case("Pick(IEnumerable<Promise>)", () => Promise.Pick(Enumerable.Empty<Promise>()));
        Case("Pick() no args", () => Promise.Pick<int>());
        Case("Choose<T>(IEnumerable)", () => Promise.Choose(Enumerable.Empty<Promise<int>>()));
        Case("Choose<T>(params)", () => Promise.Choose(Array.Empty<Promise<int>>()));
        Case("Choose(IEnumerable<Promise>)", () => Promise.Choose(Enumerable.Empty<Promise>()));
        Case("NPick<T>(IEnumerable)", () => Promise.NPick(Enumerable.Empty<Promise<int>>()));
        Case("NPick<T>(params)", () => Promise.NPick(Array.Empty<Promise<int>>()));
        Case("NChoose<T>(IEnumerable)", () => Promise.NChoose(Enumerable.Empty<Promise<int>>()));
        Case("NChoose<T>(params)", () => Promise.NChoose(Array.Empty<Promise<int>>()));
        Case("NChooseSplit<T>(IEnumerable)", () => Promise.NChooseSplit(Enumerable.Empty<Promise<int>>()));
        Check("API.md:165 exact type is ArgumentException (not a subclass)", () =>
            Assert.IsType<ArgumentException>(Record.Exception(() => Promise.Pick(Enumerable.Empty<Promise<int>>()))));
        Done();
    }

    [Fact]
    public void ResolvingNonPendingThrowsExceptCanceled()   // API.md:168-169
    {
        // The base Resolver's Resolve()/ResolveNow() are unit Lwt.u's (API.md:136-140): checked on a
        // Resolver<Unit>. (On a Resolver<int> they always throw InvalidOperationException, canceled
        // or not: see FINDINGS.md, ambiguous.)
        Action<Resolver<Unit>>[] resolves =
        {
            r => r.Resolve(Unit.Value), r => r.ResolveNow(Unit.Value), r => ((Resolver)r).Resolve(), r => ((Resolver)r).ResolveNow(),
            r => r.Reject(new Boom()), r => r.RejectNow(new Boom()),
        };
        string[] names = { "Resolve(T)", "ResolveNow(T)", "Resolve()", "ResolveNow()", "Reject", "RejectNow" };
        for (int i = 0; i < resolves.Length; i++)
        {
            var act = resolves[i];
            Check($"API.md:168 {names[i]} on fulfilled throws InvalidOperationException", () =>
            {
                var (p, r) = Promise.Create(); r.Resolve(Unit.Value);
                Assert.IsType<InvalidOperationException>(Record.Exception(() => act(r)));
                Assert.True(p.IsFulfilled);
            });
            Check($"API.md:168 {names[i]} on rejected throws InvalidOperationException", () =>
            {
                var (p, r) = Promise.Create(); r.Reject(new Boom());
                Assert.IsType<InvalidOperationException>(Record.Exception(() => act(r)));
            });
            Check($"API.md:169 {names[i]} on canceled does nothing", () =>
            {
                var (p, r) = Promise.CreateCancelable(); p.Cancel();
                Assert.Null(Record.Exception(() => act(r)));
                Assert.IsType<CanceledException>(p.Exception);
            });
        }
        Check("API.md:169 Resolve(T)/Reject on a canceled Resolver<int> does nothing", () =>
        {
            var (p, r) = Promise.CreateCancelable<int>(); p.Cancel();
            Assert.Null(Record.Exception(() => { r.Resolve(1); r.ResolveNow(1); r.Reject(new Boom()); r.RejectNow(new Boom()); }));
        });
        Check("API.md:148 TryResolve on canceled: false, no throw", () =>
        {
            var (p, r) = Promise.CreateCancelable<int>(); p.Cancel();
            Assert.False(r.TryResolve(1));
        });
        Check("API.md:142 TryReject on canceled: false, no throw", () =>
        {
            var (p, r) = Promise.CreateCancelable<int>(); p.Cancel();
            Assert.False(r.TryReject(new Boom()));
        });
        Done();
    }

    [Fact]
    public void NullArgumentsThrowArgumentNullException()   // API.md:170
    {
        void Case(string label, Action a) => Check($"API.md:170 {label}", () =>
        {
            var x = Record.Exception(a);
            Assert.True(x is ArgumentNullException, $"got {x?.GetType().Name ?? "no exception"}");
        });
        Promise u = Promise.ReturnUnit;
        Promise<int> p = Promise.Return(1);
        var pending = Promise.Create<int>().Promise;
        Case("Promise.Bind(null)", () => u.Bind((Func<Promise>)null!));
        Case("Promise.Bind<U>(null)", () => u.Bind<int>(null!));
        Case("Promise.Map<U>(null)", () => u.Map<int>(null!));
        Case("Promise<T>.Bind<U>(null)", () => p.Bind<int>(null!));
        Case("Promise<T>.Bind(null) on pending", () => pending.Bind((Func<int, Promise>)null!));
        Case("Promise<T>.Map(null)", () => p.Map<int>(null!));
        Case("Promise<T>.Select(null)", () => p.Select<int>(null!));
        Case("Promise<T>.SelectMany(null, f)", () => p.SelectMany<int, int>(null!, (a, b) => a));
        Case("Promise<T>.SelectMany(f, null)", () => p.SelectMany<int, int>(x => p, null!));
        Case("OnSuccess(null)", () => p.OnSuccess(null!));
        Case("OnAny(null, f)", () => p.OnAny(null!, _ => { }));
        Case("OnAny(f, null)", () => p.OnAny(_ => { }, null!));
        Case("OnCancel(null)", () => u.OnCancel(null!));
        Case("OnFailure(null)", () => u.OnFailure(null!));
        Case("OnTermination(null)", () => u.OnTermination(null!));
        Case("Catch<T>(null, h)", () => Promise.Catch<int>(null!, _ => p));
        Case("Catch<T>(f, null)", () => Promise.Catch<int>(() => p, null!));
        Case("Catch(null, h)", () => Promise.Catch(null!, (Func<Exception, Promise>)(_ => u)));
        Case("Finally<T>(null, c)", () => Promise.Finally<int>(null!, () => u));
        Case("Finally<T>(f, null)", () => Promise.Finally<int>(() => p, null!));
        Case("Finally(null, c)", () => Promise.Finally(null!, () => u));
        Case("TryBind(null, ..)", () => Promise.TryBind<int, int>(null!, x => p, e => p));
        Case("TryBind(f, null, ..)", () => Promise.TryBind<int, int>(() => p, null!, e => p));
        Case("TryBind(f, g, null)", () => Promise.TryBind<int, int>(() => p, x => p, null!));
        Case("Wrap<T>(null)", () => Promise.Wrap<int>(null!));
        Case("Wrap(null)", () => Promise.Wrap((Action)null!));
        Case("Join((Promise[])null)", () => Promise.Join((Promise[])null!));
        Case("Join((IEnumerable)null)", () => Promise.Join((IEnumerable<Promise>)null!));
        Case("Both(null, p)", () => Promise.Both<int, int>(null!, p));
        Case("Both(p, null)", () => Promise.Both<int, int>(p, null!));
        Case("All(null)", () => Promise.All((IEnumerable<Promise<int>>)null!));
        Case("Pick(null)", () => Promise.Pick((IEnumerable<Promise<int>>)null!));
        Case("Choose(null)", () => Promise.Choose((IEnumerable<Promise<int>>)null!));
        Case("NPick(null)", () => Promise.NPick((IEnumerable<Promise<int>>)null!));
        Case("NChoose(null)", () => Promise.NChoose((IEnumerable<Promise<int>>)null!));
        Case("NChooseSplit(null)", () => Promise.NChooseSplit((IEnumerable<Promise<int>>)null!));
        Case("Async(null)", () => Promise.Async(null!));
        Case("DontWait(null, h)", () => Promise.DontWait(null!, _ => { }));
        Case("DontWait(f, null)", () => Promise.DontWait(() => u, null!));
        Case("AsyncExceptionHook = null", () => { var h = Promise.AsyncExceptionHook; try { Promise.AsyncExceptionHook = null!; } finally { if (Promise.AsyncExceptionHook is null) Promise.AsyncExceptionHook = h; } });
        Case("RegisterPauseNotifier(null)", () => Promise.RegisterPauseNotifier(null!));
        Case("operator |(null, p)", () => { var _ = (Promise<int>)null! | p; });
        Case("operator |(p, null)", () => { var _ = p | (Promise<int>)null!; });
        Case("operator &(null, p)", () => { var _ = (Promise)null! & u; });
        Case("operator &(p, null)", () => { var _ = u & (Promise)null!; });
        Case("LwtMain.Run((Promise<int>)null)", () => LwtMain.Run((Promise<int>)null!));
        Case("LwtMain.Run((Promise)null)", () => LwtMain.Run((Promise)null!));
        Case("LwtMain.Run((Func<Promise<int>>)null)", () => LwtMain.Run((Func<Promise<int>>)null!));
        Case("LwtMain.Run((Func<Promise>)null)", () => LwtMain.Run((Func<Promise>)null!));
        Case("LwtMain.AtExit(null)", () => LwtMain.AtExit(null!));
        Case("LwtUnix.WithTimeout(s, null)", () => LwtUnix.WithTimeout<int>(1, null!));
        Case("AsTask<T>(null)", () => PromiseInterop.AsTask((Promise<int>)null!));
        Case("AsTask(null)", () => PromiseInterop.AsTask((Promise)null!));
        Case("AsTask<T>(null, ct)", () => PromiseInterop.AsTask((Promise<int>)null!, CancellationToken.None));
        Case("AsTask(null, ct)", () => PromiseInterop.AsTask((Promise)null!, CancellationToken.None));
        Case("AsValueTask<T>(null)", () => PromiseInterop.AsValueTask((Promise<int>)null!));
        Case("AsValueTask(null)", () => PromiseInterop.AsValueTask((Promise)null!));
        Case("FromTask<T>(null)", () => PromiseInterop.FromTask<int>(null!));
        Case("FromTask(null)", () => PromiseInterop.FromTask((Func<CancellationToken, Task>)null!));
        Threads.Run(() => LwtMain.Run(() =>
        {
            Case("EventLoop.Post(null)", () => EventLoop.Current!.Post(null!));
            return Promise.ReturnUnit;
        }));
        // An element of a sequence argument that is null: API.md says "a null ... promise
        // argument"; whether an element counts is ambiguous (reported apart).
        Case("(element) Join(p, null)", () => Promise.Join(u, null!));
        Case("(element) All([p, null])", () => Promise.All(new[] { p, null! }));
        Case("(element) Pick([pending, null])", () => Promise.Pick(new[] { pending, null! }));
        Case("(element) Choose([pending, null])", () => Promise.Choose(new[] { pending, null! }));
        Done();
    }

    [Fact]
    public void StatePropertiesAndCancellation()
    {
        Check("API.md:50 IsCanceled for a plain OperationCanceledException", () => Assert.True(Promise.Fail(new OperationCanceledException()).IsCanceled));
        Check("API.md:50 IsCanceled for TaskCanceledException", () => Assert.True(Promise.Fail<int>(new TaskCanceledException()).IsCanceled));
        Check("API.md:50 IsCanceled false for other rejections", () => Assert.False(Promise.Fail(new Boom()).IsCanceled));
        Check("API.md:51 Exception null when pending/fulfilled", () => { Assert.Null(Promise.Create<int>().Promise.Exception); Assert.Null(Promise.Return(1).Exception); });
        Check("API.md:118 Value on pending throws InvalidOperationException", () => Assert.IsType<InvalidOperationException>(Record.Exception(() => Promise.Create<int>().Promise.Value)));
        Check("API.md:118 Value on rejected throws InvalidOperationException", () => Assert.IsType<InvalidOperationException>(Record.Exception(() => Promise.Fail<int>(new Boom()).Value)));
        Check("API.md:67 Create: not cancelable", () => { var (p, r) = Promise.Create<int>(); p.Cancel(); Assert.True(p.IsPending); r.Resolve(1); Assert.Equal(1, p.Value); });
        Check("API.md:69 Create(): not cancelable", () => { var (p, r) = Promise.Create(); p.Cancel(); Assert.True(p.IsPending); });
        Check("API.md:68 CreateCancelable: Cancel rejects with CanceledException", () => { var (p, r) = Promise.CreateCancelable<int>(); p.Cancel(); Assert.IsType<CanceledException>(p.Exception); });
        Check("API.md:70 CreateCancelable(): Cancel rejects with CanceledException", () => { var (p, r) = Promise.CreateCancelable(); p.Cancel(); Assert.IsType<CanceledException>(p.Exception); });
        Check("API.md:74 ReturnUnit one shared instance", () => Assert.Same(Promise.ReturnUnit, Promise.ReturnUnit));
        Check("API.md:53 await rethrows the rejection itself (async Promise)", () =>
        {
            var e = new Boom();
            var (p, r) = Promise.Create<int>();
            var q = AwaitIt(p);
            r.Reject(e);
            Assert.Same(e, q.Exception);
        });
        Check("API.md:53 await rethrows the rejection itself (async Task)", () =>
        {
            var e = new Boom();
            var t = AwaitInTask(Promise.Fail<int>(e));
            var x = Record.Exception(() => t.GetAwaiter().GetResult());
            Assert.Same(e, x);
        });
        Check("API.md:178 async Promise Cancel cancels the awaited promise", () =>
        {
            var (p, r) = Promise.CreateCancelable<int>();
            var q = AwaitIt(p.Map(x => x));
            q.Cancel();
            Assert.True(p.IsCanceled);
            Assert.True(q.IsCanceled);
        });
        Check("API.md:152/171 On* callback exceptions go to AsyncExceptionHook", () =>
        {
            using var hook = new HookCapture();
            var e = new Boom();
            var (p, r) = Promise.Create<int>();
            p.OnSuccess(_ => throw e);
            p.OnTermination(() => throw e);
            p.OnAny(_ => throw e, _ => { });
            Assert.Null(Record.Exception(() => r.Resolve(1)));
            var (c, _) = Promise.CreateCancelable<int>();
            c.OnCancel(() => throw e);
            c.OnFailure(_ => throw e);
            Assert.Null(Record.Exception(c.Cancel));
            Assert.Equal(5, hook.Seen.Count);
            Assert.All(hook.Seen, x => Assert.Same(e, x));
        });
        Done();
    }

    static async Promise<int> AwaitIt(Promise<int> p) => await p;
    static async Task<int> AwaitInTask(Promise<int> p) => await p;

    [Fact]
    public void AsyncLocalFlowsIntoCallbacks()   // API.md:181-183
    {
        var local = Local;
        void Case(string label, Func<Action<string?>, (Action Attach, Action Go)> make) => Check($"API.md:181 {label}", () =>
        {
            string? seen = "unset";
            var (attach, go) = make(v => seen = v);
            local.Value = "attached";
            attach();
            local.Value = "changed";
            go();
            local.Value = null;
            Assert.Equal("attached", seen);
        });
        (Promise<int>, Action) Pending() { var (p, r) = Promise.Create<int>(); return (p, () => r.Resolve(1)); }
        (Promise<int>, Action) Failing() { var (p, r) = Promise.Create<int>(); return (p, () => r.Reject(new Boom())); }
        Case("bind", see => { var (p, go) = Pending(); return (() => p.Bind(x => { see(local.Value); return Promise.Return(x); }), go); });
        Case("map", see => { var (p, go) = Pending(); return (() => p.Map(x => { see(local.Value); return x; }), go); });
        Case("catch", see => { var (p, go) = Failing(); return (() => Promise.Catch(() => p, e => { see(local.Value); return Promise.Return(0); }), go); });
        Case("finally", see => { var (p, go) = Pending(); return (() => Promise.Finally(() => p, () => { see(local.Value); return Promise.ReturnUnit; }), go); });
        Case("try_bind", see => { var (p, go) = Pending(); return (() => Promise.TryBind(() => p, x => { see(local.Value); return Promise.Return(x); }, e => Promise.Return(0)), go); });
        Case("on_success", see => { var (p, go) = Pending(); return (() => p.OnSuccess(_ => see(local.Value)), go); });
        Case("on_failure", see => { var (p, go) = Failing(); return (() => p.OnFailure(_ => see(local.Value)), go); });
        Case("on_termination", see => { var (p, go) = Pending(); return (() => p.OnTermination(() => see(local.Value)), go); });
        Case("on_any", see => { var (p, go) = Pending(); return (() => p.OnAny(_ => see(local.Value), _ => { }), go); });
        Case("on_cancel", see => { var (p, r) = Promise.CreateCancelable<int>(); return (() => p.OnCancel(() => see(local.Value)), () => p.Cancel()); });
        Case("await (async Promise)", see => { var (p, go) = Pending(); return (() => { _ = AwaitAndSee(p, see); }, go); });
        Done();
    }

    static readonly AsyncLocal<string?> Local = new();
    static async Promise AwaitAndSee(Promise<int> p, Action<string?> see) { await p; see(Local.Value); }

    [Fact]
    public void RunAndLoop()   // API.md:175-177, 196-213
    {
        Check("API.md:176 await outside the loop does not resume on the loop thread", () =>
        {
            var published = new TaskCompletionSource<Promise<int>>(TaskCreationOptions.RunContinuationsAsynchronously);
            Thread? loopThread = null;
            var go = new ManualResetEventSlim();
            var loop = new Thread(() => LwtMain.Run(start: () =>
            {
                loopThread = Thread.CurrentThread;
                var (p, r) = Promise.Create<int>();
                published.SetResult(p);
                return Promise.Wrap(() => go.Wait(5000)).Bind(_ => LwtUnix.Sleep(0.05)).Bind(() => { r.Resolve(7); return LwtUnix.Sleep(0.05); });
            }));
            loop.Start();
            Thread? after = null;
            async Task AwaitOff() { var p = await published.Task; go.Set(); var v = await p; after = Thread.CurrentThread; Assert.Equal(7, v); }
            var t = Task.Run(AwaitOff);
            Assert.True(t.Wait(10000));
            loop.Join();
            Assert.NotNull(after);
            Assert.NotSame(loopThread, after);
        });
        Check("API.md:250 loop's SynchronizationContext is current in callbacks and posted actions", () => Threads.Run(() =>
        {
            SynchronizationContext? inCb = null, inPost = null, expected = null;
            LwtMain.Run(start: () =>
            {
                expected = EventLoop.Current!.SynchronizationContext;
                var (p, r) = Promise.Create<int>();
                var done = p.Map(x => { inCb = SynchronizationContext.Current; return x; });
                var loop = EventLoop.Current;
                new Thread(() => loop.Post(() => { inPost = SynchronizationContext.Current; r.Resolve(1); })).Start();
                return done;
            });
            Assert.Same(expected, inCb);
            Assert.Same(expected, inPost);
        }));
        Done();
    }

    [Fact]
    public void InteropMapping()   // API.md:238-276
    {
        Check("API.md:239 canceled Task -> promise rejected with CanceledException", () =>
        {
            var p = Task.FromCanceled<int>(new CancellationToken(true)).ToPromise();
            Assert.IsType<CanceledException>(p.Exception);
            var q = Task.FromCanceled(new CancellationToken(true)).ToPromise();
            Assert.IsType<CanceledException>(q.Exception);
            var v = new ValueTask<int>(Task.FromCanceled<int>(new CancellationToken(true))).ToPromise();
            Assert.IsType<CanceledException>(v.Exception);
        });
        Check("API.md:241 faulted Task (one inner) -> that exception", () =>
        {
            var e = new Boom();
            Assert.Same(e, Task.FromException<int>(e).ToPromise().Exception);
            Assert.Same(e, Task.FromException(e).ToPromise().Exception);
            Assert.Same(e, new ValueTask(Task.FromException(e)).ToPromise().Exception);
        });
        Check("API.md:242 faulted Task (several) -> the Task's own AggregateException", () =>
        {
            var tcs = new TaskCompletionSource<int>();
            tcs.SetException(new Exception[] { new Boom("a"), new Boom("b") });
            var p = tcs.Task.ToPromise();
            // Task.Exception allocates a new AggregateException on every read, so identity with
            // "the Task's own" cannot be observed: same inner exceptions, in order.
            var agg = Assert.IsType<AggregateException>(p.Exception);
            Assert.Equal(tcs.Task.Exception!.InnerExceptions, agg.InnerExceptions);
        });
        Check("API.md:238 fulfilled -> RanToCompletion", () => Assert.Equal(TaskStatus.RanToCompletion, Promise.Return(1).AsTask().Status));
        Check("API.md:239 rejected with OCE -> Canceled", () =>
        {
            Assert.True(Promise.Fail<int>(new OperationCanceledException()).AsTask().IsCanceled);
            Assert.True(Promise.Fail(new CanceledException()).AsTask().IsCanceled);
            Assert.True(Promise.Fail<int>(new CanceledException()).AsValueTask().IsCanceled);
        });
        Check("API.md:240 other rejection -> Faulted with that same object", () =>
        {
            var e = new Boom();
            var t = Promise.Fail<int>(e).AsTask();
            Assert.True(t.IsFaulted);
            Assert.Same(e, t.Exception!.InnerException);
            Assert.Same(e, Record.Exception(() => t.GetAwaiter().GetResult()));
            var (p, r) = Promise.Create();
            var t2 = ((Promise)p).AsTask();
            r.Reject(e);
            Assert.True(t2.IsFaulted);
            Assert.Same(e, t2.Exception!.InnerException);
        });
        Check("API.md:246 completed Task -> already-resolved promise", () => Assert.Equal(5, Task.FromResult(5).ToPromise().Value));
        Check("API.md:248 off any loop: ToPromise resolves on the thread that completes the Task", () =>
        {
            var tcs = new TaskCompletionSource<int>();
            var p = tcs.Task.ToPromise();
            Thread? on = null;
            p.OnSuccess(_ => on = Thread.CurrentThread);
            Thread? completer = null;
            var th = new Thread(() => { completer = Thread.CurrentThread; tcs.SetResult(1); });
            th.Start(); th.Join();
            Assert.Same(completer, on);
        });
        Check("API.md:246/252 on a loop: ToPromise resolves on that loop; AsTask(token) fired from another thread cancels on the loop", () => Threads.Run(() =>
        {
            Thread? loopThread = null, resolvedOn = null, canceledOn = null;
            LwtMain.Run(start: () =>
            {
                loopThread = Thread.CurrentThread;
                var tcs = new TaskCompletionSource<int>();
                var p = tcs.Task.ToPromise();
                var done = p.Map(x => { resolvedOn = Thread.CurrentThread; return x; });
                new Thread(() => tcs.SetResult(1)).Start();
                var (c, _) = Promise.CreateCancelable<int>();
                var cDone = Promise.Catch(() => c, e => { canceledOn = Thread.CurrentThread; return Promise.Return(0); });
                var cts = new CancellationTokenSource();
                var t = c.AsTask(cts.Token);
                new Thread(() => cts.Cancel()).Start();
                return Promise.Join(done, cDone);
            });
            Assert.Same(loopThread, resolvedOn);
            Assert.Same(loopThread, canceledOn);
        }));
        Check("API.md:256 AsTask(token) on a non-cancelable promise: Canceled at once, promise stays", () =>
        {
            var (p, r) = Promise.Create<int>();
            using var cts = new CancellationTokenSource();
            var t = p.AsTask(cts.Token);
            cts.Cancel();
            Assert.True(t.IsCanceled);
            Assert.True(p.IsPending);
            var (q, rq) = Promise.Create();
            var t2 = ((Promise)q).AsTask(cts.Token);
            Assert.True(t2.IsCanceled);   // already-fired token
        });
        Check("API.md:256 AsTask(token) on a cancelable promise: Cancel() called, Task Canceled", () =>
        {
            var (p, r) = Promise.CreateCancelable<int>();
            using var cts = new CancellationTokenSource();
            var t = p.AsTask(cts.Token);
            cts.Cancel();
            Assert.True(p.IsCanceled);
            Assert.True(t.IsCanceled);
        });
        Check("API.md:260 a token firing after resolution changes nothing", () =>
        {
            var (p, r) = Promise.CreateCancelable<int>();
            using var cts = new CancellationTokenSource();
            var t = p.AsTask(cts.Token);
            r.Resolve(3);
            cts.Cancel();
            Assert.Equal(3, p.Value);
            Assert.Equal(TaskStatus.RanToCompletion, t.Status);
        });
        Check("API.md:262 FromTask: start at once on the calling thread; throw -> rejected with it", () =>
        {
            Thread? ran = null;
            var p = PromiseInterop.FromTask<int>(ct => { ran = Thread.CurrentThread; return new TaskCompletionSource<int>().Task; });
            Assert.Same(Thread.CurrentThread, ran);
            var e = new Boom();
            var q = PromiseInterop.FromTask<int>(ct => throw e);
            Assert.Same(e, q.Exception);
            var q2 = PromiseInterop.FromTask(ct => throw e);
            Assert.Same(e, q2.Exception);
        });
        Check("API.md:264 FromTask: Cancel fires the token, promise follows the Task (honoured)", () =>
        {
            CancellationToken tok = default;
            var tcs = new TaskCompletionSource<int>();
            var p = PromiseInterop.FromTask<int>(ct => { tok = ct; ct.Register(() => tcs.TrySetCanceled(ct)); return tcs.Task; });
            p.Cancel();
            Assert.True(tok.IsCancellationRequested);
            Assert.True(p.IsCanceled);
        });
        Check("API.md:265 FromTask: Cancel, task ignores the token and completes -> fulfilled", () =>
        {
            CancellationToken tok = default;
            var tcs = new TaskCompletionSource<int>();
            var p = PromiseInterop.FromTask<int>(ct => { tok = ct; return tcs.Task; });
            p.Cancel();
            Assert.True(tok.IsCancellationRequested);
            Assert.True(p.IsPending);
            tcs.SetResult(9);
            Assert.Equal(9, p.Value);
        });
        Check("API.md:269 Cancel on a ToPromise promise does nothing to the Task", () =>
        {
            var tcs = new TaskCompletionSource<int>();
            var p = tcs.Task.ToPromise();
            p.Cancel();
            Assert.False(tcs.Task.IsCompleted);
            tcs.SetResult(2);
        });
        Done();
    }

    sealed class RecordingContext : SynchronizationContext
    {
        public int Posts;
        public override void Post(SendOrPostCallback d, object? state) { Interlocked.Increment(ref Posts); ThreadPool.QueueUserWorkItem(_ => { SetSynchronizationContext(this); d(state); }); }
    }

    [Fact]
    public void AwaitOffLoopResumesOnTheAwaitersContext()   // API.md:176-177
    {
        Check("API.md:176 await outside the loop resumes on the awaiting code's SynchronizationContext", () =>
        {
            var ctx = new RecordingContext();
            var (p, r) = Promise.Create<int>();
            SynchronizationContext? seen = null;
            var done = new ManualResetEventSlim();
            Threads.Run(() =>
            {
                SynchronizationContext.SetSynchronizationContext(ctx);
                async void Body() { await p; seen = SynchronizationContext.Current; done.Set(); }
                Body();
                SynchronizationContext.SetSynchronizationContext(null);
            });
            var resolver = new Thread(() => r.Resolve(1));
            resolver.Start(); resolver.Join();
            Assert.True(done.Wait(5000));
            Assert.Same(ctx, seen);
            Assert.True(ctx.Posts >= 1);
        });
        Done();
    }

    sealed class ProbeService : PromiseBackgroundService
    {
        public static Thread? Thread; public static SynchronizationContext? Context; public static EventLoop? Loop;
        public static CancellationToken Token; public static Promise<int>? Awaited;
        protected override Promise ExecuteAsync(CancellationToken stoppingToken)
        {
            Thread = System.Threading.Thread.CurrentThread; Context = SynchronizationContext.Current; Loop = EventLoop.Current; Token = stoppingToken;
            var (p, _) = Promise.CreateCancelable<int>();
            Awaited = p;
            return p;
        }
    }

    [Fact]
    public async Task Hosting()   // API.md:278-292
    {
        try
        {
            var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new Microsoft.Extensions.Hosting.HostApplicationBuilderSettings { DisableDefaults = true });
            builder.Services.AddPromiseHostedService<ProbeService>();   // before AddLwtEventLoop
            builder.Services.AddLwtEventLoop();
            using var host = builder.Build();
            var loop = host.Services.GetRequiredService<EventLoop>();    // before start
            await host.StartAsync();
            for (int i = 0; i < 200 && ProbeService.Thread is null; i++) await Task.Delay(10);
            Assert.NotNull(ProbeService.Thread);
            Assert.False(ProbeService.Thread!.IsThreadPoolThread, "loop thread is a pool thread");
            Assert.Same(loop, ProbeService.Loop);
            Assert.Same(loop.SynchronizationContext, ProbeService.Context);
            await host.StopAsync();
            Assert.True(ProbeService.Token.IsCancellationRequested, "stoppingToken not canceled by Stop");
            Assert.True(ProbeService.Awaited!.IsCanceled, "Stop did not Cancel() the running promise");
            var thread = ProbeService.Thread;
            host.Dispose();
            Assert.True(thread.Join(5000), "loop thread did not end when the host was disposed");
        }
        catch (Exception e) { _failures.Add($"API.md:279-289 hosting: {e.GetType().Name}: {e.Message}"); }
        Done();
    }

    [Fact]
    public async Task Streams()   // API.md:272-276
    {
        try
        {
            int reads = 0;
            var s = LwtStream.From(() => { reads++; return Promise.Return(reads <= 2 ? Option<int>.Some(reads) : Option<int>.None); });
            var en = s.AsAsyncEnumerable().GetAsyncEnumerator();
            Assert.Equal(0, reads);
            Assert.True(await en.MoveNextAsync());
            Assert.Equal(1, reads);
            Assert.Equal(1, en.Current);
            Assert.True(await en.MoveNextAsync());
            Assert.Equal(2, reads);
            Assert.False(await en.MoveNextAsync());
            await en.DisposeAsync();
        }
        catch (Exception e) { _failures.Add($"API.md:272 AsAsyncEnumerable lazy: {e.Message}"); }
        try
        {
            var boom = new Boom();
            int n = 0;
            var s = LwtStream.From<int>(() => ++n <= 1 ? Promise.Return(Option<int>.Some(n)) : Promise.Fail<Option<int>>(boom));
            var en = s.AsAsyncEnumerable().GetAsyncEnumerator();
            Assert.True(await en.MoveNextAsync());
            Assert.Equal(1, en.Current);
            var x = await Record.ExceptionAsync(async () => await en.MoveNextAsync());
            Assert.Same(boom, x);
        }
        catch (Exception e) { _failures.Add($"API.md:274 stream exception as same object: {e.Message}"); }
        try
        {
            var (p, r) = Promise.CreateCancelable<Option<int>>();
            var s = LwtStream.From(() => p);
            var en = s.AsAsyncEnumerable().GetAsyncEnumerator();
            var mv = en.MoveNextAsync();
            Assert.False(mv.IsCompleted);
            await en.DisposeAsync();
            // The read (stream.Get()) is canceled; the source's own promise is not, as in
            // Lwt_stream (a read of a From stream waits on Lwt.protected of the source's promise).
            var x = await Record.ExceptionAsync(async () => await mv);
            Assert.True(x is OperationCanceledException, $"pending MoveNextAsync not canceled by DisposeAsync: {x?.GetType().Name ?? "no exception"}");
            Assert.True(p.IsPending);
        }
        catch (Exception e) { _failures.Add($"API.md:273 dispose cancels pending read: {e.Message}"); }
        try
        {
            var (p, r) = Promise.CreateCancelable<Option<int>>();
            var s = LwtStream.From(() => p);
            using var cts = new CancellationTokenSource();
            var en = s.AsAsyncEnumerable().GetAsyncEnumerator(cts.Token);
            var mv = en.MoveNextAsync();
            cts.Cancel();
            var x = await Record.ExceptionAsync(async () => await mv);
            Assert.True(x is OperationCanceledException, $"pending MoveNextAsync not canceled by the token: {x?.GetType().Name ?? "no exception"}");
        }
        catch (Exception e) { _failures.Add($"API.md:273 canceling the enumerator cancels pending read: {e.Message}"); }
        try
        {
            int pulled = 0;
            async IAsyncEnumerable<int> Src() { for (int i = 0; i < 3; i++) { pulled++; yield return i; await Task.Yield(); } }
            var ls = Src().ToLwtStream();
            Assert.Equal(0, pulled);
            var first = ls.Next();
            Assert.Equal(0, await first.AsTask());
            Assert.True(pulled <= 2, $"pulled {pulled} after one read");
        }
        catch (Exception e) { _failures.Add($"API.md:275 ToLwtStream lazy: {e.Message}"); }
        Done();
    }
}
