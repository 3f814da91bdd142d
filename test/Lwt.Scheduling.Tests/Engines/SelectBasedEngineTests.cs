using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using Lwt.Tests.Loop;

namespace Lwt.Tests.Engines;

/// <summary>
/// SelectBasedEngine (Lwt_engine.select_based): a user select over two fd lists, here written
/// with poll(2), drives a full engine and an event loop.
/// </summary>
public class SelectBasedEngineTests
{
    private const int EINTR = 4, EBADF = 9;

    /// <summary>A select on libc's poll(2): POLLNVAL becomes EBADF, as select(2) reports a closed fd.</summary>
    private sealed class PollSelectEngine : SelectBasedEngine
    {
        public int Calls;
        public List<int> LastRead = new(), LastWrite = new();
        public HashSet<int> SeenRead = new();
        public Exception? ThrowNext;

        /// <summary>When set, replaces the poll: the result to return once.</summary>
        public (IReadOnlyList<int>, IReadOnlyList<int>)? ReturnNext;

        protected override (IReadOnlyList<int> Readable, IReadOnlyList<int> Writable) Select(
            IReadOnlyList<int> read, IReadOnlyList<int> write, double timeoutSeconds)
        {
            Calls++;
            LastRead = read.ToList();
            LastWrite = write.ToList();
            SeenRead.UnionWith(read);
            if (ThrowNext is { } e)
            {
                ThrowNext = null;
                throw e;
            }

            if (ReturnNext is { } result)
            {
                ReturnNext = null;
                return result;
            }

            var fds = new LibC.PollFd[read.Count + write.Count];
            for (int i = 0; i < read.Count; i++)
            {
                fds[i].Fd = read[i];
                fds[i].Events = LibC.POLLIN;
            }

            for (int i = 0; i < write.Count; i++)
            {
                fds[read.Count + i].Fd = write[i];
                fds[read.Count + i].Events = LibC.POLLOUT;
            }

            int timeoutMs = timeoutSeconds < 0 ? -1 : (int)Math.Ceiling(timeoutSeconds * 1000);
            if (LibC.Poll(fds, timeoutMs) < 0) throw new UnixErrorException(Marshal.GetLastPInvokeError(), "poll");
            if (fds.Any(f => (f.Revents & LibC.POLLNVAL) != 0)) throw new UnixErrorException(EBADF, "select");

            var readable = new List<int>();
            var writable = new List<int>();
            for (int i = 0; i < read.Count; i++)
            {
                if ((fds[i].Revents & (LibC.POLLIN | LibC.POLLHUP | LibC.POLLERR)) != 0) readable.Add(read[i]);
            }

            for (int i = 0; i < write.Count; i++)
            {
                if ((fds[read.Count + i].Revents & (LibC.POLLOUT | LibC.POLLERR)) != 0) writable.Add(write[i]);
            }

            return (readable, writable);
        }
    }

    /// <summary>Iterates until <paramref name="done"/>; the bound only keeps a broken engine from hanging the suite.</summary>
    private static void IterUntil(LwtEngine engine, Func<bool> done)
    {
        var sw = Stopwatch.StartNew();
        while (!done())
        {
            Assert.True(sw.ElapsedMilliseconds < 10000, "the expected event never came");
            engine.Iter(100);
        }
    }

