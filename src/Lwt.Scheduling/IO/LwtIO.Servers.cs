// Connections and servers (Lwt_io.open_connection, with_connection,
// establish_server_with_client_address, shutdown_server).
//
// A connected socket gives two channels that share one close: the first of
// the two to be closed shuts the socket down (SHUT_RDWR, ENOTCONN ignored)
// and closes it, as in lwt_io.ml. Close the output channel first to flush it.
//
// Server. An accept loop takes up to 64 pending connections per wake-up
// (AcceptN) and starts the handler for each with the client's address and
// its two channels; when the handler's promise resolves the channels are
// closed (output first), unless noClose. A handler's rejection goes to
// Promise.AsyncExceptionHook (Lwt.async), as in Lwt. ShutdownServer stops
// accepting (the pending accept is canceled and the listening socket closed)
// and, unlike Lwt 5's shutdown_server, which only waits for the listening
// socket, returns a promise resolved when every running handler has finished
// (the graceful shutdown the issue asks for). It does not cancel handlers, so
// a handler that waits for it waits for itself, and one idle client keeps it
// pending. Lwt's own promise, resolved once the listening socket is closed
// (and its Unix path removed), is LwtServer.ListenerClosed.
//
// Arguments are checked at the call, before any socket is made: a bad buffer
// size found after the connect or accept would leave that socket open. A
// socket the caller gave (fd, serverFd) stays the caller's when bind or listen
// fails; only a socket made here is closed then.
//
// The server itself only accepts and counts: what it does with a connection
// is a "serve" function given by the variant that made it (channels for
// EstablishServer, the bare descriptor for EstablishServerWithClientSocket),
// whose promise must not reject (errors already went to the hook).

using System.Net;
using System.Net.Sockets;

namespace Lwt;

/// <summary>
/// A server started by <see cref="LwtIO.EstablishServer"/>.
/// <para>Lwt: <c>Lwt_io.server</c></para>
/// </summary>
public sealed class LwtServer
{
    private readonly LwtFd _listener;
    private readonly Func<LwtFd, EndPoint, Promise> _serve;
    private Promise? _accepting;
    private bool _stopping;
    private int _active;
    private Resolver<Unit>? _drained;
    private Promise? _shutdown;
    private readonly Resolver<Unit> _listenerClosed;

    internal LwtServer(LwtFd listener, Func<LwtFd, EndPoint, Promise> serve)
    {
        _listener = listener;
        _serve = serve;
        Address = LwtUnix.GetSockName(listener);
        (ListenerClosed, _listenerClosed) = Promise.Create();
    }

    /// <summary>
    /// The address the server listens on (with the actual port when bound to port 0).
    /// <para>Lwt: <c>Lwt_unix.getsockname</c> of the server's socket</para>
    /// </summary>
    public EndPoint Address { get; }

    /// <summary>The number of handlers running now.<para>Lwt: none (a count that <c>Lwt_io.establish_server</c> does not expose)</para></summary>
    public int ActiveConnections => _active;

    /// <summary>
    /// Resolved once <see cref="Shutdown"/> has closed the listening socket (and removed the
    /// socket's path, for a Unix-domain address on the file system); pending until then. It
    /// does not wait for the running handlers, so a handler may await it, unlike
    /// <see cref="Shutdown"/>'s promise. Not cancelable.
    /// <para>Lwt: <c>Lwt_io.shutdown_server</c>'s own promise (resolved once the listening socket is closed; it never waits for the handlers)</para>
    /// </summary>
    public Promise ListenerClosed { get; }

    /// <summary>True once <see cref="Shutdown"/> was called.<para>Lwt: none (whether <c>Lwt_io.shutdown_server</c> was called)</para></summary>
    public bool IsShutDown => _stopping;

    internal void Start() => _accepting = AcceptLoop();

