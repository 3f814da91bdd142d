// Terminal attributes (Lwt_unix.tcgetattr, tcsetattr) over OCaml's Unix.terminal_io.
//
// TerminalIO is the record of OCaml's Unix module, field for field: the boolean flags of
// c_iflag, c_oflag, c_cflag and c_lflag that POSIX names, the speeds in bits per second,
// the character size and stop bits as numbers, and the control characters. It is mutable,
// as the OCaml record is, so the usual pattern reads: get, change a field or two, set.
//
// Like OCaml's stubs, TcSetAttr does not write a whole struct termios built from the
// record: it reads the terminal's current one, changes only the bits and characters the
// record describes, and writes that back, so what the record cannot express (IUTF8,
// ECHOCTL, VSUSP, VWERASE, c_line...) is kept as the terminal had it. Between the read and
// the write another process may change the terminal; that race is POSIX's and OCaml's too.
//
// struct termios is declared for Linux on x86-64 and arm64 only (IO/Native/LibC.Termios.cs
// says why); elsewhere both calls throw PlatformNotSupportedException before touching the
// descriptor. Both run as jobs on the worker pool, as in Lwt: tcsetattr with Drain or
// Flush waits until the output has been sent, which can take any time.
//
// Speeds: Linux encodes them as Bnnn codes, and so did glibc's cf[gs]et[io]speed until 2.42,
// which speaks rates in bits per second (its "arbitrary speeds"; a P/Invoke binds the newest
// symbol version, so this library gets the new convention there). NumericSpeeds probes which
// one the C library uses, once. A code this table does not know, read from a
// terminal, fails with EINVAL as OCaml's tcgetattr does; an unknown rate passed to
// TcSetAttr is the caller's error (ArgumentOutOfRangeException) rather than OCaml's
// EINVAL, as are a character size, stop bit count, VMin or VTime out of range (OCaml
// truncates VMin and VTime silently).

using System.Runtime.InteropServices;

namespace Lwt;

/// <summary>
/// When <see cref="LwtUnix.TcSetAttr"/> applies the new attributes.
/// <para>Lwt: <c>Lwt_unix.setattr_when</c></para>
/// </summary>
public enum SetattrWhen
{
    /// <summary>TCSANOW: at once.</summary>
    Now = 0,

    /// <summary>TCSADRAIN: once all the output written has been sent.</summary>
    Drain = 1,

    /// <summary>TCSAFLUSH: once all the output written has been sent, discarding the input received and not read.</summary>
    Flush = 2,
}

/// <summary>
/// The attributes of a terminal, as <see cref="LwtUnix.TcGetAttr"/> reads them and
/// <see cref="LwtUnix.TcSetAttr"/> writes them (mutable, as OCaml's record; equal when all
/// fields are).
/// <para>Lwt: <c>Lwt_unix.terminal_io</c> (<c>Unix.terminal_io</c>)</para>
/// </summary>
public sealed record TerminalIO
{
    /// <summary>
    /// IGNBRK: ignore a break condition on input.
    /// <para>Lwt: <c>Unix.terminal_io.c_ignbrk</c></para>
    /// </summary>
    public bool IgnBrk { get; set; }

    /// <summary>
    /// BRKINT: a break flushes the queues and sends SIGINT (unless IgnBrk).
    /// <para>Lwt: <c>Unix.terminal_io.c_brkint</c></para>
    /// </summary>
    public bool BrkInt { get; set; }

    /// <summary>
    /// IGNPAR: ignore characters with parity errors.
    /// <para>Lwt: <c>Unix.terminal_io.c_ignpar</c></para>
    /// </summary>
    public bool IgnPar { get; set; }

    /// <summary>
    /// PARMRK: mark parity errors in the input (0xFF 0x00 before the character).
    /// <para>Lwt: <c>Unix.terminal_io.c_parmrk</c></para>
    /// </summary>
    public bool ParMrk { get; set; }

    /// <summary>
    /// INPCK: check the parity of input.
    /// <para>Lwt: <c>Unix.terminal_io.c_inpck</c></para>
    /// </summary>
    public bool InPck { get; set; }

