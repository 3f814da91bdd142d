using System.Diagnostics;

namespace Lwt.Tests.Engines;

/// <summary>TimerWheel with a fake clock: slots of 10 ticks, time starting at 0.</summary>
[Collection(Lwt.Tests.Core.SerialCollection.Name)]
public class TimerWheelTests
{
    private const long SlotTicks = 10;

    private sealed class Recorder
    {
        public readonly List<(long Deadline, long Now)> Fired = new();
        public long Now;

        public ActionTimerEntry Add(TimerWheel wheel, long deadline)
        {
            ActionTimerEntry? entry = null;
            entry = wheel.Add(deadline, () => Fired.Add((entry!.Deadline, Now)));
            return entry;
        }

        public void Expire(TimerWheel wheel, long now)
        {
            Now = now;
            wheel.Expire(now);
        }
    }

    private static TimerWheel NewWheel() => new(SlotTicks, 0);

    [Fact]
    public void Fires_in_deadline_order_across_levels()
    {
        var wheel = NewWheel();
        var rec = new Recorder();
        var rng = new Random(1);

        // Distinct slots, spread from the first slot to several levels up (up to ~10^8 slots).
        var deadlines = Enumerable.Range(0, 5000).Select(_ => (long)rng.Next(1, 1_000_000_000)).Select(d => d - (d % SlotTicks)).Distinct().ToList();
        foreach (long d in deadlines)
        {
            rec.Add(wheel, d);
        }

        Assert.Equal(deadlines.Count, wheel.Count);
        rec.Expire(wheel, 1_000_000_000);
        Assert.Equal(0, wheel.Count);
        Assert.Equal(deadlines.OrderBy(d => d), rec.Fired.Select(f => f.Deadline));
    }

    [Fact]
    public void Fires_in_deadline_order_inside_one_slot_equal_deadlines_in_insertion_order()
    {
        // One slot of 1,000,000 ticks: every deadline below shares it. Lwt's engines fire due
        // timers in deadline order; the wheel sorts each batch (stably) before it fires.
        var wheel = new TimerWheel(1_000_000, 0);
        var fired = new List<int>();
        var rng = new Random(7);
        var deadlines = Enumerable.Range(0, 3000).Select(_ => (long)rng.Next(1, 500)).ToList();
        for (int i = 0; i < deadlines.Count; i++)
        {
            int id = i;
            wheel.Add(deadlines[i], () => fired.Add(id));
        }

        wheel.Expire(999_999);
        var expected = Enumerable.Range(0, deadlines.Count).OrderBy(i => deadlines[i]).ThenBy(i => i);
        Assert.Equal(expected, fired);
    }

    [Fact]
    public void Past_deadlines_fire_in_deadline_order_and_a_sorted_batch_still_honours_cancels()
    {
        var wheel = NewWheel();
        var rec = new Recorder();
        rec.Expire(wheel, 5000);

        // Due at once (deadline before the wheel's clock), set latest deadline first.
        rec.Add(wheel, 4999);
        rec.Add(wheel, 10);
        ActionTimerEntry? victim = null;
        wheel.Add(2000, () =>
        {
            rec.Fired.Add((2000, rec.Now));
            wheel.Cancel(victim!);
        });
        victim = rec.Add(wheel, 3000);
        rec.Add(wheel, 20);
        rec.Expire(wheel, 5000);
        Assert.Equal([10L, 20, 2000, 4999], rec.Fired.Select(f => f.Deadline));
        Assert.Equal(0, wheel.Count);
    }

    [Fact]
    public void Never_fires_early_and_fires_at_the_first_expire_past_the_deadline()
    {
        var wheel = NewWheel();
        var rec = new Recorder();
        var rng = new Random(2);
        var deadlines = Enumerable.Range(0, 3000).Select(_ => (long)rng.Next(0, 2_000_000)).ToList();
        foreach (long d in deadlines)
        {
            rec.Add(wheel, d);
        }

        long previous = -1;
        for (long now = 0; now <= 2_000_000; now += rng.Next(1, 3000))
        {
            rec.Expire(wheel, now);
            foreach (var (deadline, firedAt) in rec.Fired)
            {
                Assert.True(deadline <= firedAt, $"deadline {deadline} fired early at {firedAt}");
                Assert.True(deadline > previous, $"deadline {deadline} fired late (already due at {previous})");
            }

            rec.Fired.Clear();
            previous = now;
        }

        rec.Expire(wheel, 2_000_000);
        Assert.Equal(0, wheel.Count);
    }

