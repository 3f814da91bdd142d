using Lwt.Tests.Core;
using static Lwt.Tests.Library.ModelText;

namespace Lwt.Tests.Library;

/*
 * Differential tests of streams fed by a function (LwtStream.From / FromDirect) against a
 * reference model, and of the transformers against the list semantics.
 *
 * The source is a script: call i of the function returns entry i, which is an item or the
 * end, at once or later (a pending promise that a later step resolves), or a failure (a
 * synchronous throw or a rejected promise). Facts from lwt_stream.ml:
 *  - the function is called only when a reader has reached the end of what was produced;
 *    while a call's promise is pending, every reader that needs more waits on that same call
 *    (the calls never overlap); when it resolves, its item (or the end) is added, then the
 *    waiting readers go on, in the order they began to wait; one that needs more calls the
 *    function again;
 *  - a failed call adds nothing and rejects the reads waiting on it (they keep what they had
 *    consumed); the next read calls the function again;
 *  - get_available / junk_old / last_new call the function while it answers at once and stop
 *    at the first pending answer; a failure is raised (get_available) or rejects (the others).
 * Library choice followed: a function that throws synchronously rejects the read, as a
 * rejected promise does (API.md: callbacks that throw reject, never throw at the caller);
 * Lwt lets it escape from the read.
 */
public class LwtStreamSourceModelTests
{
    private const int Programs = 1000;

    private enum E { Item, End, Throw, Fail, LaterItem, LaterEnd, LaterFail }

    private enum K { Get, Next, Peek, NPeek, NGet, NJunk, GetWhile, IsEmpty, LastNew }

    private sealed class MOp : ModelRead
    {
        public K Kind;
        public int Stream;
        public int Walk;
        public int N;
        public readonly List<int> Acc = [];
    }

    private sealed class Script
    {
        public readonly List<(E Kind, int Value)> Entries = [];
        public int Cutoff = int.MaxValue; // calls from here on answer the end at once

        public Script(Random rng, bool direct)
        {
            for (int i = 0; i < 200; i++)
            {
                int r = rng.Next(100);
                E e = direct
                    ? r < 85 ? E.Item : r < 92 ? E.Throw : E.End
                    : r < 40 ? E.Item : r < 75 ? E.LaterItem : r < 80 ? E.Throw : r < 85 ? E.Fail : r < 92 ? E.LaterFail : r < 96 ? E.End : E.LaterEnd;
                Entries.Add((e, 1000 + i));
            }
        }

        public (E Kind, int Value) At(int call) => call >= Cutoff ? (E.End, 0) : Entries[call];
    }

    private sealed class Model(Script script)
    {
        public readonly List<int> Items = [];
        public bool Ended;
        public readonly List<int> Pos = [0];
        public int Calls;
        public (E Kind, int Value)? InFlight;
        public readonly List<MOp> Waiting = [];
        public readonly List<MOp> All = [];

        public string Describe() =>
            $"items {List(Items)}{(Ended ? " ended" : "")}, positions {List(Pos)}, calls {Calls}, in flight {InFlight?.ToString() ?? "-"}, waiting "
            + string.Join(" ", Waiting.Select(o => o.Label + "@" + o.Walk));

        private enum Fed { Now, Wait, Failed }

        /// <summary>Feeds for <paramref name="op"/> (null: a synchronous "available" read, which never waits).</summary>
        private Fed Feed(MOp? op)
        {
            if (InFlight is not null)
            {
                if (op is not null) Waiting.Add(op);
                return Fed.Wait;
            }
            var entry = script.At(Calls++);
            switch (entry.Kind)
            {
                case E.Item: Items.Add(entry.Value); return Fed.Now;
                case E.End: Ended = true; return Fed.Now;
                case E.Throw or E.Fail: return Fed.Failed;
                default:
                    InFlight = entry;
                    if (op is not null) Waiting.Add(op);
                    return Fed.Wait;
            }
        }

        public void ResolveInFlight()
        {
            var entry = InFlight!.Value;
            InFlight = null;
            if (entry.Kind == E.LaterItem) Items.Add(entry.Value);
            else if (entry.Kind == E.LaterEnd) Ended = true;
            var woken = Waiting.ToList();
            Waiting.Clear();
            foreach (var op in woken)
            {
                if (op.Expected != Pending) continue;
                if (entry.Kind == E.LaterFail) op.Expected = Err<Boom>();
                else Advance(op);
            }
        }

        private void Consume(int s, int at)
        {
            if (Pos[s] == at) Pos[s] = at + 1;
        }

        public void Start(MOp op)
        {
            op.Walk = Pos[op.Stream];
            Advance(op);
        }

