// Runtime of the engine area's C# programs: interprets the program lines gen.py writes into
// Progs.cs (Progs.All), against LwtEngine directly (no LwtMain); mirrors prelude.ml line by line.
using System.ComponentModel;
using System.Runtime.InteropServices;
using System.Text;
using Lwt;

static unsafe class C
{
    [DllImport("libc", SetLastError = true)] public static extern int pipe2(int* fds, int flags);
    [DllImport("libc", SetLastError = true)] public static extern nint read(int fd, byte* buf, nint n);
    [DllImport("libc", SetLastError = true)] public static extern nint write(int fd, byte* buf, nint n);
    [DllImport("libc", SetLastError = true)] public static extern int close(int fd);
    [DllImport("libc", SetLastError = true)] public static extern int poll(PollFd* fds, nuint n, int timeout);
    public const int O_NONBLOCK = 0x800, O_CLOEXEC = 0x80000, EAGAIN = 11, EINTR = 4, EBADF = 9;
    [StructLayout(LayoutKind.Sequential)] public struct PollFd { public int Fd; public short Events, Revents; }
    public const short POLLIN = 1, POLLOUT = 4, POLLERR = 8, POLLHUP = 16, POLLNVAL = 32;

    /// <summary>poll(2) over (fd, read?, write?) triples; returns each entry's (readable, writable).</summary>
    public static (bool R, bool W)[] Poll((int Fd, bool R, bool W)[] q, double timeoutSeconds)
    {
        var a = new PollFd[q.Length];
        for (int i = 0; i < q.Length; i++)
            a[i] = new PollFd { Fd = q[i].Fd, Events = (short)((q[i].R ? POLLIN : 0) | (q[i].W ? POLLOUT : 0)) };
        int ms = timeoutSeconds < 0 ? -1 : (int)Math.Ceiling(timeoutSeconds * 1000);
        fixed (PollFd* p = a)
        {
            if (poll(p, (nuint)a.Length, ms) < 0)
            {
                int err = Marshal.GetLastPInvokeError();
                throw new UnixErrorException(err, "poll");
            }
        }
        var res = new (bool, bool)[q.Length];
        for (int i = 0; i < q.Length; i++)
        {
            short r = a[i].Revents;
            // as select(2): a closed fd (POLLNVAL) is EBADF for the whole call
            if ((r & POLLNVAL) != 0) throw new UnixErrorException(EBADF, "select");
            bool any = (r & (POLLERR | POLLHUP)) != 0;
            res[i] = (q[i].R && ((r & POLLIN) != 0 || any), q[i].W && ((r & POLLOUT) != 0 || any));
        }
        return res;
    }
}

/// <summary>Lwt_engine.poll_based with its poll written over poll(2) (prelude.ml: over Unix.select).</summary>
sealed class MyPoll : PollBasedEngine
{
    protected override void Poll(Span<Entry> entries, double timeoutSeconds)
    {
        var q = new (int, bool, bool)[entries.Length];
        for (int i = 0; i < entries.Length; i++) q[i] = (entries[i].Fd, entries[i].CheckReadable, entries[i].CheckWritable);
        (bool R, bool W)[] res;
        try { res = C.Poll(q, timeoutSeconds); }
        catch (UnixErrorException e) when (e.Errno == C.EBADF)
        {
            // poll_based#iter's EBADF: only the bad fds, ready for what they wait for
            for (int i = 1; i < entries.Length; i++)
                if (Fcntl(entries[i].Fd) < 0) { entries[i].Readable = entries[i].CheckReadable; entries[i].Writable = entries[i].CheckWritable; }
            return;
        }
        for (int i = 0; i < entries.Length; i++) { entries[i].Readable = res[i].R; entries[i].Writable = res[i].W; }
    }
    [DllImport("libc", EntryPoint = "fcntl")] static extern int fcntl(int fd, int cmd, int arg);
    static int Fcntl(int fd) => fcntl(fd, 1 /* F_GETFD */, 0);
}

/// <summary>Lwt_engine.select_based with its select written over poll(2) (prelude.ml: Unix.select).</summary>
sealed class MySelect : SelectBasedEngine
{
    protected override (IReadOnlyList<int> Readable, IReadOnlyList<int> Writable) Select(IReadOnlyList<int> read, IReadOnlyList<int> write, double timeoutSeconds)
    {
        var q = read.Select(fd => (fd, true, false)).Concat(write.Select(fd => (fd, false, true))).ToArray();
        var res = C.Poll(q, timeoutSeconds);
        var r = new List<int>(); var w = new List<int>();
        for (int i = 0; i < q.Length; i++) { if (res[i].R) r.Add(q[i].Item1); if (res[i].W) w.Add(q[i].Item1); }
        return (r, w);
    }
}

