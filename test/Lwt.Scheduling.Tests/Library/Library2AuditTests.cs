namespace Lwt.Tests.Library;

/// <summary>
/// Lwt_seq, Lwt_result, Lwt_retry, Lwt_timeout and Lwt_throttle checked against their .mli
/// documentation and lwt's implementation (the comments name the source). Timers: order and
/// "not before" only.
/// </summary>
public class Library2AuditTests
{
    private static IReadOnlyList<T> L<T>(LwtSeq<T> s) => LwtSeq.ToList(s).Value;

    // ================================================================ Lwt_seq

    // lwt_seq.ml: of_seq seq () = match seq () with Seq.Cons (x, next) -> Lwt.return (Cons (x, of_seq next))
    // A node's tail is a value: forcing it twice gives the same node (Lwt_seq.t is persistent).
    [Fact]
    public void SeqOfSeqTailIsPersistent()
    {
        var s = LwtSeq.OfSeq(new[] { 1, 2, 3 });
        var first = s.Force().Value;
        var tail = first.Value.Tail;
        var a = tail.Force().Value;
        var b = tail.Force().Value;
        Assert.Equal(2, a.Value.Head);
        Assert.Equal(2, b.Value.Head);          // same tail, same head
    }

    // Same: traversing the tail after the whole sequence was consumed gives its items again.
    [Fact]
    public void SeqOfSeqSuffixCanBeTraversedAgain()
    {
        var s = LwtSeq.OfSeq(new List<int> { 1, 2, 3 });
        var tail = s.Force().Value.Value.Tail;
        Assert.Equal([2, 3], L(tail));
        Assert.Equal([2, 3], L(tail));
    }

    // lwt_seq.ml iter_p: aux (p::acc) next ... Nil -> Lwt.join acc  (acc is in reverse order)
    // Lwt.join takes the first already-rejected promise of its list: the LAST element's exception.
    [Fact]
    public void SeqIterPSeveralRejectedLastElementWins()
    {
        var res = LwtSeq.IterP(x => Promise.Fail(x == 1 ? new FormatException() : new InvalidCastException()),
            LwtSeq.OfList(new[] { 1, 2 }));
        Assert.IsType<InvalidCastException>(res.Exception);
    }

    // lwt_seq.ml iter_p: `let p = f x in aux (p::acc) next` runs inside the >>= callback, so a
    // raise from f rejects the traversal at once: f is not called on the later items.
    [Fact]
    public void SeqIterPThrowingFStopsTheTraversal()
    {
        var called = new List<int>();
        var res = LwtSeq.IterP(x => { called.Add(x); if (x == 1) throw new FormatException(); return Promise.ReturnUnit; },
            LwtSeq.OfList(new[] { 1, 2, 3 }));
        Assert.IsType<FormatException>(res.Exception);
        Assert.Equal([1], called);
    }

    // lwt_seq.ml iter_n: `loop (f elt :: running) ...` inside the >>= callback: same.
    [Fact]
    public void SeqIterNThrowingFStopsTheTraversal()
    {
        var called = new List<int>();
        var res = LwtSeq.IterN(x => { called.Add(x); if (x == 1) throw new FormatException(); return Promise.ReturnUnit; },
            LwtSeq.OfList(new[] { 1, 2, 3 }), maxConcurrency: 3);
        Assert.IsType<FormatException>(res.Exception);
        Assert.Equal([1], called);
    }

    // lwt_seq.mli iter: "the promise for the n+1th node of the sequence is created only once the
    // promise returned by f on the nth element of the sequence has resolved" (iter_s in 5.6).
    [Fact]
    public void SeqIterSForcesNextNodeOnlyAfterF()
    {
        var log = new List<string>();
        var s = LwtSeq.Unfold(i => { log.Add($"node{i}"); return i < 2 ? Option.Some((i, i + 1)) : Option<(int, int)>.None; }, 0);
        var gates = new List<Resolver<Unit>>();
        var p = LwtSeq.IterS(x => { log.Add($"f{x}"); var (q, r) = Promise.Create(); gates.Add(r); return q; }, s);
        Assert.Equal(["node0", "f0"], log);
        gates[0].Resolve();
        Assert.Equal(["node0", "f0", "node1", "f1"], log);
        gates[1].Resolve();
        Assert.True(p.IsFulfilled);
        Assert.Equal(["node0", "f0", "node1", "f1", "node2"], log);
    }

