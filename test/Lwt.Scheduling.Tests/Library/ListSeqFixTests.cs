namespace Lwt.Tests.Library;

/// <summary>
/// LwtList and LwtSeq after the listseq audit: every LwtList operation walks a copy of its
/// input taken at the call (Lwt's list is immutable), an enumeration error rejects instead
/// of throwing, LwtSeq.IterN lets the newest rejected call win as lwt_seq.ml's iter_n does,
/// and an f that returns null rejects with the same InvalidOperationException everywhere.
/// </summary>
public class ListSeqFixTests
{
    private static readonly string NullPromiseMessage =
        LwtList.IterP(new[] { 1 }, _ => null!).Exception!.Message;

    // ================================================================ P forms: snapshot first (F1)

    private static IEnumerable<int> Logged(List<string> log)
    {
        for (int i = 1; i <= 3; i++)
        {
            log.Add($"yield{i}");
            yield return i;
        }
    }

    // Every P form (and FoldRightS), given f that logs and fulfills at once.
    private static IEnumerable<(string Name, Func<IEnumerable<int>, Action<int>, Promise> Run)> PForms()
    {
        yield return ("IterP", (l, log) => LwtList.IterP(l, x => { log(x); return Promise.ReturnUnit; }));
        yield return ("IteriP", (l, log) => LwtList.IteriP(l, (_, x) => { log(x); return Promise.ReturnUnit; }));
        yield return ("MapP", (l, log) => LwtList.MapP(l, x => { log(x); return Promise.Return(x); }));
        yield return ("MapiP", (l, log) => LwtList.MapiP(l, (_, x) => { log(x); return Promise.Return(x); }));
        yield return ("RevMapP", (l, log) => LwtList.RevMapP(l, x => { log(x); return Promise.Return(x); }));
        yield return ("FilterMapP", (l, log) => LwtList.FilterMapP(l, x => { log(x); return Promise.Return(Option.Some(x)); }));
        yield return ("ForAllP", (l, log) => LwtList.ForAllP(l, x => { log(x); return Promise.Return(true); }));
        yield return ("ExistsP", (l, log) => LwtList.ExistsP(l, x => { log(x); return Promise.Return(false); }));
        yield return ("FilterP", (l, log) => LwtList.FilterP(l, x => { log(x); return Promise.Return(true); }));
        yield return ("PartitionP", (l, log) => LwtList.PartitionP(l, x => { log(x); return Promise.Return(true); }));
        yield return ("FoldRightS", (l, log) => LwtList.FoldRightS<int, int>((x, acc) => { log(x); return Promise.Return(acc); }, l, 0));
    }

    // Lwt's list exists before map_p is called: every element is read before f runs once.
    [Fact]
    public void PFormsReadTheWholeInputBeforeCallingF()
    {
        foreach (var (name, run) in PForms())
        {
            var log = new List<string>();
            var p = run(Logged(log), x => log.Add($"f{x}"));
            Assert.True(p.IsFulfilled, name);
            Assert.Equal(["yield1", "yield2", "yield3"], log.Take(3));
            Assert.Equal(6, log.Count);
        }
    }

    private static IEnumerable<int> FailsAfterOne(Exception e)
    {
        yield return 1;
        throw e;
    }

    // An exception from enumerating the input rejects the result (as the S forms always did),
    // and f has not run on the elements read before it.
    [Fact]
    public void PFormsRejectOnAnEnumerationErrorWithoutCallingF()
    {
        foreach (var (name, run) in PForms())
        {
            var boom = new FormatException(name);
            int calls = 0;
            var p = run(FailsAfterOne(boom), _ => calls++);
            Assert.Same(boom, p.Exception);
            Assert.Equal(0, calls);
        }
    }

    [Fact]
    public void PFormsCallbackGrowingTheListDoesNotBreakTheWalk()
    {
        foreach (var (name, run) in PForms())
        {
            var list = new List<int> { 1, 2, 3 };
            var seen = new List<int>();
            var p = run(list, x => { seen.Add(x); if (x == 1) list.Add(9); });
            Assert.True(p.IsFulfilled, name);
            Assert.Equal(3, seen.Count);
            Assert.Equal([1, 2, 3], seen.Order());
            Assert.Equal(4, list.Count);
        }
    }

