using Lwt.Tests.Core;
using static Lwt.Tests.Library.ModelText;

namespace Lwt.Tests.Library;

/*
 * Differential test of LwtPool against a reference model, after every step of random
 * programs with fixed seeds. create, validate, check and dispose follow scripts (call i gives
 * entry i: create makes member 100+i or fails; validate says true, false or fails; check says
 * true or false, or throws; dispose succeeds or fails); each use's body is a promise that a
 * later step fulfils or rejects.
 *
 * Facts (lwt_pool.ml): use takes the first idle member (validated first), else creates one if
 * fewer than max exist (counting those being created), else waits (FIFO). A member that fails
 * validation is disposed and replaced by a new one (validate false), or (validate fails) the
 * use fails and the first waiter, if any, gets a newly created member. A body that ends gives
 * the member to the first waiter, else back to the idle queue, unless the pool was cleared
 * since the member was taken (then it is disposed); a body that fails asks check first.
 * clear disposes the idle members (the most recently returned first). A canceled waiter
 * leaves the queue. The counts: created members minus disposed ones never exceed max.
 * Library choice followed: the member created for a waiter after a failed validation counts
 * towards max (Lwt's replace_disposed creates it without counting it).
 * The fixed starvation (ocsigen/lwt PR #1121, and its extension in this library): whenever
 * the count goes down (a member disposed after check said false or threw, after a clear, or
 * after a failed validation; a creation that failed) while uses wait, the oldest waiter gets a
 * counted new member (it fails with create's error if that creation fails, and the slot goes
 * on to the next waiter). Only a member that validate says false about hands its slot to the
 * new member created for the same use. A check that throws counts as "not good" (the member
 * is disposed, the use fails with check's exception). A disposal that fails still lowers the
 * count. The use whose member it was then fails with dispose's exception, as in Lwt (after a
 * throwing check, check's exception wins); clear disposes every idle member all the same and
 * fails with the first failure.
 */
public class LwtPoolModelTests
{
    private const int Programs = 1000;

    private sealed class CheckBoom : Exception;

    private sealed class DisposeBoom : Exception;

    private sealed class Use
    {
        public string Label = "";
        public string Expected = Pending;
        public Promise<int> Real = null!;
        public string Phase = "";  // "wait", "creating", "body", "done"
        public bool Canceled;
        public int Member = -1;
        public int RealMember = -1;
        public int Generation;
        public Resolver<int>? Body;
        public bool Verified; // resolved, and found as the model says: it cannot change any more
    }

    [Fact]
    public void PoolFollowsTheModel()
    {
        var seen = new Dictionary<string, int>();
        for (int seed = 1; seed <= Programs; seed++) Run(seed, seen);
        // The programs reach the intricate paths (so that this test cannot quietly degenerate).
        foreach (var path in new[] { "later create", "validate false", "validate fails", "replacement for a waiter", "clear with members in use", "check false",
                                     "check throws", "dispose fails", "creation failed while a use waits", "cleared member dropped while a use waits" })
            Assert.True(seen.GetValueOrDefault(path) > 0, $"no program reached: {path}");
    }

