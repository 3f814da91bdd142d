namespace Lwt.Tests.Library;

public class LwtSeqTests
{
    private static IReadOnlyList<T> L<T>(LwtSeq<T> s) => LwtSeq.ToList(s).Value;

    [Fact]
    public void Construction()
    {
        Assert.Empty(L(LwtSeq.Empty<int>()));
        Assert.Equal([1], L(LwtSeq.Return(1)));
        Assert.Equal([1, 2], L(LwtSeq.Cons(1, LwtSeq.Return(2))));
        Assert.Equal([3], L(LwtSeq.ReturnLwt(Promise.Return(3))));
        Assert.Equal([1, 2, 3], L(LwtSeq.Append(LwtSeq.OfList(new[] { 1, 2 }), LwtSeq.Return(3))));
        Assert.Equal([0, 1, 4], L(LwtSeq.Init(3, i => i * i)));
        Assert.Equal([7, 7, 7], L(LwtSeq.Take(3, LwtSeq.Repeat(7))));
        Assert.Equal([3, 4], L(LwtSeq.Drop(3, LwtSeq.Init(5, i => i))));
        Assert.Equal([0, 1, 2], L(LwtSeq.OfSeq(Enumerable.Range(0, 3))));
        Assert.Equal([1, 2, 3], L(LwtSeq.Unfold(i => i <= 3 ? Option.Some((i, i + 1)) : Option<(int, int)>.None, 1)));
        Assert.Equal([1, 2], L(LwtSeq.UnfoldLwt(i => Promise.Return(i <= 2 ? Option.Some((i, i + 1)) : Option<(int, int)>.None), 1)));
        int k = 0;
        Assert.Equal([0, 1], L(LwtSeq.Take(2, LwtSeq.Forever(() => Promise.Return(k++)))));
        Assert.Equal([1, 2, 3], L(LwtSeq.Concat(LwtSeq.OfList(new[] { LwtSeq.Return(1), LwtSeq.OfList(new[] { 2, 3 }) }))));
    }

    // The class docs: a function that returns null where a promise is expected counts as
    // one that threw InvalidOperationException, in every function that takes one.
    [Fact]
    public void NullPromiseFromAFunction_RejectsWithInvalidOperation()
    {
        var seq = LwtSeq.OfList(new[] { 1, 2 });
        static void Rejected(Promise p) => Assert.IsType<InvalidOperationException>(p.Rejection);
        Rejected(LwtSeq.IterS(_ => null!, seq));
        Rejected(LwtSeq.IterP(_ => null!, seq));
        Rejected(LwtSeq.IterN(_ => null!, seq, 2));
        Rejected(LwtSeq.ToList(LwtSeq.MapS<int, int>(_ => null!, seq)));
        Rejected(LwtSeq.ToList(LwtSeq.FilterS(_ => null!, seq)));
        Rejected(LwtSeq.FoldLeftS<int, int>((_, _) => null!, 0, seq));
        Rejected(LwtSeq.ToList(LwtSeq.UnfoldLwt<int, int>(_ => null!, 0)));
        Rejected(LwtSeq.ToList(LwtSeq.OfSeqLwt(new Promise<int>[] { null! })));
        Rejected(LwtSeq.ToList(new LwtSeq<int>(() => null!)));
    }

    [Fact]
    public void OfListTakesTheElementsAsTheyAreAtTheCall()
    {
        // Lwt_seq.of_list of an OCaml list: the list cannot change afterwards. Lwt 5.6.1,
        // of_list (Array.to_list a) then a.(0) <- 9: to_list gives [1; 2; 3]. Before the fix
        // the sequence read the caller's collection lazily: [9, 2, 3] and [1, 2, 3, 4].
        var array = new[] { 1, 2, 3 };
        var fromArray = LwtSeq.OfList(array);
        array[0] = 9;
        var list = new List<int> { 1, 2, 3 };
        var fromList = LwtSeq.OfList(list);
        list.Add(4);
        Assert.Equal([1, 2, 3], L(fromArray));
        Assert.Equal([1, 2, 3], L(fromList));
        list.Clear();
        Assert.Equal([1, 2, 3], L(fromList));
    }

    [Fact]
    public void IsLazyAndReusable()
    {
        int calls = 0;
        var s = LwtSeq.Map(x => { calls++; return x * 2; }, LwtSeq.OfList(new[] { 1, 2, 3 }));
        Assert.Equal(0, calls);
        Assert.Equal([2, 4, 6], L(s));
        Assert.Equal([2, 4, 6], L(s));
        Assert.Equal(6, calls);
    }

    [Fact]
    public void Transformers()
    {
        var s = LwtSeq.Init(6, i => i);
        Assert.Equal([0, 2, 4, 6, 8, 10], L(LwtSeq.MapS(x => Promise.Return(x * 2), s)));
        Assert.Equal([0, 2, 4], L(LwtSeq.Filter(x => x % 2 == 0, s)));
        Assert.Equal([1, 3, 5], L(LwtSeq.FilterS(x => Promise.Return(x % 2 == 1), s)));
        Assert.Equal(["4", "5"], L(LwtSeq.FilterMap(x => x > 3 ? Option.Some(x.ToString()) : Option<string>.None, s)));
        Assert.Equal([0, 0, 1, 1], L(LwtSeq.FlatMap(LwtSeq.Take(2, s), x => LwtSeq.OfList(new[] { x, x }))));
    }

