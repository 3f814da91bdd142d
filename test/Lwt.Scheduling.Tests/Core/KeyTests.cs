namespace Lwt.Tests.Core;

/// <summary>
/// Lwt's implicit callback arguments (new_key, get, with_value), from the seeds' example and
/// "Precise behavior": with_value sets the key for the time f runs and restores it after;
/// the functions that attach callbacks snapshot the values, and the callback runs with the
/// snapshot.
/// </summary>
public class KeyTests
{
    [Fact]
    public void A_fresh_key_has_no_value()
    {
        var k = Promise.NewKey<string>();
        Assert.False(Promise.Get(k).HasValue);
    }

    [Fact]
    public void WithValue_sets_the_key_while_f_runs_and_restores_it_after()
    {
        var k = Promise.NewKey<string>();
        var seen = Promise.WithValue(k, Option.Some("inner"), () => Promise.Get(k));
        Assert.Equal(Option.Some("inner"), seen);
        Assert.False(Promise.Get(k).HasValue);
    }

    [Fact]
    public void Nested_WithValue_restores_the_outer_value_and_None_hides_it()
    {
        var k = Promise.NewKey<int>();
        var log = new List<string>();
        Promise.WithValue(k, Option.Some(1), () =>
        {
            Promise.WithValue(k, Option.Some(2), () => log.Add($"inner {Promise.Get(k).Value}"));
            log.Add($"outer {Promise.Get(k).Value}");
            Promise.WithValue(k, Option<int>.None, () => log.Add($"none {Promise.Get(k).HasValue}"));
            log.Add($"outer again {Promise.Get(k).Value}");
        });
        Assert.Equal(["inner 2", "outer 1", "none False", "outer again 1"], log);
        Assert.False(Promise.Get(k).HasValue);
    }

    [Fact]
    public void WithValue_restores_the_key_when_f_throws_and_rethrows_the_same_exception()
    {
        var k = Promise.NewKey<string>();
        var boom = new InvalidOperationException("boom");
        var thrown = Assert.Throws<InvalidOperationException>(
            () => Promise.WithValue<string, int>(k, Option.Some("x"), () => throw boom));
        Assert.Same(boom, thrown);
        Assert.False(Promise.Get(k).HasValue);
    }

    [Fact]
    public void Keys_are_independent_and_WithValue_restores_only_its_own()
    {
        var a = Promise.NewKey<string>();
        var b = Promise.NewKey<string>();
        Promise.WithValue(a, Option.Some("a"), () =>
        {
            Assert.False(Promise.Get(b).HasValue);
            Promise.WithValue(b, Option.Some("b"), () => Assert.Equal("a", Promise.Get(a).Value));
        });
        Assert.False(Promise.Get(a).HasValue);
        Assert.False(Promise.Get(b).HasValue);
    }

    [Fact]
    public void A_callback_attached_inside_WithValue_sees_the_value_when_it_runs_later_outside()
    {
        // The seeds' walk-through: bind snapshots the map at attachment; when the promise
        // resolves later (with the key back to None), the callback runs with the snapshot.
        var k = Promise.NewKey<string>();
        var (p, r) = Promise.Create();
        var seenByBind = new List<Option<string>>();
        var seenByOthers = new List<Option<string>>();
        var result = Promise.WithValue(k, Option.Some("Hello world!"), () =>
        {
            p.OnSuccess(_ => seenByOthers.Add(Promise.Get(k)));
            p.OnTermination(() => seenByOthers.Add(Promise.Get(k)));
            return p.Bind(_ =>
            {
                seenByBind.Add(Promise.Get(k));
                return Promise.ReturnUnit;
            });
        });
        Assert.True(result.IsPending);
        Assert.False(Promise.Get(k).HasValue);

        r.Resolve(Unit.Value);

        Assert.True(result.IsFulfilled);
        Assert.Equal([Option.Some("Hello world!")], seenByBind);
        Assert.Equal([Option.Some("Hello world!"), Option.Some("Hello world!")], seenByOthers);
        // ... and the callback's context did not leak into the resolver's.
        Assert.False(Promise.Get(k).HasValue);
    }

    [Fact]
    public void A_callback_attached_outside_sees_no_value_even_when_resolved_inside_WithValue()
    {
        var k = Promise.NewKey<string>();
        var (p, r) = Promise.Create();
        Option<string>? seen = null;
        p.OnSuccess(_ => seen = Promise.Get(k));
        Promise.WithValue(k, Option.Some("resolver's"), () => r.Resolve(Unit.Value));
        Assert.Equal(Option<string>.None, seen);
    }

    [Fact]
    public void The_value_flows_across_the_event_loop_through_a_sleep()
    {
        // The seeds' example: with_value k (Some "Hello world!") (fun () -> sleep >>= say_hello),
        // run under Lwt_main.run with k back to None while it waits.
        var k = Promise.NewKey<string>();
        Option<string> atCallback = default;
        Option<string> whileWaiting = Option.Some("not read");
        LwtMain.Run(() =>
        {
            var p = Promise.WithValue(k, Option.Some("Hello world!"), () =>
                LwtUnix.Sleep(0.001).Bind(() =>
                {
                    atCallback = Promise.Get(k);
                    return Promise.ReturnUnit;
                }));
            whileWaiting = Promise.Get(k);
            return p;
        });
        Assert.Equal(Option<string>.None, whileWaiting);
        Assert.Equal(Option.Some("Hello world!"), atCallback);
    }

    [Fact]
    public async Task An_await_inside_an_async_Promise_method_keeps_the_value()
    {
        var k = Promise.NewKey<int>();
        var (p, r) = Promise.Create();

        async Promise<Option<int>> ReadAfterAwait()
        {
            await p;
            return Promise.Get(k);
        }

        var read = Promise.WithValue(k, Option.Some(42), ReadAfterAwait);
        r.Resolve(Unit.Value);
        Assert.Equal(Option.Some(42), await read);
    }

    [Fact]
    public void Null_arguments_throw_at_the_call()
    {
        var k = Promise.NewKey<int>();
        Assert.Throws<ArgumentNullException>("key", () => Promise.Get<int>(null!));
        Assert.Throws<ArgumentNullException>("key", () => Promise.WithValue<int, int>(null!, Option.Some(1), () => 1));
        Assert.Throws<ArgumentNullException>("f", () => Promise.WithValue<int, int>(k, Option.Some(1), null!));
        Assert.Throws<ArgumentNullException>("key", () => Promise.WithValue(null!, Option.Some(1), () => { }));
        Assert.Throws<ArgumentNullException>("f", () => Promise.WithValue(k, Option.Some(1), (Action)null!));
    }
}