    [Fact]
    public void ReplacementForAWaiterCanceledWhileItIsCreatedGoesBackToThePool()
    {
        // The path the random programs reach too rarely: validation fails, the next waiter's
        // replacement member is created later, and that waiter is canceled meanwhile.
        int creates = 0;
        var later = new List<Resolver<int>>();
        var validations = new Queue<bool?>([null, true, true]); // null: fails
        var disposed = new List<int>();
        var pool = LwtPool<int>.Create(
            1,
            () =>
            {
                int i = creates++;
                if (i == 0) return Promise.Return(100);
                var (p, r) = Promise.Create<int>();
                later.Add(r);
                return p;
            },
            validate: m => validations.Dequeue() is bool ok ? Promise.Return(ok) : Promise.Fail<bool>(new Boom()),
            dispose: m => { disposed.Add(m); return Promise.ReturnUnit; });
        var (bodyA, endA) = Promise.Create<int>();
        var a = pool.Use(m => bodyA);
        var b = pool.Use(m => Promise.Return(m));
        var c = pool.Use(m => Promise.Return(m));
        Assert.Equal(2, pool.WaitQueueLength);
        endA.Resolve(0);                      // 100 goes to b, whose validation fails
        Assert.Equal(0, a.Value);
        Assert.IsType<Boom>(b.Exception);
        Assert.Equal([100], disposed);
        Assert.Equal(2, creates);             // c's replacement is being created
        Assert.Equal(0, pool.WaitQueueLength);
        c.Cancel();
        Assert.True(c.IsCanceled);
        later[0].Resolve(101);                // nobody to give it to: it goes back to the pool
        var d = pool.Use(m => Promise.Return(m));
        Assert.Equal(101, d.Value);           // validated (true), no new creation
        Assert.Equal(2, creates);
        var (bodyE, endE) = Promise.Create<int>();
        var e = pool.Use(m => bodyE);
        Assert.True(e.IsPending);
        Assert.Equal(2, creates);             // still one member at most: 101
        Assert.Equal(0, pool.WaitQueueLength);
        endE.Resolve(7);
        Assert.Equal(7, e.Value);
    }

