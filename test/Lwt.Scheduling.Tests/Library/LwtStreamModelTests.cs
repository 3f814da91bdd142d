using static Lwt.Tests.Library.ModelText;

namespace Lwt.Tests.Library;

/*
 * Differential tests of push streams (LwtStream.Create / CreateWithReference / CreateBounded)
 * against a small reference model, after every step of random programs with fixed seeds.
 *
 * The model (facts from lwt_stream.ml):
 *  - a buffer of every item ever pushed plus an end mark, shared by a stream and its clones;
 *    each stream has its own read position; a clone starts at the position of the stream it
 *    is cloned from (it sees the unread items already there, and everything pushed later);
 *  - every read walks from its stream's position at the call; "consuming" the item at walk
 *    position p moves the stream only if the stream is still at p (so two Gets waiting on one
 *    stream both return the same item, consumed once);
 *  - a read that reaches the end of what was pushed waits; each push wakes every waiting read,
 *    the most recent first (they all wait on one push signal, and Lwt runs a promise's
 *    callbacks newest first); a woken read that needs more waits again, at the back, for the
 *    next push. is_empty looks at the stream's current position each time it wakes;
 *  - canceling a waiting read rejects it with Canceled; items it already consumed stay consumed,
 *    nothing else changes;
 *  - bounded: at most `size` unread items; a push beyond waits (one at most; another is Full);
 *    consuming an item lets the waiting push's item in (count unchanged), else count drops;
 *    resize lets the waiting push in if there is room; close rejects it with Closed.
 * Library choice followed (noted in the report): an item let in by a consume or a resize wakes
 * the waiting readers (Lwt's notify_pusher does not signal them, leaving them asleep).
 */
public class LwtStreamModelTests
{
    private const int Programs = 1500;

    private static readonly Func<int, bool>[] Predicates = [x => x % 3 != 2, x => x % 2 == 0];
    private static readonly string[] PredicateNames = ["x%3!=2", "x%2==0"];

    private enum K { Get, Next, Peek, NPeek, NGet, Junk, NJunk, GetWhile, JunkWhile, LastNew, IsEmpty, Push }

    private sealed class MOp : ModelRead
    {
        public int Id;
        public K Kind;
        public int Stream;
        public int Walk;
        public int N;
        public int Pred;
        public int PushItem;
        public readonly List<int> Acc = [];
    }

    /// <summary>The reference model of a push stream, its clones and their waiting reads.</summary>
    private sealed class Model
    {
        public readonly List<int> Items = [];
        public bool Ended;
        public readonly List<int> Pos = [0];
        public readonly List<MOp> Queue = [];     // waiting reads, in the order they started waiting
        public readonly List<MOp> All = [];

        // bounded
        public bool Bounded;
        public int Size, Count;
        public MOp? Pusher;
        public bool PushClosed;

        public string Describe() =>
            $"items {List(Items)}{(Ended ? " ended" : "")}, positions {List(Pos)}, waiting (in order) "
            + string.Join(" ", Queue.Select(o => o.Label + "@" + o.Walk))
            + (Bounded ? $", size {Size} count {Count} pusher {Pusher?.Label ?? "-"}" : "");

        public void Consume(int stream, int at)
        {
            if (Pos[stream] != at) return;
            Pos[stream] = at + 1;
            if (!Bounded) return;
            if (Pusher is { } p) ReleasePusher(p);
            else Count--;
        }

        private void ReleasePusher(MOp p)
        {
            Pusher = null;
            p.Expected = Ok("()");
            Append(p.PushItem);
        }

        public void Append(int x)
        {
            Items.Add(x);
            WakeAll();
        }

        public void End()
        {
            if (Ended) return;
            Ended = true;
            WakeAll();
        }

        private void WakeAll()
        {
            var woken = Queue.ToList();
            Queue.Clear();
            woken.Reverse(); // newest first, as Lwt's callbacks on its push signal
            foreach (var op in woken)
                if (op.Expected == Pending && !Advance(op)) Queue.Add(op);
        }

        public void Resize(int size)
        {
            Size = size;
            if (Count < Size && Pusher is { } p)
            {
                Count++;
                ReleasePusher(p);
            }
        }

        public void Close()
        {
            if (PushClosed) return;
            PushClosed = true;
            if (Pusher is { } p)
            {
                Pusher = null;
                p.Expected = Err<LwtStream.ClosedException>();
            }
            End();
        }