    // The input is copied even when it is an array: f sees the elements as they were at the call.
    [Fact]
    public void PFormsSeeAnArrayAsItWasAtTheCall()
    {
        var array = new[] { 1, 2, 3 };
        var seen = new List<int>();
        var p = LwtList.MapP(array, x => { if (x == 1) array[2] = 99; seen.Add(x); return Promise.Return(x * 10); });
        Assert.Equal([10, 20, 30], p.Value);
        Assert.Equal([1, 2, 3], seen);
        Assert.Equal(99, array[2]);
    }

    // The S forms reject on an enumeration error too, now at the call, before f runs.
    [Fact]
    public void SFormsRejectOnAnEnumerationErrorWithoutCallingF()
    {
        var boom = new FormatException();
        int calls = 0;
        Assert.Same(boom, LwtList.IterS(FailsAfterOne(boom), _ => { calls++; return Promise.ReturnUnit; }).Exception);
        Assert.Same(boom, LwtList.MapS(FailsAfterOne(boom), x => { calls++; return Promise.Return(x); }).Exception);
        Assert.Same(boom, LwtList.ExistsS(FailsAfterOne(boom), _ => { calls++; return Promise.Return(true); }).Exception);
        Assert.Equal(0, calls);
    }

    // ================================================================ S forms: snapshot at the call (F2)

    // Starts an S form with an f that waits on a gate, changes the list while the first call
    // is pending, then opens the gates one by one (each opening starts the next call).
    private static (Promise Result, List<int> Seen) WalkWhileTheListChanges<R>(
        Func<List<int>, Func<int, Promise<R>>, Promise> start, R answer)
    {
        var list = new List<int> { 1, 2, 3 };
        var seen = new List<int>();
        var gates = new Queue<Resolver<R>>();
        var result = start(list, x =>
        {
            seen.Add(x);
            var (q, r) = Promise.Create<R>();
            gates.Enqueue(r);
            return q;
        });
        list.Add(4);
        list.RemoveAt(0);
        while (gates.Count > 0) gates.Dequeue().Resolve(answer);
        return (result, seen);
    }

    [Fact]
    public void SFormsWalkTheListAsItWasAtTheCall()
    {
        void Check<R>(string name, Func<List<int>, Func<int, Promise<R>>, Promise> start, R answer, int[]? order = null)
        {
            var (result, seen) = WalkWhileTheListChanges(start, answer);
            Assert.True(result.IsFulfilled, $"{name}: {result.Exception}");
            Assert.Equal(order ?? [1, 2, 3], seen);
        }
        Check<Unit>("IterS", (l, g) => LwtList.IterS(l, x => g(x)), default);
        Check<Unit>("IteriS", (l, g) => LwtList.IteriS(l, (_, x) => g(x)), default);
        Check("MapS", (l, g) => LwtList.MapS(l, g), 0);
        Check("MapiS", (l, g) => LwtList.MapiS(l, (_, x) => g(x)), 0);
        Check("RevMapS", (l, g) => LwtList.RevMapS(l, g), 0);
        Check("FoldLeftS", (l, g) => LwtList.FoldLeftS<int, int>((_, x) => g(x), 0, l), 0);
        Check("FoldRightS", (l, g) => LwtList.FoldRightS<int, int>((x, _) => g(x), l, 0), 0, [3, 2, 1]);
        Check("FilterS", (l, g) => LwtList.FilterS(l, g), true);
        Check("FilterMapS", (l, g) => LwtList.FilterMapS(l, g), Option.Some(0));
        Check("PartitionS", (l, g) => LwtList.PartitionS(l, g), true);
        Check("ForAllS", (l, g) => LwtList.ForAllS(l, g), true);
        Check("ExistsS", (l, g) => LwtList.ExistsS(l, g), false);
        var (find, seenByFind) = WalkWhileTheListChanges((l, g) => LwtList.FindS(l, g), false);
        Assert.IsType<KeyNotFoundException>(find.Exception);
        Assert.Equal([1, 2, 3], seenByFind);
    }

