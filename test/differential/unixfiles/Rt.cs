using System.Runtime.InteropServices;
using System.Text;
using Lwt;

static partial class Rt
{
    static readonly string Root = Environment.CurrentDirectory;
    static string Strip(string s) => s.StartsWith(Root) ? "ROOT" + s.Substring(Root.Length) : s;
    static string Hex(ReadOnlySpan<byte> b) { var sb = new StringBuilder(); foreach (var x in b) sb.Append(x.ToString("x2")); return sb.ToString(); }
    static string Hexs(string s) => Hex(Encoding.Latin1.GetBytes(s));
    static string HexU(string s) => Hex(Encoding.UTF8.GetBytes(s));

    static string Errs(Exception e) => e switch
    {
        UnixErrorException u => $"ERR({Marshal.GetPInvokeErrorMessage(u.Errno)},{u.Function},{Strip(u.Argument)})",
        ArgumentException => "Invalid_argument",
        EndOfStreamException => "End_of_file",
        ChannelClosedException c => $"EXN Lwt_io.Channel_closed(\"{c.Channel}\")",
        _ when e.GetType() == typeof(Exception) => "Failure " + e.Message,
        _ => "EXN " + e.GetType().Name + ": " + e.Message,
    };

    static async Promise Step(string name, Func<Promise<string>> f)
    {
        string r;
        try { r = await f(); }
        catch (Exception e) { r = Errs(e); }
        Console.Out.Write($"  {name} -> {r}\n");
    }

    static readonly LwtFd[] Fds = new LwtFd[3];
    static readonly DirHandle[] Dhs = new DirHandle[2];
    static byte[] Buf = new byte[16];
    static Memory<byte> BBuf;
    static readonly byte[] Src = Encoding.ASCII.GetBytes("0123456789ABCDEF");

    static void WriteFile(string p, string s, int perm)
    {
        File.WriteAllBytes(p, Encoding.ASCII.GetBytes(s));
        File.SetUnixFileMode(p, (UnixFileMode)perm);
    }

    static Promise Start(int i)
    {
        Console.Out.Write($"P{i}\n");
        string d = $"{Root}/p{i}";
        Directory.CreateDirectory(d);
        Directory.SetCurrentDirectory(d);
        WriteFile("a", "hello\nworld\n", 0x1a4);
        WriteFile("b", "xyz", 0x180);
        WriteFile("x", "#!/bin/sh\n", 0x1ed);
        Directory.CreateDirectory("d"); File.SetUnixFileMode("d", (UnixFileMode)0x1ed);
        WriteFile("d/f", "in d\n", 0x1a4);
        Directory.CreateDirectory("e"); File.SetUnixFileMode("e", (UnixFileMode)0x1ed);
        File.CreateSymbolicLink("la", "a");
        File.CreateSymbolicLink("ld", "d");
        File.CreateSymbolicLink("dang", "nosuch");
        File.CreateSymbolicLink("loop", "loop");
        Array.Fill(Fds, null);
        Array.Fill(Dhs, null);
        Strm = null;
        Buf = Encoding.ASCII.GetBytes("................");
        BBuf = LwtBytes.OfString("................");
        return Promise.ReturnUnit;
    }

    static Promise Finish()
    {
        foreach (var fd in Fds) fd?.Dispose();
        foreach (var h in Dhs) h?.Dispose();
        Directory.SetCurrentDirectory(Root);
        return Promise.ReturnUnit;
    }

    static string Kind(FileKind k) => k switch { FileKind.Regular => "REG", FileKind.Directory => "DIR", FileKind.SymbolicLink => "LNK", _ => "OTHER" };
    static string PStat(FileStats s) =>
        $"{Kind(s.Kind)} size={(s.Kind == FileKind.Directory ? "-" : s.Size.ToString())} perm={Convert.ToString((int)s.Permissions, 8)} nlink={s.LinkCount}";

    static Promise<string> WithFd(int i, Func<LwtFd, Promise<string>> f) => Fds[i] is null ? Promise.Return("nofd") : f(Fds[i]);
    static Promise<string> WithDh(int i, Func<DirHandle, Promise<string>> f) => Dhs[i] is null ? Promise.Return("nodh") : f(Dhs[i]);
    static string Sorted(IEnumerable<string> l) => "[" + string.Join(",", l.OrderBy(x => x, StringComparer.Ordinal)) + "]";
    static Promise<string> Ok(Promise p) => p.Bind(() => Promise.Return("ok"));

