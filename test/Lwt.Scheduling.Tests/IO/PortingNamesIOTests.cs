using System.Text;
using Lwt.Tests.Loop;

namespace Lwt.Tests.IO;

/// <summary>
/// Lwt names that had no member of their own (porting audit): Lwt_io.make (one function,
/// the direction given by ~mode), Lwt_io.printl / eprintl, Lwt_unix.of_unix_file_descr.
/// Each is tested from what lwt_io.mli / lwt_unix.mli say of it.
/// </summary>
[Collection("IO")]
public class PortingNamesIOTests
{
    private static void OnLoop(Func<Promise> body)
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "Linux event loop");
        LoopTest.OnFreshThread(() => LwtMain.Run(body));
    }

    // lwt_io.mli, make: "make ?buffer ?close ~mode perform_io ... perform_io is the read or
    // write function"; close is called when the channel is closed.
    [SkippableFact]
    public void Make_with_Input_reads_through_the_function_and_closes_once()
    {
        OnLoop(async () =>
        {
            var data = Encoding.ASCII.GetBytes("first\nsecond\n");
            int pos = 0, closes = 0;
            InputChannel ic = LwtIO.Make(LwtIO.Input, m =>
            {
                int n = Math.Min(m.Length, data.Length - pos);
                data.AsSpan(pos, n).CopyTo(m.Span);
                pos += n;
                return Promise.Return(n);
            }, close: () => { closes++; return Promise.ReturnUnit; });
            Assert.Equal("first", await ic.ReadLine());
            Assert.Equal("second", await ic.ReadLine());
            await ic.Close();
            Assert.Equal(1, closes);
        });
    }

    [SkippableFact]
    public void Make_with_Output_writes_through_the_function_on_flush()
    {
        OnLoop(async () =>
        {
            var sink = new List<byte>();
            OutputChannel oc = LwtIO.Make(LwtIO.Output, m =>
            {
                sink.AddRange(m.ToArray());
                return Promise.Return(m.Length);
            }, bufferSize: 16);
            await oc.Write("hello");
            Assert.Empty(sink); // buffered until flushed
            await oc.Flush();
            Assert.Equal("hello", Encoding.ASCII.GetString(sink.ToArray()));
            await oc.Close();
        });
    }

    [Fact]
    public void Make_checks_its_arguments()
    {
        Assert.Throws<ArgumentNullException>(() => LwtIO.Make(LwtIO.Input, null!));
        Assert.Throws<ArgumentNullException>(() => LwtIO.Make<InputChannel>(null!, _ => Promise.Return(0)));
    }

    // lwt_io.mli: printl = write_line stdout; eprintl = write_line stderr.
    [SkippableFact]
    public void Printl_and_EPrintl_write_a_line_and_are_fulfilled()
    {
        OnLoop(async () =>
        {
            await LwtIO.Printl("");
            await LwtIO.EPrintl("");
            await LwtIO.Flush(LwtIO.Stdout);
            await LwtIO.Flush(LwtIO.Stderr);
        });
    }

    // lwt_unix.mli, of_unix_file_descr: wraps a Unix descriptor; ?blocking forces the mode,
    // else it is guessed (a pipe is non-blocking); the wrapper reads and writes it.
    [SkippableFact]
    public void OfUnixFileDescr_wraps_a_raw_pipe_which_then_carries_data()
    {
        OnLoop(async () =>
        {
            Span<int> fds = stackalloc int[2];
            Assert.Equal(0, LibC.Pipe2(fds, LibC.O_CLOEXEC));
            using var r = LwtUnix.OfUnixFileDescr(fds[0]);
            using var w = LwtUnix.OfUnixFileDescr(fds[1], blocking: true, setFlags: false);
            Assert.False(r.IsBlocking);   // a pipe is guessed non-blocking
            Assert.True(w.IsBlocking);    // forced
            Assert.Equal(fds[0], LwtUnix.UnixFileDescr(r));
            await LwtUnix.Write(w, "ab"u8.ToArray());
            var buffer = new byte[4];
            Assert.Equal(2, await LwtUnix.Read(r, buffer));
            Assert.Equal("ab", Encoding.ASCII.GetString(buffer, 0, 2));
        });
        Assert.Throws<ArgumentOutOfRangeException>(() => LwtUnix.OfUnixFileDescr(-1));
    }
}
