namespace Lwt.Tests.Core;

public class JoinBothAllTests
{
    public static TheoryData<Kind, Kind> KindPairs()
    {
        var d = new TheoryData<Kind, Kind>();
        foreach (var a in Enum.GetValues<Kind>())
            foreach (var b in Enum.GetValues<Kind>()) d.Add(a, b);
        return d;
    }

    [Theory, MemberData(nameof(KindPairs))]
    public void Join_waits_for_all_then_rejects_with_one_of_the_exceptions(Kind ka, Kind kb)
    {
        var ea = new Boom("a");
        var eb = new Boom("b");
        var (a, sa) = In.Make(ka, 1, ea);
        var (b, sb) = In.Make(kb, 2, eb);
        var j = Promise.Join(a, b);
        var op = a & b;
        if (In.Later(ka) || In.Later(kb)) { Assert.True(j.IsPending); Assert.True(op.IsPending); }
        sa();
        if (In.Later(kb)) { Assert.True(j.IsPending); Assert.True(op.IsPending); } // only after *all* are resolved
        sb();
        foreach (var r in new[] { j, op })
        {
            if (In.Fulfils(ka) && In.Fulfils(kb)) Assert.True(r.IsFulfilled);
            else
            {
                Assert.True(r.IsRejected);
                var expected = new List<Exception>();
                if (!In.Fulfils(ka)) expected.Add(ea);
                if (!In.Fulfils(kb)) expected.Add(eb);
                Assert.Contains(r.Exception!, expected);
            }
        }
    }

    [Theory, MemberData(nameof(KindPairs))]
    public void Both_waits_for_both(Kind ka, Kind kb)
    {
        var ea = new Boom("a");
        var eb = new Boom("b");
        var (a, sa) = In.Make(ka, 1, ea);
        var (b, sb) = In.Make(kb, "two", eb);
        var r = Promise.Both(a, b);
        sa();
        if (In.Later(kb)) Assert.True(r.IsPending);
        sb();
        if (In.Fulfils(ka) && In.Fulfils(kb)) Assert.Equal((1, "two"), r.Value);
        else
        {
            var expected = new List<Exception>();
            if (!In.Fulfils(ka)) expected.Add(ea);
            if (!In.Fulfils(kb)) expected.Add(eb);
            Assert.Contains(r.Exception!, expected);
        }
    }

    [Theory, MemberData(nameof(KindPairs))]
    public void All_values_in_input_order(Kind ka, Kind kb)
    {
        var ea = new Boom("a");
        var eb = new Boom("b");
        var (a, sa) = In.Make(ka, 1, ea);
        var (b, sb) = In.Make(kb, 2, eb);
        var r = Promise.All(a, b, Promise.Return(3));
        sb(); // resolve out of order
        if (In.Later(ka)) Assert.True(r.IsPending);
        sa();
        if (In.Fulfils(ka) && In.Fulfils(kb)) Assert.Equal(new[] { 1, 2, 3 }, r.Value);
        else
        {
            var expected = new List<Exception>();
            if (!In.Fulfils(ka)) expected.Add(ea);
            if (!In.Fulfils(kb)) expected.Add(eb);
            Assert.Contains(r.Exception!, expected);
        }
    }

    [Fact]
    public void Empty_join_and_all_are_fulfilled()
    {
        Assert.True(Promise.Join().IsFulfilled);
        Assert.True(Promise.Join(new List<Promise>()).IsFulfilled);
        Assert.Empty(Promise.All(Array.Empty<Promise<int>>()).Value);
    }

    [Fact]
    public void Join_accepts_promises_of_any_type()
    {
        var (a, ra) = Promise.Create<int>();
        var (b, rb) = Promise.Create<string>();
        var j = Promise.Join(new List<Promise> { a, b, Promise.ReturnUnit });
        ra.Resolve(1);
        Assert.True(j.IsPending);
        rb.Resolve("x");
        Assert.True(j.IsFulfilled);
    }