    // ---- ops ----
    static Func<Promise<string>> OpenFileOp(int i, string p, OpenFlags fl, int perm) => () => LwtUnix.OpenFile(p, fl, perm).Map(fd => { Fds[i] = fd; return "ok"; });
    static Func<Promise<string>> CloseOp(int i) => () => WithFd(i, fd => Ok(LwtUnix.Close(fd)));
    static Func<Promise<string>> ReadOp(int i, int ofs, int len) => () => WithFd(i, fd => LwtUnix.Read(fd, Buf, ofs, len).Map(n => $"{n} {Hex(Buf)}"));
    static Func<Promise<string>> WriteOp(int i, int ofs, int len) => () => WithFd(i, fd => LwtUnix.Write(fd, Src, ofs, len).Map(n => n.ToString()));
    static Func<Promise<string>> WriteStringOp(int i, string s) => () => WithFd(i, fd => LwtUnix.WriteString(fd, s, 0, Encoding.UTF8.GetByteCount(s)).Map(n => n.ToString()));
    static Func<Promise<string>> PReadOp(int i, long fo, int ofs, int len) => () => WithFd(i, fd => LwtUnix.PRead(fd, Buf, fo, ofs, len).Map(n => $"{n} {Hex(Buf)}"));
    static Func<Promise<string>> PWriteOp(int i, long fo, int ofs, int len) => () => WithFd(i, fd => LwtUnix.PWrite(fd, Src, fo, ofs, len).Map(n => n.ToString()));
    static Func<Promise<string>> BReadOp(int i, int ofs, int len) => () => WithFd(i, fd => LwtBytes.Read(fd, BBuf, ofs, len).Map(n => $"{n} {Hex(BBuf.Span)}"));
    static Func<Promise<string>> BWriteOp(int i, int ofs, int len) => () => WithFd(i, fd => LwtBytes.Write(fd, LwtBytes.OfString("0123456789ABCDEF"), ofs, len).Map(n => n.ToString()));
    static Func<Promise<string>> LSeekOp(int i, long off, SeekOrigin wh) => () => WithFd(i, fd => LwtUnix.LSeek(fd, off, wh).Map(n => n.ToString()));
    static Func<Promise<string>> TruncateOp(string p, long n) => () => Ok(LwtUnix.Truncate(p, n));
    static Func<Promise<string>> FTruncateOp(int i, long n) => () => WithFd(i, fd => Ok(LwtUnix.FTruncate(fd, n)));
    static Func<Promise<string>> FSyncOp(int i) => () => WithFd(i, fd => Ok(LwtUnix.FSync(fd)));
    static Func<Promise<string>> FDataSyncOp(int i) => () => WithFd(i, fd => Ok(LwtUnix.FDataSync(fd)));
    static Func<Promise<string>> FStatOp(int i) => () => WithFd(i, fd => LwtUnix.FStat(fd).Map(PStat));
    static Func<Promise<string>> StatOp(string p) => () => LwtUnix.Stat(p).Map(PStat);
    static Func<Promise<string>> LStatOp(string p) => () => LwtUnix.LStat(p).Map(PStat);
    static Func<Promise<string>> FileExistsOp(string p) => () => LwtUnix.FileExists(p).Map(b => b ? "true" : "false");
    static Func<Promise<string>> AccessOp(string p, AccessPermissions a) => () => Ok(LwtUnix.Access(p, a));
    static Func<Promise<string>> RenameOp(string a, string b) => () => Ok(LwtUnix.Rename(a, b));
    static Func<Promise<string>> LinkOp(string a, string b) => () => Ok(LwtUnix.Link(a, b));
    static Func<Promise<string>> SymlinkOp(string a, string b) => () => Ok(LwtUnix.Symlink(a, b));
    static Func<Promise<string>> ReadlinkOp(string p) => () => LwtUnix.Readlink(p);
    static Func<Promise<string>> UnlinkOp(string p) => () => Ok(LwtUnix.Unlink(p));
    static Func<Promise<string>> MkdirOp(string p, int perm) => () => Ok(LwtUnix.Mkdir(p, perm));
    static Func<Promise<string>> RmdirOp(string p) => () => Ok(LwtUnix.Rmdir(p));
    static Func<Promise<string>> ChmodOp(string p, int perm) => () => Ok(LwtUnix.Chmod(p, perm));
    static Func<Promise<string>> FChmodOp(int i, int perm) => () => WithFd(i, fd => Ok(LwtUnix.FChmod(fd, perm)));
    static Func<Promise<string>> ChDirOp(string p) => () => Ok(LwtUnix.ChDir(p));
    static Func<Promise<string>> GetCwdOp() => () => LwtUnix.GetCwd().Map(Strip);
    static Func<Promise<string>> OpenDirOp(int i, string p) => () => LwtUnix.OpenDir(p).Map(h => { Dhs[i] = h; return "ok"; });
    static Func<Promise<string>> ReadDirOp(int i) => () => WithDh(i, h => LwtUnix.ReadDir(h));
    static Func<Promise<string>> ReadDirNOp(int i, int n) => () => WithDh(i, h => LwtUnix.ReadDirN(h, n).Map(a => Sorted(a)));
    static Func<Promise<string>> RewindDirOp(int i) => () => WithDh(i, h => Ok(LwtUnix.RewindDir(h)));
    static Func<Promise<string>> CloseDirOp(int i) => () => WithDh(i, h => Ok(LwtUnix.CloseDir(h)));
    static Func<Promise<string>> FilesOfDirectoryOp(string p) => () => LwtUnix.FilesOfDirectory(p).ToList().Map(l => Sorted(l));
    static Func<Promise<string>> IoReadOp(string p) => () => LwtIO.WithFile(LwtIO.Input, p, ic => ic.Read()).Map(b => Hex(b));
    static Func<Promise<string>> IoWriteOp(string p, string s, OpenFlags? flags = null, int? perm = null) => () =>
        Ok(perm is { } pm ? LwtIO.WithFile(LwtIO.Output, p, oc => oc.Write(s), flags, pm) : LwtIO.WithFile(LwtIO.Output, p, oc => oc.Write(s), flags));
    static Func<Promise<string>> LinesOfFileOp(string p) => () => LwtIO.LinesOfFile(p).ToList().Map(l => "[" + string.Join(",", l.Select(HexU)) + "]");
    static Func<Promise<string>> CharsOfFileOp(string p) => () => LwtIO.CharsOfFile(p).ToList().Map(l => Hexs(new string(l.ToArray())));
    static Func<Promise<string>> LinesToFileOp(string p, string[] l) => () => Ok(LwtIO.LinesToFile(p, LwtStream.OfList(l)));
    static Func<Promise<string>> FileLengthOp(string p) => () => LwtIO.FileLength(p).Map(n => n.ToString());
    static Func<Promise<string>> OpenInOp(string p, OpenFlags? flags = null, int? perm = null) => () =>
        (perm is { } pm ? LwtIO.OpenFile(LwtIO.Input, p, flags, pm) : LwtIO.OpenFile(LwtIO.Input, p, flags))
            .Bind(ic => ic.Read().Bind(b => ic.Close().Map(() => Hex(b))));
    static Func<Promise<string>> OpenOutOp(string p, string s, OpenFlags? flags = null, int? perm = null) => () =>
        (perm is { } pm ? LwtIO.OpenFile(LwtIO.Output, p, flags, pm) : LwtIO.OpenFile(LwtIO.Output, p, flags))
            .Bind(oc => oc.Write(s).Bind(() => oc.Close()).Map(() => "ok"));