    private async Promise AcceptLoop()
    {
        while (!_stopping)
        {
            // AcceptN never rejects (as Lwt's accept_n): an error comes beside the connections
            // accepted before it, or alone.
            var batch = await LwtUnix.AcceptN(_listener, 64);
            if (batch.Connections.Count == 0 && batch.Error is { } error)
            {
                if (_stopping) return;
                // EMFILE, ECONNABORTED...: back off a little and keep serving. Anything else
                // (a cancel) ends the loop with it.
                if (error is not UnixErrorException) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(error);
                await LwtUnix.Sleep(0.01);
                continue;
            }

            foreach (var (fd, address) in batch.Connections) StartHandler(fd, address);
            if (batch.Error is not null) await LwtUnix.Sleep(0.01);
        }
    }

    private void StartHandler(LwtFd fd, EndPoint address)
    {
        if (_stopping)
        {
            fd.Dispose();
            return;
        }

        _active++;
        Promise full;
        try
        {
            full = _serve(fd, address);
        }
        catch (Exception e)
        {
            if (!Promise.ExceptionFilter.Run(e))
            {
                _active--; // no handler running: Shutdown must not wait for this one
                Promise.ExceptionFilter.Rethrow(e);
            }
            full = Promise.Fail(e);
        }

        full.OnTermination(HandlerDone);
        Promise.Async(() => full);
    }

    /// <summary>
    /// Runs a handler: its exception (thrown or rejected) reaches the async exception hook,
    /// and the promise resolves once it is over, never rejected. As lwt_io's
    /// establish_server (which avoids Lwt.finalize for this reason), the hook hears of the
    /// handler's error before anything is closed.
    /// </summary>
    internal static Promise RunReported(Func<Promise> handler)
    {
        Promise handled;
        try
        {
            handled = handler() ?? Promise.ReturnUnit;
        }
        catch (Exception e)
        {
            Promise.ExceptionFilter.RethrowIfRefused(e);
            handled = Promise.Fail(e);
        }

        return Promise.Catch(() => handled, static e =>
        {
            Promise.ReportUnhandled(e);
            return Promise.ReturnUnit;
        });
    }

    private void HandlerDone()
    {
        _active--;
        if (_stopping && _active == 0) _drained?.TryResolve(default);
    }