    private static void Run(int seed, Dictionary<string, int> seen)
    {
        void Seen(string path) => seen[path] = seen.GetValueOrDefault(path) + 1;
        var rng = new Random(seed);
        var log = new ProgramLog(nameof(PoolFollowsTheModel), seed);
        int max = rng.Next(1, 4);
        var createScript = Enumerable.Range(0, 300).Select(_ => rng.Next(8) != 0).ToArray();          // true: succeeds
        var validateScript = Enumerable.Range(0, 300).Select(_ => rng.Next(10) switch { 0 or 1 => "fail", 2 or 3 => "false", _ => "true" }).ToArray();
        var checkScript = Enumerable.Range(0, 300).Select(_ => rng.Next(5) switch { 0 or 1 => "true", 2 or 3 => "false", _ => "throws" }).ToArray();
        var disposeScript = Enumerable.Range(0, 300).Select(_ => rng.Next(6) == 0).ToArray();  // true: fails
        // In the odd programs, create answers later (a step gives the answer) half the time.
        bool laterCreates = seed % 2 == 1;
        var laterScript = Enumerable.Range(0, 300).Select(_ => laterCreates && rng.Next(2) == 0).ToArray();
        var creating = new Dictionary<int, Resolver<int>>();
        int realCreates = 0, realValidates = 0, realChecks = 0;
        var realDisposed = new List<int>();

        var pool = LwtPool<int>.Create(
            max,
            () =>
            {
                int i = realCreates++;
                if (laterScript[i])
                {
                    var (p, r) = Promise.Create<int>();
                    creating[i] = r;
                    return p;
                }
                return createScript[i] ? Promise.Return(100 + i) : Promise.Fail<int>(new Boom());
            },
            validate: m => validateScript[realValidates++] switch
            {
                "true" => Promise.ReturnTrue,
                "false" => Promise.ReturnFalse,
                _ => Promise.Fail<bool>(new Boom()),
            },
            check: (m, ok) =>
            {
                string answer = checkScript[realChecks++];
                if (answer == "throws") throw new CheckBoom();
                ok(answer == "true");
            },
            dispose: m =>
            {
                bool fails = disposeScript[realDisposed.Count];
                realDisposed.Add(m);
                return fails ? Promise.Fail(new DisposeBoom()) : Promise.ReturnUnit;
            });
        log.Add($"Create(max {max}){(laterCreates ? ", create answers later at times" : "")}");

        // The model.
        int count = 0, creates = 0, validates = 0, checks = 0, generation = 0;
        var idle = new List<int>();
        var waiters = new List<Use>();
        var disposed = new List<int>();
        var uses = new List<Use>();
        var pendingCreates = new List<(int Call, Use For, bool ForWaiter)>();
        log.State = () => $"count {count}, idle [{string.Join(",", idle)}], waiters {string.Join(" ", waiters.Select(u => u.Label))}, creates {creates}, disposed [{string.Join(",", disposed)}]";

        // Disposes m: the count goes down whether or not the disposal fails; with `replace`,
        // the freed slot goes to the oldest waiter. True when the disposal fails.
        bool Dispose(int m, bool replace)
        {
            bool fails = disposeScript[disposed.Count];
            if (fails) Seen("dispose fails");
            disposed.Add(m);
            count--;
            if (replace) ReplaceDisposed();
            return fails;
        }

        // create_member: the member, -1 when creation failed, -2 when the answer comes later
        // (then `u` waits for it: its own creation, or for a waiter the replacement member).
        int CreateMember(Use u, bool forWaiter)
        {
            count++;
            int i = creates++;
            if (laterScript[i])
            {
                pendingCreates.Add((i, u, forWaiter));
                Seen("later create");
                if (!forWaiter) u.Phase = "creating";
                return -2;
            }
            if (createScript[i]) return 100 + i;
            CreationFailed();
            return -1;
        }

        void CreationFailed()
        {
            if (waiters.Count != 0) Seen("creation failed while a use waits");
            count--;
            ReplaceDisposed();
        }

        void Created(int call, Use u, bool forWaiter)
        {
            if (createScript[call])
            {
                int m = 100 + call;
                if (forWaiter && u.Canceled) Seen("replacement for a canceled waiter");
                if (!forWaiter) StartBody(u, m);
                else if (u.Canceled) Release(m);
                else ValidateAndStart(u, m);
            }
            else
            {
                CreationFailed();
                if (!u.Canceled) Fail(u);
            }
        }

        void StartBody(Use u, int m)
        {
            u.Phase = "body";
            u.Member = m;
            u.Generation = generation;
        }

        void Fail(Use u, string? expected = null)
        {
            u.Phase = "done";
            u.Expected = expected ?? Err<Boom>();
        }

        void ValidateAndStart(Use u, int m)
        {
            switch (validateScript[validates++])
            {
                case "true":
                    StartBody(u, m);
                    break;
                case "false":
                    Seen("validate false");
                    if (Dispose(m, replace: false))
                    {
                        // The use fails with dispose's exception: the slot goes to a waiter.
                        ReplaceDisposed();
                        Fail(u, Err<DisposeBoom>());
                        break;
                    }
                    int fresh = CreateMember(u, forWaiter: false);
                    if (fresh == -1) Fail(u);
                    else if (fresh >= 0) StartBody(u, fresh);
                    break;
                default:
                    Seen("validate fails");
                    bool disposeFailed = Dispose(m, replace: true);
                    Fail(u, disposeFailed ? Err<DisposeBoom>() : Err<Boom>());
                    break;
            }
        }

        void ReplaceDisposed()
        {
            while (count < max && waiters.Count != 0)
            {
                var w = waiters[0];
                waiters.RemoveAt(0);
                Seen("replacement for a waiter");
                int m = CreateMember(w, forWaiter: true);
                if (m == -1) Fail(w);
                else if (m >= 0) ValidateAndStart(w, m);
            }
        }

        void Release(int m)
        {
            if (waiters.Count != 0)
            {
                var w = waiters[0];
                waiters.RemoveAt(0);
                ValidateAndStart(w, m);
            }
            else idle.Add(m);
        }

        int steps = rng.Next(20, 61);
        for (int step = 0; step < steps; step++)
        {
            int r = rng.Next(100);
            if (r < 40)
            {
                var u = new Use { Label = $"#{uses.Count} use" };
                log.Add(u.Label);
                uses.Add(u);
                u.Real = pool.Use(m =>
                {
                    u.RealMember = m;
                    var (p, res) = Promise.Create<int>();
                    u.Body = res;
                    return p;
                });
                if (idle.Count != 0)
                {
                    int m = idle[0];
                    idle.RemoveAt(0);
                    ValidateAndStart(u, m);
                }
                else if (count < max)
                {
                    int m = CreateMember(u, forWaiter: false);
                    if (m == -1) Fail(u);
                    else if (m >= 0) StartBody(u, m);
                }
                else
                {
                    u.Phase = "wait";
                    waiters.Add(u);
                }
            }
            else if (r < 75)
            {
                var running = uses.Where(u => u.Phase == "body").ToList();
                if (running.Count == 0) continue;
                var u = running[rng.Next(running.Count)];
                bool fail = rng.Next(3) == 0;
                log.Add($"{u.Label}: body {(fail ? "fails" : "returns")}");
                u.Phase = "done";
                bool cleared = u.Generation != generation;
                if (cleared && waiters.Count != 0) Seen("cleared member dropped while a use waits");
                if (fail)
                {
                    string answer = checkScript[checks++];
                    if (answer == "false") Seen("check false");
                    if (answer == "throws")
                    {
                        Seen("check throws");
                        Dispose(u.Member, replace: true);
                        u.Expected = Err<CheckBoom>();
                    }
                    else if (cleared || answer == "false")
                        u.Expected = Dispose(u.Member, replace: true) ? Err<DisposeBoom>() : Err<Boom>();
                    else
                    {
                        Release(u.Member);
                        u.Expected = Err<Boom>();
                    }
                    u.Body!.Reject(new Boom());
                }
                else
                {
                    u.Expected = Ok($"{u.Member}");
                    if (cleared)
                    {
                        if (Dispose(u.Member, replace: true)) u.Expected = Err<DisposeBoom>();
                    }
                    else Release(u.Member);
                    u.Body!.Resolve(u.Member);
                }
            }
            else if (r < 50 && pendingCreates.Count != 0)
            {
                var (call, u, forWaiter) = pendingCreates[rng.Next(pendingCreates.Count)];
                pendingCreates.Remove((call, u, forWaiter));
                log.Add($"create call {call} answers {(createScript[call] ? "member " + (100 + call) : "a failure")}");
                Created(call, u, forWaiter);
                if (createScript[call]) creating[call].Resolve(100 + call);
                else creating[call].Reject(new Boom());
            }
            else if (r < 85)
            {
                log.Add("clear");
                if (uses.Any(u => u.Phase == "body")) Seen("clear with members in use");
                var members = idle.ToList();
                members.Reverse();
                idle.Clear();
                generation++;
                bool anyFailed = false;
                foreach (var m in members) anyFailed |= Dispose(m, replace: true);
                log.Equal(anyFailed ? Err<DisposeBoom>() : Ok("()"), Describe(pool.Clear()), "Clear()");
            }
            else
            {
                // A waiter leaves the queue; a waiter whose replacement member is being created
                // is canceled too (the member then goes back to the pool when it comes). A use
                // whose own member is being created, or whose body runs, is not cancelable
                // (create's and the body's promises are not): nothing happens.
                var pending = uses.Where(u => u.Expected == Pending).ToList();
                if (pending.Count == 0) continue;
                var u = pending[rng.Next(pending.Count)];
                log.Add($"cancel {u.Label} ({u.Phase})");
                u.Real.Cancel();
                bool waitingForReplacement = pendingCreates.Any(c => c.For == u && c.ForWaiter);
                if (u.Phase == "wait" || waitingForReplacement)
                {
                    waiters.Remove(u);
                    u.Phase = "done";
                    u.Canceled = true;
                    u.Expected = Err<CanceledException>();
                }
            }
            foreach (var u in uses)
            {
                if (u.Verified) continue;
                var actual = Describe(u.Real, x => $"{x}");
                if (actual != u.Expected) throw log.Fail($"{u.Label}: model says {u.Expected}, library says {actual}");
                if (u.Phase == "body" || (u.Phase == "done" && u.Expected.StartsWith("ok:")))
                    log.Equal(u.Member, u.RealMember, $"{u.Label}: the member it got");
                u.Verified = actual != Pending;
            }
            log.Equal(waiters.Count, pool.WaitQueueLength, "WaitQueueLength");
            log.Equal(creates, realCreates, "calls of create");
            log.Equal(validates, realValidates, "calls of validate");
            log.Equal(checks, realChecks, "calls of check");
            if (!disposed.SequenceEqual(realDisposed))
                throw log.Fail($"members disposed, in order: model says [{string.Join(",", disposed)}], library says [{string.Join(",", realDisposed)}]");
            log.Check(count <= max, $"model count {count} exceeds max {max}");
        }
    }
}
