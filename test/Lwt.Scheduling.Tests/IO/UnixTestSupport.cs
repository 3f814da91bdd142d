namespace Lwt.Tests.IO;

/// <summary>
/// What the LwtUnix tests share: temporary directories, a promise's rejection as a value,
/// a guard against a loop blocked by a test, and the errno of a <see cref="UnixErrorException"/>. Imported with <c>using static</c>.
/// </summary>
internal static class UnixTest
{
    /// <summary>
    /// Runs <paramref name="unblock"/> on another thread after a while unless disposed first:
    /// a call that blocked the loop thread then returns, and its test fails on its assertions
    /// instead of hanging.
    /// </summary>
    internal static IDisposable UnblockLater(Action unblock) =>
        new Timer(_ => unblock(), null, 10_000, Timeout.Infinite);

    /// <summary>A fresh, empty temporary directory; the caller deletes it.</summary>
    internal static string TempDir()
    {
        string dir = Path.Combine(Path.GetTempPath(), "lwt-unix-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>The exception <paramref name="p"/> is rejected with, or null when it is fulfilled.</summary>
    internal static async Promise<Exception?> Record(Promise p)
    {
        try
        {
            await p;
            return null;
        }
        catch (Exception e)
        {
            return e;
        }
    }

    /// <summary><paramref name="e"/> as the <see cref="UnixErrorException"/> it must be.</summary>
    internal static UnixErrorException Unix(Exception? e) => Assert.IsType<UnixErrorException>(e);

    /// <summary>The errno of <paramref name="e"/>, which must be a <see cref="UnixErrorException"/>.</summary>
    internal static int Errno(Exception? e) => Unix(e).Errno;

    /// <summary>Runs <paramref name="body"/> on a loop with a fresh temporary directory, removed afterwards.</summary>
    internal static void InTempDir(Func<string, Promise> body)
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "Linux system calls and errno values");
        string dir = TempDir();
        try
        {
            LwtMain.Run(() => body(dir));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>Whether the real user id is 0 (the "Uid:" line of /proc/self/status starts with the real id).</summary>
    internal static bool IsRoot => File.ReadAllText("/proc/self/status").Contains("\nUid:\t0\t", StringComparison.Ordinal);
}
