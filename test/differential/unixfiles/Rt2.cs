using System.Runtime.InteropServices;
using System.Text;
using Lwt;

// Family io2 (gen.py FAMILIES io2): the ops of prelude.ml's io2 section.
static partial class Rt
{
    [DllImport("libc", SetLastError = true)] static extern int dup(int fd);
    [DllImport("libc", SetLastError = true)] static extern nint read(int fd, byte[] buf, nint count);
    [DllImport("libc", SetLastError = true)] static extern nint write(int fd, byte[] buf, nint count);

    static readonly InputChannel[] Ics = new InputChannel[2];
    static readonly OutputChannel[] Ocs = new OutputChannel[2];
    static Promise Start2(int i)
    {
        Start(i);
        Directory.CreateDirectory("t"); File.SetUnixFileMode("t", (UnixFileMode)0x1ed);
        Array.Fill(Ics, null); Array.Fill(Ocs, null);
        return Promise.ReturnUnit;
    }
    static async Promise Finish2()
    {
        foreach (var ic in Ics) if (ic is not null) try { await ic.Close(); } catch { }
        foreach (var oc in Ocs) if (oc is not null) try { await oc.Close(); } catch { }
        await Finish();
    }
    static string Mask(string anchor, string s)
    {
        static bool IsHex(char c) => c is >= '0' and <= '9' or >= 'a' and <= 'f';
        var b = new StringBuilder(); int i = 0, la = anchor.Length, n = s.Length;
        while (i < n)
        {
            if (i + la + 6 <= n && string.CompareOrdinal(s, i, anchor, 0, la) == 0 && Enumerable.Range(0, 6).All(k => IsHex(s[i + la + k])))
            { b.Append(anchor).Append("XXXXXX"); i += la + 6; }
            else b.Append(s[i++]);
        }
        return b.ToString();
    }
    static Func<Promise<string>> Masked(string anchor, Func<Promise<string>> f) => () => Promise.Catch(f, e => Promise.Return(Errs(e))).Map(s => Mask(anchor, s));
    static string Bars(string s) => s.Replace('\n', '|');
    static Promise<string> Slurp(string p) => LwtIO.WithFile(LwtIO.Input, p, ic => ic.Read()).Map(b => Encoding.Latin1.GetString(b));
    static Promise<string> WithIc(int k, Func<InputChannel, Promise<string>> f) => Ics[k] is null ? Promise.Return("noic") : f(Ics[k]);
    static Promise<string> WithOc(int k, Func<OutputChannel, Promise<string>> f) => Ocs[k] is null ? Promise.Return("nooc") : f(Ocs[k]);
    static string BBShow() => Hex(BBuf.Span);
    static byte[] L1(string s) => Encoding.Latin1.GetBytes(s);
    static string FPerm(string p) { try { return Convert.ToString((int)File.GetUnixFileMode(p), 8); } catch { return "gone"; } }

