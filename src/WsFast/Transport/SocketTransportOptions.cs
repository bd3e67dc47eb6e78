namespace WsFast.Transport;

/// <summary>Settings of a <see cref="SocketListener"/> and the connections it accepts.</summary>
internal sealed class SocketTransportOptions
{
    /// <summary>
    /// Accept operations kept outstanding per bound endpoint, so that a burst of connections is taken in
    /// parallel. Default: twice the processor count, at least 4.
    /// </summary>
    public int AcceptsPerEndPoint { get; set; } = Math.Max(4, Environment.ProcessorCount * 2);

    /// <summary>
    /// The listen backlog. Default 4,096, which Linux caps at <c>net.core.somaxconn</c> (4,096 since kernel 5.4).
    /// With 512, 10,000 clients connecting at once (a reconnect storm after a restart) overflowed it about 1,000
    /// times per run (TcpExtListenOverflows), and each of those clients waited a SYN retransmission (1 s or
    /// more) before the server saw it.
    /// </summary>
    public int Backlog { get; set; } = 4096;

    /// <summary>
    /// Unread received bytes at which a connection stops receiving until the reader catches up. Default 1 MiB.
    /// </summary>
    public long InputPauseThreshold { get; set; } = 1024 * 1024;

    /// <summary>Unread received bytes at which a paused connection receives again. Default 512 KiB.</summary>
    public long InputResumeThreshold { get; set; } = 512 * 1024;

    /// <summary>
    /// How long, after our FIN went out, a connection keeps reading and discarding while it waits for the peer
    /// to close its side, before closing the socket anyway. Default 5 seconds.
    /// </summary>
    public TimeSpan LingerTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The pause after a failed accept (for example, out of file descriptors). Default 100 ms.</summary>
    public TimeSpan AcceptErrorDelay { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Closed connection objects kept for reuse. Default 1024.</summary>
    public int MaxRetainedConnections { get; set; } = 1024;

    /// <summary>
    /// Whether the reader of <see cref="SocketConnection.Input"/> continues on the receiving thread (true) or is
    /// dispatched to the thread pool (false). Default true; see <see cref="SocketConnection"/> for why.
    /// </summary>
    internal bool InlineReaderScheduling { get; set; } = true;

    /// <summary>
    /// Whether connections are driven by WsFast's own epoll loops (<see cref="Linux.EpollLoop"/>; Linux x86-64)
    /// instead of the runtime's <see cref="System.Net.Sockets.SocketAsyncEventArgs"/>. Default false.
    /// </summary>
    internal bool UseEpoll { get; set; }

    /// <summary>
    /// Whether to wait for data with a zero-byte receive before every receive (true) or only after a receive
    /// that did not fill its buffer (false). Default false.
    /// </summary>
    internal bool AlwaysWaitForData { get; set; }

    /// <summary>
    /// Whether a receive that follows one that filled its block goes into a large block (64 KiB) rather than a
    /// small one (4 KiB). Only with an unread-input bound of at least 16 large blocks (1 MiB, the default): a
    /// connection at its bound may hold one receive beyond it and the unused rest of its last block, so the
    /// excess stays within an eighth of the bound; a tighter bound keeps 4 KiB receives and a 4 KiB excess.
    /// </summary>
    internal bool LargeReceives => InputPauseThreshold >= 16L * PinnedBlockMemoryPool.LargeBlockSize;

    /// <summary>
    /// Up to this many bytes, several queued buffers are copied into one block and sent as one buffer instead of
    /// gathered with a buffer list; 0 turns copying off. Default: one block (4 KiB).
    /// </summary>
    internal int CoalesceThreshold { get; set; } = PinnedBlockMemoryPool.BlockSize;

    /// <summary>
    /// Whether receive blocks are filled with <see cref="PinnedBlockMemoryPool.PoisonByte"/> when returned and never
    /// reused (see <see cref="PinnedBlockMemoryPool(bool)"/>). Default false.
    /// </summary>
    internal bool PoisonReturnedBlocks { get; set; }

    /// <summary>
    /// When set, every accepted connection speaks TLS (<see cref="Tls.TlsSocketIo"/>) with the certificates and
    /// protocols this context chooses. Default null: plain TCP.
    /// </summary>
    internal Tls.TlsServerContext? Tls { get; set; }

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(AcceptsPerEndPoint);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Backlog);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(InputPauseThreshold);
        ArgumentOutOfRangeException.ThrowIfNegative(InputResumeThreshold);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(InputResumeThreshold, InputPauseThreshold);
        ArgumentOutOfRangeException.ThrowIfLessThan(LingerTimeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(AcceptErrorDelay, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfNegative(MaxRetainedConnections);
        ArgumentOutOfRangeException.ThrowIfNegative(CoalesceThreshold);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(CoalesceThreshold, PinnedBlockMemoryPool.BlockSize);
        if (UseEpoll && !Linux.EpollLoop.IsSupported)
        {
            throw new PlatformNotSupportedException("The epoll socket engine runs on Linux x86-64 only.");
        }
    }
}