        /// <summary>Runs a read as far as it goes (it finishes, fails, or waits on the call in flight).</summary>
        private void Advance(MOp op)
        {
            int s = op.Stream;
            while (true)
            {
                if (op.Kind is K.NPeek or K.NGet or K.NJunk && op.Acc.Count >= op.N)
                {
                    op.Expected = op.Kind == K.NJunk ? Ok("()") : Ok(List(op.Acc));
                    return;
                }
                bool there = op.Kind == K.IsEmpty ? Pos[s] < Items.Count : op.Walk < Items.Count;
                if (there || Ended)
                {
                    if (Step(op, s, there)) return;
                    continue;
                }
                switch (Feed(op))
                {
                    case Fed.Wait: return;
                    case Fed.Failed: op.Expected = Err<Boom>(); return;
                }
            }
        }

        /// <summary>One step of a read with an item at its walk position (or the end): true when it is done.</summary>
        private bool Step(MOp op, int s, bool there)
        {
            int x = there && op.Kind != K.IsEmpty ? Items[op.Walk] : 0;
            switch (op.Kind)
            {
                case K.Get:
                    if (!there) { op.Expected = Ok("None"); return true; }
                    Consume(s, op.Walk);
                    op.Expected = Ok($"Some {x}");
                    return true;
                case K.Next:
                    if (!there) { op.Expected = Err<LwtStream.EmptyException>(); return true; }
                    Consume(s, op.Walk);
                    op.Expected = Ok($"{x}");
                    return true;
                case K.Peek:
                    op.Expected = Ok(there ? $"Some {x}" : "None");
                    return true;
                case K.NPeek or K.NGet or K.NJunk:
                    if (there)
                    {
                        if (op.Kind != K.NPeek) Consume(s, op.Walk);
                        op.Acc.Add(x);
                        op.Walk++;
                        return false;
                    }
                    op.Expected = op.Kind == K.NJunk ? Ok("()") : Ok(List(op.Acc));
                    return true;
                case K.GetWhile:
                    if (there && x % 3 != 0)
                    {
                        Consume(s, op.Walk);
                        op.Acc.Add(x);
                        op.Walk++;
                        return false;
                    }
                    op.Expected = Ok(List(op.Acc));
                    return true;
                case K.IsEmpty:
                    op.Expected = Ok(there ? "False" : "True");
                    return true;
                default:
                    throw new InvalidOperationException(op.Kind.ToString());
            }
        }

        /// <summary>get_available_up_to: the items there without waiting; null when a call failed (thrown).</summary>
        public List<int>? TakeAvailable(int s, int n, List<int> acc)
        {
            while (acc.Count < n)
            {
                if (Pos[s] < Items.Count)
                {
                    acc.Add(Items[Pos[s]]);
                    Pos[s]++;
                }
                else if (Ended) break;
                else
                {
                    var fed = Feed(null);
                    if (fed == Fed.Wait) break;
                    if (fed == Fed.Failed) return null;
                }
            }
            return acc;
        }

        public void StartLastNew(MOp op)
        {
            int s = op.Stream;
            if (Pos[s] == Items.Count && !Ended)
            {
                // Nothing buffered: Next, which may feed; if it answers at once, take what else
                // is available too.
                op.Kind = K.Next;
                Start(op);
                if (op.Expected == Pending || !op.Expected.StartsWith("ok:")) return;
                var more = TakeAvailable(s, int.MaxValue, []);
                if (more is null) op.Expected = Err<Boom>();
                else if (more.Count > 0) op.Expected = Ok($"{more[^1]}");
                return;
            }
            if (Pos[s] == Items.Count) { op.Expected = Err<LwtStream.EmptyException>(); return; }
            var taken = TakeAvailable(s, int.MaxValue, []);
            op.Expected = taken is null ? Err<Boom>() : Ok($"{taken[^1]}");
        }
    }

    [Fact]
    public void FromStreamsFollowTheModel()
    {
        for (int seed = 1; seed <= Programs; seed++) Run(seed, direct: false);
    }

    [Fact]
    public void FromDirectStreamsFollowTheModel()
    {
        for (int seed = 1; seed <= Programs / 2; seed++) Run(seed, direct: true);
    }