    [Fact]
    public void Join_input_array_mutated_after_call_does_not_matter()
    {
        var (a, ra) = Promise.Create();
        var arr = new Promise[] { a };
        var j = Promise.Join(arr);
        arr[0] = Promise.ReturnUnit;
        Assert.True(j.IsPending);
        ra.Resolve();
        Assert.True(j.IsFulfilled);
    }

    [Fact]
    public void Cancel_join_cancels_every_cancelable_input()
    {
        var (a, _) = Promise.CreateCancelable<int>();
        var (b, _) = Promise.CreateCancelable<int>();
        var (c, rc) = Promise.Create<int>();
        var j = Promise.Join(a, b, c);
        j.Cancel();
        Assert.True(a.IsCanceled);
        Assert.True(b.IsCanceled);
        Assert.True(c.IsPending);
        Assert.True(j.IsPending); // waits for c too
        rc.Resolve(1);
        Assert.True(j.IsCanceled);
    }

    [Fact]
    public void Cancel_operator_and_cancels_both()
    {
        var (a, _) = Promise.CreateCancelable();
        var (b, _) = Promise.CreateCancelable();
        var j = a & b;
        j.Cancel();
        Assert.True(a.IsCanceled && b.IsCanceled && j.IsCanceled);
    }

    [Fact]
    public void Cancel_both_and_all_cancel_inputs()
    {
        var (a, _) = Promise.CreateCancelable<int>();
        var (b, _) = Promise.CreateCancelable<int>();
        var r = Promise.Both(a, b);
        r.Cancel();
        Assert.True(a.IsCanceled && b.IsCanceled && r.IsCanceled);
        var (c, _) = Promise.CreateCancelable<int>();
        var (d, _) = Promise.CreateCancelable<int>();
        var all = Promise.All(c, d);
        all.Cancel();
        Assert.True(c.IsCanceled && d.IsCanceled && all.IsCanceled);
    }
}

public class RaceTests
{
    // ----------------------------------------------------------------- pick / choose

    [Fact]
    public void Pick_first_to_resolve_wins_and_others_are_canceled()
    {
        var (a, ra) = Promise.CreateCancelable<int>();
        var (b, _) = Promise.CreateCancelable<int>();
        var (c, _) = Promise.Create<int>();
        var r = Promise.Pick(a, b, c);
        Assert.True(r.IsPending);
        ra.Resolve(1);
        Assert.Equal(1, r.Value);
        Assert.True(b.IsCanceled);
        Assert.True(c.IsPending); // not cancelable
    }

    [Fact]
    public void Pick_first_rejected_wins()
    {
        var (a, _) = Promise.CreateCancelable<int>();
        var (b, rb) = Promise.CreateCancelable<int>();
        var r = Promise.Pick(new List<Promise<int>> { a, b });
        var e = new Boom();
        rb.Reject(e);
        Assert.Same(e, r.Exception);
        Assert.True(a.IsCanceled);
    }

    [Fact]
    public void Pick_with_already_resolved_inputs_cancels_pending_ones()
    {
        var (a, _) = Promise.CreateCancelable<int>();
        var r = Promise.Pick(a, Promise.Return(5));
        Assert.Equal(5, r.Value);
        Assert.True(a.IsCanceled);
    }

    [Fact]
    public void Pick_with_already_resolved_inputs_prefers_a_rejected_one()
    {
        var e = new Boom();
        var r = Promise.Pick(Promise.Return(1), Promise.Fail<int>(e), Promise.Return(2));
        Assert.Same(e, r.Exception);
        var c = Promise.Choose(Promise.Return(1), Promise.Fail<int>(e));
        Assert.Same(e, c.Exception);
    }

    [Fact]
    public void Pick_with_all_fulfilled_gives_one_of_the_values()
    {
        var r = Promise.Pick(Promise.Return(1), Promise.Return(2));
        Assert.Contains(r.Value, new[] { 1, 2 });
    }

    [Fact]
    public void Cancel_pick_cancels_all_inputs()
    {
        var (a, _) = Promise.CreateCancelable<int>();
        var (b, _) = Promise.CreateCancelable<int>();
        var r = Promise.Pick(a, b);
        r.Cancel();
        Assert.True(a.IsCanceled && b.IsCanceled);
        Assert.True(r.IsCanceled);
    }

