using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Lwt.Tests.Engines;

/// <summary>A non-blocking pipe(2), for readiness tests.</summary>
internal sealed class NativePipe : IDisposable
{
    public NativePipe()
    {
        Span<int> fds = stackalloc int[2];
        if (LibC.Pipe2(fds, LibC.O_NONBLOCK | LibC.O_CLOEXEC) != 0)
        {
            throw new InvalidOperationException($"pipe2 failed: errno {Marshal.GetLastPInvokeError()}");
        }

        ReadFd = fds[0];
        WriteFd = fds[1];
    }

    public int ReadFd { get; private set; }

    public int WriteFd { get; private set; }

    public void WriteByte(byte b = 42)
    {
        if (LibC.Write(WriteFd, new ReadOnlySpan<byte>(in b)) != 1)
        {
            throw new InvalidOperationException($"write failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary>Reads everything pending; returns the number of bytes read.</summary>
    public int Drain()
    {
        Span<byte> buffer = stackalloc byte[256];
        int total = 0;
        nint n;
        while ((n = LibC.Read(ReadFd, buffer)) > 0)
        {
            total += (int)n;
        }

        return total;
    }

    public void CloseWriteEnd()
    {
        if (WriteFd >= 0)
        {
            _ = LibC.Close(WriteFd);
            WriteFd = -1;
        }
    }

    public void Dispose()
    {
        CloseWriteEnd();
        if (ReadFd >= 0)
        {
            _ = LibC.Close(ReadFd);
            ReadFd = -1;
        }
    }
}

/// <summary>Two connected loopback TCP sockets.</summary>
internal sealed class SocketPair : IDisposable
{
    public SocketPair()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        Client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        Client.Connect(listener.LocalEndPoint!);
        Server = listener.Accept();
    }

    public Socket Client { get; }

    public Socket Server { get; }

    public static int Fd(Socket s) => (int)s.Handle;

    public void Dispose()
    {
        Client.Dispose();
        Server.Dispose();
    }
}

internal static class FdLimit
{
    /// <summary>Raises the soft RLIMIT_NOFILE to at least <paramref name="wanted"/> if the hard limit allows it.</summary>
    public static bool TryEnsure(ulong wanted)
    {
        if (LibC.GetRLimit(LibC.RLIMIT_NOFILE, out LibC.RLimit limit) != 0)
        {
            return false;
        }

        if (limit.Current >= wanted)
        {
            return true;
        }

        if (limit.Maximum < wanted)
        {
            return false;
        }

        limit.Current = wanted;
        return LibC.SetRLimit(LibC.RLIMIT_NOFILE, in limit) == 0;
    }
}
