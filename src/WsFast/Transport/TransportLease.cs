using System.IO.Pipelines;
using System.Net;

namespace WsFast.Transport;

/// <summary>
/// An owner's hold on one client of a pooled <see cref="SocketConnection"/>. The connection object serves later
/// clients once this one has closed; every operation through a lease names the client it was taken for, so a
/// lease kept by code that outlived its client (a timer, a broadcast walking a list taken a moment earlier, a
/// late close) reaches nothing rather than a stranger.
/// </summary>
internal readonly struct TransportLease
{
    private readonly SocketConnection _connection;

    internal TransportLease(SocketConnection connection, long id)
    {
        _connection = connection;
        Id = id;
        Closed = connection.Closed;
    }

    /// <summary>The client's number (<see cref="SocketConnection.Id"/> when the lease was taken).</summary>
    public long Id { get; }

    /// <summary>Whether the connection still serves this lease's client.</summary>
    public bool IsCurrent => _connection.Id == Id;

    /// <summary>Whether bytes may still be queued: the output is neither completed nor aborted.</summary>
    public bool CanSend => _connection.CanSend(Id);

    /// <summary>The received bytes; for the owner's own reading loop only.</summary>
    public PipeReader Input => _connection.Input;

    /// <summary>The peer's address, or null once the socket is gone.</summary>
    public EndPoint? RemoteEndPoint => IsCurrent ? _connection.RemoteEndPoint : null;

    /// <summary>Whether the connection speaks TLS.</summary>
    public bool IsSecure => _connection.IsSecure;

    /// <summary>Bytes queued and not yet sent; 0 for a client that is gone.</summary>
    public long QueuedBytes => IsCurrent ? _connection.QueuedBytes : 0;

    /// <summary>Buffers queued and not yet fully sent; 0 for a client that is gone.</summary>
    public int QueuedCount => IsCurrent ? _connection.QueuedCount : 0;

    /// <summary>Buffers the connection may send now, not held back behind an open fragmented message.</summary>
    public int SendableCount => IsCurrent ? _connection.SendableCount : 0;

    /// <summary>
    /// How long, at <paramref name="now"/> (<see cref="Environment.TickCount64"/>), the output has had bytes
    /// queued without a send completing; zero when nothing is queued.
    /// </summary>
    public long StalledFor(long now)
    {
        long since = _connection.LastSendProgress;
        // Buffers held back behind an open fragmented message wait for the application, not the peer.
        return IsCurrent && _connection.SendableCount > 0 ? now - since : 0;
    }

    /// <summary>Completes once the socket is closed and both directions are done. Never faults.</summary>
    public Task Closed { get; }

    /// <inheritdoc cref="SocketConnection.Enqueue"/>
    public bool Enqueue(SharedBuffer buffer) => _connection.Enqueue(Id, buffer, 0, buffer.Length, EnqueueMode.Append);

    /// <summary>Queues <paramref name="count"/> bytes of <paramref name="buffer"/> from <paramref name="offset"/>.</summary>
    /// <inheritdoc cref="SocketConnection.Enqueue"/>
    public bool Enqueue(SharedBuffer buffer, int offset, int count) => _connection.Enqueue(Id, buffer, offset, count, EnqueueMode.Append);

    /// <summary>Queues a buffer; an idle connection starts sending on a thread-pool thread (<see cref="EnqueueMode.Dispatched"/>).</summary>
    public bool EnqueueDispatched(SharedBuffer buffer) => _connection.Enqueue(Id, buffer, 0, buffer.Length, EnqueueMode.Dispatched);

    /// <summary>Queues the last bytes this connection sends (<see cref="EnqueueMode.Last"/>).</summary>
    public bool EnqueueLast(SharedBuffer buffer) => _connection.Enqueue(Id, buffer, 0, buffer.Length, EnqueueMode.Last);

    /// <summary>Queues <paramref name="count"/> bytes of <paramref name="buffer"/> from <paramref name="offset"/> as the last bytes this connection sends.</summary>
    public bool EnqueueLast(SharedBuffer buffer, int offset, int count) => _connection.Enqueue(Id, buffer, offset, count, EnqueueMode.Last);

    /// <summary>Drops what waits in the queue, then queues the last bytes (<see cref="EnqueueMode.LastDroppingQueued"/>).</summary>
    public bool EnqueueLastDroppingQueued(SharedBuffer buffer) => _connection.Enqueue(Id, buffer, 0, buffer.Length, EnqueueMode.LastDroppingQueued);

    /// <summary>Queues a buffer that supersedes the previous replaceable one if that still waits (<see cref="EnqueueMode.Replaceable"/>).</summary>
    public bool EnqueueReplaceable(SharedBuffer buffer) => _connection.Enqueue(Id, buffer, 0, buffer.Length, EnqueueMode.Replaceable);

    /// <summary>Queues a control frame that may go between the fragments of a message (<see cref="EnqueueMode.Control"/>).</summary>
    public bool EnqueueControl(SharedBuffer buffer) => _connection.Enqueue(Id, buffer, 0, buffer.Length, EnqueueMode.Control);

    /// <summary>
    /// Queues a fragment of a message; until its final one, other data frames are held back behind it
    /// (<see cref="EnqueueMode.Fragment"/>, <see cref="EnqueueMode.FinalFragment"/>).
    /// </summary>
    public bool EnqueueFragment(SharedBuffer buffer, bool final) =>
        _connection.Enqueue(Id, buffer, 0, buffer.Length, final ? EnqueueMode.FinalFragment : EnqueueMode.Fragment);

    /// <inheritdoc cref="SocketConnection.WaitForFragmentRoomAsync"/>
    public ValueTask WaitForFragmentRoomAsync(long bytes, int count) => _connection.WaitForFragmentRoomAsync(Id, bytes, count);

    /// <inheritdoc cref="SocketConnection.CompleteOutput"/>
    public void CompleteOutput() => _connection.CompleteOutput(Id);

    /// <summary>Drops what waits in the queue and completes the output: the peer gets what is being sent, then EOF.</summary>
    public void CompleteOutputDroppingQueued() => _connection.CompleteOutput(Id, dropQueued: true);

    /// <inheritdoc cref="SocketConnection.Abort"/>
    public void Abort() => _connection.Abort(Id);

    /// <inheritdoc cref="SocketConnection.WaitForDrainAsync"/>
    public ValueTask WaitForDrainAsync(long bytes, int count) => _connection.WaitForDrainAsync(Id, bytes, count);

    /// <inheritdoc cref="SocketConnection.Dispose"/>
    public void Dispose() => _connection.Dispose(Id);
}