    /// <summary>
    /// Stops accepting connections (closes the listening socket; for a Unix-domain socket
    /// bound to a path, also removes that path, as Lwt unlinks it, so a client connecting
    /// afterwards fails with ENOENT, not ECONNREFUSED) and returns a promise resolved when
    /// every running handler has finished (a graceful shutdown). Idempotent.
    /// <para>
    /// The handlers are not canceled, so the promise waits for each of them to return:
    /// <b>a handler that awaits it waits for itself and never resumes</b>, and a client that
    /// stays connected keeps it pending as long as its handler waits for that client. From a
    /// handler (a "quit" command, say), call <c>Shutdown()</c> without awaiting its promise,
    /// or await <see cref="ListenerClosed"/>, which resolves once the listening socket is
    /// closed, as Lwt's <c>shutdown_server</c> does; to stop waiting for idle clients, have
    /// their handlers return (for instance when <see cref="IsShutDown"/> becomes true).
    /// </para>
    /// <para>Lwt: <c>Lwt_io.shutdown_server</c> (also waiting for the handlers; Lwt's own promise is <see cref="ListenerClosed"/>)</para>
    /// </summary>
    public Promise Shutdown()
    {
        if (_shutdown is not null) return _shutdown;
        _stopping = true;
        _accepting?.Cancel();
        _listener.Dispose();
        if (Address is UnixDomainSocketEndPoint unix && unix.ToString() is { Length: > 0 } path && path[0] != '\0')
        {
            try
            {
                File.Delete(path);
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }

        _listenerClosed.Resolve(default);
        if (_active == 0) return _shutdown = Promise.ReturnUnit;
        var (p, r) = Promise.Create<Unit>();
        _drained = r;
        return _shutdown = p;
    }
}

public static partial class LwtIO
{
    /// <summary>
    /// Listens on <paramref name="address"/> (TCP or Unix-domain; SO_REUSEADDR for TCP) and calls
    /// <paramref name="handler"/> with each client's address and channels; the channels are
    /// closed when the handler's promise resolves (unless <paramref name="noClose"/>): the
    /// output first, so that it is flushed before the shared socket goes, then the input, and
    /// errors of those closes are ignored (Lwt closes the input first and reports them to the
    /// hook). A handler's rejection goes to <see cref="Promise.AsyncExceptionHook"/>. The
    /// promise resolves once the server listens.
    /// <para>Lwt: <c>Lwt_io.establish_server_with_client_address</c></para>
    /// </summary>
    /// <param name="address">Where to listen (port 0: any free port, see <see cref="LwtServer.Address"/>).</param>
    /// <param name="handler">Serves one client.</param>
    /// <param name="backlog">The listen backlog (Lwt's default is 5; 128 here, so that bursts of clients are not dropped).</param>
    /// <param name="fd">A socket to use instead of a new one (Lwt's <c>?fd</c>); it is bound here.</param>
    /// <param name="noClose">Leave the channels open when the handler ends.</param>
    /// <param name="bufferSize">The buffer size of the channels (16 to <see cref="Array.MaxLength"/>).</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bufferSize"/> is below 16 or above <see cref="Array.MaxLength"/>.</exception>
    public static Promise<LwtServer> EstablishServer(EndPoint address, Func<EndPoint, InputChannel, OutputChannel, Promise> handler, int backlog = 128, LwtFd? fd = null, bool noClose = false, int? bufferSize = null)
    {
        ArgumentNullException.ThrowIfNull(address);
        ArgumentNullException.ThrowIfNull(handler);
        CheckBufferSize(bufferSize);
        int size = bufferSize ?? GetDefaultBufferSize(); // fixed now, as Lwt's ?buffer_size default
        return Listen(address, backlog, fd, (clientFd, clientAddress) =>
        {
            var (ic, oc) = ChannelsOfSocket(clientFd, size, lseek: true);
            var handled = LwtServer.RunReported(() => handler(clientAddress, ic, oc));
            return noClose ? handled : handled.Bind(() => CloseQuietly(ic, oc));
        });
    }

    /// <summary>
    /// <see cref="EstablishServer"/> under the name Lwt gives the variant whose handler
    /// receives the client's address (which <see cref="EstablishServer"/> always does here).
    /// <para>Lwt: <c>Lwt_io.establish_server_with_client_address</c></para>
    /// </summary>
    /// <param name="address">Where to listen (port 0: any free port, see <see cref="LwtServer.Address"/>).</param>
    /// <param name="handler">Serves one client.</param>
    /// <param name="backlog">The listen backlog.</param>
    /// <param name="fd">A socket to use instead of a new one (Lwt's <c>?fd</c>); it is bound here.</param>
    /// <param name="noClose">Leave the channels open when the handler ends.</param>
    /// <param name="bufferSize">The buffer size of the channels (16 to <see cref="Array.MaxLength"/>).</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bufferSize"/> is below 16 or above <see cref="Array.MaxLength"/>.</exception>
    public static Promise<LwtServer> EstablishServerWithClientAddress(EndPoint address, Func<EndPoint, InputChannel, OutputChannel, Promise> handler, int backlog = 128, LwtFd? fd = null, bool noClose = false, int? bufferSize = null) =>
        EstablishServer(address, handler, backlog, fd, noClose, bufferSize);

