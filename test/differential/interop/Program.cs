// Seeded random-program fuzzer of the Task/ValueTask/token/stream adapters (src/Lwt.Interop)
// against API.md's "Interop" contract (there is no OCaml side: Lwt has no Tasks).
//
// usage: dotnet interop.dll SEED N [MAXOPS=6]
//
// Each program starts two event loops (A and B, each LwtMain.Run on its own thread) and runs
// 1..MAXOPS random operations at once, driven from the thread pool: AsTask / AsTask(token) /
// AsValueTask / await of promises (of A, of B, of no loop; fulfilled, rejected, canceled,
// pending and resolved later by their loop, from another thread, through another loop's
// Post); ToPromise of Tasks and ValueTasks (completed, faulted with one or several
// exceptions, canceled, completing later on the pool, on the other loop, on the caller's loop,
// synchronously), called on a loop or off any loop; FromTask (start throws, honours or ignores
// the token; Cancel() before or after, directly or through a Map); AsAsyncEnumerable (full,
// early dispose, token fired between or during reads, failing source) and ToLwtStream (full,
// early stop, failing source). Every operation knows the outcome API.md's mapping gives, and
// where each continuation must run; the harness checks it, that every continuation runs once,
// that nothing hangs (bounded waits are hang guards only), and that nothing reaches
// Promise.AsyncExceptionHook. After the programs, a registration check: one
// CancellationTokenSource used for 10,000 AsTask calls must not keep their Tasks alive
// (weak references).
//
// Output: per program `== i` then one line per operation (its description, then `-> outcome`),
// `VIOLATION ...` lines for contract breaks and `NOTE ...` lines for cases API.md leaves open.
// Exit code 1 when a VIOLATION was printed.

using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Threading.Tasks.Sources;
using Lwt;
using Lwt.Interop;

static class Program
{
    internal static int Violations;
    internal static int Notes;
    internal static readonly Dictionary<string, int> KnownCounts = new();
    internal static readonly ConcurrentQueue<Exception> HookHits = new();

    static int Main(string[] args)
    {
        if (args.Length < 2) { Console.Error.WriteLine("usage: interop SEED N [MAXOPS=6]"); return 2; }
        int seed = int.Parse(args[0]), n = int.Parse(args[1]);
        int maxOps = args.Length > 2 ? int.Parse(args[2]) : 6;
        Promise.AsyncExceptionHook = e => HookHits.Enqueue(e);
        var only = Environment.GetEnvironmentVariable("ONLY");
        for (int i = 0; i < n; i++)
        {
            if (only is not null && only != i.ToString()) continue;
            var rng = new Random(seed * 100_003 + i);
            var prog = new Prog(i, rng, maxOps);
            prog.Run();
        }
        if (only is null) Leaks.Run();
        Console.WriteLine($"SUMMARY programs={n} violations={Violations} notes={Notes} known={string.Join(",", KnownCounts.Select(kv => kv.Key + ":" + kv.Value))}");
        return Violations > 0 ? 1 : 0;
    }
}

/// <summary>One loop thread running LwtMain.Run until stopped.</summary>
sealed class LoopThread
{
    public EventLoop Loop = null!;
    public int ThreadId;
    readonly Thread _thread;
    Resolver<Unit> _stop = null!;
    readonly ManualResetEventSlim _ready = new();
    public Exception? RunError;
    public readonly string Name;

    public LoopThread(string name)
    {
        Name = name;
        _thread = new Thread(() =>
        {
            try
            {
                LwtMain.Run(() =>
                {
                    var (p, r) = Promise.Create<Unit>();
                    _stop = r;
                    Loop = EventLoop.Current!;
                    ThreadId = Environment.CurrentManagedThreadId;
                    _ready.Set();
                    return p;
                });
            }
            catch (Exception e) { RunError = e; }
        }) { IsBackground = true, Name = "loop " + name };
        _thread.Start();
        _ready.Wait();
    }

    public bool Stop()
    {
        Loop.Post(() => _stop.Resolve(Unit.Value));
        return _thread.Join(10_000);
    }

    /// <summary>Runs f on the loop; its result (or exception) comes back on the pool.</summary>
    public Task<T> On<T>(Func<T> f)
    {
        var tcs = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        Loop.Post(() => { try { tcs.SetResult(f()); } catch (Exception e) { tcs.SetException(e); } });
        return tcs.Task;
    }

    public Task On(Action f) => On<int>(() => { f(); return 0; });

    /// <summary>Starts an async function on the loop (its context current); its Task, seen from the pool.</summary>
    public Task<T> Start<T>(Func<Task<T>> f) => On(f).Unwrap();
}

/// <summary>What an operation ended with, comparable with what API.md says it should be.</summary>
readonly record struct Outcome(string Kind, object? Value, Exception? Exc)
{
    public static Outcome Ok(object? v) => new("ok", v, null);
    public static Outcome Err(Exception e) => new(e is OperationCanceledException ? "canceled" : "exn", null, e);
    public override string ToString() => Kind switch
    {
        "ok" => $"ok({Value})",
        "pending" => "pending",
        _ => Exc is null ? $"{Kind}(any)" : $"{Kind}({Exc.GetType().Name}#{Ids.Of(Exc)})",
    };
    public static Outcome Pending => new("pending", null, null);
    public static Outcome FromPromise(Promise p) =>
        p.IsPending ? Pending : p.IsFulfilled ? Ok(p is Promise<int> pi ? pi.Value : "unit") : Err(p.Exception!);
}

static class Ids
{
    static readonly ConditionalWeakTable<object, object> s_ids = new();
    static int s_next;
    public static int Of(object o) => (int)s_ids.GetValue(o, _ => Interlocked.Increment(ref s_next));
}

sealed class Prog
{
    public readonly int Index;
    public readonly Random Rng;
    public LoopThread A = null!, B = null!;
    readonly List<Op> _ops = new();
    readonly ConcurrentQueue<string> _lines = new();
    public bool IsLoopThread(int id) => id == A.ThreadId || id == B.ThreadId;
    public string ThreadName(int id) => id == A.ThreadId ? "A" : id == B.ThreadId ? "B" : "pool";

    public Prog(int index, Random rng, int maxOps)
    {
        Index = index;
        Rng = rng;
        int n = 1 + rng.Next(maxOps);
        for (int k = 0; k < n; k++)
        {
            Op op = rng.Next(11) switch
            {
                < 4 => new AsTaskOp(this, k),
                < 6 => new ToPromiseOp(this, k),
                < 8 => new FromTaskOp(this, k),
                8 => new EnumerateOp(this, k),
                9 => rng.Next(2) == 0 ? new ToStreamOp(this, k) : new RunOp(this, k),
                _ => new StoppingLoopOp(this, k),
            };
            _ops.Add(op);
        }
    }

    public void Violation(Op op, string msg)
    {
        Interlocked.Increment(ref Program.Violations);
        _lines.Enqueue($"  VIOLATION op{op.K} {msg}");
    }

    public void Known(Op op, string cls, string msg)
    {
        lock (Program.KnownCounts) Program.KnownCounts[cls] = Program.KnownCounts.GetValueOrDefault(cls) + 1;
        _lines.Enqueue($"  KNOWN {cls} op{op.K} {msg}");
    }

    public void Note(Op op, string msg)
    {
        Interlocked.Increment(ref Program.Notes);
        _lines.Enqueue($"  NOTE op{op.K} {msg}");
    }

    public void Run()
    {
        while (Program.HookHits.TryDequeue(out _)) { }
        A = new LoopThread("A");
        B = new LoopThread("B");
        var tasks = _ops.Select(op => Task.Run(async () =>
        {
            try { await op.Run(); }
            catch (Exception e) { Violation(op, "harness exception " + e); }
        })).ToArray();
        bool done = Task.WaitAll(tasks, 15_000);
        Console.WriteLine($"== {Index}");
        foreach (var op in _ops) Console.WriteLine($"  op{op.K} {op.Describe()} -> {op.Result}");
        if (!done)
        {
            foreach (var (op, t) in _ops.Zip(tasks)) if (!t.IsCompleted) Violation(op, "HANG (no outcome within 15 s) at " + op.Stage);
        }
        // Stop the loops; LwtMain.Run must return normally.
        foreach (var l in new[] { A, B })
        {
            if (!l.Stop()) _lines.Enqueue($"  VIOLATION loop {l.Name} did not stop");
            else if (l.RunError is not null) { Interlocked.Increment(ref Program.Violations); _lines.Enqueue($"  VIOLATION loop {l.Name} Run threw {l.RunError}"); }
        }
        foreach (var e in Program.HookHits)
        {
            Interlocked.Increment(ref Program.Violations);
            _lines.Enqueue($"  VIOLATION async exception hook got {e.GetType().Name}: {e.Message}");
        }
        while (Program.HookHits.TryDequeue(out _)) { }
        while (_lines.TryDequeue(out var line)) Console.WriteLine(line);
    }

