using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;

namespace WsFast.Transport;

/// <summary>
/// One accepted TCP connection: received bytes arrive in <see cref="Input"/>; bytes to send are queued as
/// references to <see cref="SharedBuffer"/>s. Objects are pooled: once <see cref="Closed"/> has completed and
/// the owner has disposed it, the object serves a later client. Owners therefore never call it directly but
/// through a <see cref="TransportLease"/> (<see cref="Lease"/>), which names the client it was taken for: an
/// operation through a lease of an earlier client does nothing.
/// </summary>
/// <remarks>
/// <para>Life cycle. The connection ends when both directions are done. The receive side is done when the peer
/// sends FIN, the socket fails, or the reader of <see cref="Input"/> completes and the peer then closes (data
/// arriving after the reader completed is read and discarded, so the kernel never answers unread data with a
/// reset). The send side is done after <see cref="CompleteOutput"/> once the queue has drained and our FIN
/// has gone out (<see cref="OutputClosed"/>), or when sending fails, or on <see cref="Abort"/>. After our FIN
/// the peer gets <see cref="SocketTransportOptions.LingerTimeout"/> to close its side; then the socket is
/// closed regardless. A socket error on either side aborts the connection. A FIN from the peer alone does not
/// close anything: the owner sees <see cref="Input"/> complete and decides (typically answers, then calls
/// <see cref="CompleteOutput"/>).</para>
/// <para>Threading. Loops run on the threads that complete socket operations (thread-pool threads) and never
/// block. The reader of <see cref="Input"/> continues inline on the receiving thread (see
/// <see cref="SocketConnection"/>'s receive loop for the measurement), so a handler's code runs there: it
/// must not block. Enqueueing, completing output and aborting may be called from any thread, concurrently.</para>
/// <para>Reuse. <see cref="Id"/> is new for every client. The operations that other threads may call (enqueue,
/// complete, abort, drain waits) take the id and check it under the connection's lock, and the object changes
/// client under the same lock, so a stale caller either acts on its own, already finished client (and is
/// refused) or sees another id (and is refused).</para>
/// </remarks>
internal sealed partial class SocketConnection
{
    private static long s_lastId;

    private readonly SocketConnectionPool _owner;
    private readonly SocketTransportOptions _options;
    private readonly Pipe _input;
    private readonly Lock _sync = new();

    private Socket? _socket;
    private EndPoint? _remoteEndPoint;
    private EndPoint? _localEndPoint;
    private readonly SocketIo _io;
    private Task _closed = Task.CompletedTask;
    private Timer? _lingerTimer;
    private bool _socketClosed;  // guarded by _sync
    private int _failure;   // the first SocketError that broke the socket, or 0 (Success)
    private int _disposed;
    private int _returnVotes;
    private bool _receiveEnded;

    internal SocketConnection(SocketConnectionPool owner, SocketTransportOptions options)
    {
        _owner = owner;
        _options = options;

        _input = new Pipe(owner.PipeOptions);
        SocketIo io = options.UseEpoll ? new Linux.EpollSocketIo() : new SaeaSocketIo();
        _io = options.Tls is { } tls ? new Tls.TlsSocketIo(io, tls) : io;
    }

    /// <summary>
    /// A number identifying the current client, increasing with every accepted connection in the process; 0 while
    /// the object waits in its pool.
    /// </summary>
    public long Id => Volatile.Read(ref _id);

    private long _id;

    /// <summary>The received bytes. Complete it (<see cref="PipeReader.Complete"/>) when no longer reading.</summary>
    /// <remarks>
    /// The writer side completes without an exception when the peer closed cleanly (FIN) or the socket was closed
    /// locally (<see cref="Abort"/>, linger timeout), and with a <see cref="SocketException"/> (for example
    /// <see cref="SocketError.ConnectionReset"/>) when the socket failed; so a read either returns
    /// <see cref="ReadResult.IsCompleted"/> or throws that exception.
    /// </remarks>
    public PipeReader Input => _input.Reader;

    /// <summary>The peer's address, or null if the socket is already gone.</summary>
    public EndPoint? RemoteEndPoint => _remoteEndPoint ??= TryGetEndPoint(remote: true);

    /// <summary>Whether the connection speaks TLS (accepted on a TLS endpoint).</summary>
    public bool IsSecure => _io.IsSecure;

    /// <summary>The local address the connection was accepted on, or null if the socket is already gone.</summary>
    public EndPoint? LocalEndPoint => _localEndPoint ??= TryGetEndPoint(remote: false);

    /// <summary>
    /// Completes once the socket is closed and both directions are done. Then call <see cref="Dispose"/>. Never
    /// faults.
    /// </summary>
    public Task Closed => _closed;

    /// <summary>A lease on the current client, for its owner.</summary>
    public TransportLease Lease() => new(this, Id);