    // lwt_seq.mli: map/filter/filter_map/flat_map "lazy, it only applies when the result is traversed";
    // append evaluates seq2 only after seq1 is exhausted; unfold calls f only when forced.
    [Fact]
    public void SeqTransformersAreLazy()
    {
        int forced = 0, fcalls = 0;
        var src = new LwtSeq<int>(() => { forced++; return LwtSeq.OfList(new[] { 1, 2 }).Force(); });
        _ = LwtSeq.Map(x => { fcalls++; return x; }, src);
        _ = LwtSeq.MapS(x => { fcalls++; return Promise.Return(x); }, src);
        _ = LwtSeq.Filter(x => { fcalls++; return true; }, src);
        _ = LwtSeq.FilterS(x => { fcalls++; return Promise.Return(true); }, src);
        _ = LwtSeq.FilterMap(x => { fcalls++; return Option.Some(x); }, src);
        _ = LwtSeq.FilterMapS(x => { fcalls++; return Promise.Return(Option.Some(x)); }, src);
        _ = LwtSeq.FlatMap(src, x => { fcalls++; return LwtSeq.Return(x); });
        _ = LwtSeq.Append(src, src);
        _ = LwtSeq.Concat(LwtSeq.Return(src));
        _ = LwtSeq.Unfold<int, int>(x => { fcalls++; return Option<(int, int)>.None; }, 0);
        _ = LwtSeq.UnfoldLwt<int, int>(x => { fcalls++; return Promise.Return(Option<(int, int)>.None); }, 0);
        _ = LwtSeq.OfSeq(Enumerable.Range(0, 3).Select(x => { fcalls++; return x; }));
        Assert.Equal(0, forced);
        Assert.Equal(0, fcalls);

        // Forcing the first node of map computes one element only.
        var m = LwtSeq.Map(x => { fcalls++; return x * 10; }, src);
        Assert.Equal(10, m.Force().Value.Value.Head);
        Assert.Equal(1, fcalls);
        Assert.Equal(1, forced);

        // append: the second sequence is not forced while the first has items.
        int forced2 = 0;
        var s2 = new LwtSeq<int>(() => { forced2++; return LwtSeq.Return(9).Force(); });
        var app = LwtSeq.Append(LwtSeq.OfList(new[] { 1, 2 }), s2);
        var n1 = app.Force().Value.Value;
        var n2 = n1.Tail.Force().Value.Value;
        Assert.Equal((1, 2), (n1.Head, n2.Head));
        Assert.Equal(0, forced2);
        Assert.Equal(9, n2.Tail.Force().Value.Value.Head);
        Assert.Equal(1, forced2);
    }

    // flat_map: each sub-sequence in turn; f on the next element only after the sub-sequence ends.
    [Fact]
    public void SeqFlatMapOrderOfEffects()
    {
        var log = new List<string>();
        var s = LwtSeq.FlatMap(LwtSeq.OfList(new[] { 1, 2 }), x => { log.Add($"f{x}"); return LwtSeq.OfList(new[] { x, x * 10 }); });
        var n = s.Force().Value.Value;            // f1
        Assert.Equal(["f1"], log);
        n = n.Tail.Force().Value.Value;           // 10, still from f1
        Assert.Equal(["f1"], log);
        Assert.Equal(10, n.Head);
        n = n.Tail.Force().Value.Value;           // f2
        Assert.Equal(["f1", "f2"], log);
        Assert.Equal(2, n.Head);
        Assert.Equal([1, 10, 2, 20], L(s));
        Assert.Equal([], L(LwtSeq.Concat(LwtSeq.OfList(new[] { LwtSeq.Empty<int>(), LwtSeq.Empty<int>() }))));
    }

    // filter_map(_s): None drops, Some y keeps y; f called once per element, in order.
    [Fact]
    public void SeqFilterMapSOrderAndDrops()
    {
        var log = new List<int>();
        var s = LwtSeq.FilterMapS(x => { log.Add(x); return Promise.Return(x % 2 == 0 ? Option.Some(x * 100) : Option<int>.None); },
            LwtSeq.OfList(new[] { 1, 3, 4, 5, 6 }));
        Assert.Equal(400, s.Force().Value.Value.Head);
        Assert.Equal([1, 3, 4], log);
        log.Clear();
        Assert.Equal([400, 600], L(s));
        Assert.Equal([1, 3, 4, 5, 6], log);
    }