    /// <summary>A small random wait (interleavings only; never asserted on).</summary>
    public Task Jitter()
    {
        int r;
        lock (Rng) r = Rng.Next(6);
        return r switch { 0 => Task.CompletedTask, 1 => Task.Yield().AsTask(), 2 => Task.Delay(1), _ => Task.Run(() => Thread.SpinWait(50 * r)) };
    }
}

static class YieldExt
{
    public static async Task AsTask(this YieldAwaitable y) => await y;
}

abstract class Op(Prog prog, int k)
{
    public readonly Prog P = prog;
    public readonly int K = k;
    public volatile string Stage = "start";
    public string Result = "(none)";
    public abstract string Describe();
    public abstract Task Run();
    protected T Pick<T>(params T[] xs) => xs[P.Rng.Next(xs.Length)];
    protected int Tid => Environment.CurrentManagedThreadId;
    protected void Violation(string m) => P.Violation(this, m);
    protected void Note(string m) => P.Note(this, m);
    protected void Known(string cls, string m) => P.Known(this, cls, m);
    protected static readonly bool Strict = Environment.GetEnvironmentVariable("STRICT") == "1";

    /// <summary>Waits for t as a hang guard; false (and a violation) when it does not end.</summary>
    protected async Task<bool> Guard(Task t, string what)
    {
        if (await Task.WhenAny(t, Task.Delay(8_000)) == t) return true;
        Violation("HANG waiting for " + what);
        return false;
    }

    protected LoopThread LoopOf(int i) => i == 0 ? P.A : P.B;

    protected static bool SameOutcome(Outcome got, Outcome want, bool sameObject = true)
    {
        if (got.Kind != want.Kind) return false;
        if (got.Kind == "ok") return Equals(got.Value, want.Value);
        if (got.Kind == "pending") return true;
        if (want.Exc is null) return true; // any exception of that kind
        return !sameObject || ReferenceEquals(got.Exc, want.Exc);
    }
}

// ---------------------------------------------------------------- Promise -> Task / ValueTask / await

sealed class AsTaskOp : Op
{
    // owner of the promise: 0 = A, 1 = B, 2 = no loop
    readonly int _owner;
    readonly string _kind;      // wait | task | map (map of a cancelable promise: backwards search)
    readonly string _fate;      // value | exn | canceledexn | oce | cancel (Cancel() then Resolve) | never
    readonly string _timing;    // already | ownerloop | thread (resolver from a pool thread) | otherloop (resolver used on the other loop's thread) | postfromother (the other loop's thread Posts to the owner)
    readonly string _adapter;   // astask | astasktok | asvaluetask | await
    readonly int _site;         // where the adapter is called and awaited: 0 = A, 1 = B, 2 = pool, 3 = a UI-like SynchronizationContext, 4 = a TaskScheduler (exclusive)
    readonly bool _caf;         // ConfigureAwait(false)
    readonly string _token;     // none | pre | before | after | race
    readonly string _fireFrom;  // the thread that fires the token ("before"): pool | A | B
    static readonly AsyncLocal<int> s_local = new();
    readonly int _value;
    readonly Exception? _exn;

    public AsTaskOp(Prog p, int k) : base(p, k)
    {
        var r = p.Rng;
        _owner = r.Next(3);
        _kind = Pick("wait", "task", "map", "bindproxy", "asyncmethod");
        _adapter = Pick("astask", "astasktok", "astasktok", "asvaluetask", "await", "promisemethod");
        _fireFrom = Pick("pool", "pool", "A", "B");
        _token = _adapter == "astasktok" ? Pick("none", "pre", "before", "after", "race") : "none";
        bool tokenFiresFirst = _token is "pre" or "before";
        _fate = Pick("value", "value", "exn", "canceledexn", "oce", "cancel", tokenFiresFirst ? "never" : "value");
        _timing = _fate == "never" ? "ownerloop" : Pick("already", "ownerloop", "thread", "otherloop", "postfromother");
        if (_owner == 2 && _timing == "postfromother") _timing = "otherloop";
        _site = r.Next(10) switch { < 3 => 0, < 6 => 1, < 8 => 2, 8 => 3, _ => 4 };
        _caf = r.Next(4) == 0;
        _value = r.Next(1000);
        _exn = _fate switch
        {
            "exn" => r.Next(3) == 0 ? new AggregateException(new InvalidOperationException("x"), new FormatException("y")) : new InvalidOperationException("boom" + k),
            "canceledexn" => new CanceledException(),
            "oce" => new OperationCanceledException("oce" + k),
            _ => null,
        };
    }

    public override string Describe() =>
        $"{_adapter}{(_caf ? ".caf" : "")} of {_kind} owner={Name(_owner)} fate={_fate}/{_timing} site={Name(_site)} token={_token}{(_token == "before" ? "@" + _fireFrom : "")}";

    static string Name(int i) => i switch { 0 => "A", 1 => "B", 3 => "ui", 4 => "sched", _ => "none" };

    bool Cancelable => _kind is "task" or "map" or "bindproxy" or "asyncmethod";

    static async Promise<int> Forward(Promise<int> q) => await q;

    Task<T> OnOwner<T>(Func<T> f) => _owner == 2 ? Task.Run(f) : LoopOf(_owner).On(f);

    Outcome FateOutcome() => _fate switch
    {
        "value" => Outcome.Ok(_value),
        "exn" or "canceledexn" or "oce" => Outcome.Err(_exn!),
        "cancel" => Cancelable ? new Outcome("canceled", null, null) : Outcome.Ok(_value),
        "never" => Outcome.Pending,
        _ => throw new InvalidOperationException(),
    };

    void ApplyFate(Resolver<int> r, Promise<int> p)
    {
        switch (_fate)
        {
            case "value": r.Resolve(_value); break;
            case "exn" or "canceledexn" or "oce": r.Reject(_exn!); break;
            case "cancel": p.Cancel(); r.Resolve(_value); break; // Resolve of a canceled promise does nothing
            case "never": break;
        }
    }