    /// <summary>
    /// Closes client <paramref name="id"/>'s connection now: the socket is closed, queued buffers are released
    /// without being sent, and later enqueues are refused. Idempotent; nothing for another client's id.
    /// </summary>
    internal void Abort(long id)
    {
        Socket? socket;
        bool wake;
        lock (_sync)
        {
            if (id != _id)
            {
                return;
            }

            wake = AbortOutputLocked();
            socket = TakeSocketToCloseLocked();
        }

        if (socket is not null)
        {
            socket.Dispose();
            _io.OnSocketClosed();
        }

        if (wake)
        {
            _sendSignal.Set();
        }

        // A receive loop paused at the input bound waits for the reader, not for the socket: wake it, so that it
        // finds the socket closed and completes the input, whether or not the owner reads again.
        _input.Writer.CancelPendingFlush();
    }

    /// <summary>
    /// Returns the connection to its pool once <see cref="Closed"/> has completed; called earlier, it aborts the
    /// connection first and returns it when closing is done. Further calls, and calls for another client, do nothing.
    /// </summary>
    internal void Dispose(long id)
    {
        lock (_sync)
        {
            if (id != _id || _disposed != 0)
            {
                return;
            }

            _disposed = 1;
        }

        Abort(id);
        VoteToReturn();
    }

    internal void Start(Socket socket)
    {
        lock (_sync)
        {
            _socket = socket;
            _socketClosed = false;
            Volatile.Write(ref _id, Interlocked.Increment(ref s_lastId));
        }

        _io.Attach(socket);
        _outputClosed = SendLoopAsync();
        _closed = ReceiveLoopAsync();
    }

    /// <summary>Puts the object back in its initial state; called by the pool when it is returned.</summary>
    internal void ResetForReuse()
    {
        // First of all, under the lock: from here on no lease of the previous client matches.
        lock (_sync)
        {
            Volatile.Write(ref _id, 0);
            _socket = null;
            _socketClosed = true;
            _disposed = 0;
            ResetOutputLocked();
        }

        // The owner may not have completed the reader; the writer was completed by the receive loop.
        _input.Reader.Complete();
        _input.Reset();
        _remoteEndPoint = null;
        _localEndPoint = null;
        _closed = Task.CompletedTask;
        _outputClosed = s_notStarted;
        _lingerTimer = null;
        _receiveEnded = false;
        _failure = 0;
        _returnVotes = 0;
    }

    // Called by the send loop as it ends. Lingering close: after our FIN, keep reading until the peer closes, but
    // not forever. The timer aborts this client only (by its id), so a late tick cannot reach a later client of
    // this pooled object; the receive loop disposes it once the send loop has ended.
    private void StartLingering()
    {
        if (!Volatile.Read(ref _receiveEnded))
        {
            _lingerTimer = new Timer(static state => ((LingerEnd)state!).Fire(), new LingerEnd(this, Id), _options.LingerTimeout, Timeout.InfiniteTimeSpan);
        }
    }

    // Called by the receive loop as it ends: once the send loop has ended too, the socket is closed and the object
    // votes to go back to its pool. One state machine fewer per connection than a separate method awaiting both.
    private async Task EndAsync()
    {
        Volatile.Write(ref _receiveEnded, true);
        await _outputClosed.ConfigureAwait(false);
        _lingerTimer?.Dispose();
        CloseSocket();
        _io.Detach();
        VoteToReturn();
    }

    // A failure seen by the send loop closes the socket, so the receive loop then sees only OperationAborted;
    // recording it lets the input still complete with the real error.
    private void RecordFailure(SocketError error)
    {
        if (error != SocketError.OperationAborted)
        {
            Interlocked.CompareExchange(ref _failure, (int)error, 0);
        }
    }

    // For the connection's own loops, which finish before the object can serve another client.
    private void CloseSocket()
    {
        Socket? socket;
        lock (_sync)
        {
            socket = TakeSocketToCloseLocked();
        }

        if (socket is not null)
        {
            socket.Dispose();
            _io.OnSocketClosed();
        }
    }

    // The socket to dispose, once: taken under the lock together with the id check, so that a stale abort can
    // only ever reach the socket of its own client.
    private Socket? TakeSocketToCloseLocked()
    {
        if (_socketClosed)
        {
            return null;
        }

        _socketClosed = true;
        return _socket;
    }

    // Two votes return the object: closing finished, and the owner disposed it. Whichever comes second returns
    // it, so it goes back exactly once whatever the order.
    private void VoteToReturn()
    {
        if (Interlocked.Increment(ref _returnVotes) == 2)
        {
            _owner.Return(this);
        }
    }

    private EndPoint? TryGetEndPoint(bool remote)
    {
        try
        {
            return remote ? _socket?.RemoteEndPoint : _socket?.LocalEndPoint;
        }
        catch (ObjectDisposedException)
        {
            return null;
        }
        catch (SocketException)
        {
            return null;
        }
    }

    /// <summary>The end of a lingering close: the peer did not close its side in time.</summary>
    private sealed class LingerEnd(SocketConnection connection, long id)
    {
        public void Fire() => connection.Abort(id);
    }
}