public static unsafe partial class Rt
{
    static readonly StringBuilder Out = new();
    static readonly byte* buf = (byte*)Marshal.AllocHGlobal(64);
    static int Depth; // callbacks run from callbacks (FakeIo) print 2 more spaces per level
    static void Pr(string s) => Out.Append(' ', Depth > 1 ? 2 * (Depth - 1) : 0).Append(s).Append('\n');

    static LwtEngine Mk(string k) => k switch
    {
        "ep" => new EpollEngine(),
        "po" => new PollEngine(),
        "sb" => new MySelect(),
        "pb" => new MyPoll(),
        _ => throw new Exception("engine " + k),
    };

    static string Errno(int e) => e switch
    {
        9 => "EBADF", 1 => "EPERM", 22 => "EINVAL", 17 => "EEXIST", 2 => "ENOENT", 11 => "EAGAIN", 32 => "EPIPE", _ => "E?",
    };

    static string Exn(Exception e) => e switch
    {
        Boom b => "Failure " + b.Message,
        UnixErrorException u => "Unix " + Errno(u.Errno),
        Win32Exception w => "Unix " + Errno(w.NativeErrorCode),
        _ => "other " + e.GetType().Name + ": " + e.Message,
    };

    sealed class Boom : Exception { public Boom(string m) : base(m) { } }

    static string[] Words(string s) => s.Split(' ', StringSplitOptions.RemoveEmptyEntries);