    [Fact]
    public void Choose_does_not_cancel_losers()
    {
        var (a, ra) = Promise.CreateCancelable<int>();
        var (b, rb) = Promise.CreateCancelable<int>();
        var r = Promise.Choose(a, b);
        rb.Resolve(2);
        Assert.Equal(2, r.Value);
        Assert.True(a.IsPending);
        ra.Resolve(1); // later winners change nothing
        Assert.Equal(2, r.Value);
        var r2 = Promise.Choose(new List<Promise<int>> { Promise.Create<int>().Promise, Promise.Return(3) });
        Assert.Equal(3, r2.Value);
    }

    [Fact]
    public void Choose_rejected_later()
    {
        var (a, ra) = Promise.Create<int>();
        var (b, _) = Promise.Create<int>();
        var r = Promise.Choose(a, b);
        var e = new Boom();
        ra.Reject(e);
        Assert.Same(e, r.Exception);
    }

    [Fact]
    public void Cancel_choose_cancels_all_inputs()
    {
        // Lwt.cancel: "Suppose p was returned by Lwt.join, Lwt.pick, or similar function ... tries to cancel each promise in ps".
        var (a, _) = Promise.CreateCancelable<int>();
        var (b, _) = Promise.CreateCancelable<int>();
        var r = Promise.Choose(a, b);
        r.Cancel();
        Assert.True(a.IsCanceled && b.IsCanceled && r.IsCanceled);
    }

    [Fact]
    public void Operator_or_is_choose()
    {
        var (a, ra) = Promise.CreateCancelable<int>();
        var (b, _) = Promise.CreateCancelable<int>();
        var r = a | b;
        Assert.True(r.IsPending);
        ra.Resolve(4);
        Assert.Equal(4, r.Value);
        Assert.True(b.IsPending);
        Assert.Equal(7, (Promise.Create<int>().Promise | Promise.Return(7)).Value);
    }

    [Fact]
    public void Untyped_pick_and_choose()
    {
        var (a, ra) = Promise.CreateCancelable<int>();
        var (b, _) = Promise.CreateCancelable<string>();
        var r = Promise.Pick(new Promise[] { a, b });
        ra.Resolve(1);
        Assert.True(r.IsFulfilled);
        Assert.True(b.IsCanceled);

        var (c, _) = Promise.CreateCancelable<int>();
        var (d, rd) = Promise.CreateCancelable<string>();
        var r2 = Promise.Choose(new List<Promise> { c, d });
        var e = new Boom();
        rd.Reject(e);
        Assert.Same(e, r2.Exception);
        Assert.True(c.IsPending);
    }

    [Fact]
    public void Same_promise_twice_in_a_race()
    {
        var (a, ra) = Promise.Create<int>();
        var r = Promise.Choose(a, a);
        ra.Resolve(1);
        Assert.Equal(1, r.Value);
        var (b, rb) = Promise.Create<int>();
        var n = Promise.NChoose(b, b);
        rb.Resolve(2);
        Assert.Equal(new[] { 2, 2 }, n.Value);
    }

    // ----------------------------------------------------------------- npick / nchoose / nchoose_split

    [Fact]
    public void NPick_already_fulfilled_gives_all_their_values_and_cancels_pending()
    {
        var (a, _) = Promise.CreateCancelable<int>();
        var r = Promise.NPick(Promise.Return(1), a, Promise.Return(3));
        Assert.Equal(new[] { 1, 3 }, r.Value);
        Assert.True(a.IsCanceled);
    }

    [Fact]
    public void NPick_later_gives_the_first_value_and_cancels_others()
    {
        var (a, _) = Promise.CreateCancelable<int>();
        var (b, rb) = Promise.CreateCancelable<int>();
        var r = Promise.NPick(new List<Promise<int>> { a, b });
        Assert.True(r.IsPending);
        rb.Resolve(2);
        Assert.Equal(new[] { 2 }, r.Value);
        Assert.True(a.IsCanceled);
    }