    /// <summary>
    /// Listens like <see cref="EstablishServer"/>, but gives the handler the client's address
    /// and its connected socket instead of channels. When the handler's promise resolves the
    /// socket is shut down and closed, unless <paramref name="noClose"/> or the handler closed
    /// it; a handler's rejection, and an error closing the socket, go to
    /// <see cref="Promise.AsyncExceptionHook"/>.
    /// <para>Lwt: <c>Lwt_io.establish_server_with_client_socket</c></para>
    /// </summary>
    /// <param name="address">Where to listen (port 0: any free port, see <see cref="LwtServer.Address"/>).</param>
    /// <param name="handler">Serves one client, given its address and socket.</param>
    /// <param name="backlog">The listen backlog.</param>
    /// <param name="serverFd">A socket to listen on instead of a new one (Lwt's <c>?server_fd</c>); it is bound here.</param>
    /// <param name="noClose">Leave the client's socket open when the handler ends.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static Promise<LwtServer> EstablishServerWithClientSocket(EndPoint address, Func<EndPoint, LwtFd, Promise> handler, int backlog = 128, LwtFd? serverFd = null, bool noClose = false)
    {
        ArgumentNullException.ThrowIfNull(address);
        ArgumentNullException.ThrowIfNull(handler);
        return Listen(address, backlog, serverFd, (clientFd, clientAddress) =>
        {
            var handled = LwtServer.RunReported(() => handler(clientAddress, clientFd));
            return noClose ? handled : handled.Bind(() => LwtServer.RunReported(() => CloseSocket(clientFd)));
        });
    }

    /// <summary>
    /// Binds and listens on <paramref name="address"/>, then starts a server that serves each
    /// connection with <paramref name="serve"/>. On failure, closes the listening socket only
    /// when it made it: the caller's <paramref name="fd"/> stays the caller's, as in Lwt.
    /// </summary>
    private static Promise<LwtServer> Listen(EndPoint address, int backlog, LwtFd? fd, Func<LwtFd, EndPoint, Promise> serve)
    {
        LwtFd? listener = fd;
        try
        {
            listener ??= LwtUnix.Socket(address.AddressFamily, SocketType.Stream);
            if (address.AddressFamily != AddressFamily.Unix) LwtUnix.SetSockOpt(listener, SocketBoolOption.ReuseAddr, true);
        }
        catch (Exception e)
        {
            if (fd is null) listener?.Dispose();
            return Promise.Fail<LwtServer>(e);
        }

        var socket = listener;
        return Promise.Catch(
            () => LwtUnix.Bind(socket, address).Map(() =>
            {
                LwtUnix.Listen(socket, backlog);
                var server = new LwtServer(socket, serve);
                server.Start();
                return server;
            }),
            e =>
            {
                if (fd is null) socket.Dispose();
                return Promise.Fail<LwtServer>(e);
            });
    }

    /// <summary>
    /// Stops the server accepting (closes its listening socket, and removes a Unix-domain
    /// socket's path, as Lwt does), and resolves when its running handlers have finished:
    /// <see cref="LwtServer.Shutdown"/>.
    /// <para>
    /// The handlers are not canceled, so <b>a handler that awaits this waits for itself and
    /// never resumes</b>, and an idle client keeps it pending while its handler waits for it.
    /// From a handler, call it without awaiting, or await <see cref="LwtServer.ListenerClosed"/>
    /// (Lwt's meaning: resolved once the listening socket is closed, whatever the handlers do).
    /// </para>
    /// <para>Lwt: <c>Lwt_io.shutdown_server</c> (also waiting for the handlers; Lwt's own promise is <see cref="LwtServer.ListenerClosed"/>)</para>
    /// </summary>
    /// <param name="server">The server.</param>
    /// <exception cref="ArgumentNullException"><paramref name="server"/> is null.</exception>
    public static Promise ShutdownServer(LwtServer server)
    {
        ArgumentNullException.ThrowIfNull(server);
        return server.Shutdown();
    }