    static void RunProg(int k, string text)
    {
        Pr($"== {k}");
        var steps = text.Split(';').Select(Words).ToList();
        var e1 = Mk(steps[0][1]); var e2 = Mk(steps[0][2]);
        var dead = new HashSet<LwtEngine>();
        LwtEngine cur = e1, other = e2;
        var pipes = new (int R, int W)[3];
        int* fds = stackalloc int[2]; // used only here, before any callback
        for (int i = 0; i < 3; i++)
        {
            if (C.pipe2(fds, C.O_NONBLOCK | C.O_CLOEXEC) != 0) throw new Exception("pipe");
            pipes[i] = (fds[0], fds[1]);
        }
        var closed = new HashSet<int>();
        int FdOf(string side, string p) => side == "r" ? pipes[int.Parse(p)].R : pipes[int.Parse(p)].W;
        var evs = new Dictionary<string, LwtEvent>();
        int Drain(string p)
        {
            int r = pipes[int.Parse(p)].R, n = 0;
            while (true)
            {
                long m = C.read(r, buf, 64);
                if (m < 0)
                {
                    int err = Marshal.GetLastPInvokeError();
                    if (err != C.EAGAIN) Pr("    drain Unix " + Errno(err));
                    break;
                }
                n += (int)m;
                if (m == 0) break;
            }
            return n;
        }
        void Write(string p)
        {
            byte x = (byte)'x';
            if (C.write(pipes[int.Parse(p)].W, &x, 1) < 0) Pr("    write Unix " + Errno(Marshal.GetLastPInvokeError()));
        }
        string Counts(LwtEngine e) => $"{e.ReadableCount} {e.WritableCount} {e.TimerCount}";
        // one-shot timers that fired and were not stopped, by engine (prelude.ml's note_fired)
        var oneshot = new HashSet<string>();
        var fired = new Dictionary<LwtEvent, LwtEngine>();
        void NoteFired(LwtEngine e) { int n = fired.Values.Count(x => x == e); if (n > 0) Pr($"  (fired one-shots: {n})"); }
        void Forget(LwtEngine e) { foreach (var k in fired.Where(kv => kv.Value == e).Select(kv => kv.Key).ToList()) fired.Remove(k); }
        Action<LwtEvent> MkCb(string name, string[] acts)
        {
            var body = MkBody(name, acts);
            return ev => { Depth++; try { body(ev); } finally { Depth--; } };
        }
        Action<LwtEvent> MkBody(string name, string[] acts) => ev =>
        {
            Pr($"  cb {name} {(evs.TryGetValue(name, out var mine) && ReferenceEquals(mine, ev) ? "own" : "other")}");
            if (oneshot.Contains(name)) fired[ev] = cur;
            foreach (var a in acts)
            {
                var t = a.Split(':');
                switch (t[0])
                {
                    case "ss": Pr("    stop self"); fired.Remove(ev); ev.Stop(); break;
                    case "s": Pr($"    stop {t[1]}"); if (evs.TryGetValue(t[1], out var x)) { fired.Remove(x); x.Stop(); } else Pr("    unknown"); break;
                    case "on": Pr($"    on {t[1]} {t[2]} {t[3]}"); Reg(t[1], t[2], t[3], Array.Empty<string>()); break;
                    case "tm": Pr($"    tm {t[1]} {t[2]}"); Timer(t[1], false, t[2], Array.Empty<string>()); break;
                    case "dr": Pr($"    drain {t[1]}: {Drain(t[1])}"); break;
                    case "wr": Pr($"    write {t[1]}"); Write(t[1]); break;
                    case "fk":
                        Pr($"    fake {t[1]} {t[2]}");
                        try { cur.FakeIo(FdOf(t[1], t[2])); Pr("    fake done"); } catch (Exception e) { Pr("    fake exn " + Exn(e)); }
                        break;
                    case "rz": Pr("    raise"); throw new Boom("boom " + name);
                    case "cnt": Pr("    = " + Counts(cur)); break;
                    default: throw new Exception("act " + a);
                }
            }
        };
        void Reg(string side, string p, string name, string[] acts)
        {
            var e = cur;
            try
            {
                var ev = side switch
                {
                    "r" => e.OnReadable(FdOf("r", p), MkCb(name, acts)),
                    "w" => e.OnWritable(FdOf("w", p), MkCb(name, acts)),
                    _ => e.OnWritable(FdOf("r", p), MkCb(name, acts)),
                };
                evs[name] = ev;
            }
            catch (Exception ex) { Pr($"    reg {name} exn {Exn(ex)}"); }
        }
        void Timer(string d, bool rep, string name, string[] acts)
        {
            double delay = d == "far" ? 1e6 : double.Parse(d, System.Globalization.CultureInfo.InvariantCulture);
            evs[name] = cur.OnTimer(delay, rep, MkCb(name, acts));
            if (!rep) oneshot.Add(name);
        }
        string[] ActsOf(string s) => s == "-" ? Array.Empty<string>() : s.Split('+');
        int guard = 0;
        LwtEngine.Set(e1, transfer: false, destroyPrevious: false);
        Pr($"eng {steps[0][1]} {steps[0][2]}");
        for (int i = 1; i < steps.Count; i++)
        {
            var st = steps[i];
            Pr(string.Join(" ", st));
            switch (st[0])
            {
                case "on": Reg(st[1], st[2], st[3], ActsOf(st[4])); break;
                case "tm": Timer(st[1], st[2] == "1", st[3], ActsOf(st[4])); break;
                case "wr": Write(st[1]); break;
                case "dr": Pr($"  drained {Drain(st[1])}"); break;
                case "st": if (evs.TryGetValue(st[1], out var y)) { fired.Remove(y); y.Stop(); } else Pr("  unknown"); break;
                case "fk":
                    try { cur.FakeIo(FdOf(st[1], st[2])); Pr("  fake done"); } catch (Exception e) { Pr("  fake exn " + Exn(e)); }
                    break;
                case "it":
                {
                    string g = null;
                    if (st[1] == "1") { guard++; g = $"g{guard}"; Timer("0", false, g, Array.Empty<string>()); }
                    try { cur.Iter(st[1] == "1"); Pr("  iter done"); } catch (Exception e) { Pr("  iter exn " + Exn(e)); }
                    if (g != null) { fired.Remove(evs[g]); evs[g].Stop(); }
                    break;
                }
                case "cl": { int fd = FdOf(st[1], st[2]); if (!closed.Add(fd)) Pr("  already closed"); else C.close(fd); break; }
                case "tr":
                    NoteFired(cur);
                    try { cur.TransferTo(other); Forget(cur); Pr("  transferred"); } catch (Exception e) { Pr("  transfer exn " + Exn(e)); }
                    Pr("  old = " + Counts(cur));
                    (cur, other) = (other, cur);
                    break;
                case "set":
                    if (st[1] == "1") NoteFired(cur);
                    try
                    {
                        LwtEngine.Set(other, transfer: st[1] == "1", destroyPrevious: st[2] == "1");
                        if (st[2] == "1") dead.Add(cur);
                        if (st[1] == "1" || st[2] == "1") Forget(cur);
                        Pr($"  set; current is new: {(ReferenceEquals(LwtEngine.Current, other) ? "true" : "false")}");
                        Pr("  old = " + Counts(cur));
                        (cur, other) = (other, cur);
                    }
                    catch (Exception e) { Pr("  set exn " + Exn(e)); }
                    break;
                case "ds": cur.Dispose(); dead.Add(cur); Forget(cur); break;
                default: throw new Exception("step " + string.Join(" ", st));
            }
            Pr("  = " + Counts(cur));
        }
        LwtEngine.Set(Orig, transfer: false, destroyPrevious: false);
        foreach (var e in new[] { e1, e2 }) if (!dead.Contains(e)) e.Dispose();
        foreach (var (r, w) in pipes) foreach (var fd in new[] { r, w }) if (!closed.Contains(fd)) C.close(fd);
    }

    static LwtEngine Orig;

    public static int Main(string[] args)
    {
        Orig = LwtEngine.Current;
        var stdout = Console.OpenStandardOutput();
        for (int k = 0; k < Progs.All.Length; k++)
        {
            try { RunProg(k, Progs.All[k]); }
            catch (Exception e) { Pr("  CRASH " + Exn(e)); }
            var bytes = Encoding.UTF8.GetBytes(Out.ToString());
            stdout.Write(bytes); stdout.Flush();
            Out.Clear();
        }
        return 0;
    }
}