        /// <summary>Starts a read: runs it as far as it goes; queues it if it has to wait.</summary>
        public void Start(MOp op)
        {
            op.Walk = Pos[op.Stream];
            if (!Advance(op)) Queue.Add(op);
        }

        /// <summary>Runs a read as far as possible; true when it has finished.</summary>
        public bool Advance(MOp op)
        {
            int s = op.Stream;
            switch (op.Kind)
            {
                case K.Get or K.Next:
                    if (op.Walk < Items.Count)
                    {
                        int x = Items[op.Walk];
                        Consume(s, op.Walk);
                        op.Expected = Ok(op.Kind == K.Get ? $"Some {x}" : $"{x}");
                        return true;
                    }
                    if (Ended)
                    {
                        op.Expected = op.Kind == K.Get ? Ok("None") : Err<LwtStream.EmptyException>();
                        return true;
                    }
                    return false;
                case K.Peek:
                    if (op.Walk < Items.Count) op.Expected = Ok($"Some {Items[op.Walk]}");
                    else if (Ended) op.Expected = Ok("None");
                    else return false;
                    return true;
                case K.NPeek or K.NGet or K.NJunk or K.Junk:
                    while (op.Acc.Count < op.N)
                    {
                        if (op.Walk < Items.Count)
                        {
                            if (op.Kind != K.NPeek) Consume(s, op.Walk);
                            op.Acc.Add(Items[op.Walk++]);
                        }
                        else if (Ended) break;
                        else return false;
                    }
                    op.Expected = op.Kind is K.NPeek or K.NGet ? Ok(List(op.Acc)) : Ok("()");
                    return true;
                case K.GetWhile or K.JunkWhile:
                    while (true)
                    {
                        if (op.Walk < Items.Count)
                        {
                            int x = Items[op.Walk];
                            if (!Predicates[op.Pred](x)) break;
                            Consume(s, op.Walk);
                            op.Acc.Add(x);
                            op.Walk++;
                        }
                        else if (Ended) break;
                        else return false;
                    }
                    op.Expected = op.Kind == K.GetWhile ? Ok(List(op.Acc)) : Ok("()");
                    return true;
                case K.IsEmpty:
                    if (Pos[s] < Items.Count) op.Expected = Ok("False");
                    else if (Ended) op.Expected = Ok("True");
                    else return false;
                    return true;
                default:
                    throw new InvalidOperationException(op.Kind.ToString());
            }
        }

        /// <summary>The items a synchronous "available" read takes: up to n from the position.</summary>
        public List<int> TakeAvailable(int s, int n)
        {
            var acc = new List<int>();
            while (acc.Count < n && Pos[s] < Items.Count)
            {
                int at = Pos[s];
                Consume(s, at);
                acc.Add(Items[at]);
            }
            return acc;
        }
    }

    [Fact]
    public void UnboundedPushStreamsFollowTheModel()
    {
        for (int seed = 1; seed <= Programs; seed++) RunUnbounded(seed);
    }

    [Fact]
    public void BoundedPushStreamsFollowTheModel()
    {
        for (int seed = 1; seed <= Programs * 2 / 3; seed++) RunBounded(seed);
    }

