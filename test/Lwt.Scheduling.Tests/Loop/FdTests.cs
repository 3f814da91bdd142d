using System.Net.Sockets;
using Lwt.Tests.Engines;

namespace Lwt.Tests.Loop;

/// <summary>fd readiness through a real pipe and a real socket pair, for each engine, driven by LwtMain.Run.</summary>
public class FdTests
{
    public static TheoryData<string> Engines => new() { "epoll", "poll", "poll-pipe" };

    private static void UseEngine(string kind)
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "uses Linux pipes, sockets and epoll");
        LwtEngine engine = kind switch
        {
            "epoll" => new EpollEngine(),
            "poll" => new PollEngine(),
            "poll-pipe" => new PollEngine(useEventFd: false),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
        LwtEngine.Set(engine);
    }

    /// <summary>A promise fulfilled once <paramref name="fd"/> is readable (the event stopped).</summary>
    private static Promise Readable(int fd)
    {
        var (p, r) = Promise.Create();
        LwtEngine.Current.OnReadable(fd, ev =>
        {
            ev.Stop();
            r.Resolve();
        });
        return p;
    }

    private static Promise Writable(int fd)
    {
        var (p, r) = Promise.Create();
        LwtEngine.Current.OnWritable(fd, ev =>
        {
            ev.Stop();
            r.Resolve();
        });
        return p;
    }

    [SkippableTheory]
    [MemberData(nameof(Engines))]
    public void A_pipe_becomes_readable_when_another_thread_writes(string kind)
    {
        LoopTest.OnFreshThread(() =>
        {
            UseEngine(kind);
            var engine = LwtEngine.Current;
            using var pipe = new NativePipe();
            int read = LwtMain.Run(async () =>
            {
                Assert.Same(engine, EventLoop.Current!.Engine);
                var readable = Readable(pipe.ReadFd);
                await LwtUnix.Sleep(0.005);
                Assert.True(readable.IsPending); // nothing written yet
                var writer = new Thread(() =>
                {
                    Thread.Sleep(10);
                    pipe.WriteByte(1);
                    pipe.WriteByte(2);
                });
                writer.Start();
                await readable;
                writer.Join();
                return pipe.Drain();
            });
            Assert.Equal(2, read);
            Assert.Equal(0, engine.ReadableCount);
        });
    }

    [SkippableTheory]
    [MemberData(nameof(Engines))]
    public void A_socket_pair_carries_a_round_trip(string kind)
    {
        LoopTest.OnFreshThread(() =>
        {
            UseEngine(kind);
            using var pair = new SocketPair();
            pair.Client.Blocking = false;
            pair.Server.Blocking = false;
            byte[] message = "hello, loop"u8.ToArray();
            string echoed = LwtMain.Run(async () =>
            {
                int client = SocketPair.Fd(pair.Client), server = SocketPair.Fd(pair.Server);
                await Writable(client);
                Assert.Equal(message.Length, pair.Client.Send(message));

                await Readable(server);
                var buffer = new byte[64];
                int n = pair.Server.Receive(buffer);
                await Writable(server);
                pair.Server.Send(buffer, 0, n, SocketFlags.None);

                var clientReadable = Readable(client);
                await clientReadable;
                var back = new byte[64];
                int m = pair.Client.Receive(back);
                return System.Text.Encoding.UTF8.GetString(back, 0, m);
            });
            Assert.Equal("hello, loop", echoed);
        });
    }

    [SkippableTheory]
    [MemberData(nameof(Engines))]
    public void A_post_wakes_the_loop_blocked_in_the_engine(string kind)
    {
        LoopTest.OnFreshThread(() =>
        {
            UseEngine(kind);
            using var pipe = new NativePipe();
            for (int round = 0; round < 10; round++)
            {
                LwtMain.Run(() =>
                {
                    var loop = EventLoop.Current!;
                    // an fd that never becomes readable, and a far timer: the loop blocks in the engine
                    var never = LwtEngine.Current.OnReadable(pipe.ReadFd, _ => throw new InvalidOperationException("not written"));
                    var far = LwtUnix.Sleep(3600);
                    var (done, r) = Promise.Create();
                    new Thread(() =>
                    {
                        Thread.Sleep(3);
                        loop.Post(() =>
                        {
                            never.Stop();
                            far.Cancel();
                            r.Resolve();
                        });
                    }) { IsBackground = true }.Start();
                    return done;
                });
            }
        });
    }

    [SkippableTheory]
    [MemberData(nameof(Engines))]
    public void An_exception_from_an_engine_callback_ends_the_run_and_the_loop_stays_usable(string kind)
    {
        // As in Lwt, where an exception raised by an engine callback escapes Lwt_main.run.
        LoopTest.OnFreshThread(() =>
        {
            UseEngine(kind);
            using var pipe = new NativePipe();
            var boom = new InvalidOperationException("from the callback");
            pipe.WriteByte();
            var thrown = Assert.Throws<InvalidOperationException>(() => LwtMain.Run(() =>
            {
                LwtEngine.Current.OnReadable(pipe.ReadFd, ev =>
                {
                    ev.Stop();
                    throw boom;
                });
                return LwtUnix.Sleep(3600);
            }));
            Assert.Same(boom, thrown);
            Assert.False(EventLoop.Current!.IsRunning);
            Assert.Equal(1, LwtMain.Run(LwtUnix.Sleep(0.001).Map(() => 1)));
        });
    }

    [SkippableFact]
    public void The_loop_follows_LwtEngine_Set_between_runs_on_the_same_thread()
    {
        LoopTest.OnFreshThread(() =>
        {
            using var pipe = new NativePipe();
            foreach (var kind in new[] { "epoll", "poll", "epoll" })
            {
                UseEngine(kind);
                var engine = LwtEngine.Current;
                LwtMain.Run(async () =>
                {
                    var readable = Readable(pipe.ReadFd);
                    new Thread(() => pipe.WriteByte()) { IsBackground = true }.Start();
                    await readable;
                    Assert.Same(engine, EventLoop.Current!.Engine);
                    Assert.Equal(1, pipe.Drain());
                });
            }
        });
    }
}