    [Fact]
    public void Partial_slot_keeps_the_timers_not_yet_due()
    {
        var wheel = NewWheel();
        var rec = new Recorder();
        rec.Add(wheel, 105);
        rec.Add(wheel, 101);
        rec.Add(wheel, 109);
        rec.Expire(wheel, 104);
        Assert.Equal(new long[] { 101 }, rec.Fired.Select(f => f.Deadline));
        rec.Expire(wheel, 105);
        Assert.Equal(new long[] { 101, 105 }, rec.Fired.Select(f => f.Deadline));
        Assert.Equal(1, wheel.Count);
        rec.Expire(wheel, 200);
        Assert.Equal(0, wheel.Count);
    }

    [Fact]
    public void Past_deadlines_fire_on_the_next_expire()
    {
        var wheel = NewWheel();
        var rec = new Recorder();
        rec.Expire(wheel, 5000);
        rec.Add(wheel, 10);
        rec.Add(wheel, 4999);
        Assert.Equal(0, wheel.MillisecondsUntilNext(5000));
        rec.Expire(wheel, 5000);
        Assert.Equal(2, rec.Fired.Count);
    }

    [Fact]
    public void Cancel_is_idempotent_and_canceled_timers_never_fire()
    {
        var wheel = NewWheel();
        var rec = new Recorder();
        var entries = Enumerable.Range(1, 1000).Select(i => rec.Add(wheel, i * 37L)).ToList();
        for (int i = 0; i < entries.Count; i += 2)
        {
            wheel.Cancel(entries[i]);
            wheel.Cancel(entries[i]);
            entries[i].Cancel();
        }

        Assert.Equal(500, wheel.Count);
        rec.Expire(wheel, 1_000_000);
        Assert.Equal(Enumerable.Range(1, 1000).Where(i => i % 2 == 0).Select(i => i * 37L), rec.Fired.Select(f => f.Deadline));
        Assert.False(entries[0].IsScheduled);

        // A fired or canceled entry may be scheduled again; a scheduled one may not.
        wheel.Add(entries[0], 2_000_000);
        Assert.Throws<InvalidOperationException>(() => wheel.Add(entries[0], 3_000_000));
        Assert.Equal(1, wheel.Count);
    }

    [Fact]
    public void A_million_canceled_timers_leave_nothing_behind()
    {
        var wheel = new TimerWheel(); // real clock and slot size
        long now = Stopwatch.GetTimestamp();
        var rng = new Random(3);
        long before = GC.GetTotalMemory(forceFullCollection: true);

        const int Batch = 100_000;
        var batch = new ActionTimerEntry[Batch];
        Action noop = () => { };
        for (int round = 0; round < 10; round++)
        {
            for (int i = 0; i < Batch; i++)
            {
                batch[i] = wheel.Add(now + rng.NextInt64(0, Stopwatch.Frequency * 3600), noop);
            }

            Assert.Equal(Batch, wheel.Count);
            for (int i = 0; i < Batch; i++)
            {
                wheel.Cancel(batch[i]);
            }

            Assert.Equal(0, wheel.Count);
        }

        Array.Clear(batch);
        long after = GC.GetTotalMemory(forceFullCollection: true);
        Assert.Equal(0, wheel.Count);
        Assert.Equal(-1, wheel.MillisecondsUntilNext(now));
        Assert.True(after - before < 4_000_000, $"{after - before} bytes retained after cancelling 1,000,000 timers");
        GC.KeepAlive(wheel);
    }

    [Fact]
    public void Add_and_cancel_do_not_allocate_beyond_the_entry()
    {
        var wheel = new TimerWheel();
        var entry = new ActionTimerEntry(() => { });
        long now = Stopwatch.GetTimestamp();
        // AllocationMeter warms up with the very same sequence (every slot and level the
        // measured run touches has been used once, and the code has had its chance to be
        // rejitted), then keeps the best of three runs of 10,000 calls: an allocation by Add or
        // Cancel would show in every run.
        long best = AllocationMeter.Total(() => AddAndCancel(wheel, entry, now));
        Assert.Equal(0, best);
    }

    private static void AddAndCancel(TimerWheel wheel, ActionTimerEntry entry, long now)
    {
        for (int i = 0; i < 10_000; i++)
        {
            wheel.Add(entry, now + (i * 997L * Stopwatch.Frequency / 1000));
            wheel.Cancel(entry);
        }
    }