    /// <summary>
    /// ISTRIP: clear the eighth bit of input characters.
    /// <para>Lwt: <c>Unix.terminal_io.c_istrip</c></para>
    /// </summary>
    public bool IStrip { get; set; }

    /// <summary>
    /// INLCR: translate NL to CR on input.
    /// <para>Lwt: <c>Unix.terminal_io.c_inlcr</c></para>
    /// </summary>
    public bool InlCr { get; set; }

    /// <summary>
    /// IGNCR: ignore CR on input.
    /// <para>Lwt: <c>Unix.terminal_io.c_igncr</c></para>
    /// </summary>
    public bool IgnCr { get; set; }

    /// <summary>
    /// ICRNL: translate CR to NL on input (unless IgnCr).
    /// <para>Lwt: <c>Unix.terminal_io.c_icrnl</c></para>
    /// </summary>
    public bool ICrNl { get; set; }

    /// <summary>
    /// IXON: XON/XOFF flow control on output (VStop/VStart stop and restart it).
    /// <para>Lwt: <c>Unix.terminal_io.c_ixon</c></para>
    /// </summary>
    public bool IXon { get; set; }

    /// <summary>
    /// IXOFF: XON/XOFF flow control on input.
    /// <para>Lwt: <c>Unix.terminal_io.c_ixoff</c></para>
    /// </summary>
    public bool IXoff { get; set; }

    /// <summary>
    /// OPOST: post-process output (NL to CR NL and the like).
    /// <para>Lwt: <c>Unix.terminal_io.c_opost</c></para>
    /// </summary>
    public bool OPost { get; set; }

    /// <summary>
    /// The output speed in bits per second (one of the standard rates, from 0 to 4000000; 0 hangs up).
    /// <para>Lwt: <c>Unix.terminal_io.c_obaud</c></para>
    /// </summary>
    public int OBaud { get; set; }

    /// <summary>
    /// The input speed in bits per second (one of the standard rates; 0: the same as the output's).
    /// <para>Lwt: <c>Unix.terminal_io.c_ibaud</c></para>
    /// </summary>
    public int IBaud { get; set; }

    /// <summary>
    /// The number of bits per character, 5 to 8 (CS5 to CS8).
    /// <para>Lwt: <c>Unix.terminal_io.c_csize</c></para>
    /// </summary>
    public int CSize { get; set; }

    /// <summary>
    /// The number of stop bits, 1 or 2 (CSTOPB).
    /// <para>Lwt: <c>Unix.terminal_io.c_cstopb</c></para>
    /// </summary>
    public int CStopB { get; set; }

    /// <summary>
    /// CREAD: enable the receiver.
    /// <para>Lwt: <c>Unix.terminal_io.c_cread</c></para>
    /// </summary>
    public bool CRead { get; set; }

    /// <summary>
    /// PARENB: generate parity on output and check it on input.
    /// <para>Lwt: <c>Unix.terminal_io.c_parenb</c></para>
    /// </summary>
    public bool ParEnb { get; set; }

    /// <summary>
    /// PARODD: odd parity (even otherwise).
    /// <para>Lwt: <c>Unix.terminal_io.c_parodd</c></para>
    /// </summary>
    public bool ParOdd { get; set; }

    /// <summary>
    /// HUPCL: hang up when the last process closes the terminal.
    /// <para>Lwt: <c>Unix.terminal_io.c_hupcl</c></para>
    /// </summary>
    public bool HupCl { get; set; }

    /// <summary>
    /// CLOCAL: ignore the modem control lines.
    /// <para>Lwt: <c>Unix.terminal_io.c_clocal</c></para>
    /// </summary>
    public bool CLocal { get; set; }

    /// <summary>
    /// ISIG: VIntr and VQuit (and VSUSP) send their signals.
    /// <para>Lwt: <c>Unix.terminal_io.c_isig</c></para>
    /// </summary>
    public bool ISig { get; set; }

    /// <summary>
    /// ICANON: canonical mode: input by lines, with VErase, VKill, VEof and VEol.
    /// <para>Lwt: <c>Unix.terminal_io.c_icanon</c></para>
    /// </summary>
    public bool ICanon { get; set; }