    public override async Task Run()
    {
        Stage = "make";
        var (promise, resolver, top) = await OnOwner(() =>
        {
            var (q, rq) = _kind == "wait" ? Promise.Create<int>() : Promise.CreateCancelable<int>();
            Promise<int> t = _kind == "map" ? q.Map(x => x) : q;
            if (_kind == "bindproxy")
            {
                // a bind whose input is resolved at once and whose callback returns q, pending:
                // the bind's promise becomes a proxy of q (and the cancel search goes to q)
                var (q0, rq0) = Promise.Create<int>();
                t = q0.Bind(_ => q);
                rq0.ResolveNow(0);
            }
            if (_kind == "asyncmethod") t = Forward(q); // cancel goes through the await to q
            return (q, rq, t);
        });
        // The cancel that ApplyFate makes goes to the top promise (for a map, the search reaches q).
        Action applyFate = () => ApplyFate(resolver, _fate == "cancel" ? top : promise);
        if (_timing == "already") await OnOwner(() => { applyFate(); return 0; });

        var cts = new CancellationTokenSource();
        if (_token == "pre") cts.Cancel();
        var token = _adapter == "astasktok" ? (_token == "none" ? Pick(CancellationToken.None, cts.Token) : cts.Token) : default;

        // The awaiting code: started at the site, awaits the adapter, reports where it resumed.
        int runs = 0;
        bool completedAtAwait = false, pendingAtAwait = false;
        int siteTid = 0;
        var adapterCalled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _adapterCalled = adapterCalled.Task;
        bool localLost = false;
        Func<Task<(Outcome, int, TaskStatus?)>> body = async () =>
        {
            siteTid = Tid;
            Outcome o;
            TaskStatus? status = null;
            int? resumedIn = null;
            pendingAtAwait = top.IsPending;
            int marker = 1000 + K;
            s_local.Value = marker;
            try
            {
                switch (_adapter)
                {
                    case "promisemethod":
                        {
                            // an async Promise method awaiting the promise (PromiseMethodBuilder)
                            var where = new int[1];
                            completedAtAwait = !top.IsPending;
                            var mp = Method(top, where);
                            adapterCalled.TrySetResult();
                            try { o = Outcome.Ok(await mp); }
                            finally { resumedIn = where[0]; }
                            break;
                        }
                    case "astask":
                    case "astasktok":
                        {
                            var t = _adapter == "astask" ? top.AsTask() : top.AsTask(token);
                            completedAtAwait = t.IsCompleted;
                            adapterCalled.TrySetResult();
                            int v;
                            try { v = _caf ? await t.ConfigureAwait(false) : await t; }
                            finally { status = t.Status; }
                            o = Outcome.Ok(v);
                            break;
                        }
                    case "asvaluetask":
                        {
                            var t = top.AsValueTask();
                            completedAtAwait = t.IsCompleted;
                            adapterCalled.TrySetResult();
                            o = Outcome.Ok(_caf ? await t.ConfigureAwait(false) : await t);
                            break;
                        }
                    default:
                        completedAtAwait = !top.IsPending;
                        adapterCalled.TrySetResult(); // just before the await (its attach follows at once on this thread)
                        o = Outcome.Ok(_caf ? await top.ConfigureAwait(false) : await top);
                        break;
                }
            }
            catch (Exception e) { o = Outcome.Err(e); }
            adapterCalled.TrySetResult();
            if (s_local.Value != marker) localLost = true;
            _resumedScheduler = TaskScheduler.Current;
            Interlocked.Increment(ref runs);
            return (o, resumedIn ?? Tid, status);
        };
        Stage = "adapter";
        TaskScheduler? resumedScheduler = null;
        Func<Task<(Outcome, int, TaskStatus?)>> schedBody = async () =>
        {
            var res = await body();
            return res;
        };
        Task<(Outcome, int, TaskStatus?)> awaiting = _site switch
        {
            2 => Task.Run(body),
            3 => Ui.Instance.Start(body),
            4 => Task.Factory.StartNew(async () => { var res = await body(); return res; }, CancellationToken.None, TaskCreationOptions.None, Ui.Exclusive).Unwrap(),
            _ => LoopOf(_site).Start(body),
        };

        // Token fired while the promise is pending (before any resolution): make sure the
        // adapter was called first, then fire, then let the owner loop run the posted cancel.
        if (_token == "before")
        {
            await WaitCalled();
            if (_fireFrom == "pool") cts.Cancel();
            else await LoopOf(_fireFrom == "A" ? 0 : 1).On(() => cts.Cancel());
            await OnOwner(() => 0);
        }
        Task? race = null;
        if (_token == "race") race = Task.Run(async () => { await P.Jitter(); cts.Cancel(); });

        await P.Jitter();
        Stage = "resolve";
        if (_timing != "already")
        {
            if (_token is "pre" or "after" or "race" || _fate == "never") await WaitCalled();
            switch (_timing)
            {
                case "ownerloop": await OnOwner(() => { applyFate(); return 0; }); break;
                case "thread": await Task.Run(applyFate); break;
                case "otherloop": await LoopOf(_owner == 0 ? 1 : 0).On(applyFate); break;
                case "postfromother":
                    {
                        var owner = LoopOf(_owner).Loop;
                        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                        await LoopOf(_owner == 0 ? 1 : 0).On(() => owner.Post(() => { applyFate(); done.SetResult(); }));
                        await done.Task;
                        break;
                    }
            }
        }
        if (_token == "after")
        {
            // after the promise resolved (seen on its loop)
            if (_fate != "never")
            {
                await OnOwner(() => 0);
                SpinWait.SpinUntil(() => !top.IsPending, 2_000); // an async method of no loop resumes on the pool
                cts.Cancel();
            }
        }
        if (race is not null) await race;

        Stage = "await";
        if (!await Guard(awaiting, "the awaiting code")) { Result = "HANG"; return; }
        var (got, resumedTid, taskStatus) = await awaiting;
        await OnOwner(() => 0); // let a posted cancel/resolution land
        await Task.Delay(1);
        if (!(_fate == "never" && !Cancelable))
            SpinWait.SpinUntil(() => !top.IsPending, 2_000); // an async method of no loop resumes on the pool
        var final = await OnOwner(() => Outcome.FromPromise(top));
        Result = $"{got} resumed={P.ThreadName(resumedTid)} promise={final}";

        // -------- expected
        var fate = FateOutcome();
        bool tokenWhilePending = _adapter == "astasktok" && token.CanBeCanceled && _token is "pre" or "before" && _timing != "already";
        if (tokenWhilePending)
        {
            if (got.Kind != "canceled" || got.Exc is not OperationCanceledException) Violation($"token fired while pending: the Task must end Canceled, got {got}");
            var wantPromise = Cancelable ? new Outcome("canceled", null, null) : fate;
            if (!SameOutcome(final, wantPromise)) Violation($"token fired while pending: promise should be {wantPromise}, is {final}");
        }
        else if (_adapter == "astasktok" && _token == "race" && _timing != "already")
        {
            bool taskOk = got.Kind == "canceled" || SameOutcome(got, fate);
            if (!taskOk) Violation($"raced token: Task {got}, want Canceled or {fate}");
            bool promiseOk = SameOutcome(final, fate) || (Cancelable && final.Kind == "canceled");
            if (!promiseOk) Violation($"raced token: promise {final}, want {fate}{(Cancelable ? " or canceled" : "")}");
            if (got.Kind == "ok" && !SameOutcome(final, got)) Violation($"raced token: the Task has a value {got} the promise does not have ({final})");
        }
        else
        {
            if (!SameOutcome(got, fate, sameObject: false)) Violation($"awaited {got}, want {fate}");
            else if (got.Kind == "exn" && !ReferenceEquals(got.Exc, fate.Exc)) Violation($"fault is not the same exception object: {got} vs {fate}");
            else if (got.Kind == "canceled" && fate.Exc is not null && !ReferenceEquals(got.Exc, fate.Exc))
                Note($"canceled rethrows another object than the rejection: {got} vs {fate}");
            if (!SameOutcome(final, fate)) Violation($"promise is {final}, want {fate}");
            if (_adapter is "astask" or "astasktok" && taskStatus is { } st)
            {
                var want = fate.Kind switch { "ok" => TaskStatus.RanToCompletion, "canceled" => TaskStatus.Canceled, _ => TaskStatus.Faulted };
                if (st != want) Violation($"Task status {st}, want {want}");
            }
        }
        if (Volatile.Read(ref runs) != 1) Violation($"awaiting code ran {runs} times");
        if (localLost) Violation("an AsyncLocal value set before the await was not there after it");

        // -------- where it resumed
        string where = P.ThreadName(resumedTid);
        if (!_caf)
        {
            if (_site is 0 or 1 && resumedTid != LoopOf(_site).ThreadId) Violation($"awaited on loop {Name(_site)}, resumed on {where}");
            if (_site == 2 && P.IsLoopThread(resumedTid)) Violation($"awaited on the pool, resumed on loop thread {where}");
            if (_site == 3 && resumedTid != Ui.Instance.ThreadId) Violation($"awaited on a SynchronizationContext, resumed on {where} (tid {resumedTid})");
            if (_site == 4 && _adapter != "promisemethod" && _resumedScheduler != Ui.Exclusive) Violation($"awaited on a TaskScheduler, resumed with {_resumedScheduler?.GetType().Name} on {where}");
        }
        else if (completedAtAwait)
        {
            if (resumedTid != siteTid) Violation($"ConfigureAwait(false) of a completed awaitable resumed on {where}, not on the awaiting thread");
        }
        else if (resumedTid == siteTid)
        {
            // the awaitable completed between the harness's look and the await's own: synchronous
        }
        else if (_adapter is "await" or "promisemethod")
        {
            // Promise.ConfigureAwait(false): where the promise resolves (on its loop). An
            // attach from another thread is posted to the loop; when the promise resolved
            // before it landed, the continuation goes to the pool (Awaiters.cs, tested by
            // ConfigureAwaitFalse_ResumesWhereThePromiseResolves).
            bool attachPosted = _owner != 2 && _site != _owner;
            if (attachPosted && !P.IsLoopThread(resumedTid)) { }
            else if (_owner != 2 && resumedTid != LoopOf(_owner).ThreadId && !(got.Kind != "ok" && _token != "none"))
                Violation($"Promise.ConfigureAwait(false) resumed on {where}, the promise's loop is {Name(_owner)}");
        }
        else if (P.IsLoopThread(resumedTid))
        {
            Note($"{_adapter}.ConfigureAwait(false) resumed on loop thread {where} (API.md leaves this open)");
        }
    }