    private static void StartRead(Random rng, Model m, List<LwtStream<int>> real, int s, ProgramLog log, int id)
    {
        var st = real[s];
        var kind = (K)rng.Next((int)K.IsEmpty + 1);
        var op = new MOp { Id = id, Kind = kind, Stream = s };
        switch (kind)
        {
            case K.Get:
                { var p = st.Get(); op.Real = p; op.Actual = () => Describe(p, Opt); }
                break;
            case K.Next:
                { var p = st.Next(); op.Real = p; op.Actual = () => Describe(p, x => $"{x}"); }
                break;
            case K.Peek:
                { var p = st.Peek(); op.Real = p; op.Actual = () => Describe(p, Opt); }
                break;
            case K.NPeek:
                { op.N = rng.Next(0, 4); var p = st.NPeek(op.N); op.Real = p; op.Actual = () => Describe(p, List); }
                break;
            case K.NGet:
                { op.N = rng.Next(0, 4); var p = st.NGet(op.N); op.Real = p; op.Actual = () => Describe(p, List); }
                break;
            case K.Junk:
                { op.N = 1; var p = st.Junk(); op.Real = p; op.Actual = () => Describe(p); }
                break;
            case K.NJunk:
                { op.N = rng.Next(0, 4); var p = st.NJunk(op.N); op.Real = p; op.Actual = () => Describe(p); }
                break;
            case K.GetWhile:
                { op.Pred = rng.Next(Predicates.Length); var p = st.GetWhile(Predicates[op.Pred]); op.Real = p; op.Actual = () => Describe(p, List); }
                break;
            case K.JunkWhile:
                { op.Pred = rng.Next(Predicates.Length); var p = st.JunkWhile(Predicates[op.Pred]); op.Real = p; op.Actual = () => Describe(p); }
                break;
            case K.LastNew:
                { var p = st.LastNew(); op.Real = p; op.Actual = () => Describe(p, x => $"{x}"); }
                break;
            case K.IsEmpty:
                { var p = st.IsEmpty(); op.Real = p; op.Actual = () => Describe(p, b => $"{b}"); }
                break;
        }
        op.Label = $"#{id} s{s}.{kind}" + (kind is K.NPeek or K.NGet or K.NJunk ? $"({op.N})" : "")
            + (kind is K.GetWhile or K.JunkWhile ? $"({PredicateNames[op.Pred]})" : "");
        log.Add(op.Label);
        m.All.Add(op);
        if (kind == K.LastNew)
        {
            // Lwt's last_new: with nothing buffered, Next (which may wait); else take all the
            // available items and return the last.
            int pos = m.Pos[s];
            if (pos == m.Items.Count)
            {
                if (m.Ended) op.Expected = Err<LwtStream.EmptyException>();
                else
                {
                    op.Kind = K.Next;
                    m.Start(op);
                }
            }
            else
            {
                var taken = m.TakeAvailable(s, int.MaxValue);
                op.Expected = Ok($"{taken[^1]}");
            }
        }
        else m.Start(op);
    }

    private static void CheckAll(Model m, List<LwtStream<int>> real, ProgramLog log)
    {
        ModelRead.VerifyAll(m.All, log);
        for (int s = 0; s < real.Count; s++)
        {
            log.Equal(m.Ended, real[s].IsClosed, $"s{s}.IsClosed");
            log.Equal(m.Ended, real[s].Closed().IsFulfilled, $"s{s}.Closed() fulfilled");
        }
    }

    private static void CancelOne(Random rng, Model m, ProgramLog log)
    {
        var pending = m.All.Where(o => o.Expected == Pending).ToList();
        if (pending.Count == 0) return;
        var op = pending[rng.Next(pending.Count)];
        log.Add($"cancel {op.Label}");
        op.Real.Cancel();
        op.Expected = Err<CanceledException>();
        m.Queue.Remove(op);
        if (ReferenceEquals(m.Pusher, op)) m.Pusher = null;
    }

    private static void RunUnbounded(int seed)
    {
        var rng = new Random(seed);
        var log = new ProgramLog(nameof(UnboundedPushStreamsFollowTheModel), seed);
        var m = new Model();
        log.State = m.Describe;
        LwtStream<int> s0;
        Action<Option<int>> push;
        if (rng.Next(2) == 0) (s0, push) = LwtStream.Create<int>();
        else
        {
            (s0, push, var setReference) = LwtStream.CreateWithReference<int>();
            setReference(new object());
        }
        var real = new List<LwtStream<int>> { s0 };
        int next = 0, steps = rng.Next(20, 61), ids = 0;
        for (int step = 0; step < steps; step++)
        {
            int r = rng.Next(100);
            int s = rng.Next(real.Count);
            if (r < 30)
            {
                int x = next++;
                log.Add($"push Some {x}");
                if (m.Ended)
                {
                    bool threw = false;
                    try { push(Option.Some(x)); } catch (LwtStream.ClosedException) { threw = true; }
                    log.Check(threw, "push after close must throw ClosedException");
                }
                else
                {
                    push(Option.Some(x));
                    m.Append(x);
                }
            }
            else if (r < 32)
            {
                log.Add("push None");
                if (m.Ended)
                {
                    bool threw = false;
                    try { push(Option<int>.None); } catch (LwtStream.ClosedException) { threw = true; }
                    log.Check(threw, "close after close must throw ClosedException");
                }
                else
                {
                    push(Option<int>.None);
                    m.End();
                }
            }
            else if (r < 72) StartRead(rng, m, real, s, log, ids++);
            else if (r < 80) CancelOne(rng, m, log);
            else if (r < 85)
            {
                log.Add($"s{real.Count} = s{s}.Clone()");
                real.Add(real[s].Clone());
                m.Pos.Add(m.Pos[s]);
            }
            else if (r < 90)
            {
                int n = rng.Next(0, 4);
                log.Add($"s{s}.GetAvailableUpTo({n})");
                log.Equal(List(m.TakeAvailable(s, n)), List(real[s].GetAvailableUpTo(n)), log.Count + ". GetAvailableUpTo");
            }
            else if (r < 95)
            {
                log.Add($"s{s}.GetAvailable()");
                log.Equal(List(m.TakeAvailable(s, int.MaxValue)), List(real[s].GetAvailable()), log.Count + ". GetAvailable");
            }
            else
            {
                log.Add($"s{s}.JunkOld()");
                m.TakeAvailable(s, int.MaxValue);
                log.Equal(Ok("()"), Describe(real[s].JunkOld()), log.Count + ". JunkOld");
            }
            CheckAll(m, real, log);
        }
        // The end: close, then every stream reads exactly the rest of its items.
        if (!m.Ended)
        {
            log.Add("push None (end of program)");
            push(Option<int>.None);
            m.End();
        }
        CheckAll(m, real, log);
        for (int s = 0; s < real.Count; s++)
        {
            var rest = m.Items.Skip(m.Pos[s]).ToList();
            log.Equal(Ok(List(rest)), Describe(real[s].ToList(), List), $"s{s}.ToList() at the end");
        }
    }

