using Lwt.Tests.Core;
using static Lwt.Tests.Library.ModelText;

namespace Lwt.Tests.Library;

/*
 * Differential tests of LwtMVar, and of LwtMutex with LwtCondition, against reference models,
 * after every step of random programs with fixed seeds.
 *
 * Facts (lwt_mvar.ml, lwt_mutex.ml, lwt_condition.ml):
 *  - mvar: put into an empty box hands the value to the first waiting taker, else fills the
 *    box; put into a full box waits (FIFO). take from a full box empties it, or refills it
 *    with the first waiting putter's value and wakes that putter; from an empty box it waits
 *    (FIFO). take_available is take without waiting. A canceled waiter leaves its queue.
 *  - mutex: lock takes a free mutex, else waits (FIFO); unlock hands the mutex to the first
 *    waiter (it stays locked), else frees it. with_lock f = lock, then f, then unlock however
 *    f ends, with f's outcome. A canceled lock waiter leaves the queue.
 *  - condition: wait queues (FIFO); signal wakes the first waiter; broadcast / broadcast_exn
 *    wake all; with nobody waiting nothing is remembered. wait ~mutex unlocks the mutex after
 *    queuing and, once woken (or canceled), locks it again before resolving.
 * Library choices followed: Unlock of an unlocked mutex throws, Wait with a mutex that is not
 * locked throws (Lwt ignores both); the programs never do either.
 */
public class LwtSyncModelTests
{
    private const int Programs = 1500;

    private sealed class MOp : ModelRead
    {
        public int Value;
        // mutex / condition
        public string Kind = "";
        public string Phase = "";          // "lock" (waiting for the mutex), "body", "cond", "relock", "done"
        public Resolver<int>? Body;
        public string Outcome = "";        // a Wait-with-mutex's outcome, delivered after relocking
    }

    [Fact]
    public void MVarFollowsTheModel()
    {
        for (int seed = 1; seed <= Programs; seed++) RunMVar(seed);
    }

    private static void RunMVar(int seed)
    {
        var rng = new Random(seed);
        var log = new ProgramLog(nameof(MVarFollowsTheModel), seed);
        bool full = rng.Next(2) == 0;
        int value = -1, next = 0;
        var mv = full ? LwtMVar<int>.Create(value) : LwtMVar<int>.CreateEmpty();
        log.Add(full ? "Create(-1)" : "CreateEmpty()");
        var takers = new List<MOp>();
        var putters = new List<MOp>();
        var all = new List<MOp>();
        log.State = () => $"{(full ? $"full {value}" : "empty")}, takers {string.Join(" ", takers.Select(o => o.Label))}, putters {string.Join(" ", putters.Select(o => o.Label))}";

        int TakeValue()
        {
            int v = value;
            if (putters.Count != 0)
            {
                var p = putters[0];
                putters.RemoveAt(0);
                value = p.Value;
                p.Expected = Ok("()");
            }
            else full = false;
            return v;
        }

        int steps = rng.Next(20, 61);
        for (int step = 0; step < steps; step++)
        {
            int r = rng.Next(100);
            if (r < 35)
            {
                var op = new MOp { Value = next++, Label = $"#{all.Count} put {next - 1}" };
                log.Add(op.Label);
                var p = mv.Put(op.Value);
                op.Real = p;
                op.Actual = () => Describe(p);
                all.Add(op);
                if (full) putters.Add(op);
                else
                {
                    op.Expected = Ok("()");
                    if (takers.Count != 0)
                    {
                        takers[0].Expected = Ok($"{op.Value}");
                        takers.RemoveAt(0);
                    }
                    else
                    {
                        full = true;
                        value = op.Value;
                    }
                }
            }
            else if (r < 70)
            {
                var op = new MOp { Label = $"#{all.Count} take" };
                log.Add(op.Label);
                var p = mv.Take();
                op.Real = p;
                op.Actual = () => Describe(p, x => $"{x}");
                all.Add(op);
                if (full) op.Expected = Ok($"{TakeValue()}");
                else takers.Add(op);
            }
            else if (r < 82)
            {
                log.Add("take_available");
                var expected = full ? $"Some {TakeValue()}" : "None";
                log.Equal(expected, Opt(mv.TakeAvailable()), "TakeAvailable");
            }
            else
            {
                var pending = all.Where(o => o.Expected == Pending).ToList();
                if (pending.Count == 0) continue;
                var op = pending[rng.Next(pending.Count)];
                log.Add($"cancel {op.Label}");
                op.Real.Cancel();
                op.Expected = Err<CanceledException>();
                takers.Remove(op);
                putters.Remove(op);
            }
            ModelRead.VerifyAll(all, log);
            log.Equal(!full, mv.IsEmpty, "IsEmpty");
        }
    }

    [Fact]
    public void MutexAndConditionFollowTheModel()
    {
        var seen = new Dictionary<string, int>();
        for (int seed = 1; seed <= Programs; seed++) RunMutexCondition(seed, seen);
        foreach (var phase in new[] { "lock", "relock", "cond", "body" })
            Assert.True(seen.GetValueOrDefault("cancel " + phase) > 0, $"no program canceled an operation in phase {phase}");
    }