    /// <summary>
    /// Connects to <paramref name="address"/> (TCP or Unix-domain) and returns the connection's
    /// channels; closing either closes the socket (close the output first to flush it).
    /// The other channel is not closed with it: its operations, a read already waiting on the
    /// input included, then fail with <see cref="UnixErrorException"/> EBADF ("read failed: Bad
    /// file descriptor"), as Lwt's fail with <c>Unix_error (EBADF, ...)</c>, not with
    /// <see cref="ChannelClosedException"/>; and data still buffered in the output is lost when
    /// the input is closed first (the output's flush fails with EBADF, which its close drops).
    /// To end a connection that has a reader loop: flush the output, close the input (the
    /// waiting read rejects with <see cref="ChannelClosedException"/>), then close the output.
    /// The socket keeps the system's defaults, as Lwt's does: over TCP, Nagle's algorithm is
    /// on, so a small request written after a small reply was read can wait for the peer's
    /// delayed acknowledgement (tens of milliseconds per round trip). For a request/response
    /// protocol, make the socket yourself, <c>LwtUnix.SetSockOpt(fd, SocketBoolOption.TcpNoDelay, true)</c>,
    /// and connect it with <see cref="OpenConnection(LwtFd, EndPoint, int?)"/>.
    /// <para>Lwt: <c>Lwt_io.open_connection</c></para>
    /// </summary>
    /// <param name="address">The server.</param>
    /// <param name="bufferSize">The buffer size of the channels (16 to <see cref="Array.MaxLength"/>).</param>
    /// <exception cref="ArgumentNullException"><paramref name="address"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bufferSize"/> is below 16 or above <see cref="Array.MaxLength"/>.</exception>
    public static Promise<(InputChannel Input, OutputChannel Output)> OpenConnection(EndPoint address, int? bufferSize = null)
    {
        ArgumentNullException.ThrowIfNull(address);
        CheckBufferSize(bufferSize);
        LwtFd fd;
        try
        {
            fd = LwtUnix.Socket(address.AddressFamily, SocketType.Stream);
        }
        catch (Exception e)
        {
            return Promise.Fail<(InputChannel, OutputChannel)>(e);
        }

        return ConnectChannels(fd, address, bufferSize);
    }

    /// <summary>
    /// Connects the stream socket <paramref name="fd"/>, made by the caller (bound to a local
    /// address, or with options set, say), to <paramref name="address"/> and returns the
    /// connection's channels, which own it from then on; closing either closes it (what the
    /// other channel's operations then get: see <see cref="OpenConnection(EndPoint, int?)"/>). If the
    /// connect fails (or is canceled), <paramref name="fd"/> is closed, as Lwt closes its
    /// <c>?fd</c>.
    /// <para>Lwt: <c>Lwt_io.open_connection ~fd</c></para>
    /// </summary>
    /// <param name="fd">The socket to connect.</param>
    /// <param name="address">The server.</param>
    /// <param name="bufferSize">The buffer size of the channels (16 to <see cref="Array.MaxLength"/>).</param>
    /// <exception cref="ArgumentNullException"><paramref name="fd"/> or <paramref name="address"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bufferSize"/> is below 16 or above <see cref="Array.MaxLength"/>.</exception>
    public static Promise<(InputChannel Input, OutputChannel Output)> OpenConnection(LwtFd fd, EndPoint address, int? bufferSize = null)
    {
        ArgumentNullException.ThrowIfNull(fd);
        ArgumentNullException.ThrowIfNull(address);
        CheckBufferSize(bufferSize);
        return ConnectChannels(fd, address, bufferSize);
    }

    private static Promise<(InputChannel Input, OutputChannel Output)> ConnectChannels(LwtFd fd, EndPoint address, int? bufferSize) =>
        // The channels are made inside the catch, as in Lwt: whatever fails after the socket
        // was made (the connect, its cancellation, making the channels) closes it.
        Promise.Catch(
            () => LwtUnix.Connect(fd, address).Map(() => ChannelsOfSocket(fd, bufferSize)),
            e =>
            {
                fd.Dispose();
                return Promise.Fail<(InputChannel, OutputChannel)>(e);
            });

