namespace Lwt.Tests.Library;

/// <summary>
/// The library modules wake their waiters with Lwt's wakeup_later, which, called from inside
/// callbacks, runs the woken waiter's callbacks after the running ones (lwt.ml's
/// ~maximum_callback_nesting_depth:1): the callback that unlocks, puts, signals or pushes
/// carries on first. Each expected trace is what Lwt 5.6.1 printed for the same program
/// (OCaml source in each test's comment). Before, the waiter ran at once, nested inside the
/// waker's callback.
/// </summary>
public class LibraryWakeupLaterTests
{
    // let _ = lock m in
    // let _a = lock m >>= fun () -> print "a locked"; unlock m; print "a unlocked"; return () in
    // let _b = lock m >>= fun () -> print "b locked"; return () in
    // unlock m        (* a locked, a unlocked, b locked *)
    [Fact]
    public void An_unlock_inside_a_locked_section_lets_the_section_finish_before_the_next_holder()
    {
        var log = new List<string>();
        var m = LwtMutex.Create();
        m.Lock();
        m.Lock().Map(() => { log.Add("a locked"); m.Unlock(); log.Add("a unlocked"); return Unit.Value; });
        m.Lock().Map(() => { log.Add("b locked"); return Unit.Value; });
        m.Unlock();
        Assert.Equal(["a locked", "a unlocked", "b locked"], log);
    }

    // let _t = Lwt_mvar.take mv >>= fun v -> printf "took %d" v in
    // let _ = p >>= fun () -> print "before put"; ignore (Lwt_mvar.put mv 1); print "after put" in
    // wakeup r ()     (* before put, after put, took 1 *)
    [Fact]
    public void A_put_from_a_callback_serves_the_taker_after_that_callback()
    {
        var log = new List<string>();
        var mv = LwtMVar<int>.CreateEmpty();
        mv.Take().Map(v => { log.Add($"took {v}"); return Unit.Value; });
        var (p, r) = Promise.Create();
        p.Map(() => { log.Add("before put"); mv.Put(1); log.Add("after put"); return Unit.Value; });
        r.ResolveNow();
        Assert.Equal(["before put", "after put", "took 1"], log);
    }

    // let _w = Lwt_condition.wait c >>= fun v -> printf "woke %d" v in
    // let _ = p >>= fun () -> print "before signal"; Lwt_condition.signal c 7; print "after signal" in
    // wakeup r ()     (* before signal, after signal, woke 7 *)
    [Fact]
    public void A_signal_from_a_callback_wakes_the_waiter_after_that_callback()
    {
        var log = new List<string>();
        var c = LwtCondition<int>.Create();
        c.Wait().Map(v => { log.Add($"woke {v}"); return Unit.Value; });
        var (p, r) = Promise.Create();
        p.Map(() => { log.Add("before signal"); c.Signal(7); log.Add("after signal"); return Unit.Value; });
        r.ResolveNow();
        Assert.Equal(["before signal", "after signal", "woke 7"], log);
    }

    // let _g = Lwt_stream.get s >>= fun v -> printf "got %d" v in
    // let _ = p >>= fun () -> print "before push"; push (Some 5); print "after push" in
    // wakeup r ()     (* before push, after push, got 5 *)
    [Fact]
    public void A_push_from_a_callback_serves_the_reader_after_that_callback()
    {
        var log = new List<string>();
        var (s, push) = LwtStream.Create<int>();
        s.Get().Map(v => { log.Add($"got {v.Value}"); return Unit.Value; });
        var (p, r) = Promise.Create();
        p.Map(() => { log.Add("before push"); push(Option.Some(5)); log.Add("after push"); return Unit.Value; });
        r.ResolveNow();
        Assert.Equal(["before push", "after push", "got 5"], log);
    }
}