    private static void RunMutexCondition(int seed, Dictionary<string, int> seen)
    {
        var rng = new Random(seed);
        var log = new ProgramLog(nameof(MutexAndConditionFollowTheModel), seed);
        var mutex = new LwtMutex();
        var cond = LwtCondition<int>.Create();
        bool locked = false;
        MOp? holder = null;                 // null with locked: the program itself holds it
        var lockWaiters = new List<MOp>();  // Lock, WithLock, and Wait-with-mutex relocking
        var condWaiters = new List<MOp>();
        var all = new List<MOp>();
        int next = 0;
        log.State = () => $"{(locked ? "locked by " + (holder?.Label ?? "the program") : "unlocked")}, lock waiters {string.Join(" ", lockWaiters.Select(o => o.Label))}, cond waiters {string.Join(" ", condWaiters.Select(o => o.Label))}";

        // The mutex goes to op (just locked, or handed over by Unlock).
        void Acquired(MOp op)
        {
            switch (op.Kind)
            {
                case "lock":
                    op.Phase = "done";
                    op.Expected = Ok("()");
                    holder = null;
                    break;
                case "withlock":
                    op.Phase = "body";
                    holder = op;
                    break;
                case "waitm":
                    op.Phase = "done";
                    op.Expected = op.Outcome;
                    holder = null;
                    break;
            }
        }

        void Lock(MOp op)
        {
            if (!locked)
            {
                locked = true;
                Acquired(op);
            }
            else
            {
                op.Phase = op.Kind == "waitm" ? "relock" : "lock";
                lockWaiters.Add(op);
            }
        }

        void Unlock()
        {
            if (lockWaiters.Count != 0)
            {
                var w = lockWaiters[0];
                lockWaiters.RemoveAt(0);
                Acquired(w);
            }
            else
            {
                locked = false;
                holder = null;
            }
        }

        void Woken(MOp w, string outcome)
        {
            if (w.Kind == "wait")
            {
                w.Phase = "done";
                w.Expected = outcome;
            }
            else
            {
                w.Outcome = outcome;
                Lock(w);
            }
        }

        int steps = rng.Next(20, 61);
        for (int step = 0; step < steps; step++)
        {
            int r = rng.Next(100);
            if (r < 15)
            {
                var op = new MOp { Kind = "lock", Label = $"#{all.Count} lock" };
                log.Add(op.Label);
                var p = mutex.Lock();
                op.Real = p;
                op.Actual = () => Describe(p);
                all.Add(op);
                Lock(op);
            }
            else if (r < 25)
            {
                if (!locked || holder is not null) continue;
                log.Add("unlock");
                mutex.Unlock();
                Unlock();
            }
            else if (r < 37)
            {
                var op = new MOp { Kind = "withlock", Label = $"#{all.Count} with_lock" };
                log.Add(op.Label);
                var p = mutex.WithLock(() =>
                {
                    var (body, resolver) = Promise.Create<int>();
                    op.Body = resolver;
                    return body;
                });
                op.Real = p;
                op.Actual = () => Describe(p, x => $"{x}");
                all.Add(op);
                Lock(op);
            }
            else if (r < 47)
            {
                if (holder is not { } h) continue;
                bool fail = rng.Next(3) == 0;
                log.Add($"{h.Label}: body {(fail ? "fails" : "returns")}");
                h.Phase = "done";
                h.Expected = fail ? Err<Boom>() : Ok($"{next}");
                if (fail) h.Body!.Reject(new Boom());
                else h.Body!.Resolve(next);
                next++;
                Unlock();
            }
            else if (r < 60)
            {
                bool withMutex = locked && holder is null && rng.Next(2) == 0;
                var op = new MOp { Kind = withMutex ? "waitm" : "wait", Phase = "cond", Label = $"#{all.Count} wait{(withMutex ? " ~mutex" : "")}" };
                log.Add(op.Label);
                var p = cond.Wait(withMutex ? mutex : null);
                op.Real = p;
                op.Actual = () => Describe(p, x => $"{x}");
                all.Add(op);
                condWaiters.Add(op);
                if (withMutex) Unlock();
            }
            else if (r < 72)
            {
                int v = next++;
                log.Add($"signal {v}");
                cond.Signal(v);
                if (condWaiters.Count != 0)
                {
                    var w = condWaiters[0];
                    condWaiters.RemoveAt(0);
                    Woken(w, Ok($"{v}"));
                }
            }
            else if (r < 80)
            {
                bool exn = rng.Next(3) == 0;
                int v = next++;
                log.Add(exn ? "broadcast_exn Boom" : $"broadcast {v}");
                if (exn) cond.BroadcastExn(new Boom());
                else cond.Broadcast(v);
                var woken = condWaiters.ToList();
                condWaiters.Clear();
                foreach (var w in woken) Woken(w, exn ? Err<Boom>() : Ok($"{v}"));
            }
            else
            {
                // Cancel a pending operation: a waiter for the mutex (Lock, WithLock, or a
                // Wait ~mutex relocking: the cancellation reaches its lock) leaves the queue; a
                // condition waiter is woken with Canceled (and relocks first, with a mutex); a
                // WithLock whose body runs is not cancelable (the body's promise is not).
                var eligible = all.Where(o => o.Expected == Pending).ToList();
                if (eligible.Count == 0) continue;
                var op = eligible[rng.Next(eligible.Count)];
                log.Add($"cancel {op.Label} ({op.Phase})");
                seen["cancel " + op.Phase] = seen.GetValueOrDefault("cancel " + op.Phase) + 1;
                op.Real.Cancel();
                if (op.Phase == "body") { }
                else if (op.Phase is "lock" or "relock")
                {
                    lockWaiters.Remove(op);
                    op.Phase = "done";
                    op.Expected = Err<CanceledException>();
                }
                else
                {
                    condWaiters.Remove(op);
                    Woken(op, Err<CanceledException>());
                }
            }
            ModelRead.VerifyAll(all, log);
            log.Equal(locked, mutex.IsLocked, "IsLocked");
            log.Equal(lockWaiters.Count == 0, mutex.IsEmpty, "IsEmpty");
        }
    }
}