    [Fact]
    public void NPick_rejected()
    {
        var e = new Boom();
        Assert.Same(e, Promise.NPick(Promise.Return(1), Promise.Fail<int>(e)).Exception);
        var (a, _) = Promise.CreateCancelable<int>();
        var (b, rb) = Promise.CreateCancelable<int>();
        var r = Promise.NPick(a, b);
        rb.Reject(e);
        Assert.Same(e, r.Exception);
        Assert.True(a.IsCanceled);
    }

    [Fact]
    public void NChoose_does_not_cancel()
    {
        var (a, _) = Promise.CreateCancelable<int>();
        var r = Promise.NChoose(Promise.Return(1), a, Promise.Return(3));
        Assert.Equal(new[] { 1, 3 }, r.Value);
        Assert.True(a.IsPending);
        var (b, rb) = Promise.CreateCancelable<int>();
        var (c, _) = Promise.CreateCancelable<int>();
        var r2 = Promise.NChoose(new List<Promise<int>> { b, c });
        rb.Resolve(5);
        Assert.Equal(new[] { 5 }, r2.Value);
        Assert.True(c.IsPending);
        var e = new Boom();
        Assert.Same(e, Promise.NChoose(a, Promise.Fail<int>(e)).Exception);
    }

    [Fact]
    public void NChooseSplit_gives_values_and_pending_promises()
    {
        var (a, _) = Promise.CreateCancelable<int>();
        var r = Promise.NChooseSplit(Promise.Return(1), a, Promise.Return(3));
        Assert.Equal(new[] { 1, 3 }, r.Value.Fulfilled);
        Assert.Single(r.Value.Pending);
        Assert.Same(a, r.Value.Pending[0]);
        Assert.True(a.IsPending);

        var (b, rb) = Promise.Create<int>();
        var (c, _) = Promise.Create<int>();
        var r2 = Promise.NChooseSplit(new List<Promise<int>> { b, c });
        Assert.True(r2.IsPending);
        rb.Resolve(7);
        Assert.Equal(new[] { 7 }, r2.Value.Fulfilled);
        Assert.Same(c, Assert.Single(r2.Value.Pending));

        var e = new Boom();
        Assert.Same(e, Promise.NChooseSplit(c, Promise.Fail<int>(e)).Exception);
    }

    [Fact]
    public void Cancel_n_races_cancels_inputs()
    {
        foreach (var make in new Func<Promise<int>[], Promise>[]
                 {
                     ps => Promise.NPick(ps), ps => Promise.NChoose(ps), ps => Promise.NChooseSplit(ps),
                 })
        {
            var (a, _) = Promise.CreateCancelable<int>();
            var (b, _) = Promise.CreateCancelable<int>();
            var r = make(new[] { a, b });
            r.Cancel();
            Assert.True(a.IsCanceled && b.IsCanceled && r.IsCanceled);
        }
    }

    [Fact]
    public void Empty_races_throw_argument_exception()
    {
        Assert.Throws<ArgumentException>(() => Promise.Pick(Array.Empty<Promise<int>>()));
        Assert.Throws<ArgumentException>(() => Promise.Pick(new List<Promise<int>>()));
        Assert.Throws<ArgumentException>(() => Promise.Choose(Array.Empty<Promise<int>>()));
        Assert.Throws<ArgumentException>(() => Promise.Choose(new List<Promise<int>>()));
        Assert.Throws<ArgumentException>(() => Promise.Pick(Array.Empty<Promise>()));
        Assert.Throws<ArgumentException>(() => Promise.Choose(new List<Promise>()));
        Assert.Throws<ArgumentException>(() => Promise.NPick(Array.Empty<Promise<int>>()));
        Assert.Throws<ArgumentException>(() => Promise.NChoose(new List<Promise<int>>()));
        Assert.Throws<ArgumentException>(() => Promise.NChooseSplit(Array.Empty<Promise<int>>()));
    }
}
