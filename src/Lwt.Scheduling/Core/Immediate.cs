using System.Runtime.CompilerServices;

namespace Lwt;

/// <summary>
/// Calls a dependent promise's callback at once, for an input that is already resolved,
/// or trampolines it past <see cref="ResolutionLoop.MaxImmediateDepth"/>. See ResolutionLoop.cs.
/// </summary>
internal static class Immediate
{
    /// <summary>Whether a callback may be called one level deeper right now.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static bool CanNest(int depth) =>
        depth < ResolutionLoop.MaxImmediateDepth && ((depth & 31) != 31 || RuntimeHelpers.TryEnsureSufficientExecutionStack());

    /// <summary>Notifies <paramref name="dependent"/> that resolved <paramref name="source"/> is resolved.</summary>
    internal static void Notify(Promise source, Promise dependent)
    {
        var loop = ResolutionLoop.Current;
        int depth = loop.Depth;
        if (!CanNest(depth))
        {
            loop.Defer(source, dependent);
            return;
        }
        loop.Depth = depth + 1;
        try
        {
            dependent.OnDependencyResolved(source);
        }
        finally
        {
            loop.Depth = depth;
        }
        loop.DrainIfOutermost(depth);
    }
}