    // fold_left(_s): left to right; to_list/of_list preserve order; unfold semantics.
    [Fact]
    public void SeqFoldsOrderAndUnfold()
    {
        var s = LwtSeq.OfList(new[] { "a", "b", "c" });
        Assert.Equal("xabc", LwtSeq.FoldLeft((acc, x) => acc + x, "x", s).Value);
        var order = new List<string>();
        var p = LwtSeq.FoldLeftS((acc, x) => { order.Add(x); return Promise.Return(acc + x); }, "", s);
        Assert.Equal("abc", p.Value);
        Assert.Equal(["a", "b", "c"], order);
        Assert.Equal(["a", "b", "c"], L(s));
        Assert.Empty(L(LwtSeq.OfList(Array.Empty<int>())));
        Assert.Empty(L(LwtSeq.Unfold<int, int>(_ => Option<(int, int)>.None, 0)));
    }

    // Exceptions propagate: a failing node in the middle rejects to_list, fold_left, iter_s, iter_p.
    [Fact]
    public void SeqExceptionsPropagate()
    {
        var boom = new FormatException();
        var s = LwtSeq.Cons(1, new LwtSeq<int>(() => throw boom));
        Assert.Same(boom, LwtSeq.ToList(s).Exception);
        Assert.Same(boom, LwtSeq.FoldLeft((a, x) => a + x, 0, s).Exception);
        Assert.Same(boom, LwtSeq.Iter(_ => { }, s).Exception);
        Assert.Same(boom, LwtSeq.IterS(_ => Promise.ReturnUnit, s).Exception);
        Assert.Same(boom, LwtSeq.IterP(_ => Promise.ReturnUnit, s).Exception);
        Assert.Same(boom, LwtSeq.ToList(LwtSeq.Map(x => x, s)).Exception);
        Assert.Same(boom, LwtSeq.ToList(LwtSeq.Append(s, LwtSeq.Empty<int>())).Exception);
        Assert.Same(boom, LwtSeq.ToList(LwtSeq.UnfoldLwt<int, int>(_ => throw boom, 0)).Exception);
        Assert.Same(boom, LwtSeq.FoldLeftS<int, int>((a, x) => throw boom, 0, LwtSeq.Return(1)).Exception);
        Assert.Same(boom, LwtSeq.ToList(LwtSeq.ConsLwt(Promise.Fail<int>(boom), LwtSeq.Empty<int>())).Exception);
    }

    // iter_p: f is called on every element before waiting; resolves only when all calls resolved.
    [Fact]
    public void SeqIterPStartsAllThenWaits()
    {
        var gates = new List<Resolver<Unit>>();
        var p = LwtSeq.IterP(_ => { var (q, r) = Promise.Create(); gates.Add(r); return q; }, LwtSeq.OfList(new[] { 1, 2, 3 }));
        Assert.Equal(3, gates.Count);
        gates[2].Resolve();
        gates[0].Resolve();
        Assert.True(p.IsPending);
        gates[1].Resolve();
        Assert.True(p.IsFulfilled);
    }

    // ================================================================ Lwt_result

    // lwt_result.ml both: Lwt.map ... (Lwt.both a b): pending until both are resolved.
    [Fact]
    public void ResultBothWaitsForBothEvenAfterAnError()
    {
        var (p2, r2) = Promise.Create<Result<int, string>>();
        var both = LwtResult.Both(LwtResult.Fail<int, string>("e1"), p2);
        Assert.True(both.IsPending);
        r2.Resolve(Result<int, string>.Ok(2));
        Assert.Equal("e1", both.Value.ErrorValue);
    }

    // test_lwt_result.ml "both only snd error" / "both error, fst" / "both error, snd".
    [Fact]
    public void ResultBothLwtTestSuiteCases()
    {
        Assert.Equal("1", LwtResult.Both(LwtResult.Return<int, string>(0), LwtResult.Fail<int, string>("1")).Value.ErrorValue);
        Assert.Equal("0", LwtResult.Both(LwtResult.Fail<int, string>("0"), LwtResult.Return<int, string>(1)).Value.ErrorValue);
        var (p2, r2) = Promise.Create<Result<int, string>>();
        var a = LwtResult.Both(LwtResult.Fail<int, string>("0"), p2);
        r2.Resolve(Result<int, string>.Error("1"));
        Assert.Equal("0", a.Value.ErrorValue);
        var (p1, r1) = Promise.Create<Result<int, string>>();
        var b = LwtResult.Both(p1, LwtResult.Fail<int, string>("1"));
        r1.Resolve(Result<int, string>.Error("0"));
        Assert.Equal("1", b.Value.ErrorValue);
    }

    // Lwt.both: a rejection rejects, once both are resolved.
    [Fact]
    public void ResultBothRejectionWaitsThenRejects()
    {
        var boom = new FormatException();
        var (p2, r2) = Promise.Create<Result<int, string>>();
        var both = LwtResult.Both(Promise.Fail<Result<int, string>>(boom), p2);
        Assert.True(both.IsPending);
        r2.Resolve(Result<int, string>.Error("x"));
        Assert.Same(boom, both.Exception);
    }