    /// <summary>
    /// Connects, runs <paramref name="f"/> on the connection's channels, and closes them
    /// (output first) whatever happens. Errors of those closes are ignored: the result is
    /// <paramref name="f"/>'s. Lwt's with_connection raises them (it is
    /// <see cref="WithCloseConnection{T}"/>, which does too); only the socket's shutdown or
    /// close can fail there, since a failing final flush is dropped by
    /// <see cref="OutputChannel.Close"/> itself, as by <c>Lwt_io.close</c>: data left unflushed
    /// for a peer that went away is lost in both, so flush before returning from
    /// <paramref name="f"/> to hear of it.
    /// <para>Lwt: <c>Lwt_io.with_connection</c></para>
    /// </summary>
    /// <param name="address">The server.</param>
    /// <param name="f">The conversation.</param>
    /// <param name="bufferSize">The buffer size of the channels (16 to <see cref="Array.MaxLength"/>).</param>
    /// <typeparam name="T">The result of <paramref name="f"/>.</typeparam>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bufferSize"/> is below 16 or above <see cref="Array.MaxLength"/>.</exception>
    public static Promise<T> WithConnection<T>(EndPoint address, Func<InputChannel, OutputChannel, Promise<T>> f, int? bufferSize = null)
    {
        ArgumentNullException.ThrowIfNull(f);
        return OpenConnection(address, bufferSize).Bind(io => Promise.Finally(() => f(io.Input, io.Output), () => CloseQuietly(io.Input, io.Output)));
    }

    /// <inheritdoc cref="WithConnection{T}(EndPoint, Func{InputChannel, OutputChannel, Promise{T}}, int?)"/>
    public static Promise WithConnection(EndPoint address, Func<InputChannel, OutputChannel, Promise> f, int? bufferSize = null)
    {
        ArgumentNullException.ThrowIfNull(f);
        return WithConnection<Unit>(address, (ic, oc) => f(ic, oc).Bind(() => Promise.ReturnUnit), bufferSize);
    }

    /// <summary>
    /// <see cref="WithConnection{T}(EndPoint, Func{InputChannel, OutputChannel, Promise{T}}, int?)"/>
    /// over the caller's socket <paramref name="fd"/>, connected as by
    /// <see cref="OpenConnection(LwtFd, EndPoint, int?)"/> (closed if the connect fails, and
    /// with the channels).
    /// <para>Lwt: <c>Lwt_io.with_connection ~fd</c></para>
    /// </summary>
    /// <param name="fd">The socket to connect.</param>
    /// <param name="address">The server.</param>
    /// <param name="f">The conversation.</param>
    /// <param name="bufferSize">The buffer size of the channels (16 to <see cref="Array.MaxLength"/>).</param>
    /// <typeparam name="T">The result of <paramref name="f"/>.</typeparam>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bufferSize"/> is below 16 or above <see cref="Array.MaxLength"/>.</exception>
    public static Promise<T> WithConnection<T>(LwtFd fd, EndPoint address, Func<InputChannel, OutputChannel, Promise<T>> f, int? bufferSize = null)
    {
        ArgumentNullException.ThrowIfNull(f);
        return OpenConnection(fd, address, bufferSize).Bind(io => Promise.Finally(() => f(io.Input, io.Output), () => CloseQuietly(io.Input, io.Output)));
    }

    /// <inheritdoc cref="WithConnection{T}(LwtFd, EndPoint, Func{InputChannel, OutputChannel, Promise{T}}, int?)"/>
    public static Promise WithConnection(LwtFd fd, EndPoint address, Func<InputChannel, OutputChannel, Promise> f, int? bufferSize = null)
    {
        ArgumentNullException.ThrowIfNull(f);
        return WithConnection<Unit>(fd, address, (ic, oc) => f(ic, oc).Bind(() => Promise.ReturnUnit), bufferSize);
    }