    [Fact]
    public void SFormResultsAreTheSnapshotsElements()
    {
        var list = new List<int> { 1, 2, 3 };
        var gates = new Queue<Resolver<bool>>();
        var p = LwtList.FilterS(list, x => { var (q, r) = Promise.Create<bool>(); gates.Enqueue(r); return q; });
        list[1] = 20;
        list.Add(4);
        while (gates.Count > 0) gates.Dequeue().Resolve(true);
        Assert.Equal([1, 2, 3], p.Value);
    }

    // ================================================================ LwtSeq.IterN: newest rejection wins (F3)

    private static Promise Fails(int x) =>
        Promise.Fail(x switch { 1 => new FormatException(), 2 => new InvalidCastException(), _ => new ArithmeticException() });

    // lwt_seq.ml iter_n: `loop (f elt :: running) ...` keeps running newest first, and the
    // final Lwt.join takes the first rejected promise of that list: the newest call's.
    [Fact]
    public void SeqIterNSeveralRejectedAtTheEndNewestWins()
    {
        Assert.IsType<InvalidCastException>(LwtSeq.IterN(Fails, LwtSeq.OfList(new[] { 1, 2 }), maxConcurrency: 3).Exception);
        Assert.IsType<ArithmeticException>(LwtSeq.IterN(Fails, LwtSeq.OfList(new[] { 1, 2, 3 }), maxConcurrency: 5).Exception);
    }

    // ... and Lwt.nchoose_split over that list, when no slot is free, does the same.
    [Fact]
    public void SeqIterNSeveralRejectedWhenFullNewestWins()
    {
        int calls = 0;
        var p = LwtSeq.IterN(x => { calls++; return Fails(x); }, LwtSeq.OfList(new[] { 1, 2, 3 }), maxConcurrency: 2);
        Assert.IsType<InvalidCastException>(p.Exception);
        Assert.Equal(2, calls);
    }

    // Lwt.nchoose_split returns the still-pending promises in reverse order when some input is
    // already fulfilled at the call (collect_already_resolved_promises does not reverse its
    // accumulator), and iter_n carries on with that list: with calls 1 and 2 pending and 3
    // fulfilled at once, the split gives [1; 2], the next call makes it [4; 1; 2], and of 1
    // and 2, both rejected while the walk waited for the sequence, 1 is first. (Lwt 5.6.1
    // rejects with E1 here; before, IterN kept [4; 2; 1] and rejected with 2's exception.)
    [Fact]
    public void SeqIterNAfterASplitDecidedAtTheCallOlderCallWins()
    {
        var (node4, gate4) = Promise.Create();
        var seq = LwtSeq.Cons(1, LwtSeq.Cons(2, LwtSeq.Cons(3,
            new LwtSeq<int>(() => node4.Map(_ => Option.Some((4, LwtSeq.OfList(new[] { 5 }))))))));
        var gates = new Dictionary<int, Resolver<Unit>>();
        var p = LwtSeq.IterN(x =>
        {
            if (x == 3) return Promise.ReturnUnit;
            var (q, r) = Promise.Create();
            gates[x] = r;
            return q;
        }, seq, maxConcurrency: 3);
        Assert.Equal([1, 2], gates.Keys.Order());
        gates[1].Reject(new FormatException());
        gates[2].Reject(new InvalidCastException());
        Assert.True(p.IsPending);
        gate4.Resolve(Unit.Value);
        Assert.IsType<FormatException>(p.Exception);
        Assert.Equal([1, 2, 4], gates.Keys.Order());
    }

    // Same rule as IterP, for LwtSeq and LwtList alike.
    [Fact]
    public void IterPAndIterNAgreeOnTheWinner()
    {
        var seq = LwtSeq.OfList(new[] { 1, 2, 3 });
        Assert.IsType<ArithmeticException>(LwtSeq.IterP(Fails, seq).Exception);
        Assert.IsType<ArithmeticException>(LwtList.IterP(new[] { 1, 2, 3 }, Fails).Exception);
        Assert.IsType<ArithmeticException>(LwtList.IteriP(new[] { 1, 2, 3 }, (_, x) => Fails(x)).Exception);
        Assert.IsType<ArithmeticException>(LwtSeq.IterN(Fails, seq, maxConcurrency: 3).Exception);
    }