    /// <summary>
    /// NOFLSH: do not flush the queues on SIGINT and SIGQUIT.
    /// <para>Lwt: <c>Unix.terminal_io.c_noflsh</c></para>
    /// </summary>
    public bool NoFlsh { get; set; }

    /// <summary>
    /// ECHO: echo the input characters.
    /// <para>Lwt: <c>Unix.terminal_io.c_echo</c></para>
    /// </summary>
    public bool Echo { get; set; }

    /// <summary>
    /// ECHOE: in canonical mode, VErase erases the previous character on the screen.
    /// <para>Lwt: <c>Unix.terminal_io.c_echoe</c></para>
    /// </summary>
    public bool EchoE { get; set; }

    /// <summary>
    /// ECHOK: in canonical mode, VKill erases the line.
    /// <para>Lwt: <c>Unix.terminal_io.c_echok</c></para>
    /// </summary>
    public bool EchoK { get; set; }

    /// <summary>
    /// ECHONL: in canonical mode, echo NL even without Echo.
    /// <para>Lwt: <c>Unix.terminal_io.c_echonl</c></para>
    /// </summary>
    public bool EchoNl { get; set; }

    /// <summary>
    /// The interrupt character (VINTR, usually Ctrl-C, 3).
    /// <para>Lwt: <c>Unix.terminal_io.c_vintr</c></para>
    /// </summary>
    public byte VIntr { get; set; }

    /// <summary>
    /// The quit character (VQUIT, usually Ctrl-\, 28).
    /// <para>Lwt: <c>Unix.terminal_io.c_vquit</c></para>
    /// </summary>
    public byte VQuit { get; set; }

    /// <summary>
    /// The erase character (VERASE, usually DEL, 127).
    /// <para>Lwt: <c>Unix.terminal_io.c_verase</c></para>
    /// </summary>
    public byte VErase { get; set; }

    /// <summary>
    /// The line kill character (VKILL, usually Ctrl-U, 21).
    /// <para>Lwt: <c>Unix.terminal_io.c_vkill</c></para>
    /// </summary>
    public byte VKill { get; set; }

    /// <summary>
    /// The end-of-file character (VEOF, usually Ctrl-D, 4).
    /// <para>Lwt: <c>Unix.terminal_io.c_veof</c></para>
    /// </summary>
    public byte VEof { get; set; }

    /// <summary>
    /// The additional end-of-line character (VEOL, usually 0: none).
    /// <para>Lwt: <c>Unix.terminal_io.c_veol</c></para>
    /// </summary>
    public byte VEol { get; set; }

    /// <summary>
    /// In non-canonical mode, the least number of characters a read waits for (VMIN, 0 to 255).
    /// <para>Lwt: <c>Unix.terminal_io.c_vmin</c></para>
    /// </summary>
    public int VMin { get; set; }

    /// <summary>
    /// In non-canonical mode, the read timeout in tenths of a second (VTIME, 0 to 255).
    /// <para>Lwt: <c>Unix.terminal_io.c_vtime</c></para>
    /// </summary>
    public int VTime { get; set; }

    /// <summary>
    /// The start character (VSTART, usually Ctrl-Q, 17).
    /// <para>Lwt: <c>Unix.terminal_io.c_vstart</c></para>
    /// </summary>
    public byte VStart { get; set; }

    /// <summary>
    /// The stop character (VSTOP, usually Ctrl-S, 19).
    /// <para>Lwt: <c>Unix.terminal_io.c_vstop</c></para>
    /// </summary>
    public byte VStop { get; set; }
}

public static partial class LwtUnix
{
    /// <summary>Linux's speed codes (Bnnn) and their rates in bits per second.</summary>
    private static readonly (uint Code, int Baud)[] s_speeds =
    [
        (0x0, 0), (0x1, 50), (0x2, 75), (0x3, 110), (0x4, 134), (0x5, 150), (0x6, 200),
        (0x7, 300), (0x8, 600), (0x9, 1200), (0xa, 1800), (0xb, 2400), (0xc, 4800),
        (0xd, 9600), (0xe, 19200), (0xf, 38400), (0x1001, 57600), (0x1002, 115200),
        (0x1003, 230400), (0x1004, 460800), (0x1005, 500000), (0x1006, 576000),
        (0x1007, 921600), (0x1008, 1000000), (0x1009, 1152000), (0x100a, 1500000),
        (0x100b, 2000000), (0x100c, 2500000), (0x100d, 3000000), (0x100e, 3500000),
        (0x100f, 4000000),
    ];

