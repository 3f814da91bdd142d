// What an engine knows about one file descriptor: the readers and the writers
// registered on it (two FIFO lists of LwtEvent) and the interest mask last
// given to the backend (epoll_ctl / the pollfd array). One registration object
// per fd ever registered, kept in a growable array indexed by fd and reused
// when the fd is registered again, so registering allocates only the LwtEvent.
//
// Invariant: Mask == (Readers > 0 ? Read : 0) | (Writers > 0 ? Write : 0), and
// the backend has exactly Mask for this fd (nothing when Mask == 0).

namespace Lwt;

/// <summary>The readers and writers of one file descriptor.</summary>
internal sealed class FdRegistration
{
    /// <summary>Interest bit: the fd has readers.</summary>
    internal const int Read = 1;

    /// <summary>Interest bit: the fd has writers.</summary>
    internal const int Write = 2;

    internal LwtEvent? ReadHead, ReadTail, WriteHead, WriteTail;
    internal int Readers, Writers;

    /// <summary>The interest currently registered with the backend.</summary>
    internal int Mask;

    /// <summary>The mask the lists call for.</summary>
    internal int WantedMask => (Readers > 0 ? Read : 0) | (Writers > 0 ? Write : 0);
}
