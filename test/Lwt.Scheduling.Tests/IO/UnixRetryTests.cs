using System.Net.Sockets;

namespace Lwt.Tests.IO;

/// <summary>
/// Where Lwt_unix's wrap_syscall makes the system call again rather than waiting or trusting
/// readiness (lwt_unix.cppo.ml): a connect(2) that said EAGAIN, a read of nothing, a read of
/// a regular file made non-blocking. Found by an audit against Lwt; each test failed before.
/// </summary>
[Collection("IO")]
public class UnixRetryTests
{
    private static async Promise Pauses(int n)
    {
        for (int i = 0; i < n; i++) await Promise.Pause();
    }

    // Lwt_unix.connect: only EINPROGRESS moves on to SO_ERROR; EAGAIN (a Unix socket whose
    // listener's backlog is full) retries connect(2). An unconnected Unix socket is writable
    // and its SO_ERROR is 0, so taking EAGAIN for EINPROGRESS reported it connected.
    [SkippableFact]
    public void A_connect_refused_for_now_by_a_full_backlog_is_not_reported_connected()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        string path = Path.Combine(Path.GetTempPath(), $"lwt-{Environment.ProcessId}-{Guid.NewGuid():N}.sock");
        try
        {
            LwtMain.Run(async () =>
            {
                using var listener = LwtUnix.Socket(AddressFamily.Unix, SocketType.Stream);
                await LwtUnix.Bind(listener, new UnixDomainSocketEndPoint(path));
                LwtUnix.Listen(listener, 0);
                var clients = new List<LwtFd>();
                var connects = new List<Promise>();
                for (int i = 0; i < 6; i++)
                {
                    var client = LwtUnix.Socket(AddressFamily.Unix, SocketType.Stream);
                    clients.Add(client);
                    connects.Add(LwtUnix.Connect(client, new UnixDomainSocketEndPoint(path)));
                }

                await Pauses(5);
                // The backlog cannot hold six: some connects must still wait.
                Assert.Contains(connects, c => c.IsPending);
                for (int i = 0; i < clients.Count; i++)
                {
                    if (connects[i].IsFulfilled) Assert.IsType<UnixDomainSocketEndPoint>(LwtUnix.GetPeerName(clients[i]));
                    else Assert.True(connects[i].IsPending, $"connect {i}: {connects[i].Exception}");
                }

                // Accepting makes room: every connect then completes, really connected. A connect
                // wrongly reported connected never reaches the listener: the guard (a hang
                // guard, not a timing assertion) turns the accept that would wait for it for
                // ever into a failure.
                var accepted = new List<LwtFd>();
                while (accepted.Count < clients.Count)
                {
                    var next = LwtUnix.Accept(listener).Map(a => (LwtFd?)a.Fd);
                    var server = await Promise.Pick(next, LwtUnix.Sleep(30).Map(() => (LwtFd?)null));
                    Assert.True(server is not null, $"{accepted.Count} connections accepted, then none came: a connect was reported connected without being so");
                    accepted.Add(server!);
                }

                await Promise.Join(connects);
                foreach (var client in clients) Assert.IsType<UnixDomainSocketEndPoint>(LwtUnix.GetPeerName(client));
                foreach (var fd in clients.Concat(accepted)) fd.Dispose();
            });
        }
        finally
        {
            File.Delete(path);
        }
    }

    // Lwt_unix.read tries read(2) first; an empty read returns 0 at once, ready or not. After
    // a short read the descriptor is taken as drained and a read waits for readiness: an
    // empty one waited until data came.
    [SkippableFact]
    public void An_empty_read_after_a_short_read_returns_0_at_once()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        LwtMain.Run(async () =>
        {
            var (r, w) = LwtUnix.Pipe();
            await LwtUnix.Write(w, new byte[3]);
            Assert.Equal(3, await LwtUnix.Read(r, new byte[10])); // short: the pipe is drained
            var empty = LwtUnix.Read(r, Memory<byte>.Empty);
            Assert.True(empty.IsFulfilled);
            Assert.Equal(0, empty.Value);
            r.Dispose();
            w.Dispose();
        });
    }

    // Lwt allows ~blocking:false on any descriptor. epoll refuses a regular file (EPERM), which
    // is always ready: the read after a short one (taken as drained) must still be made, and
    // give the end of the file, not EPERM.
    [SkippableFact]
    public void A_regular_file_made_non_blocking_reads_to_its_end()
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        string path = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(path, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
            LwtMain.Run(async () =>
            {
                using var handle = File.OpenHandle(path);
                using var fd = LwtFd.FromSafeHandle(handle, blocking: false);
                var buffer = new byte[4096];
                Assert.Equal(10, await LwtUnix.Read(fd, buffer));
                Assert.Equal(0, await LwtUnix.Read(fd, buffer));
                Assert.Equal(0, await LwtUnix.Read(fd, buffer));
            });
        }
        finally
        {
            File.Delete(path);
        }
    }
}
