namespace Lwt;

// Safe overloads for engines written outside an unsafe context (PollBasedEngine's users
// inside the assembly's tests): the pointer entry points stay in LibC.cs.
internal static unsafe partial class LibC
{
    /// <summary>poll(2) over <paramref name="fds"/>; returns the number of ready entries, 0 on timeout, -1 with errno set.</summary>
    internal static int Poll(Span<PollFd> fds, int timeoutMs)
    {
        fixed (PollFd* p = fds)
        {
            return Poll(p, (nuint)fds.Length, timeoutMs);
        }
    }
}