    [Fact]
    public void Callbacks_may_add_cancel_and_expire()
    {
        var wheel = NewWheel();
        var fired = new List<string>();
        ActionTimerEntry? victim = null;
        wheel.Add(100, () =>
        {
            fired.Add("a");
            victim!.Cancel();              // collected in the same batch: must not fire
            wheel.Add(50, () => fired.Add("past")); // already due: waits for the next Expire
            wheel.Add(150, () => fired.Add("later"));
        });
        victim = wheel.Add(100, () => fired.Add("victim"));
        wheel.Add(120, () =>
        {
            fired.Add("b");
            wheel.Expire(130);             // nested: fires nothing twice
        });
        wheel.Add(125, () => fired.Add("c"));

        wheel.Expire(130);
        Assert.Equal(new[] { "a", "b", "c" }, fired.Where(s => s != "past"));
        Assert.Contains("past", fired); // the nested Expire is a later Expire: it fires it
        Assert.DoesNotContain("victim", fired);
        Assert.DoesNotContain("later", fired);
        Assert.Equal(fired.Count, fired.Distinct().Count());

        wheel.Expire(130);
        Assert.Contains("past", fired);
        Assert.DoesNotContain("later", fired);
        wheel.Expire(150);
        Assert.Contains("later", fired);
        Assert.Equal(0, wheel.Count);
    }

    [Fact]
    public void A_timer_added_by_a_callback_at_a_block_boundary_does_not_hold_back_the_next_block()
    {
        // Slot 63 is the last of the first 64-slot block; slot 69 lies in the next block, so its
        // timer waits at level 1 until that block is reached. Firing slot 63 as a whole past slot
        // moved the wheel into the next block without cascading that level-1 slot, and a timer
        // the callback added there (slot 104, placed at level 0 of the new block) then came first
        // at every lookup: slot 69's timer was held back until slot 104 had fired, and
        // NextDeadline named slot 104. Found by the timed differential run (test/differential,
        // area timed: every sleep of a busy loop late by up to seconds).
        var wheel = NewWheel();
        var fired = new List<string>();
        wheel.Add(69 * SlotTicks, () => fired.Add("69"));
        wheel.Add(63 * SlotTicks, () =>
        {
            fired.Add("63");
            wheel.Add(104 * SlotTicks, () => fired.Add("104"));
        });

        wheel.Expire(65 * SlotTicks);
        Assert.Equal(new[] { "63" }, fired);
        Assert.Equal(69 * SlotTicks, wheel.NextDeadline);

        wheel.Expire(70 * SlotTicks);
        Assert.Equal(new[] { "63", "69" }, fired);
        Assert.Equal(104 * SlotTicks, wheel.NextDeadline);

        wheel.Expire(104 * SlotTicks);
        Assert.Equal(new[] { "63", "69", "104" }, fired);
        Assert.Equal(0, wheel.Count);
    }

    [Fact]
    public void Timers_added_by_callbacks_fire_at_the_first_expire_past_their_deadline()
    {
        // As the test above, at random: every firing timer adds up to two more (some in the
        // next blocks of every level), the clock moves by random steps, and each timer must fire
        // at the first Expire at or past its deadline, never before.
        var wheel = NewWheel();
        var rng = new Random(3);
        long now = 0, previous = -1;
        var late = new List<string>();
        void AddRandom(int depth)
        {
            long delay = rng.Next(4) switch { 0 => rng.Next(1, 64), 1 => rng.Next(1, 4096), 2 => rng.Next(1, 300_000), _ => rng.Next(1, 20) * 64 };
            long deadline = (now / SlotTicks + delay) * SlotTicks + rng.Next((int)SlotTicks);
            wheel.Add(deadline, () =>
            {
                if (deadline > now) late.Add($"{deadline} fired early at {now}");
                if (deadline <= previous) late.Add($"{deadline} fired late at {now} (due at {previous})");
                if (depth < 40)
                    for (int k = rng.Next(3); k > 0; k--) AddRandom(depth + 1);
            });
        }

        for (int i = 0; i < 200; i++) AddRandom(0);
        while (wheel.Count != 0 && now < 50_000_000)
        {
            now += rng.Next(1, 700) * (rng.Next(10) == 0 ? 100 : 1);
            wheel.Expire(now);
            previous = now;
        }

        Assert.Empty(late);
    }