    [SkippableFact]
    public void Select_gets_the_fd_lists_and_its_result_is_dispatched()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "uses Linux pipes and poll");
        using var engine = new PollSelectEngine();
        using var pipe = new NativePipe();
        int reads = 0, writes = 0;
        var r = engine.OnReadable(pipe.ReadFd, _ => reads++);
        var w = engine.OnWritable(pipe.WriteFd, _ => writes++);
        engine.Iter(0);
        Assert.Equal(2, engine.LastRead.Count); // the wake channel, then the pipe's read end
        Assert.Equal(pipe.ReadFd, engine.LastRead[1]);
        Assert.Equal(new[] { pipe.WriteFd }, engine.LastWrite);
        Assert.Equal((0, 1), (reads, writes));

        w.Stop();
        pipe.WriteByte();
        IterUntil(engine, () => reads > 0);
        Assert.Equal(1, writes);
        Assert.Empty(engine.LastWrite);

        r.Stop();
        engine.Iter(0);
        Assert.Single(engine.LastRead);
        Assert.Empty(engine.LastWrite);
    }

    [SkippableFact]
    public void Fds_not_asked_for_in_the_result_are_ignored()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "uses Linux pipes");
        using var engine = new PollSelectEngine();
        using var pipe = new NativePipe();
        int writes = 0;
        engine.OnWritable(pipe.WriteFd, _ => writes++);
        // The write end reported readable (it was asked writable only), and a fd never registered.
        engine.ReturnNext = (new[] { pipe.WriteFd, 12345 }, new[] { 54321 });
        engine.Iter(0);
        Assert.Equal(0, writes);
        engine.Iter(0);
        Assert.Equal(1, writes);
    }

    [SkippableFact]
    public void An_interrupted_select_dispatches_nothing_and_does_not_throw()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "uses Linux pipes");
        using var engine = new PollSelectEngine { ThrowNext = new UnixErrorException(EINTR, "select") };
        using var pipe = new NativePipe();
        int writes = 0;
        engine.OnWritable(pipe.WriteFd, _ => writes++);
        engine.Iter(0);
        Assert.Equal(0, writes);
        engine.Iter(0);
        Assert.Equal(1, writes);
    }

    [SkippableFact]
    public void EBADF_wakes_the_waiters_of_closed_fds_only()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "uses Linux poll and fcntl");
        using var engine = new PollSelectEngine();
        using var pipe = new NativePipe();
        const int closed = 60000; // not open in this process: poll says POLLNVAL, fcntl EBADF
        int bad = 0, good = 0;
        var e = engine.OnReadable(closed, _ => bad++);
        engine.OnReadable(pipe.ReadFd, _ => good++);
        engine.Iter(0);
        Assert.Equal(1, bad);
        Assert.Equal(0, good);
        e.Stop();
        engine.Iter(0); // the bad fd gone, select works again
        Assert.Equal(1, bad);
    }

    [SkippableFact]
    public void A_null_result_or_another_error_leaves_Iter_and_the_engine_stays_usable()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "uses Linux poll");
        using var engine = new PollSelectEngine { ReturnNext = (null!, Array.Empty<int>()) };
        Assert.Throws<InvalidOperationException>(() => engine.Iter(0));
        engine.ThrowNext = new UnixErrorException(12, "select");
        Assert.Equal(12, Assert.Throws<UnixErrorException>(() => engine.Iter(0)).Errno);
        bool fired = false;
        engine.OnTimer(0, false, _ => fired = true);
        IterUntil(engine, () => fired);
        Assert.Equal(nameof(PollSelectEngine), engine.Id);
    }

    [SkippableFact]
    public void An_event_loop_reads_a_pipe_on_a_select_based_engine()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "uses Linux pipes and poll");
        (string text, bool sawReader, int calls) = LoopTest.OnFreshThread(() =>
        {
            var engine = new PollSelectEngine();
            LwtEngine.Set(engine);
            string got = "";
            int readerFd = -1;
            LwtMain.Run(async () =>
            {
                var (reader, writer) = LwtUnix.Pipe();
                readerFd = reader.Fd;
                var buffer = new byte[8];
                Promise<int> read = LwtUnix.Read(reader, buffer); // nothing yet: waits on the engine
                await LwtUnix.Sleep(0.01);
                await LwtUnix.Write(writer, Encoding.ASCII.GetBytes("hi"));
                got = Encoding.ASCII.GetString(buffer, 0, await read);
                await reader.Close();
                await writer.Close();
            });
            return (got, engine.SeenRead.Contains(readerFd), engine.Calls);
        });
        Assert.Equal("hi", text);
        Assert.True(sawReader);
        Assert.True(calls > 0);
    }
}
