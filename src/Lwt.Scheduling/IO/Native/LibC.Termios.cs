// struct termios and the libc functions of LwtUnix.TcGetAttr/TcSetAttr
// (LwtUnix.TerminalIO.cs). Same conventions as LibC.IO.cs: LibraryImport, SetLastError.
//
// The layout is the user-space one of Linux's libc (glibc, and musl the same), not the
// kernel's struct (glibc's tcgetattr converts): four tcflag_t (unsigned int), c_line, NCCS
// = 32 cc_t, then c_ispeed and c_ospeed, 60 bytes with 3 bytes of padding after c_cc. The
// flag bits and c_cc indices below are those of the "generic" Linux architectures
// (x86, x86-64, arm, arm64, riscv); Alpha, MIPS, PowerPC and SPARC use other values and
// other layouts, which is why LwtUnix only uses this on x86-64 and arm64. The baud rates are
// read and written through cfget/cfset*speed, never from the speed fields, since glibc
// keeps the rate in c_cflag (CBAUD) and the fields' meaning varies between versions.

using System.Runtime.InteropServices;

namespace Lwt;

internal static unsafe partial class LibC
{
    internal const int NCCS = 32;

    [StructLayout(LayoutKind.Sequential)]
    internal struct Termios
    {
        internal uint IFlag;
        internal uint OFlag;
        internal uint CFlag;
        internal uint LFlag;
        internal byte Line;
        internal fixed byte CC[NCCS];
        internal uint ISpeed;
        internal uint OSpeed;
    }

    // c_iflag
    internal const uint IGNBRK = 0x1, BRKINT = 0x2, IGNPAR = 0x4, PARMRK = 0x8, INPCK = 0x10,
        ISTRIP = 0x20, INLCR = 0x40, IGNCR = 0x80, ICRNL = 0x100, IXON = 0x400, IXOFF = 0x1000;

    // c_oflag
    internal const uint OPOST = 0x1;

    // c_cflag: CSIZE holds CS5 (0) to CS8 (0x30), the character size minus 5 times 0x10.
    internal const uint CSIZE = 0x30, CSTOPB = 0x40, CREAD = 0x80, PARENB = 0x100,
        PARODD = 0x200, HUPCL = 0x400, CLOCAL = 0x800;

    // c_lflag
    internal const uint ISIG = 0x1, ICANON = 0x2, ECHO = 0x8, ECHOE = 0x10, ECHOK = 0x20,
        ECHONL = 0x40, NOFLSH = 0x80;

    // c_cc indices
    internal const int VINTR = 0, VQUIT = 1, VERASE = 2, VKILL = 3, VEOF = 4, VTIME = 5,
        VMIN = 6, VSTART = 8, VSTOP = 9, VEOL = 11;

    [LibraryImport(Lib, EntryPoint = "tcgetattr", SetLastError = true)]
    internal static partial int TcGetAttr(int fd, Termios* termios);

    [LibraryImport(Lib, EntryPoint = "tcsetattr", SetLastError = true)]
    internal static partial int TcSetAttr(int fd, int when, Termios* termios);

    [LibraryImport(Lib, EntryPoint = "cfgetispeed")]
    internal static partial uint CfGetISpeed(Termios* termios);

    [LibraryImport(Lib, EntryPoint = "cfgetospeed")]
    internal static partial uint CfGetOSpeed(Termios* termios);

    [LibraryImport(Lib, EntryPoint = "cfsetispeed", SetLastError = true)]
    internal static partial int CfSetISpeed(Termios* termios, uint speed);

    [LibraryImport(Lib, EntryPoint = "cfsetospeed", SetLastError = true)]
    internal static partial int CfSetOSpeed(Termios* termios, uint speed);
}