    private static void RunBounded(int seed)
    {
        var rng = new Random(seed);
        var log = new ProgramLog(nameof(BoundedPushStreamsFollowTheModel), seed);
        int size = rng.Next(0, 4);
        log.Add($"CreateBounded({size})");
        var (stream, bp) = LwtStream.CreateBounded<int>(size);
        var m = new Model { Bounded = true, Size = size };
        log.State = m.Describe;
        var real = new List<LwtStream<int>> { stream };
        int next = 0, steps = rng.Next(20, 61), ids = 0;
        for (int step = 0; step < steps; step++)
        {
            int r = rng.Next(100);
            if (r < 35)
            {
                int x = next++;
                var op = new MOp { Id = ids++, Kind = K.Push, PushItem = x, Label = $"#{ids - 1} push {x}" };
                log.Add(op.Label);
                var p = bp.Push(x);
                op.Real = p;
                op.Actual = () => Describe(p);
                m.All.Add(op);
                if (m.PushClosed) op.Expected = Err<LwtStream.ClosedException>();
                else if (m.Pusher is not null) op.Expected = Err<LwtStream.FullException>();
                else if (m.Count >= m.Size) m.Pusher = op;
                else
                {
                    m.Count++;
                    op.Expected = Ok("()");
                    m.Append(x);
                }
            }
            else if (r < 38)
            {
                log.Add("close");
                bp.Close();
                m.Close();
            }
            else if (r < 44)
            {
                int n = rng.Next(0, 4);
                log.Add($"resize {n}");
                bp.Resize(n);
                m.Resize(n);
            }
            else if (r < 80) StartRead(rng, m, real, 0, log, ids++);
            else if (r < 88) CancelOne(rng, m, log);
            else if (r < 94)
            {
                int n = rng.Next(0, 4);
                log.Add($"GetAvailableUpTo({n})");
                log.Equal(List(m.TakeAvailable(0, n)), List(stream.GetAvailableUpTo(n)), log.Count + ". GetAvailableUpTo");
            }
            else
            {
                log.Add("GetAvailable()");
                log.Equal(List(m.TakeAvailable(0, int.MaxValue)), List(stream.GetAvailable()), log.Count + ". GetAvailable");
            }
            CheckAll(m, real, log);
            log.Equal(m.Size, bp.Size, "Size");
            log.Equal(m.Count, bp.Count, "Count");
            log.Equal(m.Pusher is not null, bp.Blocked, "Blocked");
            log.Equal(m.PushClosed, bp.Closed, "Closed");
        }
        if (!m.PushClosed)
        {
            log.Add("close (end of program)");
            bp.Close();
            m.Close();
        }
        CheckAll(m, real, log);
        log.Equal(Ok(List(m.Items.Skip(m.Pos[0]))), Describe(stream.ToList(), List), "ToList() at the end");
    }
}