    static Func<Promise<string>> DupOp(int i, int j) => () => WithFd(i, fd => { Fds[j] = LwtUnix.Dup(fd); return Promise.Return("ok"); });
    static Func<Promise<string>> Dup2Op(int i, int j) => () => WithFd(i, fd => WithFd(j, fd2 => { LwtUnix.Dup2(fd, fd2); return Promise.Return("ok"); }));
    static Func<Promise<string>> AbortOp(int i) => () => WithFd(i, fd => { LwtUnix.Abort(fd, new Exception("ab")); return Promise.Return("ok"); });
    static Func<Promise<string>> BlockingOp(int i) => () => WithFd(i, fd => LwtUnix.Blocking(fd).Map(b => b ? "true" : "false"));
    static Func<Promise<string>> SetBlockingOp(int i, bool b) => () => WithFd(i, fd => { LwtUnix.SetBlocking(fd, b); return Promise.Return("ok"); });
    static Func<Promise<string>> IsAttyOp(int i) => () => WithFd(i, fd => LwtUnix.IsAtty(fd).Map(b => b ? "true" : "false"));
    static Func<Promise<string>> LockFOp(int i, LockCommand c, long n) => () => WithFd(i, fd => Ok(LwtUnix.LockF(fd, c, n)));
    static Func<Promise<string>> UtimesOp(string p, double a, double m) => () => Ok(LwtUnix.Utimes(p, a, m));
    static Func<Promise<string>> SetCloExecOp(int i) => () => WithFd(i, fd => { LwtUnix.SetCloseOnExec(fd); return Promise.Return("ok"); });

    static LwtStream<string> Strm;
    static Func<Promise<string>> MkStreamOp(int k, string p) => () =>
    {
        Strm = k == 0 ? LwtIO.LinesOfFile(p) : k == 1 ? LwtUnix.FilesOfDirectory(p) : LwtIO.CharsOfFile(p).Map(c => c.ToString());
        return Promise.Return("ok");
    };
    static Func<Promise<string>> SGetOp() => () => Strm is null ? Promise.Return("nostream") : Strm.Get().Map(o => o.HasValue ? "Some " + Hex(Encoding.Latin1.GetBytes(o.Value)) : "None");
    static Func<Promise<string>> SAllOp() => () => Strm is null ? Promise.Return("nostream") : Strm.ToList().Map(l => Sorted(l));
    static Func<Promise<string>> DelRecOp(string p) => () => Ok(LwtIO.DeleteRecursively(p));

    // ---- LwtBytes ----
    static readonly Memory<byte>[] Bs = new Memory<byte>[3];
    static byte[] By = new byte[8];
    static Promise BStart(int i)
    {
        Console.Out.Write($"P{i}\n");
        var shared = LwtBytes.OfString("abcdefgh");
        Bs[0] = shared; Bs[1] = shared; Bs[2] = shared;
        By = Encoding.ASCII.GetBytes("ABCDEFGH");
        return Promise.ReturnUnit;
    }
    static string BShow() => $"[{Hex(Bs[0].Span)}|{Hex(Bs[1].Span)}|{Hex(Bs[2].Span)}|{Hex(By)}]";
    static Promise BStep(string name, Func<string> f) => Step(name, () => { var r = f(); return Promise.Return(r + " " + BShow()); });
}
