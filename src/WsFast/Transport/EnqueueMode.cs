namespace WsFast.Transport;

/// <summary>How <see cref="SocketConnection"/> queues a buffer.</summary>
internal enum EnqueueMode : byte
{
    /// <summary>After everything queued; an idle connection starts sending on the calling thread.</summary>
    Append,

    /// <summary>
    /// After everything queued; an idle connection starts sending on a thread-pool thread. A broadcast queues
    /// one buffer to thousands of connections: this way the publisher only appends to their queues, and the
    /// syscalls spread over every core.
    /// </summary>
    Dispatched,

    /// <summary>As the last bytes the connection sends: appended and the output completed in one step, so that no
    /// other thread's bytes can land after these (a WebSocket close frame, a final HTTP response).</summary>
    Last,

    /// <summary>
    /// Like <see cref="Last"/>, after dropping whatever is queued and not yet being sent: the way to end a
    /// connection whose peer does not read, without waiting for its queue to drain.
    /// </summary>
    LastDroppingQueued,

    /// <summary>
    /// After everything queued, unless the previous replaceable buffer still waits to be sent: then these bytes
    /// take its place. At most one such buffer waits at a time (a pong answering only the latest ping, which
    /// RFC 6455 section 5.5.3 allows).
    /// </summary>
    Replaceable,

    /// <summary>
    /// After everything queued, never held back by an open fragmented message: a control frame other than a pong
    /// or a close (a ping), which RFC 6455 section 5.4 lets go between the fragments of a message.
    /// </summary>
    Control,

    /// <summary>
    /// A fragment of a message that has more to come (RFC 6455 section 5.4): queued after everything queued, and
    /// from now on <see cref="Append"/> and <see cref="Dispatched"/> buffers are held back, in order, until the
    /// message's <see cref="FinalFragment"/>, so that no other data frame lands between its fragments.
    /// </summary>
    Fragment,

    /// <summary>The last fragment of a message: queued, then the buffers held back behind the message follow it.</summary>
    FinalFragment,
}