    static Func<Promise<string>> HdOp(string s, bool bytes) => () =>
        LwtIO.WithFile(LwtIO.Output, "hd", oc => bytes ? oc.Hexdump(L1(s)) : oc.Hexdump(s)).Bind(() => Slurp("hd")).Map(Bars);
    static Func<Promise<string>> HdOcOp(int k, string s) => () => WithOc(k, oc => Ok(oc.Hexdump(L1(s))));
    static Func<Promise<string>> HdsOp(string p) => () =>
        LwtIO.WithFile(LwtIO.Output, "hd", oc => oc.HexdumpStream(LwtIO.CharsOfFile(p))).Bind(() => Slurp("hd")).Map(Bars);
    static Func<Promise<string>> CtfOp(string p, string s) => () => LwtIO.CharsToFile(p, LwtStream.OfString(s)).Bind(() => Slurp(p)).Map(Hexs);
    static Func<Promise<string>> OtfOp(string dir, string prefix, string suffix, OpenFlags? flags, int? perm, string s) => () =>
        (perm is { } pm ? LwtIO.OpenTempFile(dir, prefix ?? "lwt_io_temp_file_", suffix ?? "", flags, pm) : LwtIO.OpenTempFile(dir, prefix ?? "lwt_io_temp_file_", suffix ?? "", flags))
        .Bind(t => t.Channel.Write(s).Bind(() => t.Channel.Close()).Bind(() => { var p = FPerm(t.Path); return Slurp(t.Path).Map(c => $"{Strip(t.Path)} perm={p} {Hexs(c)}"); }));
    static Func<Promise<string>> WtfOp(string dir, string prefix, string suffix, int mode, string s) => () =>
    {
        string nm = "";
        return Promise.Catch(() => LwtIO.WithTempFile<string>((name, oc) =>
        {
            nm = name;
            return oc.Write(s).Bind(() => mode switch
            {
                0 => Promise.Return("r"),
                1 => Promise.Fail<string>(new Exception("f")),
                2 => LwtUnix.Unlink(name).Map(() => "unlinked"),
                3 => oc.Close().Map(() => "closed"),
                _ => oc.Flush().Bind(() => Slurp(name)).Map(Hexs),
            });
        }, dir, prefix ?? "lwt_io_temp_file_", suffix ?? ""), e => Promise.Return(Errs(e)))
        .Map(r => $"{r} {Strip(nm)} exists={(nm != "" && Path.Exists(nm) ? "true" : "false")}");
    };
    static Func<Promise<string>> CtdOp(int? perm, string parent, string prefix, string suffix) => () =>
        (perm is { } pm ? LwtIO.CreateTempDir(pm, parent, prefix ?? "lwt_io_temp_dir_", suffix ?? "") : LwtIO.CreateTempDir(parent: parent, prefix: prefix ?? "lwt_io_temp_dir_", suffix: suffix ?? ""))
        .Bind(name => { var p = FPerm(name); return (parent is null ? LwtUnix.Rmdir(name) : Promise.ReturnUnit).Map(() => $"{Strip(name)} perm={p}"); });
    static Func<Promise<string>> IcOpenOp(int k, string p, int? bs) => () => LwtIO.OpenFile(LwtIO.Input, p, bufferSize: bs).Map(ic => { Ics[k] = ic; return "ok"; });
    static Func<Promise<string>> OcOpenOp(int k, string p, OpenFlags? fl) => () => LwtIO.OpenFile(LwtIO.Output, p, fl).Map(oc => { Ocs[k] = oc; return "ok"; });
    static Func<Promise<string>> IcFdOp(int k, int i) => () => WithFd(i, fd => { LwtUnix.CheckDescriptor(fd); Ics[k] = LwtIO.OfUnixFd(LwtIO.Input, dup(fd.Fd)); return Promise.Return("ok"); });
    static Func<Promise<string>> OcFdOp(int k, int i) => () => WithFd(i, fd => { LwtUnix.CheckDescriptor(fd); Ocs[k] = LwtIO.OfUnixFd(LwtIO.Output, dup(fd.Fd)); return Promise.Return("ok"); });
    static Func<Promise<string>> RibOp(int k, int ofs, int len) => () => WithIc(k, ic => ic.ReadIntoBigstring(BBuf, ofs, len).Map(n => $"{n} {BBShow()}"));
    static Func<Promise<string>> RiexbOp(int k, int ofs, int len) => () => WithIc(k, ic => ic.ReadIntoExactlyBigstring(BBuf, ofs, len).Map(() => BBShow()));
    static Func<Promise<string>> WfbOp(int k, int ofs, int len) => () => WithOc(k, oc => oc.WriteFromBigstring(LwtBytes.OfString("0123456789ABCDEF"), ofs, len).Map(n => n.ToString()));
    static Func<Promise<string>> WfexbOp(int k, int ofs, int len) => () => WithOc(k, oc => Ok(oc.WriteFromExactlyBigstring(LwtBytes.OfString("0123456789ABCDEF"), ofs, len)));
    static Func<Promise<string>> IcReadOp(int k) => () => WithIc(k, ic => ic.Read(5).Map(b => Hex(b)));
    static Func<Promise<string>> OcFlushOp(int k) => () => WithOc(k, oc => Ok(oc.Flush()));
    static Func<Promise<string>> FlushAllOp() => () => Ok(LwtIO.FlushAll());
    static Func<Promise<string>> IcResizeOp(int k, int n) => () => WithIc(k, ic => ic.ResizeBuffer(n).Map(() => ic.BufferSize.ToString()));
    static Func<Promise<string>> OcResizeOp(int k, int n) => () => WithOc(k, oc => oc.ResizeBuffer(n).Map(() => oc.BufferSize.ToString()));
    static Func<Promise<string>> IcCloseOp(int k) => () => WithIc(k, ic => Ok(ic.Close()));
    static Func<Promise<string>> OcCloseOp(int k) => () => WithOc(k, oc => Ok(oc.Close()));
    static Func<Promise<string>> PwStrOp(int i, long fo, string s, int ofs, int len) => () => WithFd(i, fd => LwtUnix.PWriteString(fd, s, fo, ofs, len).Map(n => n.ToString()));
    static Func<Promise<string>> MkfifoOp(string p, int perm) => () => LwtUnix.Mkfifo(p, perm).Bind(() => LwtUnix.LStat(p)).Map(PStat);
    static Func<Promise<string>> PipeInOp(int i, string s) => () =>
    {
        var (r, w) = LwtUnix.PipeIn();
        var b = L1(s); write((int)w.DangerousGetHandle(), b, b.Length); w.Dispose();
        Fds[i] = r; return Promise.Return("ok");
    };
    static Func<Promise<string>> PipeOutOp(string s) => () =>
    {
        var (r, w) = LwtUnix.PipeOut();
        return LwtUnix.WriteString(w, s, 0, s.Length).Bind(n => LwtUnix.Close(w).Map(() =>
        {
            var b = new byte[64]; int fd = (int)r.DangerousGetHandle();
            int m = (int)read(fd, b, 64);
            var b2 = new byte[64]; int m2 = (int)read(fd, b2, 64 - m);
            r.Dispose();
            return $"{n} {m} {m2} {Hex(b.AsSpan(0, m))}";
        }));
    };
    static Func<Promise<string>> OfUFdOp(int i, int j, bool? blocking) => () => WithFd(i, fd =>
    {
        LwtUnix.CheckDescriptor(fd);
        var fd2 = LwtFd.FromFd(dup(fd.Fd), blocking);
        Fds[j] = fd2; return LwtUnix.Blocking(fd2).Map(b => b ? "true" : "false");
    });
    static Func<Promise<string>> CheckDOp(int i) => () => WithFd(i, fd => { LwtUnix.CheckDescriptor(fd); return Promise.Return("ok"); });
}