    TaskScheduler? _resumedScheduler;

    async Promise<int> Method(Promise<int> p, int[] where)
    {
        try { return _caf ? await p.ConfigureAwait(false) : await p; }
        finally { where[0] = Environment.CurrentManagedThreadId; }
    }

    /// <summary>Waits until the awaiting code has called the adapter.</summary>
    Task _adapterCalled = Task.CompletedTask;

    async Task WaitCalled()
    {
        await _adapterCalled;
        // The adapter's attach to a promise of another running loop is posted there: let it land.
        if (_owner != 2) await LoopOf(_owner).On(() => 0);
    }
}

// ---------------------------------------------------------------- Task -> promise

/// <summary>A one-shot IValueTaskSource (a ValueTask that is not backed by a Task).</summary>
sealed class OneShotSource<T> : IValueTaskSource<T>, IValueTaskSource
{
    ManualResetValueTaskSourceCore<T> _core;
    public short Version => _core.Version;
    public void SetResult(T v) => _core.SetResult(v);
    public void SetException(Exception e) => _core.SetException(e);
    public T GetResult(short token) => _core.GetResult(token);
    void IValueTaskSource.GetResult(short token) => _core.GetResult(token);
    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);
    public void OnCompleted(Action<object?> c, object? s, short token, ValueTaskSourceOnCompletedFlags f) => _core.OnCompleted(c, s, token, f);
}

sealed class ToPromiseOp : Op
{
    readonly int _site;        // 0 = loop A, 2 = off any loop (pool)
    readonly string _src;      // task | utask | vtask (ValueTask<int> of a Task) | vsrc (ValueTask<int> of a source) | uvsrc (ValueTask of a source) | uvtask
    readonly string _fate;     // value | fault1 | faultmany | faultoce | canceled
    readonly string _timing;   // already | pool | otherloop | ownloop (loop A's thread) | sync (the calling thread, right after)
    readonly string _cancel;   // none | before | after
    readonly int _value;
    readonly Exception _x, _y;

    public ToPromiseOp(Prog p, int k) : base(p, k)
    {
        _site = Pick(0, 2);
        _src = Pick("task", "utask", "vtask", "vsrc", "uvsrc", "uvtask");
        _fate = Pick("value", "value", "fault1", "faultmany", "faultoce", "canceled");
        if (_src is "vsrc" or "uvsrc" && _fate is "faultmany" or "canceled") _fate = "fault1";
        _timing = Pick("already", "pool", "otherloop", "ownloop", "sync");
        _cancel = Pick("none", "none", "before", "after");
        _value = p.Rng.Next(1000);
        _x = _fate == "faultoce" ? new OperationCanceledException("toce" + k) : new InvalidOperationException("tx" + k);
        _y = new FormatException("ty" + k);
    }

    bool Typed => _src is "task" or "vtask" or "vsrc";

    public override string Describe() => $"ToPromise {_src} fate={_fate}/{_timing} site={(_site == 0 ? "A" : "none")} cancel={_cancel}";

    public override async Task Run()
    {
        var tcs = new TaskCompletionSource<int>();
        var vs = new OneShotSource<int>();
        bool useSource = _src is "vsrc" or "uvsrc";
        Action complete = () =>
        {
            if (useSource)
            {
                if (_fate == "value") vs.SetResult(_value); else vs.SetException(_x);
                return;
            }
            switch (_fate)
            {
                case "value": tcs.SetResult(_value); break;
                case "fault1" or "faultoce": tcs.SetException(_x); break;
                case "faultmany": tcs.SetException(new[] { _x, _y }); break;
                case "canceled": tcs.SetCanceled(); break;
            }
        };
        int completerTid = 0;
        Action completeHere = () => { completerTid = Environment.CurrentManagedThreadId; complete(); };

        int runs = 0, cbTid = 0;
        Outcome cbOutcome = default;
        var called = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        bool pendingAfterCall = false;
        Promise promise = null!;
        int siteTid = 0;
        Func<int> atSite = () =>
        {
            siteTid = Environment.CurrentManagedThreadId;
            if (_timing == "already") completeHere();
            Promise p = _src switch
            {
                "task" => tcs.Task.ToPromise(),
                "utask" => ((Task)tcs.Task).ToPromise(),
                "vtask" => new ValueTask<int>(tcs.Task).ToPromise(),
                "uvtask" => new ValueTask(tcs.Task).ToPromise(),
                "vsrc" => new ValueTask<int>(vs, vs.Version).ToPromise(),
                _ => new ValueTask(vs, vs.Version).ToPromise(),
            };
            promise = p;
            pendingAfterCall = p.IsPending;
            p.OnTermination(() =>
            {
                cbTid = Environment.CurrentManagedThreadId;
                cbOutcome = Outcome.FromPromise(p);
                Interlocked.Increment(ref runs);
                called.TrySetResult();
            });
            if (_cancel == "before") p.Cancel();
            if (_timing == "sync") completeHere();
            return 0;
        };
        Stage = "call";
        if (_site == 0) await P.A.On(atSite); else await Task.Run(atSite);
        await P.Jitter();
        Stage = "complete";
        switch (_timing)
        {
            case "pool": await Task.Run(completeHere); break;
            case "otherloop": await P.B.On(completeHere); break;
            case "ownloop": await P.A.On(completeHere); break;
        }
        Stage = "wait";
        if (!await Guard(called.Task, "the promise's callback")) { Result = "HANG"; return; }
        if (_cancel == "after")
        {
            if (_site == 0) await P.A.On(() => promise.Cancel()); else promise.Cancel();
        }
        await Task.Delay(1);
        var final = _site == 0 ? await P.A.On(() => Outcome.FromPromise(promise)) : Outcome.FromPromise(promise);
        Result = $"{cbOutcome} resolvedOn={P.ThreadName(cbTid)} final={final}";

        // -------- expected
        object val = Typed ? _value : "unit";
        bool ok;
        switch (_fate)
        {
            case "value": ok = SameOutcome(final, Outcome.Ok(val)); break;
            // A ValueTask source faulted with an OperationCanceledException reports Canceled
            // (ManualResetValueTaskSourceCore): a canceled ValueTask, so a CanceledException.
            case "faultoce" when _src is "vsrc" or "uvsrc": ok = final.Exc?.GetType() == typeof(CanceledException); break;
            case "fault1" or "faultoce": ok = final.Kind != "ok" && ReferenceEquals(final.Exc, _x); break;
            case "faultmany":
                ok = final.Exc is AggregateException ag && ag.InnerExceptions.Count == 2 && ReferenceEquals(ag.InnerExceptions[0], _x) && ReferenceEquals(ag.InnerExceptions[1], _y);
                break;
            default: ok = final.Exc?.GetType() == typeof(CanceledException); break;
        }
        if (!ok) Violation($"promise {final} does not follow the Task's {_fate}");
        if (!SameOutcome(cbOutcome, final)) Violation($"the callback saw {cbOutcome}, the promise is {final}");
        if (runs != 1) Violation($"callback ran {runs} times");
        if (_timing == "already" && pendingAfterCall) Violation("a completed Task gave a pending promise");
        if (_timing != "already" && _timing != "sync" && !pendingAfterCall) Violation("a pending Task gave a resolved promise");
        // where it resolved
        if (_timing == "already") { if (cbTid != siteTid) Violation($"already resolved, but the callback ran on {P.ThreadName(cbTid)}"); }
        else if (_site == 0) { if (cbTid != P.A.ThreadId) Violation($"promise of loop A resolved on {P.ThreadName(cbTid)}"); }
        else if (cbTid != completerTid) Violation($"promise of no loop resolved on {P.ThreadName(cbTid)} (tid {cbTid}), not on the completing thread {P.ThreadName(completerTid)} (tid {completerTid})");
    }
}