    [Fact]
    public void A_timer_added_due_from_a_callback_waits_for_the_next_expire()
    {
        var wheel = NewWheel();
        int count = 0;
        ActionTimerEntry? self = null;
        self = new ActionTimerEntry(() =>
        {
            count++;
            wheel.Add(self!, 0); // re-arm, already due
        });
        wheel.Add(self, 10);
        wheel.Expire(100);
        Assert.Equal(1, count);
        wheel.Expire(100);
        Assert.Equal(2, count);
        self.Cancel();
        wheel.Expire(1000);
        Assert.Equal(2, count);
    }

    [Fact]
    public void A_throwing_timer_does_not_stop_the_others()
    {
        var wheel = NewWheel();
        int ran = 0;
        wheel.Add(10, () => throw new InvalidTimeZoneException("first"));
        wheel.Add(20, () => throw new InvalidTimeZoneException("second"));
        wheel.Add(30, () => ran++);
        var error = Assert.Throws<InvalidTimeZoneException>(() => wheel.Expire(100));
        Assert.Equal("first", error.Message);
        Assert.Equal(1, ran);
        Assert.Equal(0, wheel.Count);
    }

    [Fact]
    public void MillisecondsUntilNext_is_rounded_up()
    {
        var wheel = new TimerWheel();
        long now = Stopwatch.GetTimestamp();
        long ms = Stopwatch.Frequency / 1000;
        Assert.Equal(-1, wheel.MillisecondsUntilNext(now));

        var e = wheel.Add(now + ms + (ms / 2), () => { });   // 1.5 ms
        Assert.Equal(2, wheel.MillisecondsUntilNext(now));
        wheel.Cancel(e);

        e = wheel.Add(now + (5 * ms), () => { });            // exactly 5 ms
        Assert.Equal(5, wheel.MillisecondsUntilNext(now));
        Assert.Equal(0, wheel.MillisecondsUntilNext(now + (5 * ms)));
        wheel.Cancel(e);

        // Far away (another level): never later than the deadline, never before "now".
        e = wheel.Add(now + (10_000 * ms), () => { });
        int far = wheel.MillisecondsUntilNext(now);
        Assert.InRange(far, 1, 10_000);
        Assert.True(wheel.NextDeadline <= e.Deadline);

        // A nearer timer added later takes over; cancelling it gives the far one back.
        var near = wheel.Add(now + (3 * ms), () => { });
        Assert.Equal(3, wheel.MillisecondsUntilNext(now));
        wheel.Cancel(near);
        Assert.Equal(far, wheel.MillisecondsUntilNext(now));
    }

    [Fact]
    public void Many_timers_fire_in_order_with_flat_cost()
    {
        var wheel = NewWheel();
        const int N = 300_000;
        var rng = new Random(4);
        long last = long.MinValue;
        int fired = 0;
        bool ordered = true;
        for (int i = 0; i < N; i++)
        {
            long d = rng.NextInt64(0, 100_000_000) * SlotTicks; // distinct-slot granularity
            ActionTimerEntry? entry = null;
            entry = wheel.Add(d, () =>
            {
                ordered &= entry!.Deadline >= last;
                last = entry.Deadline;
                fired++;
            });
        }

        for (long now = 0; now <= 1_000_000_000; now += 7_000_001)
        {
            wheel.Expire(now);
        }

        wheel.Expire(1_000_000_000);
        Assert.Equal(N, fired);
        Assert.True(ordered);
    }

    [Fact]
    public void A_crowded_bucket_gives_a_lower_bound_and_no_busy_loop()
    {
        var wheel = NewWheel();
        var rec = new Recorder();
        for (int i = 0; i < 1000; i++)
        {
            rec.Add(wheel, 1_000_000 + i); // all in one far bucket
        }

        long bound = wheel.NextDeadline!.Value;
        Assert.True(bound <= 1_000_000);

        // Expiring at the lower bound fires nothing and moves the bound forward.
        long now = 0;
        int guard = 0;
        while (rec.Fired.Count == 0)
        {
            Assert.True(++guard < 50, "the wheel kept asking for an immediate wake-up");
            long next = wheel.NextDeadline!.Value;
            Assert.True(next > now || next >= 1_000_000, "a wake-up at or before the previous one");
            now = Math.Max(now + 1, next);
            rec.Expire(wheel, now);
        }

        Assert.All(rec.Fired, f => Assert.True(f.Deadline <= f.Now));
    }
}