    [Fact]
    public void FoldsAndIterations()
    {
        var s = LwtSeq.Init(4, i => i + 1);
        Assert.Equal("1234", LwtSeq.FoldLeft((acc, x) => acc + x, "", s).Value);
        Assert.Equal(10, LwtSeq.FoldLeftS((acc, x) => Promise.Return(acc + x), 0, s).Value);
        var seen = new List<int>();
        Assert.True(LwtSeq.Iter(seen.Add, s).IsFulfilled);
        Assert.True(LwtSeq.IterS(x => { seen.Add(x); return Promise.ReturnUnit; }, s).IsFulfilled);
        Assert.Equal(8, seen.Count);

        var gates = new List<Resolver<Unit>>();
        var p = LwtSeq.IterP(_ => { var (q, r) = Promise.Create(); gates.Add(r); return q; }, s);
        Assert.Equal(4, gates.Count);
        foreach (var g in gates) g.Resolve();
        Assert.True(p.IsFulfilled);

        gates.Clear();
        int running = 0, most = 0;
        var n = LwtSeq.IterN(_ =>
        {
            running++; most = Math.Max(most, running);
            var (q, r) = Promise.Create();
            gates.Add(r);
            return q.Map(() => { running--; return Unit.Value; });
        }, LwtSeq.Init(9, i => i), maxConcurrency: 2);
        while (n.IsPending) gates.First(g => g.Promise.IsPending).Resolve();
        Assert.Equal(2, most);
    }

    [Fact]
    public void LongSequenceConstantStack()
    {
        Assert.Equal(300_000, LwtSeq.FoldLeft((acc, _) => acc + 1, 0, LwtSeq.Init(300_000, i => i)).Value);
    }

    [Fact]
    public void ErrorsAndBadInput()
    {
        var s = LwtSeq.Map<int, int>(x => throw new FormatException(), LwtSeq.Return(1));
        Assert.IsType<FormatException>(LwtSeq.ToList(s).Exception);
        Assert.Throws<ArgumentOutOfRangeException>(() => LwtSeq.Init(-1, i => i));
        Assert.Throws<ArgumentOutOfRangeException>(() => LwtSeq.Take(-1, LwtSeq.Empty<int>()));
        Assert.Throws<ArgumentNullException>(() => LwtSeq.Map<int, int>(null!, LwtSeq.Empty<int>()));
        Assert.Throws<ArgumentOutOfRangeException>(() => LwtSeq.IterN(_ => Promise.ReturnUnit, LwtSeq.Empty<int>(), 0));
    }

    [Fact]
    public void OfSeqLwt_gives_the_values_in_order_waiting_for_each()
    {
        var (p1, r1) = Promise.Create<int>();
        var (p2, r2) = Promise.Create<int>();
        var all = LwtSeq.ToList(LwtSeq.OfSeqLwt(new[] { p1, p2, Promise.Return(3) }));
        r2.Resolve(2);
        Assert.True(all.IsPending); // the first node still waits for p1
        r1.Resolve(1);
        Assert.Equal([1, 2, 3], all.Value);
        Assert.Empty(L(LwtSeq.OfSeqLwt(Array.Empty<Promise<int>>())));
    }

    [Fact]
    public void OfSeqLwt_asks_for_the_next_promise_only_when_its_node_is_forced_and_only_once()
    {
        int made = 0;
        IEnumerable<Promise<int>> Promises()
        {
            for (int i = 0; i < 3; i++)
            {
                made++;
                yield return Promise.Return(i * 10);
            }
        }
        var seq = LwtSeq.OfSeqLwt(Promises());
        Assert.Equal(0, made);
        var first = seq.Force().Value;
        Assert.Equal(1, made);
        Assert.Equal(0, first.Value.Head);
        var tail = first.Value.Tail;
        Assert.Equal(10, tail.Force().Value.Value.Head);
        Assert.Equal(10, tail.Force().Value.Value.Head); // the same node again, not the next
        Assert.Equal(2, made);
    }

    [Fact]
    public void OfSeqLwt_rejects_the_node_of_a_rejected_or_null_promise()
    {
        var boom = new InvalidDataException("second");
        var seq = LwtSeq.OfSeqLwt(new[] { Promise.Return(1), Promise.Fail<int>(boom) });
        Assert.Same(boom, LwtSeq.ToList(seq).Exception);
        var nulls = LwtSeq.OfSeqLwt(new Promise<int>[] { null! });
        Assert.IsType<InvalidOperationException>(nulls.Force().Exception);
        Assert.Throws<ArgumentNullException>(() => LwtSeq.OfSeqLwt<int>(null!));
    }
}
