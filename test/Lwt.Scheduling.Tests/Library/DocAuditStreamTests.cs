namespace Lwt.Tests.Library;

/// <summary>
/// What the docs of LwtStream, BoundedPush, LwtSeq and LwtList promise, where an audit
/// found the code and the docs apart (or pinned a claim no test held).
/// </summary>
public class DocAuditStreamTests
{
    private static LwtStream<int> Three() => LwtStream.OfList([1, 2, 3]);

    public static TheoryData<string> NullCallbackCases() =>
    [
        "MapS", "FilterS", "FilterMapS", "MapListS", "FoldS", "IterS", "FindS", "FindMapS", "GetWhileS", "JunkWhileS",
    ];

    private static Promise RunWithNullCallback(string name) => name switch
    {
        "MapS" => Three().MapS<int>(_ => null!).Get(),
        "FilterS" => Three().FilterS(_ => null!).Get(),
        "FilterMapS" => Three().FilterMapS<int>(_ => null!).Get(),
        "MapListS" => Three().MapListS<int>(_ => null!).Get(),
        "FoldS" => Three().FoldS<int>((_, _) => null!, 0),
        "IterS" => Three().IterS(_ => null!),
        "FindS" => Three().FindS(_ => null!),
        "FindMapS" => Three().FindMapS<int>(_ => null!),
        "GetWhileS" => Three().GetWhileS(_ => null!),
        "JunkWhileS" => Three().JunkWhileS(_ => null!),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    // A null collection (MapList, MapListS, Flatten) or a null inner stream (Concat) made the
    // read fail with the NullReferenceException of enumerating or reading null. It is now an
    // InvalidOperationException that says what to give instead, and only that read fails.
    [Fact]
    public void A_null_collection_or_inner_stream_rejects_the_read_that_reaches_it_with_InvalidOperationException()
    {
        Assert.IsType<InvalidOperationException>(Three().MapList<int>(_ => null!).Get().Exception);
        Assert.IsType<InvalidOperationException>(Three().MapListS(_ => Promise.Return<IEnumerable<int>>(null!)).Get().Exception);

        var flat = LwtStream.Flatten(LwtStream.OfList<IEnumerable<int>>([[1], null!, [2, 3]]));
        Assert.Equal(1, flat.Get().Value.Value);
        Assert.IsType<InvalidOperationException>(flat.Get().Exception);
        Assert.Equal(2, flat.Get().Value.Value);

        var concat = LwtStream.Concat(LwtStream.OfList<LwtStream<int>>([LwtStream.OfList([1]), null!, LwtStream.OfList([2])]));
        Assert.Equal(1, concat.Get().Value.Value);
        Assert.IsType<InvalidOperationException>(concat.Get().Exception);
        Assert.Equal(2, concat.Get().Value.Value);
        Assert.False(concat.Get().Value.HasValue);
    }

    // LwtSeq.FlatMap whose function gave null (and Concat of a null sequence) rejected with the
    // ArgumentNullException of Append's own check, naming a parameter the caller never passed.
    [Fact]
    public void A_null_sequence_from_FlatMap_or_in_Concat_rejects_with_InvalidOperationException()
    {
        var flat = LwtSeq.FlatMap(LwtSeq.OfList([1, 2]), x => x == 2 ? null! : LwtSeq.Return(x));
        Assert.IsType<InvalidOperationException>(LwtSeq.ToList(flat).Exception);
        Assert.Equal(1, flat.Force().Value.Value.Head);

        var concat = LwtSeq.Concat(LwtSeq.OfList<LwtSeq<int>>([null!]));
        Assert.IsType<InvalidOperationException>(concat.Force().Exception);
    }

    // The stream functions whose callback returns a promise rejected their result with the
    // NullReferenceException of binding or awaiting null when the callback returned null;
    // From, IterP, IterN, Parse, and every LwtSeq and LwtList function, reject with
    // ThrowHelper's InvalidOperationException, as ThrowHelper.NullAsRejected's doc says
    // every function taking a promise-returning callback does.
    [Theory]
    [MemberData(nameof(NullCallbackCases))]
    public void A_stream_callback_returning_null_rejects_with_InvalidOperationException(string name)
    {
        var result = RunWithNullCallback(name);
        Assert.True(result.IsRejected);
        Assert.IsType<InvalidOperationException>(result.Exception);
    }

    // BoundedPush.Push's doc said a waiting push resolves "when the reader has made room";
    // after a Resize below Count, a read lets the waiting push in though there is no room
    // (Lwt's consume calls notify_pusher whenever a push is pending). The docs now say so.
    [Fact]
    public void A_read_lets_a_waiting_push_in_even_after_a_resize_below_the_count()
    {
        var (s, push) = LwtStream.CreateBounded<int>(3);
        Assert.True(push.Push(1).IsFulfilled);
        Assert.True(push.Push(2).IsFulfilled);
        push.Resize(0);
        var waiting = push.Push(3);
        Assert.True(waiting.IsPending);
        Assert.Equal(1, s.Get().Value.Value);
        Assert.True(waiting.IsFulfilled);
        Assert.Equal(2, push.Count);
        Assert.Equal([2, 3], s.NGet(2).Value);
    }

    // The class remarks: a read of several items goes on from the item it reached and
    // consumes an item only while the stream is still at it, as Lwt's walkers (get_while,
    // njunk, to_list) do, so a Get waiting beside an NGet gets the first item too. Lwt 5.6.1's
    // own nget reads the stream's head instead and ends at once here (test/differential
    // README, syncstream). Two Gets waiting at once both get the next item, as in Lwt 5.6.1
    // (get_rec resumes at the node it waited at: `a=1 b=1`, rest `[2]`).
    [Fact]
    public void Reads_waiting_at_once_on_one_stream_all_get_the_next_item_as_in_Lwt()
    {
        var (s, push) = LwtStream.Create<int>();
        var n = s.NGet(2);
        var g = s.Get();
        var j = s.Junk();
        foreach (int i in new[] { 1, 2, 3, 4 }) push(Option<int>.Some(i));
        push(Option<int>.None);
        Assert.Equal([1, 2], n.Value);
        Assert.Equal(1, g.Value.Value);
        Assert.True(j.IsFulfilled);
        Assert.Equal([3, 4], s.ToList().Value); // 1 taken by the Get, 2 by the NGet, not again by the Junk

        var (s2, push2) = LwtStream.Create<int>();
        var a = s2.Get();
        var b = s2.Get();
        push2(Option<int>.Some(1));
        push2(Option<int>.Some(2));
        Assert.Equal(1, a.Value.Value);
        Assert.Equal(1, b.Value.Value);
        Assert.Equal([2], s2.GetAvailable());
    }

    // IterN's doc said only that it resolves when the stream has ended and every call has;
    // a rejected call rejects it as soon as the walk waits for a free slot, the stream still open.
    [Fact]
    public void Stream_IterN_is_rejected_by_a_call_once_every_slot_is_taken_without_the_end()
    {
        var (s, push) = LwtStream.Create<int>();
        var result = s.IterN(x => x == 1 ? Promise.Fail(new FormatException()) : Promise.ReturnUnit, 2);
        push(Option.Some(1));
        Assert.True(result.IsPending);
        push(Option.Some(2));
        Assert.IsType<FormatException>(result.Exception);
        Assert.False(s.IsClosed);
    }

    // The same for LwtSeq.IterN, whose doc said nothing of its result; the next node is
    // forced only when a slot is free, so the traversal stops after maxConcurrency nodes.
    [Fact]
    public void Seq_IterN_is_rejected_by_a_call_once_every_slot_is_taken()
    {
        int forced = 0;
        var seq = LwtSeq.Map(x => { forced++; return x; }, LwtSeq.Init(10, i => i));
        var result = LwtSeq.IterN(x => x == 0 ? Promise.Fail(new FormatException()) : Promise.Create().Promise, seq, 3);
        Assert.IsType<FormatException>(result.Exception);
        Assert.Equal(3, forced);
    }

    // From's and FromDirect's docs did not say what a failing source does: the read that
    // called it is rejected (a throw included, which Lwt raises at the call), the stream
    // does not end, and the next read calls the function again; the functions that return
    // no promise throw.
    [Fact]
    public void A_failing_From_or_FromDirect_source_rejects_that_read_and_the_stream_goes_on()
    {
        int n = 0;
        var from = LwtStream.From(() => ++n == 1 ? throw new FormatException() : Promise.Return(Option.Some(n)));
        Assert.IsType<FormatException>(from.Get().Exception);
        Assert.False(from.IsClosed);
        Assert.Equal(2, from.Get().Value.Value);

        int m = 0;
        var direct = LwtStream.FromDirect(() => ++m == 1 ? throw new FormatException() : Option.Some(m));
        Assert.Throws<FormatException>(() => direct.GetAvailableUpTo(1));
        Assert.False(direct.IsClosed);
        Assert.Equal(2, direct.Get().Value.Value);
    }
}
