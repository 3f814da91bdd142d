// Notifications (Lwt_unix.make_notification, send_notification, stop_notification,
// set_notification, call_notification): a way for any thread to make an event loop run a
// function, named by an int.
//
// Lwt keeps one process-wide table (id -> handler, once) and one pipe: send_notification
// writes the id into the pipe from any thread, and the loop, when the pipe is readable,
// looks each id up again and calls what it finds (call_notification). Three facts of that
// design are kept here:
//
// - The table is process-wide. An id is all a sender has, and a sender is typically a
//   thread with no loop of its own (a worker, a signal handler), so the id alone must say
//   where the handler runs. Here each entry also remembers the loop that made it (Lwt has
//   one loop, so it needs not), and the handler always runs on that loop.
// - The lookup happens at delivery, not at sending: a notification stopped after it was
//   sent and before the loop got to it does not run, one whose handler was replaced by
//   SetNotification runs the new handler, and an id that was never made (or was stopped)
//   is silently ignored, as call_notification ignores an unknown id.
// - Sends are not merged: each send is one delivery (Lwt's pipe carries every id written),
//   and they are delivered in the order they were made, from whichever thread (a pipe is FIFO).
//
// The wake-up channel is the loop's own inbox: SendNotification posts a delivery to the
// inbox (EventLoop.PostInOrder, even from the loop's thread), so it wakes a loop blocked in
// the engine exactly as any Post does, and no second pipe or eventfd exists. The table is
// guarded by a lock, since sends come from any thread; the handler itself is called outside
// the lock (it may make, set or stop notifications).
//
// Ids count up from 1, skip ids in use, and wrap past int.MaxValue; Lwt's mli says a
// stopped id must not be reused by the caller, and a stale delivery could only meet a new
// notification after 2^31 makes in between.

namespace Lwt;

public static partial class LwtUnix
{
    private static readonly object s_notificationGate = new();
    private static readonly Dictionary<int, Notifier> s_notifiers = new();
    private static int s_lastNotificationId;

    /// <summary>
    /// Registers <paramref name="f"/> as a notification of this thread's event loop and returns
    /// its id: each <see cref="SendNotification"/> of the id (from any thread) makes the loop
    /// call <paramref name="f"/>. With <paramref name="once"/>, the notification is stopped
    /// when it is first delivered.
    /// <para>Lwt: <c>Lwt_unix.make_notification</c></para>
    /// </summary>
    /// <param name="f">The handler; it runs on this thread's loop. An exception it throws goes to <see cref="Promise.AsyncExceptionHook"/>.</param>
    /// <param name="once">Stop the notification at its first delivery (or <see cref="CallNotification"/>).</param>
    /// <returns>The notification's id.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    public static int MakeNotification(Action f, bool once = false)
    {
        ArgumentNullException.ThrowIfNull(f);
        var loop = EventLoop.ForCurrentThread();
        lock (s_notificationGate)
        {
            int id = s_lastNotificationId;
            do
            {
                id = id == int.MaxValue ? 1 : id + 1;
            }
            while (s_notifiers.ContainsKey(id));
            s_lastNotificationId = id;
            s_notifiers.Add(id, new Notifier(loop, f, once));
            return id;
        }
    }

    /// <summary>
    /// Asks the loop that made notification <paramref name="id"/> to call its handler. Safe from
    /// any thread; returns at once (the handler runs later, on that loop, after what is already
    /// posted to it). Each send is one call, and sends are delivered in the order they were
    /// made, whichever threads made them. An id that is unknown, or stopped before the loop
    /// gets to it, is ignored, as Lwt ignores it.
    /// <para>Lwt: <c>Lwt_unix.send_notification</c></para>
    /// </summary>
    /// <param name="id">A notification id from <see cref="MakeNotification"/>.</param>
    public static void SendNotification(int id)
    {
        EventLoop loop;
        lock (s_notificationGate)
        {
            if (!s_notifiers.TryGetValue(id, out var notifier)) return;
            loop = notifier.Loop;
        }

        // Through the inbox even from the loop's thread: sends are delivered in the order they
        // were made, whatever the threads (a send of this thread after another thread's send it
        // waited for comes second, as in Lwt's pipe).
        loop.PostInOrder(() => Deliver(id, loop));
    }