    private static void Run(int seed, bool direct)
    {
        var rng = new Random(seed);
        var script = new Script(new Random(seed * 7919), direct);
        var log = new ProgramLog(direct ? nameof(FromDirectStreamsFollowTheModel) : nameof(FromStreamsFollowTheModel), seed);
        var m = new Model(script);
        log.State = m.Describe;
        int realCalls = 0;
        var resolvers = new Dictionary<int, Resolver<Option<int>>>();
        LwtStream<int> s0;
        if (direct)
        {
            s0 = LwtStream.FromDirect(() =>
            {
                var e = script.At(realCalls++);
                return e.Kind switch
                {
                    E.Item => Option.Some(e.Value),
                    E.End => Option<int>.None,
                    _ => throw new Boom(),
                };
            });
        }
        else
        {
            s0 = LwtStream.From(() =>
            {
                int call = realCalls++;
                var e = script.At(call);
                switch (e.Kind)
                {
                    case E.Item: return Promise.Return(Option.Some(e.Value));
                    case E.End: return Promise.Return(Option<int>.None);
                    case E.Throw: throw new Boom();
                    case E.Fail: return Promise.Fail<Option<int>>(new Boom());
                    default:
                        var (p, r) = Promise.Create<Option<int>>();
                        resolvers[call] = r;
                        return p;
                }
            });
        }
        var real = new List<LwtStream<int>> { s0 };
        int steps = rng.Next(20, 61);

        void Check()
        {
            ModelRead.VerifyAll(m.All, log);
            log.Equal(m.Calls, realCalls, "calls of the source function");
            for (int s = 0; s < real.Count; s++)
            {
                log.Equal(m.Ended, real[s].IsClosed, $"s{s}.IsClosed");
                log.Equal(m.Ended, real[s].Closed().IsFulfilled, $"s{s}.Closed() fulfilled");
            }
        }

        void ResolveInFlight()
        {
            var entry = m.InFlight!.Value;
            int call = m.Calls - 1;
            log.Add($"resolve call {call} ({entry.Kind})");
            var r = resolvers[call];
            m.ResolveInFlight();
            switch (entry.Kind)
            {
                case E.LaterItem: r.Resolve(Option.Some(entry.Value)); break;
                case E.LaterEnd: r.Resolve(Option<int>.None); break;
                default: r.Reject(new Boom()); break;
            }
        }

        for (int step = 0; step < steps; step++)
        {
            int r = rng.Next(100);
            int s = rng.Next(real.Count);
            if (r < 20 && m.InFlight is not null) ResolveInFlight();
            else if (r < 65)
            {
                var kind = (K)rng.Next((int)K.LastNew + 1);
                var op = new MOp { Kind = kind, Stream = s, N = rng.Next(0, 4) };
                var st = real[s];
                op.Label = $"#{m.All.Count} s{s}.{kind}" + (kind is K.NPeek or K.NGet or K.NJunk ? $"({op.N})" : "") + (kind == K.GetWhile ? "(x%3!=0)" : "");
                log.Add(op.Label);
                switch (kind)
                {
                    case K.Get: { var p = st.Get(); op.Real = p; op.Actual = () => Describe(p, Opt); break; }
                    case K.Next: { var p = st.Next(); op.Real = p; op.Actual = () => Describe(p, x => $"{x}"); break; }
                    case K.Peek: { var p = st.Peek(); op.Real = p; op.Actual = () => Describe(p, Opt); break; }
                    case K.NPeek: { var p = st.NPeek(op.N); op.Real = p; op.Actual = () => Describe(p, List); break; }
                    case K.NGet: { var p = st.NGet(op.N); op.Real = p; op.Actual = () => Describe(p, List); break; }
                    case K.NJunk: { var p = st.NJunk(op.N); op.Real = p; op.Actual = () => Describe(p); break; }
                    case K.GetWhile: { var p = st.GetWhile(x => x % 3 != 0); op.Real = p; op.Actual = () => Describe(p, List); break; }
                    case K.IsEmpty: { var p = st.IsEmpty(); op.Real = p; op.Actual = () => Describe(p, b => $"{b}"); break; }
                    case K.LastNew: { var p = st.LastNew(); op.Real = p; op.Actual = () => Describe(p, x => $"{x}"); break; }
                }
                m.All.Add(op);
                if (kind == K.LastNew) m.StartLastNew(op);
                else m.Start(op);
            }
            else if (r < 75)
            {
                var pending = m.All.Where(o => o.Expected == Pending).ToList();
                if (pending.Count == 0) continue;
                var op = pending[rng.Next(pending.Count)];
                log.Add($"cancel {op.Label}");
                op.Real.Cancel();
                op.Expected = Err<CanceledException>();
                m.Waiting.Remove(op);
            }
            else if (r < 80)
            {
                log.Add($"s{real.Count} = s{s}.Clone()");
                real.Add(real[s].Clone());
                m.Pos.Add(m.Pos[s]);
            }
            else if (r < 92)
            {
                int n = rng.Next(0, 5);
                log.Add($"s{s}.GetAvailableUpTo({n})");
                var expected = m.TakeAvailable(s, n, []);
                string actual;
                try { actual = List(real[s].GetAvailableUpTo(n)); }
                catch (Boom) { actual = "throws Boom"; }
                log.Equal(expected is null ? "throws Boom" : List(expected), actual, "GetAvailableUpTo");
            }
            else
            {
                log.Add($"s{s}.JunkOld()");
                var expected = m.TakeAvailable(s, int.MaxValue, []) is null ? Err<Boom>() : Ok("()");
                log.Equal(expected, Describe(real[s].JunkOld()), "JunkOld");
            }
            Check();
        }
        // The end: the source ends after the call in flight; every stream reads the rest.
        script.Cutoff = m.Calls;
        if (m.InFlight is not null) ResolveInFlight();
        Check();
        for (int s = 0; s < real.Count; s++)
        {
            var expected = m.TakeAvailable(s, int.MaxValue, []);
            log.Equal(Ok(List(expected!)), Describe(real[s].ToList(), List), $"s{s}.ToList() at the end");
        }
    }
}
