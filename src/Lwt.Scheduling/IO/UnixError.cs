namespace Lwt;

/*
 * OCaml's Unix.error, the errno of a failed system call by name: what an OCaml program
 * matches on (`Unix.Unix_error (Unix.ENOENT, _, _)`), here `e.Error == UnixError.ENOENT` or
 * the positional pattern `e is (UnixError.ENOENT, _, _)` on a UnixErrorException.
 *
 * The members are OCaml's 68 constructors, in its order, and their values are Linux's errno
 * numbers, as are every other constant of LwtUnix (IO/Native/LibC*.cs): the numbers are
 * what the kernel returns, so mapping a UnixErrorException's Errno is a range check, and the
 * enum can name what a P/Invoke of the user's own returns. OCaml's EUNKNOWNERR carries the
 * number it could not name; here it is a member of its own (-1, never an errno) and the
 * number stays in UnixErrorException.Errno. On Linux EAGAIN and EWOULDBLOCK are one number
 * (11): OCaml's table names it EAGAIN, its first match; here the two names are one value, so
 * either compares equal (ToString may print either).
 */

/// <summary>
/// The error of a failed system call, by name: OCaml's <c>Unix.error</c>. Read it from
/// <see cref="UnixErrorException.Error"/>, or match it with the exception's positional
/// pattern, <c>catch (UnixErrorException e) when (e is (UnixError.ENOENT, _, _))</c>. The
/// values are Linux's errno numbers (the numbers of <see cref="UnixErrorException.Errno"/>);
/// an errno without a name here is <see cref="EUNKNOWNERR"/>.
/// <para>Lwt: <c>Unix.error</c></para>
/// </summary>
public enum UnixError
{
    /// <summary>Argument list too long.<para>Lwt: <c>Unix.E2BIG</c></para></summary>
    E2BIG = 7,
    /// <summary>Permission denied.<para>Lwt: <c>Unix.EACCES</c></para></summary>
    EACCES = 13,
    /// <summary>Resource temporarily unavailable; try again.<para>Lwt: <c>Unix.EAGAIN</c></para></summary>
    EAGAIN = 11,
    /// <summary>Bad file descriptor.<para>Lwt: <c>Unix.EBADF</c></para></summary>
    EBADF = 9,
    /// <summary>Resource unavailable.<para>Lwt: <c>Unix.EBUSY</c></para></summary>
    EBUSY = 16,
    /// <summary>No child process.<para>Lwt: <c>Unix.ECHILD</c></para></summary>
    ECHILD = 10,
    /// <summary>Resource deadlock would occur.<para>Lwt: <c>Unix.EDEADLK</c></para></summary>
    EDEADLK = 35,
    /// <summary>Domain error for math functions, etc.<para>Lwt: <c>Unix.EDOM</c></para></summary>
    EDOM = 33,
    /// <summary>File exists.<para>Lwt: <c>Unix.EEXIST</c></para></summary>
    EEXIST = 17,
    /// <summary>Bad address.<para>Lwt: <c>Unix.EFAULT</c></para></summary>
    EFAULT = 14,
    /// <summary>File too large.<para>Lwt: <c>Unix.EFBIG</c></para></summary>
    EFBIG = 27,
    /// <summary>Function interrupted by signal.<para>Lwt: <c>Unix.EINTR</c></para></summary>
    EINTR = 4,
    /// <summary>Invalid argument.<para>Lwt: <c>Unix.EINVAL</c></para></summary>
    EINVAL = 22,
    /// <summary>Hardware I/O error.<para>Lwt: <c>Unix.EIO</c></para></summary>
    EIO = 5,
    /// <summary>Is a directory.<para>Lwt: <c>Unix.EISDIR</c></para></summary>
    EISDIR = 21,
    /// <summary>Too many open files by the process.<para>Lwt: <c>Unix.EMFILE</c></para></summary>
    EMFILE = 24,
    /// <summary>Too many links.<para>Lwt: <c>Unix.EMLINK</c></para></summary>
    EMLINK = 31,
    /// <summary>Filename too long.<para>Lwt: <c>Unix.ENAMETOOLONG</c></para></summary>
    ENAMETOOLONG = 36,
    /// <summary>Too many open files in the system.<para>Lwt: <c>Unix.ENFILE</c></para></summary>
    ENFILE = 23,
    /// <summary>No such device.<para>Lwt: <c>Unix.ENODEV</c></para></summary>
    ENODEV = 19,
    /// <summary>No such file or directory.<para>Lwt: <c>Unix.ENOENT</c></para></summary>
    ENOENT = 2,
    /// <summary>Not an executable file.<para>Lwt: <c>Unix.ENOEXEC</c></para></summary>
    ENOEXEC = 8,
    /// <summary>No locks available.<para>Lwt: <c>Unix.ENOLCK</c></para></summary>
    ENOLCK = 37,
    /// <summary>Not enough memory.<para>Lwt: <c>Unix.ENOMEM</c></para></summary>
    ENOMEM = 12,
    /// <summary>No space left on device.<para>Lwt: <c>Unix.ENOSPC</c></para></summary>
    ENOSPC = 28,
    /// <summary>Function not supported.<para>Lwt: <c>Unix.ENOSYS</c></para></summary>
    ENOSYS = 38,
    /// <summary>Not a directory.<para>Lwt: <c>Unix.ENOTDIR</c></para></summary>
    ENOTDIR = 20,
    /// <summary>Directory not empty.<para>Lwt: <c>Unix.ENOTEMPTY</c></para></summary>
    ENOTEMPTY = 39,
    /// <summary>Inappropriate I/O control operation.<para>Lwt: <c>Unix.ENOTTY</c></para></summary>
    ENOTTY = 25,
    /// <summary>No such device or address.<para>Lwt: <c>Unix.ENXIO</c></para></summary>
    ENXIO = 6,
    /// <summary>Operation not permitted.<para>Lwt: <c>Unix.EPERM</c></para></summary>
    EPERM = 1,
    /// <summary>Broken pipe.<para>Lwt: <c>Unix.EPIPE</c></para></summary>
    EPIPE = 32,
    /// <summary>Result too large.<para>Lwt: <c>Unix.ERANGE</c></para></summary>
    ERANGE = 34,
    /// <summary>Read-only file system.<para>Lwt: <c>Unix.EROFS</c></para></summary>
    EROFS = 30,
    /// <summary>Invalid seek e.g. on a pipe.<para>Lwt: <c>Unix.ESPIPE</c></para></summary>
    ESPIPE = 29,
    /// <summary>No such process.<para>Lwt: <c>Unix.ESRCH</c></para></summary>
    ESRCH = 3,
    /// <summary>Invalid link.<para>Lwt: <c>Unix.EXDEV</c></para></summary>
    EXDEV = 18,
    /// <summary>Operation would block. Linux gives it the number of <see cref="EAGAIN"/>: the two are one value here, and an error read from the system is <see cref="EAGAIN"/>.<para>Lwt: <c>Unix.EWOULDBLOCK</c></para></summary>
    EWOULDBLOCK = 11,
    /// <summary>Operation now in progress.<para>Lwt: <c>Unix.EINPROGRESS</c></para></summary>
    EINPROGRESS = 115,
    /// <summary>Operation already in progress.<para>Lwt: <c>Unix.EALREADY</c></para></summary>
    EALREADY = 114,
    /// <summary>Socket operation on non-socket.<para>Lwt: <c>Unix.ENOTSOCK</c></para></summary>
    ENOTSOCK = 88,
    /// <summary>Destination address required.<para>Lwt: <c>Unix.EDESTADDRREQ</c></para></summary>
    EDESTADDRREQ = 89,
    /// <summary>Message too long.<para>Lwt: <c>Unix.EMSGSIZE</c></para></summary>
    EMSGSIZE = 90,
    /// <summary>Protocol wrong type for socket.<para>Lwt: <c>Unix.EPROTOTYPE</c></para></summary>
    EPROTOTYPE = 91,
    /// <summary>Protocol not available.<para>Lwt: <c>Unix.ENOPROTOOPT</c></para></summary>
    ENOPROTOOPT = 92,
    /// <summary>Protocol not supported.<para>Lwt: <c>Unix.EPROTONOSUPPORT</c></para></summary>
    EPROTONOSUPPORT = 93,
    /// <summary>Socket type not supported.<para>Lwt: <c>Unix.ESOCKTNOSUPPORT</c></para></summary>
    ESOCKTNOSUPPORT = 94,
    /// <summary>Operation not supported on socket.<para>Lwt: <c>Unix.EOPNOTSUPP</c></para></summary>
    EOPNOTSUPP = 95,
    /// <summary>Protocol family not supported.<para>Lwt: <c>Unix.EPFNOSUPPORT</c></para></summary>
    EPFNOSUPPORT = 96,
    /// <summary>Address family not supported by protocol family.<para>Lwt: <c>Unix.EAFNOSUPPORT</c></para></summary>
    EAFNOSUPPORT = 97,
    /// <summary>Address already in use.<para>Lwt: <c>Unix.EADDRINUSE</c></para></summary>
    EADDRINUSE = 98,
    /// <summary>Can't assign requested address.<para>Lwt: <c>Unix.EADDRNOTAVAIL</c></para></summary>
    EADDRNOTAVAIL = 99,
    /// <summary>Network is down.<para>Lwt: <c>Unix.ENETDOWN</c></para></summary>
    ENETDOWN = 100,
    /// <summary>Network is unreachable.<para>Lwt: <c>Unix.ENETUNREACH</c></para></summary>
    ENETUNREACH = 101,
    /// <summary>Network dropped connection on reset.<para>Lwt: <c>Unix.ENETRESET</c></para></summary>
    ENETRESET = 102,
    /// <summary>Software caused connection abort.<para>Lwt: <c>Unix.ECONNABORTED</c></para></summary>
    ECONNABORTED = 103,
    /// <summary>Connection reset by peer.<para>Lwt: <c>Unix.ECONNRESET</c></para></summary>
    ECONNRESET = 104,
    /// <summary>No buffer space available.<para>Lwt: <c>Unix.ENOBUFS</c></para></summary>
    ENOBUFS = 105,
    /// <summary>Socket is already connected.<para>Lwt: <c>Unix.EISCONN</c></para></summary>
    EISCONN = 106,
    /// <summary>Socket is not connected.<para>Lwt: <c>Unix.ENOTCONN</c></para></summary>
    ENOTCONN = 107,
    /// <summary>Can't send after socket shutdown.<para>Lwt: <c>Unix.ESHUTDOWN</c></para></summary>
    ESHUTDOWN = 108,
    /// <summary>Too many references: can't splice.<para>Lwt: <c>Unix.ETOOMANYREFS</c></para></summary>
    ETOOMANYREFS = 109,
    /// <summary>Connection timed out.<para>Lwt: <c>Unix.ETIMEDOUT</c></para></summary>
    ETIMEDOUT = 110,
    /// <summary>Connection refused.<para>Lwt: <c>Unix.ECONNREFUSED</c></para></summary>
    ECONNREFUSED = 111,
    /// <summary>Host is down.<para>Lwt: <c>Unix.EHOSTDOWN</c></para></summary>
    EHOSTDOWN = 112,
    /// <summary>No route to host.<para>Lwt: <c>Unix.EHOSTUNREACH</c></para></summary>
    EHOSTUNREACH = 113,
    /// <summary>Too many levels of symbolic links.<para>Lwt: <c>Unix.ELOOP</c></para></summary>
    ELOOP = 40,
    /// <summary>File size or position not representable.<para>Lwt: <c>Unix.EOVERFLOW</c></para></summary>
    EOVERFLOW = 75,
    /// <summary>An errno OCaml has no name for; <see cref="UnixErrorException.Errno"/> holds its number.<para>Lwt: <c>Unix.EUNKNOWNERR</c></para></summary>
    EUNKNOWNERR = -1,
}