    /// <summary>
    /// Reads the attributes of a terminal (a job on the worker pool). ENOTTY if the
    /// descriptor is not a terminal, EBADF once closed.
    /// <para>Lwt: <c>Lwt_unix.tcgetattr</c></para>
    /// </summary>
    /// <param name="fd">A terminal.</param>
    /// <exception cref="ArgumentNullException"><paramref name="fd"/> is null.</exception>
    /// <exception cref="PlatformNotSupportedException">Not Linux on x86-64 or arm64 (struct termios is mapped there only).</exception>
    public static unsafe Promise<TerminalIO> TcGetAttr(LwtFd fd)
    {
        ArgumentNullException.ThrowIfNull(fd);
        CheckTermiosPlatform();
        if (!fd.TryGetFd("tcgetattr", out int raw, out var error)) return Promise.Fail<TerminalIO>(error!);
        return Job(() =>
        {
            LibC.Termios t;
            if (LibC.TcGetAttr(raw, &t) != 0) throw UnixErrorException.FromLastError("tcgetattr");
            return ToTerminalIO(&t);
        });
    }

    /// <summary>
    /// Sets the attributes of a terminal (a job on the worker pool): the terminal's current
    /// settings with the flags, speeds and characters of <paramref name="attributes"/>; the
    /// settings the record does not describe are left as they were. ENOTTY if the descriptor
    /// is not a terminal, EBADF once closed.
    /// <para>Lwt: <c>Lwt_unix.tcsetattr</c></para>
    /// </summary>
    /// <param name="fd">A terminal.</param>
    /// <param name="when">When the change takes effect.</param>
    /// <param name="attributes">The attributes (read once, when the call is made: changing the record afterwards has no effect).</param>
    /// <exception cref="ArgumentNullException"><paramref name="fd"/> or <paramref name="attributes"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="when"/> is not a <see cref="SetattrWhen"/>; or a speed is not a standard rate, CSize is not 5 to 8, CStopB not 1 or 2, VMin or VTime not 0 to 255.</exception>
    /// <exception cref="PlatformNotSupportedException">Not Linux on x86-64 or arm64 (struct termios is mapped there only).</exception>
    public static unsafe Promise TcSetAttr(LwtFd fd, SetattrWhen when, TerminalIO attributes)
    {
        ArgumentNullException.ThrowIfNull(fd);
        ArgumentNullException.ThrowIfNull(attributes);
        if ((uint)when > (uint)SetattrWhen.Flush)
            throw new ArgumentOutOfRangeException(nameof(when), when, "Pass one of the SetattrWhen values.");
        var a = attributes with { }; // a snapshot: the job must not see later changes
        uint ispeed = SpeedCode(a.IBaud, nameof(TerminalIO.IBaud)), ospeed = SpeedCode(a.OBaud, nameof(TerminalIO.OBaud));
        if (a.CSize is < 5 or > 8) throw new ArgumentOutOfRangeException(nameof(attributes), a.CSize, "CSize (bits per character) is 5 to 8.");
        if (a.CStopB is < 1 or > 2) throw new ArgumentOutOfRangeException(nameof(attributes), a.CStopB, "CStopB (stop bits) is 1 or 2.");
        if ((uint)a.VMin > 255) throw new ArgumentOutOfRangeException(nameof(attributes), a.VMin, "VMin is 0 to 255.");
        if ((uint)a.VTime > 255) throw new ArgumentOutOfRangeException(nameof(attributes), a.VTime, "VTime is 0 to 255.");
        CheckTermiosPlatform();
        if (!fd.TryGetFd("tcsetattr", out int raw, out var error)) return Promise.Fail(error!);
        return Job(() =>
        {
            LibC.Termios t;
            if (LibC.TcGetAttr(raw, &t) != 0) throw UnixErrorException.FromLastError("tcsetattr");
            Apply(a, &t);
            if (LibC.CfSetISpeed(&t, ispeed) != 0 || LibC.CfSetOSpeed(&t, ospeed) != 0)
                throw UnixErrorException.FromLastError("tcsetattr");
            if (LibC.TcSetAttr(raw, (int)when, &t) != 0) throw UnixErrorException.FromLastError("tcsetattr");
        });
    }

