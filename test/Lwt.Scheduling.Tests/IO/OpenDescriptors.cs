namespace Lwt.Tests.IO;

/// <summary>
/// A snapshot of this process's open descriptors (/proc/self/fd, each with what it refers
/// to), for the tests that check an operation closes every descriptor it opened: take one
/// before, and <see cref="AssertNoneOpenedSince"/> after, which names what differs.
/// <para>
/// Left out are the descriptors the runtime opens for itself, lazily and for good, whenever
/// any thread of the process first needs them, so that one opened between two snapshots
/// would read as a leak: assembly and native library images (a check failed this way with
/// two descriptors of Microsoft.Win32.Registry.dll, which the runtime loaded during it),
/// and the dups of fds 1 and 2 behind <see cref="Console.Out"/> and
/// <see cref="Console.Error"/>, opened at the first console write.
/// </para>
/// </summary>
internal sealed class OpenDescriptors
{
    private readonly Dictionary<string, string> _targets;

    private OpenDescriptors(Dictionary<string, string> targets) => _targets = targets;

    /// <summary>How many descriptors the snapshot holds.</summary>
    internal int Count => _targets.Count;

    internal static OpenDescriptors Take()
    {
        string? stdin = Target("/proc/self/fd/0"), stdout = Target("/proc/self/fd/1"), stderr = Target("/proc/self/fd/2");
        var targets = new Dictionary<string, string>();
        foreach (var path in Directory.GetFiles("/proc/self/fd"))
        {
            string? target = Target(path);
            if (target is null) continue; // closed between the listing and the read
            string fd = Path.GetFileName(path);
            bool standard = fd is "0" or "1" or "2";
            if (!standard && (target == stdin || target == stdout || target == stderr)) continue;
            if (target.EndsWith(".dll", StringComparison.Ordinal) || target.EndsWith(".so", StringComparison.Ordinal)) continue;
            targets[fd] = target;
        }

        return new OpenDescriptors(targets);
    }

    /// <summary>Fails, naming the descriptors opened and closed since, unless as many are open now as then.</summary>
    internal void AssertNoneOpenedSince()
    {
        var now = Take();
        if (now.Count == Count) return;
        var opened = now._targets.Where(kv => !_targets.TryGetValue(kv.Key, out var t) || t != kv.Value).Select(kv => $"{kv.Key}={kv.Value}");
        var closed = _targets.Where(kv => !now._targets.TryGetValue(kv.Key, out var t) || t != kv.Value).Select(kv => $"{kv.Key}={kv.Value}");
        Assert.Fail($"{Count} descriptors open before, {now.Count} now; opened: [{string.Join(", ", opened)}]; closed: [{string.Join(", ", closed)}]");
    }

    private static string? Target(string path)
    {
        try
        {
            return new FileInfo(path).LinkTarget;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}
