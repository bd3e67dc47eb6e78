using System.Net.Sockets;

namespace WsFast.Transport;

/// <summary>
/// How a connection's socket is read and written, under its two loops (one receive and one send at a time):
/// the runtime's <see cref="SocketAsyncEventArgs"/>, portable (<see cref="SaeaSocketIo"/>), or WsFast's own epoll
/// loop on Linux (<see cref="Linux.EpollSocketIo"/>). One object per pooled connection, attached to each client's
/// socket in turn.
/// </summary>
internal abstract class SocketIo
{
    /// <summary>Serves <paramref name="socket"/>, a new client's.</summary>
    public abstract void Attach(Socket socket);

    /// <summary>The client's loops are done and its socket closed: let go of it.</summary>
    public abstract void Detach();

    /// <summary>Completes when bytes (or the end of the stream) can be received, holding no buffer meanwhile.</summary>
    public abstract ValueTask<SocketError> WaitForDataAsync();

    /// <summary>Receives into <paramref name="buffer"/>; <see cref="BytesReceived"/> tells how many (0: the peer's FIN).</summary>
    public abstract ValueTask<SocketError> ReceiveAsync(Memory<byte> buffer);

    /// <summary>The bytes of the last <see cref="ReceiveAsync"/>.</summary>
    public abstract int BytesReceived { get; }

    /// <summary>Sends from <paramref name="buffer"/>, a pinned array's memory; <see cref="BytesSent"/> tells how many.</summary>
    public abstract ValueTask<SocketError> SendAsync(ReadOnlyMemory<byte> buffer);

    /// <summary>Sends the segments of pinned arrays in order; <see cref="BytesSent"/> tells how many bytes.</summary>
    public abstract ValueTask<SocketError> SendAsync(List<ArraySegment<byte>> buffers);

    /// <summary>The bytes of the last send; fewer than offered when the kernel took part of them.</summary>
    public abstract int BytesSent { get; }

    /// <summary>The socket was closed: an operation waiting for it ends.</summary>
    public abstract void OnSocketClosed();

    /// <summary>Whether the bytes are encrypted on the wire (TLS).</summary>
    public virtual bool IsSecure => false;

    /// <summary>
    /// Called by the send loop once everything queued is sent, before our FIN: a protocol layered on the socket
    /// says goodbye here (TLS sends close_notify). Nothing for a plain socket.
    /// </summary>
    public virtual ValueTask<SocketError> BeforeShutdownAsync() => new(SocketError.Success);
}