    private static void CheckTermiosPlatform()
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture is not (Architecture.X64 or Architecture.Arm64))
            throw new PlatformNotSupportedException("tcgetattr/tcsetattr: struct termios is mapped for Linux on x86-64 and arm64 only.");
    }

    private static unsafe TerminalIO ToTerminalIO(LibC.Termios* t) => new()
    {
        IgnBrk = (t->IFlag & LibC.IGNBRK) != 0,
        BrkInt = (t->IFlag & LibC.BRKINT) != 0,
        IgnPar = (t->IFlag & LibC.IGNPAR) != 0,
        ParMrk = (t->IFlag & LibC.PARMRK) != 0,
        InPck = (t->IFlag & LibC.INPCK) != 0,
        IStrip = (t->IFlag & LibC.ISTRIP) != 0,
        InlCr = (t->IFlag & LibC.INLCR) != 0,
        IgnCr = (t->IFlag & LibC.IGNCR) != 0,
        ICrNl = (t->IFlag & LibC.ICRNL) != 0,
        IXon = (t->IFlag & LibC.IXON) != 0,
        IXoff = (t->IFlag & LibC.IXOFF) != 0,
        OPost = (t->OFlag & LibC.OPOST) != 0,
        OBaud = SpeedBaud(LibC.CfGetOSpeed(t)),
        IBaud = SpeedBaud(LibC.CfGetISpeed(t)),
        CSize = 5 + (int)((t->CFlag & LibC.CSIZE) >> 4),
        CStopB = (t->CFlag & LibC.CSTOPB) != 0 ? 2 : 1,
        CRead = (t->CFlag & LibC.CREAD) != 0,
        ParEnb = (t->CFlag & LibC.PARENB) != 0,
        ParOdd = (t->CFlag & LibC.PARODD) != 0,
        HupCl = (t->CFlag & LibC.HUPCL) != 0,
        CLocal = (t->CFlag & LibC.CLOCAL) != 0,
        ISig = (t->LFlag & LibC.ISIG) != 0,
        ICanon = (t->LFlag & LibC.ICANON) != 0,
        NoFlsh = (t->LFlag & LibC.NOFLSH) != 0,
        Echo = (t->LFlag & LibC.ECHO) != 0,
        EchoE = (t->LFlag & LibC.ECHOE) != 0,
        EchoK = (t->LFlag & LibC.ECHOK) != 0,
        EchoNl = (t->LFlag & LibC.ECHONL) != 0,
        VIntr = t->CC[LibC.VINTR],
        VQuit = t->CC[LibC.VQUIT],
        VErase = t->CC[LibC.VERASE],
        VKill = t->CC[LibC.VKILL],
        VEof = t->CC[LibC.VEOF],
        VEol = t->CC[LibC.VEOL],
        VMin = t->CC[LibC.VMIN],
        VTime = t->CC[LibC.VTIME],
        VStart = t->CC[LibC.VSTART],
        VStop = t->CC[LibC.VSTOP],
    };

    /// <summary>Writes the record's bits and characters into <paramref name="t"/>, keeping the others.</summary>
    private static unsafe void Apply(TerminalIO a, LibC.Termios* t)
    {
        t->IFlag = Bits(t->IFlag, LibC.IGNBRK, a.IgnBrk);
        t->IFlag = Bits(t->IFlag, LibC.BRKINT, a.BrkInt);
        t->IFlag = Bits(t->IFlag, LibC.IGNPAR, a.IgnPar);
        t->IFlag = Bits(t->IFlag, LibC.PARMRK, a.ParMrk);
        t->IFlag = Bits(t->IFlag, LibC.INPCK, a.InPck);
        t->IFlag = Bits(t->IFlag, LibC.ISTRIP, a.IStrip);
        t->IFlag = Bits(t->IFlag, LibC.INLCR, a.InlCr);
        t->IFlag = Bits(t->IFlag, LibC.IGNCR, a.IgnCr);
        t->IFlag = Bits(t->IFlag, LibC.ICRNL, a.ICrNl);
        t->IFlag = Bits(t->IFlag, LibC.IXON, a.IXon);
        t->IFlag = Bits(t->IFlag, LibC.IXOFF, a.IXoff);
        t->OFlag = Bits(t->OFlag, LibC.OPOST, a.OPost);
        t->CFlag = (t->CFlag & ~LibC.CSIZE) | ((uint)(a.CSize - 5) << 4);
        t->CFlag = Bits(t->CFlag, LibC.CSTOPB, a.CStopB == 2);
        t->CFlag = Bits(t->CFlag, LibC.CREAD, a.CRead);
        t->CFlag = Bits(t->CFlag, LibC.PARENB, a.ParEnb);
        t->CFlag = Bits(t->CFlag, LibC.PARODD, a.ParOdd);
        t->CFlag = Bits(t->CFlag, LibC.HUPCL, a.HupCl);
        t->CFlag = Bits(t->CFlag, LibC.CLOCAL, a.CLocal);
        t->LFlag = Bits(t->LFlag, LibC.ISIG, a.ISig);
        t->LFlag = Bits(t->LFlag, LibC.ICANON, a.ICanon);
        t->LFlag = Bits(t->LFlag, LibC.NOFLSH, a.NoFlsh);
        t->LFlag = Bits(t->LFlag, LibC.ECHO, a.Echo);
        t->LFlag = Bits(t->LFlag, LibC.ECHOE, a.EchoE);
        t->LFlag = Bits(t->LFlag, LibC.ECHOK, a.EchoK);
        t->LFlag = Bits(t->LFlag, LibC.ECHONL, a.EchoNl);
        t->CC[LibC.VINTR] = a.VIntr;
        t->CC[LibC.VQUIT] = a.VQuit;
        t->CC[LibC.VERASE] = a.VErase;
        t->CC[LibC.VKILL] = a.VKill;
        t->CC[LibC.VEOF] = a.VEof;
        t->CC[LibC.VEOL] = a.VEol;
        t->CC[LibC.VMIN] = (byte)a.VMin;
        t->CC[LibC.VTIME] = (byte)a.VTime;
        t->CC[LibC.VSTART] = a.VStart;
        t->CC[LibC.VSTOP] = a.VStop;
    }

    private static uint Bits(uint flags, uint bit, bool on) => on ? flags | bit : flags & ~bit;

    /// <summary>The rate of what cfget[io]speed gave (file comment, speeds).</summary>
    private static int SpeedBaud(uint speed)
    {
        if (NumericSpeeds()) return (int)speed;
        foreach (var (c, baud) in s_speeds)
            if (c == speed) return baud;
        throw new UnixErrorException(LibC.EINVAL, "tcgetattr");
    }

    /// <summary>What cfset[io]speed takes for a standard rate (file comment, speeds).</summary>
    private static uint SpeedCode(int baud, string field)
    {
        foreach (var (code, b) in s_speeds)
            if (b == baud) return NumericSpeeds() ? (uint)baud : code;
        throw new ArgumentOutOfRangeException("attributes", baud, $"{field} is not a standard speed (0, 50, 75, ... 9600, 19200, 38400, 57600, 115200, ... 4000000 bits per second).");
    }

    /// <summary>0: not probed yet; 1: Bnnn codes; 2: rates in bits per second.</summary>
    private static int s_speedConvention;

    /// <summary>
    /// Whether the C library's cf[gs]et[io]speed speak rates rather than Bnnn codes. Probed
    /// once: a code-only library refuses 9600 (EINVAL: not a code, and above the highest code).
    /// </summary>
    private static unsafe bool NumericSpeeds()
    {
        int convention = Volatile.Read(ref s_speedConvention);
        if (convention == 0)
        {
            LibC.Termios scratch = default;
            convention = LibC.CfSetOSpeed(&scratch, 9600) == 0 ? 2 : 1;
            Volatile.Write(ref s_speedConvention, convention);
        }

        return convention == 2;
    }
}