    // The running calls keep Lwt's order across splits: here calls 2 and 4 are still running
    // after two splits and both reject while the walk waits for the sequence's last node;
    // the final join then takes the newer one's exception. Each split still frees a slot as
    // soon as any call resolves.
    [Fact]
    public void SeqIterNNewestWinsAfterSplits()
    {
        var (end, endGate) = Promise.Create<Option<(int, LwtSeq<int>)>>();
        var seq = LwtSeq.Append(LwtSeq.OfList(new[] { 1, 2, 3, 4 }), new LwtSeq<int>(() => end));
        var gates = new Dictionary<int, Resolver<Unit>>();
        var p = LwtSeq.IterN(x => { var (q, r) = Promise.Create(); gates[x] = r; return q; }, seq, maxConcurrency: 3);
        Assert.Equal([1, 2, 3], gates.Keys.Order());
        gates[1].Resolve();
        Assert.Equal([1, 2, 3, 4], gates.Keys.Order());
        gates[3].Resolve();
        gates[2].Reject(new FormatException());
        gates[4].Reject(new InvalidCastException());
        Assert.True(p.IsPending);
        endGate.Resolve(Option<(int, LwtSeq<int>)>.None);
        Assert.IsType<InvalidCastException>(p.Exception);
    }

    // ================================================================ f returning null (F4)

    private static void AssertNullPromise(Promise p)
    {
        var e = Assert.IsType<InvalidOperationException>(p.Exception);
        Assert.Equal(NullPromiseMessage, e.Message);
    }

    [Fact]
    public void ListSFormsRejectANullPromiseAsThePFormsDo()
    {
        var xs = new[] { 1, 2 };
        AssertNullPromise(LwtList.IterS(xs, _ => null!));
        AssertNullPromise(LwtList.IteriS(xs, (_, _) => null!));
        AssertNullPromise(LwtList.MapS<int, int>(xs, _ => null!));
        AssertNullPromise(LwtList.MapiS<int, int>(xs, (_, _) => null!));
        AssertNullPromise(LwtList.RevMapS<int, int>(xs, _ => null!));
        AssertNullPromise(LwtList.FoldLeftS<int, int>((_, _) => null!, 0, xs));
        AssertNullPromise(LwtList.FoldRightS<int, int>((_, _) => null!, xs, 0));
        AssertNullPromise(LwtList.FilterS(xs, _ => null!));
        AssertNullPromise(LwtList.FilterMapS<int, int>(xs, _ => null!));
        AssertNullPromise(LwtList.PartitionS(xs, _ => null!));
        AssertNullPromise(LwtList.ForAllS(xs, _ => null!));
        AssertNullPromise(LwtList.ExistsS(xs, _ => null!));
        AssertNullPromise(LwtList.FindS(xs, _ => null!));
        AssertNullPromise(LwtList.MapP<int, int>(xs, _ => null!));
    }

    [Fact]
    public void SeqFunctionsRejectANullPromiseAsForceDoes()
    {
        var s = LwtSeq.OfList(new[] { 1, 2 });
        AssertNullPromise(LwtSeq.IterS(_ => null!, s));
        AssertNullPromise(LwtSeq.FoldLeftS<int, int>((_, _) => null!, 0, s));
        AssertNullPromise(LwtSeq.ToList(LwtSeq.MapS<int, int>(_ => null!, s)));
        AssertNullPromise(LwtSeq.ToList(LwtSeq.FilterS(_ => null!, s)));
        AssertNullPromise(LwtSeq.ToList(LwtSeq.FilterMapS<int, int>(_ => null!, s)));
        AssertNullPromise(LwtSeq.ToList(LwtSeq.UnfoldLwt<int, int>(_ => null!, 0)));
        AssertNullPromise(LwtSeq.ToList(LwtSeq.Take(2, LwtSeq.Forever<int>(() => null!))));
        AssertNullPromise(LwtSeq.IterP(_ => null!, s));
        AssertNullPromise(LwtSeq.ToList(new LwtSeq<int>(() => null!)));
    }
}