    // catch: "like fail e if x () raises e" -- both immediate raise and rejected promise.
    [Fact]
    public void ResultCatchRejectedPromiseAndBoundRaise()
    {
        var e = new FormatException();
        Assert.Same(e, LwtResult.Catch(() => Promise.Fail<int>(e)).Value.ErrorValue);
        Assert.Same(e, LwtResult.Catch(() => Promise.ReturnUnit.Map<int>(() => throw e)).Value.ErrorValue);
        var (p, r) = Promise.Create<int>();
        var c = LwtResult.Catch(() => p);
        Assert.True(c.IsPending);
        r.Reject(e);
        Assert.Same(e, c.Value.ErrorValue);
    }

    // get_exn passes a rejection through; map/bind etc. pass rejections through and do not call f on Error.
    [Fact]
    public void ResultRejectionsPassThroughAndFNotCalledOnError()
    {
        var boom = new FormatException();
        var rejected = Promise.Fail<Result<int, string>>(boom);
        Assert.Same(boom, LwtResult.GetExn(Promise.Fail<Result<int, Exception>>(boom)).Exception);
        Assert.Same(boom, LwtResult.Bind(rejected, x => LwtResult.Return<int, string>(x)).Exception);
        Assert.Same(boom, LwtResult.MapError(e => e, rejected).Exception);
        Assert.Same(boom, LwtResult.Iter(_ => Promise.ReturnUnit, rejected).Exception);
        Assert.Same(boom, LwtResult.IterError(_ => Promise.ReturnUnit, rejected).Exception);
        int calls = 0;
        var err = LwtResult.Fail<int, string>("e");
        LwtResult.Map(x => { calls++; return x; }, err);
        LwtResult.Bind(err, x => { calls++; return LwtResult.Return<int, string>(x); });
        LwtResult.BindLwt(err, x => { calls++; return Promise.Return(x); });
        LwtResult.BindResult(err, x => { calls++; return Result<int, string>.Ok(x); });
        LwtResult.Iter(x => { calls++; return Promise.ReturnUnit; }, err);
        var ok = LwtResult.Return<int, string>(1);
        LwtResult.MapError(e => { calls++; return e; }, ok);
        LwtResult.BindError(ok, e => { calls++; return LwtResult.Fail<int, string>(e); });
        LwtResult.BindLwtError(ok, e => { calls++; return Promise.Return(e); });
        LwtResult.IterError(e => { calls++; return Promise.ReturnUnit; }, ok);
        Assert.Equal(0, calls);
        Assert.Equal(1, LwtResult.MapError(e => e + "!", ok).Value.Value);
        // A throw in f becomes a rejection, not an Error.
        Assert.Same(boom, LwtResult.Map<int, int, string>(_ => throw boom, ok).Exception);
        Assert.Same(boom, LwtResult.BindLwt<int, int, string>(ok, _ => throw boom).Exception);
        Assert.Same(boom, LwtResult.BindLwt(ok, _ => Promise.Fail<int>(boom)).Exception);
        // iter: its promise is f's promise.
        var (gate, gr) = Promise.Create();
        var it = LwtResult.Iter(_ => gate, ok);
        Assert.True(it.IsPending);
        gr.Resolve();
        Assert.True(it.IsFulfilled);
    }

    // let* short-circuits: the continuation after an Error is never called.
    [Fact]
    public void ResultQueryShortCircuits()
    {
        int calls = 0;
        Promise<Result<int, string>> q =
            from x in LwtResult.Fail<int, string>("e").Query()
            from y in Call(x)
            select x + y;
        Assert.Equal("e", q.Value.ErrorValue);
        Assert.Equal(0, calls);
        Promise<Result<int, string>> Call(int x) { calls++; return LwtResult.Return<int, string>(x); }
    }

    // ================================================================ Lwt_retry

    private static Result<int, RetryError<string, string>> ROk(int v) => Result<int, RetryError<string, string>>.Ok(v);
    private static Result<int, RetryError<string, string>> RRetry(string r) => Result<int, RetryError<string, string>>.Error(RetryError<string, string>.Retry(r));
    private static Result<int, RetryError<string, string>> RFatal(string f) => Result<int, RetryError<string, string>>.Error(RetryError<string, string>.Fatal(f));

