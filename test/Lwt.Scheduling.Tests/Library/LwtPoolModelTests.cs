using Lwt.Tests.Core;
using static Lwt.Tests.Library.ModelText;

namespace Lwt.Tests.Library;

/*
 * Differential test of LwtPool against a reference model, after every step of random
 * programs with fixed seeds. create, validate and check follow scripts (call i gives entry i:
 * create makes member 100+i or fails; validate says true, false or fails; check says true or
 * false); each use's body is a promise that a later step fulfils or rejects.
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
 */
public class LwtPoolModelTests
{
    private const int Programs = 1000;

    private sealed class Use
    {
        public string Label = "";
        public string Expected = Pending;
        public Promise<int> Real = null!;
        public string Phase = "";  // "wait", "body", "done"
        public int Member = -1;
        public int RealMember = -1;
        public int Generation;
        public Resolver<int>? Body;
        public bool Verified; // resolved, and found as the model says: it cannot change any more
    }

    [Fact]
    public void PoolFollowsTheModel()
    {
        for (int seed = 1; seed <= Programs; seed++) Run(seed);
    }

    private static void Run(int seed)
    {
        var rng = new Random(seed);
        var log = new ProgramLog(nameof(PoolFollowsTheModel), seed);
        int max = rng.Next(1, 4);
        var createScript = Enumerable.Range(0, 300).Select(_ => rng.Next(8) != 0).ToArray();          // true: succeeds
        var validateScript = Enumerable.Range(0, 300).Select(_ => rng.Next(10) switch { 0 => "fail", 1 or 2 => "false", _ => "true" }).ToArray();
        var checkScript = Enumerable.Range(0, 300).Select(_ => rng.Next(2) == 0).ToArray();
        int realCreates = 0, realValidates = 0, realChecks = 0;
        var realDisposed = new List<int>();

        var pool = LwtPool<int>.Create(
            max,
            () =>
            {
                int i = realCreates++;
                return createScript[i] ? Promise.Return(100 + i) : Promise.Fail<int>(new Boom());
            },
            validate: m => validateScript[realValidates++] switch
            {
                "true" => Promise.ReturnTrue,
                "false" => Promise.ReturnFalse,
                _ => Promise.Fail<bool>(new Boom()),
            },
            check: (m, ok) => ok(checkScript[realChecks++]),
            dispose: m =>
            {
                realDisposed.Add(m);
                return Promise.ReturnUnit;
            });
        log.Add($"Create(max {max})");

        // The model.
        int count = 0, creates = 0, validates = 0, checks = 0, generation = 0;
        var idle = new List<int>();
        var waiters = new List<Use>();
        var disposed = new List<int>();
        var uses = new List<Use>();
        log.State = () => $"count {count}, idle [{string.Join(",", idle)}], waiters {string.Join(" ", waiters.Select(u => u.Label))}, creates {creates}, disposed [{string.Join(",", disposed)}]";

        void Dispose(int m)
        {
            disposed.Add(m);
            count--;
        }

        // create_member: the member, or -1 when creation failed.
        int CreateMember()
        {
            count++;
            int i = creates++;
            if (createScript[i]) return 100 + i;
            count--;
            return -1;
        }

        void StartBody(Use u, int m)
        {
            u.Phase = "body";
            u.Member = m;
            u.Generation = generation;
        }

        void Fail(Use u)
        {
            u.Phase = "done";
            u.Expected = Err<Boom>();
        }

        void ValidateAndStart(Use u, int m)
        {
            switch (validateScript[validates++])
            {
                case "true":
                    StartBody(u, m);
                    break;
                case "false":
                    Dispose(m);
                    int fresh = CreateMember();
                    if (fresh < 0) Fail(u);
                    else StartBody(u, fresh);
                    break;
                default:
                    Dispose(m);
                    ReplaceDisposed();
                    Fail(u);
                    break;
            }
        }

        void ReplaceDisposed()
        {
            if (waiters.Count == 0) return;
            var w = waiters[0];
            waiters.RemoveAt(0);
            int m = CreateMember();
            if (m < 0) Fail(w);
            else ValidateAndStart(w, m);
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
                    int m = CreateMember();
                    if (m < 0) Fail(u);
                    else StartBody(u, m);
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
                if (fail)
                {
                    bool ok = checkScript[checks++];
                    if (cleared || !ok) Dispose(u.Member);
                    else Release(u.Member);
                    u.Expected = Err<Boom>();
                    u.Body!.Reject(new Boom());
                }
                else
                {
                    if (cleared) Dispose(u.Member);
                    else Release(u.Member);
                    u.Expected = Ok($"{u.Member}");
                    u.Body!.Resolve(u.Member);
                }
            }
            else if (r < 85)
            {
                log.Add("clear");
                var members = idle.ToList();
                members.Reverse();
                idle.Clear();
                generation++;
                foreach (var m in members) Dispose(m);
                log.Equal(Ok("()"), Describe(pool.Clear()), "Clear()");
            }
            else
            {
                var waiting = uses.Where(u => u.Phase == "wait").ToList();
                if (waiting.Count == 0) continue;
                var u = waiting[rng.Next(waiting.Count)];
                log.Add($"cancel {u.Label}");
                u.Real.Cancel();
                waiters.Remove(u);
                u.Phase = "done";
                u.Expected = Err<CanceledException>();
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