// ---------------------------------------------------------------- FromTask

sealed class FromTaskOp : Op
{
    readonly int _site;      // 0 = loop A, 2 = off any loop
    readonly string _start;  // throw | throwoce | done | donefault | donecanceled | honours | honoursasync | ignores
    readonly bool _typed;
    readonly bool _viaMap;   // Cancel() on p.Map(x => x + 1) (backwards search)
    readonly string _cancel; // none | before | after
    readonly string _cancelFrom; // loop | pool (for a loop's promise: marshaled)
    readonly string _release; // pool | otherloop
    readonly int _value;
    readonly Exception _x;

    public FromTaskOp(Prog p, int k) : base(p, k)
    {
        _site = Pick(0, 2);
        _start = Pick("throw", "throwoce", "done", "donefault", "donecanceled", "honours", "honours", "honoursasync", "ignores", "ignores");
        _typed = p.Rng.Next(3) != 0;
        _viaMap = p.Rng.Next(3) == 0 && _typed;
        _cancel = Pick("none", "before", "before", "after");
        _cancelFrom = Pick("loop", "pool");
        _release = Pick("pool", "otherloop");
        _value = p.Rng.Next(1000);
        _x = _start == "throwoce" ? new OperationCanceledException("foce" + k) : new InvalidOperationException("fx" + k);
    }

    public override string Describe() =>
        $"FromTask{(_typed ? "<int>" : "")} start={_start} site={(_site == 0 ? "A" : "none")} cancel={_cancel}{(_viaMap ? "(map)" : "")}/{_cancelFrom} release={_release}";

    public override async Task Run()
    {
        var gate = new TaskCompletionSource<int>();
        int startRuns = 0, startTid = 0, siteTid = 0;
        CancellationToken seenToken = default;
        Func<CancellationToken, Task<int>> start = token =>
        {
            Interlocked.Increment(ref startRuns);
            startTid = Environment.CurrentManagedThreadId;
            seenToken = token;
            switch (_start)
            {
                case "throw" or "throwoce": throw _x;
                case "done": return Task.FromResult(_value);
                case "donefault": return Task.FromException<int>(_x);
                case "donecanceled": return Task.FromCanceled<int>(new CancellationToken(true));
                case "honours":
                    {
                        var t = new TaskCompletionSource<int>();
                        token.Register(() => t.TrySetCanceled(token));
                        gate.Task.ContinueWith(g => t.TrySetResult(g.Result), TaskContinuationOptions.ExecuteSynchronously);
                        return t.Task;
                    }
                case "honoursasync": return HonoursAsync(token);
                default: return gate.Task;
            }
        };
        async Task<int> HonoursAsync(CancellationToken token)
        {
            await gate.Task.ConfigureAwait(false);
            token.ThrowIfCancellationRequested();
            return _value;
        }

        int runs = 0, cbTid = 0;
        Outcome cb = default;
        var called = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Promise p = null!, top = null!;
        int startRunsAfterCall = 0;
        Func<int> atSite = () =>
        {
            siteTid = Environment.CurrentManagedThreadId;
            if (_typed)
            {
                var pt = PromiseInterop.FromTask(start);
                p = pt;
                top = _viaMap ? pt.Map(x => x + 1) : pt;
            }
            else
            {
                p = PromiseInterop.FromTask(ct => (Task)start(ct));
                top = p;
            }
            startRunsAfterCall = startRuns;
            var pp = p;
            pp.OnTermination(() =>
            {
                cbTid = Environment.CurrentManagedThreadId;
                cb = Outcome.FromPromise(pp);
                Interlocked.Increment(ref runs);
                called.TrySetResult();
            });
            return 0;
        };
        Stage = "call";
        if (_site == 0) await P.A.On(atSite); else await Task.Run(atSite);
        Action cancel = () => top.Cancel();
        Func<Task> doCancel = async () =>
        {
            if (_site == 0 && _cancelFrom == "loop") await P.A.On(cancel);
            else await Task.Run(cancel);
            if (_site == 0) await P.A.On(() => 0); // the marshaled cancel has run
        };
        if (_cancel == "before") { await P.Jitter(); await doCancel(); }
        await P.Jitter();
        Stage = "release";
        int releaseTid = 0;
        Action release = () => { releaseTid = Environment.CurrentManagedThreadId; gate.TrySetResult(_value); };
        if (_release == "pool") await Task.Run(release); else await P.B.On(release);
        Stage = "wait";
        if (!await Guard(called.Task, "the promise's callback")) { Result = "HANG"; return; }
        if (_cancel == "after") await doCancel();
        await Task.Delay(1);
        var final = _site == 0 ? await P.A.On(() => Outcome.FromPromise(p)) : Outcome.FromPromise(p);
        var finalTop = _site == 0 ? await P.A.On(() => Outcome.FromPromise(top)) : Outcome.FromPromise(top);
        Result = $"{final} top={finalTop} resolvedOn={P.ThreadName(cbTid)} tokenFired={seenToken.IsCancellationRequested}";

        // -------- expected
        if (startRunsAfterCall != 1) Violation($"start had run {startRunsAfterCall} times when FromTask returned");
        if (startTid != siteTid) Violation("start did not run on the calling thread");
        object val = _typed ? _value : "unit";
        Outcome want = _start switch
        {
            "throw" or "throwoce" or "donefault" => Outcome.Err(_x),
            "done" => Outcome.Ok(val),
            "donecanceled" => new Outcome("canceled", null, null),
            "ignores" => Outcome.Ok(val),
            _ => _cancel == "before" ? new Outcome("canceled", null, null) : Outcome.Ok(val),
        };
        if (!SameOutcome(final, want)) Violation($"promise {final}, want {want}");
        if (want.Kind == "canceled" && want.Exc is null && final.Exc?.GetType() != typeof(CanceledException))
            Violation($"a canceled Task must give CanceledException, got {final}");
        if (_viaMap)
        {
            var wantTop = final.Kind == "ok" ? Outcome.Ok((int)final.Value! + 1) : final;
            if (!SameOutcome(finalTop, wantTop)) Violation($"the map's promise is {finalTop}, want {wantTop}");
        }
        if (runs != 1) Violation($"callback ran {runs} times");
        bool pendingTask = _start is "honours" or "honoursasync" or "ignores";
        if (pendingTask && _cancel == "before" && !seenToken.IsCancellationRequested) Violation("Cancel() before the Task ended did not fire the token");
        if (pendingTask && _site == 0 && cbTid != P.A.ThreadId) Violation($"promise of loop A resolved on {P.ThreadName(cbTid)}");
        // (honoursasync's Task completes wherever its ConfigureAwait(false) continuation ran)
        if (_start is "honours" or "ignores" && _site == 2 && _cancel != "before" && cbTid != releaseTid)
            Violation($"promise of no loop resolved on {P.ThreadName(cbTid)}, not on the thread that completed the Task");
        if (!pendingTask && cbTid != siteTid) Violation("a completed Task's promise resolved later / elsewhere");
    }
}

// ---------------------------------------------------------------- LwtStream -> IAsyncEnumerable

sealed class EnumerateOp : Op
{
    readonly string _source;  // push (pushed upfront) | pushlater (pushed over time from the loop) | fail (From: items, then a rejection) | failthrow (From: items, then f throws)
    readonly int _n;
    readonly int _site;       // 0 = A (the stream's loop), 1 = B, 2 = pool
    readonly string _stop;    // full | dispose (after m items) | cancel (token fired after m items) | cancelpending (token fired while a read waits) | disposepending
    readonly int _m;
    readonly Exception _x;

    public EnumerateOp(Prog p, int k) : base(p, k)
    {
        _source = Pick("push", "pushlater", "pushlater", "fail", "failthrow");
        _n = p.Rng.Next(6);
        _site = p.Rng.Next(3);
        _stop = Pick("full", "full", "dispose", "cancel", "cancelpending", "disposepending");
        if (_source is "fail" or "failthrow" && _stop is "cancelpending" or "disposepending") _stop = "full";
        if (_source == "push" && _stop is "cancelpending" or "disposepending") _stop = "dispose";
        _m = _n == 0 ? 0 : p.Rng.Next(_n + 1);
        _x = new InvalidOperationException("sx" + k);
    }