    // test/retry/main.ml "success without retry" / "retries before fatal error": the stream is empty afterwards.
    [Fact]
    public void RetryStreamEmptyAfterOkOrFatal()
    {
        int calls = 0;
        var s = LwtRetry.OnError(() => { calls++; return Promise.Return(ROk(42)); });
        Assert.Equal(ROk(42).Value, s.Next().Value.Value);
        Assert.True(s.IsEmpty().Value);
        Assert.Equal(1, calls);

        int i = 0;
        var f = LwtRetry.OnError(() => Promise.Return(i++ < 3 ? RRetry("r") : RFatal("f")));
        Assert.Equal(3, f.NGet(3).Value.Count);
        var fatal = f.Next().Value.ErrorValue;
        Assert.Equal((RetryError<string, string>.Fatal("f"), 4), fatal);
        Assert.True(f.IsEmpty().Value);
    }

    // n_times n: at most n+1 attempts are made; it stops at once after Ok or Fatal.
    [Fact]
    public void RetryNTimesAttemptCount()
    {
        int calls = 0;
        var r = LwtRetry.OnError(() => { calls++; return Promise.Return(RRetry("r")); }).NTimes(5).Value;
        Assert.Equal(6, calls);
        Assert.Equal((RetryError<string, string>.Retry("r"), 6), r.ErrorValue);
        calls = 0;
        LwtRetry.OnError(() => { calls++; return Promise.Return(calls == 2 ? RFatal("f") : RRetry("r")); }).NTimes(5);
        Assert.Equal(2, calls);
    }

    // with_sleep: Ok passes without any sleep (duration never asked for).
    [Fact]
    public void RetryWithSleepDoesNotDelayOk()
    {
        var asked = new List<int>();
        var s = LwtRetry.OnError(() => Promise.Return(ROk(1))).WithSleep(n => { asked.Add(n); return 1000; });
        var g = s.Get();
        Assert.True(g.IsFulfilled);
        Assert.Empty(asked);
    }

    // change on a stopped timeout: start then uses the new delay (ordered against a marker timeout).
    [Fact]
    public void TimeoutChangeWhileStoppedThenStartUsesNewDelay()
    {
        var order = new List<string>();
        LwtMain.Run(() =>
        {
            var (done, r) = Promise.Create();
            var a = LwtTimeout.Create(0.01, () => { order.Add("a"); r.TryResolve(Unit.Value); });
            a.Change(0.3);
            Assert.False(a.IsStarted);
            var marker = LwtTimeout.Create(0.1, () => order.Add("marker"));
            a.Start();
            marker.Start();
            return done;
        });
        Assert.Equal(["marker", "a"], order);
    }

    // A timeout stopped by another timeout's action does not run, even when both are due together.
    [Fact]
    public void TimeoutStoppedByAnEarlierActionDoesNotRun()
    {
        int bRuns = 0;
        LwtMain.Run(() =>
        {
            LwtTimeout? b = null;
            var a = LwtTimeout.Create(0.05, () => b!.Stop());
            b = LwtTimeout.Create(0.05, () => bRuns++);
            a.Start();
            b.Start();
            return LwtUnix.Sleep(0.2);
        });
        Assert.Equal(0, bRuns);
    }

    // ================================================================ Lwt_throttle

    // After a window let a waiter through, the key's count is the number let through: another
    // call in that window still passes at once while below rate.
    [Fact]
    public void ThrottleCountAfterWindowIsNumberReleased()
    {
        LwtMain.Run(() =>
        {
            var t = LwtThrottle.Create<string>(rate: 2, max: 10, n: 0);
            Assert.True(t.Wait("a").Value);
            Assert.True(t.Wait("a").Value);
            var w = t.Wait("a");
            Assert.True(w.IsPending);
            return w.Map(ok =>
            {
                Assert.True(ok);
                var now = t.Wait("a");          // 1 released in this window, rate 2: passes
                Assert.True(now.IsFulfilled && now.Value);
                var later = t.Wait("a");        // 2 used: waits
                Assert.True(later.IsPending);
                return Unit.Value;
            });
        });
    }

    // max counts waiting calls over all keys: a full queue refuses other keys' over-rate calls,
    // but a key still under its rate passes.
    [Fact]
    public void ThrottleMaxOverAllKeys()
    {
        LwtMain.Run(() =>
        {
            var t = LwtThrottle.Create<int>(rate: 1, max: 1, n: 0);
            Assert.True(t.Wait(1).Value);
            var w = t.Wait(1);
            Assert.True(w.IsPending);
            Assert.True(t.Wait(2).Value);       // under rate: passes even though max are waiting
            var refused = t.Wait(2);
            Assert.True(refused.IsFulfilled);
            Assert.False(refused.Value);
            return w.Map(_ => Unit.Value);
        });
    }
}