    /// <summary>
    /// Runs <paramref name="f"/> on a connection's channels, then closes those that are still
    /// open, whatever <paramref name="f"/> did: the output first (so that it is flushed before
    /// the shared socket goes), then the input even if that failed. Unlike
    /// <see cref="WithConnection{T}(EndPoint, Func{InputChannel, OutputChannel, Promise{T}}, int?)"/>, a close's error is not swallowed, as in Lwt; a channel
    /// <paramref name="f"/> closed itself is not closed again (its error is not raised twice).
    /// <para>Lwt: <c>Lwt_io.with_close_connection</c></para>
    /// </summary>
    /// <param name="f">The conversation.</param>
    /// <param name="channels">The connection's channels (e.g. from <see cref="OpenConnection(EndPoint, int?)"/>).</param>
    /// <typeparam name="T">The result of <paramref name="f"/>.</typeparam>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static Promise<T> WithCloseConnection<T>(Func<InputChannel, OutputChannel, Promise<T>> f, (InputChannel Input, OutputChannel Output) channels)
    {
        ArgumentNullException.ThrowIfNull(f);
        var (ic, oc) = channels;
        ArgumentNullException.ThrowIfNull(ic, nameof(channels));
        ArgumentNullException.ThrowIfNull(oc, nameof(channels));
        return Promise.Finally(
            () => f(ic, oc),
            () => Promise.Finally(() => oc.IsClosed ? Promise.ReturnUnit : oc.Close(), () => ic.IsClosed ? Promise.ReturnUnit : ic.Close()));
    }

    /// <inheritdoc cref="WithCloseConnection{T}(Func{InputChannel, OutputChannel, Promise{T}}, ValueTuple{InputChannel, OutputChannel})"/>
    public static Promise WithCloseConnection(Func<InputChannel, OutputChannel, Promise> f, (InputChannel Input, OutputChannel Output) channels)
    {
        ArgumentNullException.ThrowIfNull(f);
        return WithCloseConnection<Unit>((ic, oc) => f(ic, oc).Bind(() => Promise.ReturnUnit), channels);
    }

    /// <summary>
    /// The two channels of a connected socket, with one shared close (file comment). A
    /// server's channels seek with lseek (so Length and SetPosition fail with ESPIPE, as
    /// lwt_io.ml's establish_server makes them with of_fd); a client's have no seek (so they
    /// fail as a channel without one, as open_connection makes them with make).
    /// </summary>
    internal static (InputChannel, OutputChannel) ChannelsOfSocket(LwtFd fd, int? bufferSize, bool lseek = false)
    {
        Promise? closed = null;
        Func<Promise> close = () => closed ??= CloseSocket(fd);
        Func<long, SeekOrigin, Promise<long>>? seek = lseek ? (offset, origin) => LwtUnix.LSeek(fd, offset, origin) : null;
        return (MakeInput(m => LwtUnix.Read(fd, m), close, bufferSize, seek), MakeOutput(m => LwtUnix.Write(fd, m), close, bufferSize, seek));
    }

    private static Promise CloseSocket(LwtFd fd)
    {
        if (fd.IsClosed) return Promise.ReturnUnit;
        try
        {
            LwtUnix.Shutdown(fd, SocketShutdown.Both);
        }
        catch (UnixErrorException)
        {
            // ENOTCONN: the peer is gone already; closing is all that is left.
        }

        return fd.Close();
    }

    /// <summary>Closes the output (flushing) then the input, ignoring errors (a peer that went away).</summary>
    internal static Promise CloseQuietly(InputChannel ic, OutputChannel oc) =>
        Promise.Catch(() => oc.Close(), _ => Promise.ReturnUnit)
            .Bind(() => Promise.Catch(() => ic.Close(), _ => Promise.ReturnUnit))
            .Bind(() => Promise.Catch(() => oc.Abort(), _ => Promise.ReturnUnit));
}
