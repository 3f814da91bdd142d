using System.Runtime.CompilerServices;
using Lwt.Tests.Loop;

namespace Lwt.Tests.IO;

/// <summary>
/// LinesOfFile/CharsOfFile dropped before their end (a run canceled mid-file: diff25 user2
/// trial, a file CLI interrupted by Ctrl-C) kept their file open for the rest of the process,
/// even once collected. lwt_io.ml's make_stream registers <c>Gc.finalise ignore_close ic</c>
/// on the channel it opens, so Lwt closes it when the stream is collected.
/// </summary>
[Collection(LoopGlobalState.Name)]
public class DroppedFileStreamTests
{
    private static int OpenCount(string path) =>
        Directory.GetFiles("/proc/self/fd").Count(f =>
        {
            try
            {
                return new FileInfo(f).LinkTarget == path;
            }
            catch (IOException)
            {
                return false;
            }
        });

    // Not inlined, so that no local of the test keeps the stream reachable.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static string ReadFirstAndDrop(string path, bool lines)
    {
        if (lines) return LwtMain.Run(LwtIO.LinesOfFile(path).Next());
        return LwtMain.Run(LwtIO.CharsOfFile(path).Next()).ToString();
    }

    [SkippableTheory]
    [InlineData(true)]
    [InlineData(false)]
    public void AFileStreamDroppedBeforeItsEndClosesItsFileWhenCollected(bool lines)
    {
        Skip.IfNot(OperatingSystem.IsLinux());
        string path = Path.Combine(Path.GetTempPath(), $"lwt_dropped_stream_{Environment.ProcessId}_{lines}.txt");
        File.WriteAllText(path, "one\ntwo\nthree\n");
        try
        {
            LoopTest.OnFreshThread(() =>
            {
                Assert.Equal(lines ? "one" : "o", ReadFirstAndDrop(path, lines));
                Assert.Equal(1, OpenCount(path));
                for (int i = 0; i < 5 && OpenCount(path) != 0; i++)
                {
                    GC.Collect();
                    GC.WaitForPendingFinalizers();
                    // LwtGC runs the close on this thread's loop.
                    LwtMain.Run(Promise.Pause());
                }
                Assert.Equal(0, OpenCount(path));
            });
        }
        finally
        {
            File.Delete(path);
        }
    }
}