    public override string Describe() => $"AsAsyncEnumerable source={_source} n={_n} site={"AB?"[_site] switch { '?' => "pool", var c => c.ToString() }} stop={_stop} m={_m}";

    public override async Task Run()
    {
        var items = Enumerable.Range(100, _n).ToList();
        Stage = "make";
        var (stream, push, en) = await P.A.On(() =>
        {
            LwtStream<int> s;
            Action<Option<int>>? pu = null;
            if (_source is "fail" or "failthrow")
            {
                int i = 0;
                s = LwtStream.From<int>(() =>
                {
                    if (i < _n) return i++ % 2 == 0 ? Promise.ReturnSome(items[i - 1]) : Promise.Pause().Map(() => Option<int>.Some(items[i - 1]));
                    if (_source == "failthrow") throw _x;
                    return Promise.Fail<Option<int>>(_x);
                });
            }
            else
            {
                (s, pu) = LwtStream.Create<int>();
                if (_source == "push") { foreach (var it in items) pu(Option<int>.Some(it)); pu(Option<int>.None); }
            }
            return (s, pu, s.AsAsyncEnumerable());
        });
        var cts = new CancellationTokenSource();
        var got = new List<int>();
        Exception? error = null;
        bool ended = false;
        var readPending = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int resumeWrong = 0;
        Func<Task<int>> body = async () =>
        {
            int siteTid = Environment.CurrentManagedThreadId;
            var e = en.GetAsyncEnumerator(cts.Token);
            try
            {
                while (true)
                {
                    if (_stop is "dispose" or "cancel" && got.Count == _m)
                    {
                        if (_stop == "cancel") cts.Cancel();
                        else break;
                    }
                    var mv = e.MoveNextAsync();
                    if (_stop is "cancelpending" or "disposepending" && got.Count == _m && !mv.IsCompleted)
                    {
                        readPending.TrySetResult();
                        if (_stop == "disposepending") { await e.DisposeAsync(); }
                    }
                    bool has = await mv;
                    if (_site != 2 && Environment.CurrentManagedThreadId != siteTid) resumeWrong++;
                    if (_site == 2 && P.IsLoopThread(Environment.CurrentManagedThreadId)) resumeWrong++;
                    if (!has) { ended = true; break; }
                    got.Add(e.Current);
                }
            }
            catch (Exception ex) { error = ex; }
            finally { readPending.TrySetResult(); await e.DisposeAsync(); }
            return 0;
        };
        Stage = "enumerate";
        var run = _site == 2 ? Task.Run(body) : LoopOf(_site).Start(body);
        if (_source == "pushlater")
        {
            for (int i = 0; i < items.Count; i++)
            {
                if (_stop is "cancelpending" or "disposepending" && i == _m)
                {
                    // let the enumerator wait on a read, then cancel/dispose it
                    await Task.WhenAny(readPending.Task, run);
                    if (_stop == "cancelpending") { await P.Jitter(); cts.Cancel(); }
                    await Task.WhenAny(run, Task.Delay(3));
                }
                var it = items[i];
                await P.A.On(() => push!(Option<int>.Some(it)));
                await P.Jitter();
            }
            if (_stop is "cancelpending" or "disposepending" && _m == items.Count)
            {
                await Task.WhenAny(readPending.Task, run);
                if (_stop == "cancelpending") cts.Cancel();
            }
            await P.A.On(() => push!(Option<int>.None));
        }
        if (!await Guard(run, "the enumeration")) { Result = "HANG"; return; }
        // what is left in the stream
        List<int> rest = new();
        if (_source is "push" or "pushlater")
        {
            var restTask = new TaskCompletionSource<IReadOnlyList<int>>(TaskCreationOptions.RunContinuationsAsynchronously);
            await P.A.On(() => stream.ToList().OnAny(l => restTask.SetResult(l), e => restTask.SetException(e)));
            if (!await Guard(restTask.Task, "the rest of the stream")) { Result = "HANG"; return; }
            rest = restTask.Task.Result.ToList();
        }
        Result = $"got=[{string.Join(",", got)}] ended={ended} error={(error is null ? "-" : error.GetType().Name)} rest=[{string.Join(",", rest)}]";

        // -------- expected
        if (resumeWrong > 0) Violation($"MoveNextAsync resumed {resumeWrong} times on the wrong thread");
        switch (_stop)
        {
            case "full":
                if (_source is "fail" or "failthrow")
                {
                    if (!got.SequenceEqual(items) || !ReferenceEquals(error, _x)) Violation($"want all items then the same exception: got [{string.Join(",", got)}] {error}");
                }
                else if (!got.SequenceEqual(items) || !ended || error is not null) Violation($"want all items then the end");
                break;
            case "dispose":
                if (!got.SequenceEqual(items.Take(_m)) || error is not null) Violation("want the first m items");
                break;
            case "cancel":
                if (!got.SequenceEqual(items.Take(_m))) Violation("want the first m items");
                if (_m < items.Count || _source != "fail") if (error is not OperationCanceledException) Violation($"MoveNextAsync after the token fired: want OperationCanceledException, got {error?.GetType().Name ?? (ended ? "the end" : "?")}");
                break;
            default:
                if (!got.SequenceEqual(items.Take(got.Count)) || got.Count < _m || got.Count > _m + 1) Violation("want the first m items (maybe one more)");
                break;
        }
        if (_source is "push" or "pushlater")
        {
            var all = got.Concat(rest).ToList();
            if (!all.SequenceEqual(items)) Violation($"items lost or duplicated: got [{string.Join(",", got)}] + rest [{string.Join(",", rest)}]");
        }
    }
}

// ---------------------------------------------------------------- IAsyncEnumerable -> LwtStream

sealed class ToStreamOp : Op
{
    readonly int _n;
    readonly string _yield;   // none | yield | delay | otherloop (the item comes from loop B's thread)
    readonly bool _fail;
    readonly string _read;    // tolist | get (m Gets, then stop)
    readonly int _m;
    readonly Exception _x;

    public ToStreamOp(Prog p, int k) : base(p, k)
    {
        _n = p.Rng.Next(6);
        _yield = Pick("none", "yield", "delay", "otherloop");
        _fail = p.Rng.Next(3) == 0;
        _read = Pick("tolist", "get");
        _m = p.Rng.Next(_n + 1);
        _x = new FormatException("gx" + k);
    }

    public override string Describe() => $"ToLwtStream n={_n} yield={_yield} fail={_fail} read={_read} m={_m}";

    int _produced, _disposed;

    async IAsyncEnumerable<int> Source()
    {
        try
        {
            for (int i = 0; i < _n; i++)
            {
                Interlocked.Increment(ref _produced);
                switch (_yield)
                {
                    case "yield": await Task.Yield(); break;
                    case "delay": await Task.Delay(1); break;
                    case "otherloop": await P.B.On(() => 0).ConfigureAwait(false); break;
                }
                yield return 200 + i;
            }
            if (_fail) throw _x;
        }
        finally { Interlocked.Increment(ref _disposed); }
    }

    public override async Task Run()
    {
        var done = new TaskCompletionSource<(List<int>, Exception?, int)>(TaskCreationOptions.RunContinuationsAsynchronously);
        int wrongThread = 0;
        Stage = "read";
        await P.A.On(() =>
        {
            var s = Source().ToLwtStream();
            var got = new List<int>();
            int aTid = Environment.CurrentManagedThreadId;
            if (_read == "tolist")
            {
                s.ToList().OnAny(l => done.SetResult((l.ToList(), null, 0)), e => done.SetResult((got, e, 0)));
            }
            else
            {
                void Next()
                {
                    if (got.Count == _m) { done.SetResult((got, null, 0)); return; }
                    s.Get().OnAny(o =>
                    {
                        if (Environment.CurrentManagedThreadId != aTid) Interlocked.Increment(ref wrongThread);
                        if (!o.HasValue) { done.SetResult((got, null, 1)); return; }
                        got.Add(o.Value);
                        Next();
                    }, e => done.SetResult((got, e, 0)));
                }
                Next();
            }
        });
        if (!await Guard(done.Task, "the stream's reads")) { Result = "HANG"; return; }
        var (items, err, endSeen) = done.Task.Result;
        await Task.Delay(2);
        Result = $"items=[{string.Join(",", items)}] err={(err is null ? "-" : err.GetType().Name)} produced={_produced} disposed={_disposed}";
        var all = Enumerable.Range(200, _n).ToList();
        if (wrongThread > 0) Violation("a Get's callback ran off loop A");
        if (_read == "tolist")
        {
            if (_fail) { if (!ReferenceEquals(err, _x)) Violation($"ToList: want the source's exception, got {err}"); }
            else if (!items.SequenceEqual(all) || err is not null) Violation("ToList: want all the items");
            if (Volatile.Read(ref _disposed) != 1) Violation($"enumerator disposed {_disposed} times at the end");
        }
        else
        {
            if (!items.SequenceEqual(all.Take(_m))) Violation("Get: want the first m items");
            if (_m < _n && Volatile.Read(ref _produced) != _m) Violation($"not lazy: {_produced} items produced for {_m} Gets");
        }
    }
}