    /// <summary>
    /// Stops notification <paramref name="id"/>: sends not yet delivered are dropped, later
    /// ones ignored. An unknown id is ignored. Do not use the id afterwards (Lwt leaves that
    /// unspecified; here it may name a later notification once ids wrap around).
    /// <para>Lwt: <c>Lwt_unix.stop_notification</c></para>
    /// </summary>
    /// <param name="id">A notification id.</param>
    public static void StopNotification(int id)
    {
        lock (s_notificationGate) s_notifiers.Remove(id);
    }

    /// <summary>
    /// Replaces the handler of notification <paramref name="id"/> by <paramref name="f"/> (it
    /// keeps its loop and its once flag); sends not yet delivered call <paramref name="f"/>.
    /// <para>Lwt: <c>Lwt_unix.set_notification</c></para>
    /// </summary>
    /// <param name="id">A notification id.</param>
    /// <param name="f">The new handler.</param>
    /// <exception cref="ArgumentNullException"><paramref name="f"/> is null.</exception>
    /// <exception cref="KeyNotFoundException">No notification has this id (OCaml's <c>Not_found</c>): it was never made or is stopped.</exception>
    public static void SetNotification(int id, Action f)
    {
        ArgumentNullException.ThrowIfNull(f);
        lock (s_notificationGate)
        {
            if (!s_notifiers.TryGetValue(id, out var notifier))
            {
                throw new KeyNotFoundException($"LwtUnix.SetNotification: no notification {id} (never made, or stopped); make one with MakeNotification (OCaml's Not_found).");
            }

            s_notifiers[id] = notifier with { Handler = f };
        }
    }

    /// <summary>
    /// Calls the handler of notification <paramref name="id"/> now, on the calling thread, which
    /// must be the thread of the loop that made it; a once notification is stopped first. An
    /// unknown (or stopped) id is ignored. An exception of the handler propagates to the caller.
    /// <para>Lwt: <c>Lwt_unix.call_notification</c></para>
    /// </summary>
    /// <param name="id">A notification id.</param>
    /// <exception cref="InvalidOperationException">Called from another thread than the notification's loop (use <see cref="SendNotification"/> there).</exception>
    public static void CallNotification(int id)
    {
        Notifier notifier;
        lock (s_notificationGate)
        {
            if (!s_notifiers.TryGetValue(id, out notifier!)) return;
            if (!notifier.Loop.IsOnLoopThread)
            {
                throw new InvalidOperationException($"LwtUnix.CallNotification: notification {id} belongs to the loop of thread {notifier.Loop.ThreadId}; call it there, or use SendNotification from other threads.");
            }

            if (notifier.Once) s_notifiers.Remove(id);
        }

        notifier.Handler();
    }

    /// <summary>
    /// On <paramref name="loop"/>: what a send becomes when the loop gets to it. An id that now
    /// names a notification of another loop (stopped, and remade after a wrap-around) is a
    /// stale send, and ignored like a stopped one.
    /// </summary>
    private static void Deliver(int id, EventLoop loop)
    {
        Notifier notifier;
        lock (s_notificationGate)
        {
            if (!s_notifiers.TryGetValue(id, out notifier!) || notifier.Loop != loop) return;
            if (notifier.Once) s_notifiers.Remove(id);
        }

        notifier.Handler();
    }

    /// <summary>One entry of the table: where the handler runs, the handler, and whether the first delivery stops it.</summary>
    private sealed record Notifier(EventLoop Loop, Action Handler, bool Once);
}
