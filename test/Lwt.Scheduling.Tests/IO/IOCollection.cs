namespace Lwt.Tests.IO;

/// <summary>
/// The I/O tests run alone (not in parallel with other test classes): the descriptor-leak
/// test counts the whole process's /proc/self/fd, and their allocations would disturb the
/// memory assertions of other classes.
/// </summary>
[CollectionDefinition("IO", DisableParallelization = true)]
public sealed class IOCollection
{
}