// ---------------------------------------------------------------- token registrations

static class Leaks
{
    public static void Run()
    {
        Console.WriteLine("== leaks");
        Check("AsTask(token) of promises resolved later, on the loop", OnLoop);
        Check("AsTask(token) from the pool of promises of a loop", FromPool);
        Check("AsTask(token) of non-cancelable promises canceled by a fired token", null);
        Check("AsTask(token) of promises of no loop resolved on another thread", NoLoop);
        Check("AsTask(token) and AsValueTask of pending promises awaited on the loop", Awaited);
        EnumerableTokenMemory();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    static List<WeakReference> NoLoop(LoopThread loop, CancellationTokenSource cts)
    {
        var weak = new List<WeakReference>();
        var made = Enumerable.Range(0, 10_000).Select(_ => Promise.CreateCancelable<int>()).ToList();
        var tasks = new List<Task<int>>();
        for (int i = 0; i < made.Count; i++)
        {
            var t = made[i].Promise.AsTask(cts.Token);
            tasks.Add(t);
            if (i % 100 == 0) weak.Add(new WeakReference(t));
        }
        var th = new Thread(() => { for (int i = 0; i < made.Count; i++) made[i].Resolver.Resolve(i); });
        th.Start();
        th.Join();
        Task.WaitAll(tasks.ToArray(), 10_000);
        tasks.Clear();
        made.Clear();
        return weak;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    static List<WeakReference> Awaited(LoopThread loop, CancellationTokenSource cts)
    {
        var weak = new List<WeakReference>();
        loop.Start(async () =>
        {
            for (int i = 0; i < 10_000; i++)
            {
                var p = Promise.Pause().Map(() => i);
                var t = p.AsTask(cts.Token);
                if (i % 100 == 0) weak.Add(new WeakReference(t));
                await t;
                await Promise.Pause().Map(() => i).AsValueTask();
            }
            return 0;
        }).Wait(30_000);
        return weak;
    }

    /// <summary>
    /// AsAsyncEnumerable enumerated with one long-lived token over 50,000 reads that each wait:
    /// each read's registration must be released (memory must not grow with the reads).
    /// </summary>
    static void EnumerableTokenMemory()
    {
        var loop = new LoopThread("L");
        var cts = new CancellationTokenSource();
        long Measure(int n) => loop.Start(async () =>
        {
            int i = 0;
            var s = LwtStream.From(() => Promise.Pause().Map(() => i < n ? Option<int>.Some(i++) : Option<int>.None));
            await foreach (var _ in s.AsAsyncEnumerable().WithCancellation(cts.Token)) { }
            return 0L;
        }).Result;
        Measure(1000);
        for (int k = 0; k < 3; k++) GC.Collect();
        long before = GC.GetTotalMemory(true);
        Measure(50_000);
        long after = GC.GetTotalMemory(true);
        long grown = after - before;
        Console.WriteLine($"  AsAsyncEnumerable with one token over 50,000 waiting reads: memory grew by {grown / 1024} KiB");
        if (grown > 1_000_000)
        {
            Interlocked.Increment(ref Program.Violations);
            Console.WriteLine($"  VIOLATION leaks: the enumeration's token keeps {grown} bytes after 50,000 reads");
        }
        GC.KeepAlive(cts);
        loop.Stop();
    }

    static void Check(string what, Func<LoopThread, CancellationTokenSource, List<WeakReference>>? f)
    {
        var loop = new LoopThread("L");
        var cts = new CancellationTokenSource();
        List<WeakReference> weak;
        long before = 0, after = 0;
        if (f is null)
        {
            // Each wait abandoned by its own token: the shared token must not keep the detached nodes.
            weak = Abandoned(loop, cts);
        }
        else weak = f(loop, cts);
        for (int i = 0; i < 3; i++) { GC.Collect(); GC.WaitForPendingFinalizers(); }
        int alive = weak.Count(w => w.IsAlive);
        Console.WriteLine($"  {what}: {alive}/{weak.Count} sampled Tasks still alive");
        if (alive > weak.Count / 10)
        {
            Interlocked.Increment(ref Program.Violations);
            Console.WriteLine($"  VIOLATION leaks: {what}: the token keeps {alive} of {weak.Count} sampled completed Tasks alive");
        }
        GC.KeepAlive(cts);
        loop.Stop();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    static List<WeakReference> OnLoop(LoopThread loop, CancellationTokenSource cts)
    {
        var weak = new List<WeakReference>();
        loop.On(() =>
        {
            for (int i = 0; i < 10_000; i++)
            {
                var (p, r) = Promise.CreateCancelable<int>();
                var t = p.AsTask(cts.Token);
                r.ResolveNow(i);
                if (i % 100 == 0) weak.Add(new WeakReference(t));
            }
        }).Wait();
        return weak;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    static List<WeakReference> FromPool(LoopThread loop, CancellationTokenSource cts)
    {
        var weak = new List<WeakReference>();
        var promises = loop.On(() => Enumerable.Range(0, 10_000).Select(_ => Promise.Create<int>()).ToList()).Result;
        var tasks = new List<Task<int>>();
        for (int i = 0; i < promises.Count; i++)
        {
            var t = promises[i].Promise.AsTask(cts.Token);
            tasks.Add(t);
            if (i % 100 == 0) weak.Add(new WeakReference(t));
        }
        loop.On(() => { for (int i = 0; i < promises.Count; i++) promises[i].Resolver.Resolve(i); }).Wait();
        Task.WaitAll(tasks.ToArray(), 10_000);
        tasks.Clear();
        promises.Clear();
        return weak;
    }

    static readonly List<Promise<int>> s_keep = new();

    [MethodImpl(MethodImplOptions.NoInlining)]
    static List<WeakReference> Abandoned(LoopThread loop, CancellationTokenSource shared)
    {
        var weak = new List<WeakReference>();
        // Non-cancelable promises that never resolve, each waited with a linked token that fires:
        // the node is detached; neither the promise (still referenced here) nor the shared token keeps the Task.
        var keep = s_keep;
        loop.On(() =>
        {
            for (int i = 0; i < 2_000; i++)
            {
                var (p, _) = Promise.Create<int>();
                keep.Add(p);
                var own = CancellationTokenSource.CreateLinkedTokenSource(shared.Token);
                var t = p.AsTask(own.Token);
                own.Cancel();
                if (i % 20 == 0) weak.Add(new WeakReference(t));
            }
        }).Wait();
        loop.On(() => 0).Wait();
        return weak;
    }
}

// ---------------------------------------------------------------- a loop that stops while its promises are in use

/// <summary>
/// Its own loop C makes promises (ToPromise of pending Tasks, FromTask, cancelable promises
/// waited with AsTask(token) from the pool, resolvers), which code on the pool and on loop A
/// waits for; C's LwtMain.Run then returns while the Tasks complete, tokens fire and
/// resolvers are used from pool threads. Once C has stopped its promises are anyone's
/// (Loop/EventLoop.cs, Core/ClaimablePost.cs): each must still end as its Task or resolver
/// says, and every wait must end.
/// </summary>
sealed class StoppingLoopOp : Op
{
    readonly string[] _items;
    readonly int _stopAt;   // how many completions happen before the stop is posted
    readonly int[] _waitOn; // 0 = pool (AsTask), 1 = loop A (await)

    public StoppingLoopOp(Prog p, int k) : base(p, k)
    {
        int n = 1 + p.Rng.Next(5);
        _items = Enumerable.Range(0, n).Select(_ => Pick("topromise", "topromise", "vtopromise", "fromtask", "token", "resolver")).ToArray();
        _waitOn = Enumerable.Range(0, n).Select(_ => p.Rng.Next(2)).ToArray();
        _stopAt = p.Rng.Next(n + 1);
    }

    public override string Describe() => $"StoppingLoop [{string.Join(",", _items.Select((it, i) => it + "@" + (_waitOn[i] == 0 ? "pool" : "A")))}] stopAfter={_stopAt}";

    public override async Task Run()
    {
        int n = _items.Length;
        var c = new LoopThread("C");
        var tcs = Enumerable.Range(0, n).Select(_ => new TaskCompletionSource<int>()).ToArray();
        var cts = Enumerable.Range(0, n).Select(_ => new CancellationTokenSource()).ToArray();
        var promises = new Promise<int>[n];
        var resolvers = new Resolver<int>?[n];
        await c.On(() =>
        {
            for (int i = 0; i < n; i++)
            {
                int j = i;
                switch (_items[i])
                {
                    case "topromise": promises[i] = tcs[i].Task.ToPromise(); break;
                    case "vtopromise": promises[i] = new ValueTask<int>(tcs[i].Task).ToPromise(); break;
                    case "fromtask": promises[i] = PromiseInterop.FromTask(_ => tcs[j].Task); break;
                    case "token": promises[i] = Promise.CreateCancelable<int>().Promise; break;
                    default: (promises[i], resolvers[i]) = Promise.Create<int>(); break;
                }
            }
        });
        // The waits: from the pool (AsTask, AsTask(token) for "token") and from loop A (await).
        var waits = new Task<Outcome>[n];
        for (int i = 0; i < n; i++)
        {
            var p = promises[i];
            if (_items[i] == "token")
            {
                var t = p.AsTask(cts[i].Token);
                waits[i] = Observe(t);
            }
            else if (_waitOn[i] == 0) waits[i] = Observe(p.AsTask());
            else waits[i] = P.A.Start(async () => { try { return Outcome.Ok(await p); } catch (Exception e) { return Outcome.Err(e); } });
        }
        await P.Jitter();
        Stage = "complete";
        var completer = Task.Run(async () =>
        {
            for (int i = 0; i < n; i++)
            {
                switch (_items[i])
                {
                    case "token": cts[i].Cancel(); break;
                    case "resolver": resolvers[i]!.Resolve(i); break;
                    default: tcs[i].SetResult(i); break;
                }
                if (i % 2 == 0) await P.Jitter();
            }
        });
        await P.Jitter();
        bool stopped = c.Stop();
        await completer;
        Stage = "wait";
        var all = Task.WhenAll(waits);
        bool done = await Task.WhenAny(all, Task.Delay(5_000)) == all;
        var finals = promises.Select(Outcome.FromPromise).ToArray();
        Result = $"stopped={stopped} waits=[{string.Join(",", waits.Select(w => w.IsCompleted ? w.Result.ToString() : "HANG"))}] promises=[{string.Join(",", finals)}]";
        if (!stopped || c.RunError is not null) Violation("loop C did not stop cleanly: " + c.RunError);
        for (int i = 0; i < n; i++)
        {
            var want = _items[i] == "token" ? new Outcome("canceled", null, null) : Outcome.Ok(i);
            if (!SameOutcome(finals[i], want)) Violation($"item {i} ({_items[i]}): promise of the stopped loop is {finals[i]}, want {want}");
            if (!waits[i].IsCompleted) Violation($"item {i} ({_items[i]}): its wait never ended (HANG)");
            else if (!SameOutcome(waits[i].Result, want)) Violation($"item {i} ({_items[i]}): its wait ended {waits[i].Result}, want {want}");
        }
    }

    static async Task<Outcome> Observe(Task<int> t)
    {
        try { return Outcome.Ok(await t.ConfigureAwait(false)); } catch (Exception e) { return Outcome.Err(e); }
    }
}

/// <summary>A UI-like SynchronizationContext (one thread, a queue) and an exclusive TaskScheduler: awaiting sites that are not loops.</summary>
sealed class Ui : SynchronizationContext
{
    public static readonly Ui Instance = new();
    public static readonly TaskScheduler Exclusive = new ConcurrentExclusiveSchedulerPair().ExclusiveScheduler;
    readonly BlockingCollection<(SendOrPostCallback, object?)> _queue = new();
    public readonly int ThreadId;

    Ui()
    {
        var ready = new ManualResetEventSlim();
        int id = 0;
        var t = new Thread(() =>
        {
            SetSynchronizationContext(this);
            id = Environment.CurrentManagedThreadId;
            ready.Set();
            foreach (var (d, st) in _queue.GetConsumingEnumerable()) d(st);
        }) { IsBackground = true, Name = "ui" };
        t.Start();
        ready.Wait();
        ThreadId = id;
    }

    public override void Post(SendOrPostCallback d, object? state) => _queue.Add((d, state));

    public override SynchronizationContext CreateCopy() => this;

    public Task<T> Start<T>(Func<Task<T>> f)
    {
        var tcs = new TaskCompletionSource<Task<T>>(TaskCreationOptions.RunContinuationsAsynchronously);
        Post(_ => { try { tcs.SetResult(f()); } catch (Exception e) { tcs.SetException(e); } }, null);
        return tcs.Task.Unwrap();
    }
}

// ---------------------------------------------------------------- LwtMain.Run of a Task's promise, of another loop's promise

sealed class RunOp : Op
{
    readonly string _what;   // toprom-off (ToPromise off any loop, then Run) | toprom-in (Run(() => ToPromise)) | otherloop (Run of a promise of loop A) | fromtask-in
    readonly string _fate;   // value | fault | canceled
    readonly string _by;     // pool | B | already
    readonly int _value;
    readonly Exception _x;

    public RunOp(Prog p, int k) : base(p, k)
    {
        _what = Pick("toprom-off", "toprom-in", "otherloop", "fromtask-in");
        _fate = Pick("value", "value", "fault", "canceled");
        _by = Pick("pool", "B", "already");
        _value = p.Rng.Next(1000);
        _x = new InvalidOperationException("rx" + k);
    }

    public override string Describe() => $"LwtMain.Run {_what} fate={_fate} by={_by}";

    public override async Task Run()
    {
        var tcs = new TaskCompletionSource<int>();
        Resolver<int>? ra = null;
        Promise<int>? pa = null;
        if (_what == "otherloop") (pa, ra) = await P.A.On(() => Promise.Create<int>());
        Action complete = () =>
        {
            if (ra is not null)
            {
                if (_fate == "value") ra.Resolve(_value);
                else if (_fate == "fault") ra.Reject(_x);
                else ra.Reject(new CanceledException());
                return;
            }
            if (_fate == "value") tcs.SetResult(_value);
            else if (_fate == "fault") tcs.SetException(_x);
            else tcs.SetCanceled();
        };
        if (_by == "already") complete();
        var result = new TaskCompletionSource<Outcome>(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var t = new Thread(() =>
        {
            try
            {
                started.SetResult();
                int v = _what switch
                {
                    "toprom-off" => LwtMain.Run(tcs.Task.ToPromise()),
                    "toprom-in" => LwtMain.Run(() => tcs.Task.ToPromise()),
                    "fromtask-in" => LwtMain.Run(() => PromiseInterop.FromTask(_ => tcs.Task)),
                    _ => LwtMain.Run(pa!),
                };
                result.SetResult(Outcome.Ok(v));
            }
            catch (Exception e) { result.SetResult(Outcome.Err(e)); }
        }) { IsBackground = true };
        t.Start();
        await started.Task;
        await P.Jitter();
        if (_by == "pool") await Task.Run(complete);
        else if (_by == "B") await P.B.On(complete);
        if (!await Guard(result.Task, "LwtMain.Run")) { Result = "HANG"; return; }
        var got = result.Task.Result;
        Result = got.ToString();
        bool ok = _fate switch
        {
            "value" => SameOutcome(got, Outcome.Ok(_value)),
            "fault" => ReferenceEquals(got.Exc, _x),
            _ => got.Exc is CanceledException,
        };
        if (!ok) Violation($"LwtMain.Run ended {got}, want the {_fate}");
    }
}
