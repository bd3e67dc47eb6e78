using System.Net.Sockets;

namespace WsFast.Transport;

/// <summary>
/// Socket I/O through the runtime's <see cref="SocketAsyncEventArgs"/>: one event args object for receiving and
/// one for sending, each awaitable without allocation. Waiting for data is a zero-byte receive (on Linux a 1-byte
/// peek), so an idle connection holds no buffer; it costs a system call more per message than an epoll loop.
/// </summary>
internal sealed class SaeaSocketIo : SocketIo
{
    private readonly AwaitableSocketEventArgs _receiveArgs = new();
    private readonly AwaitableSocketEventArgs _sendArgs = new();
    private Socket? _socket;

    public override int BytesReceived => _receiveArgs.BytesTransferred;

    public override int BytesSent => _sendArgs.BytesTransferred;

    public override void Attach(Socket socket) => _socket = socket;

    public override void Detach()
    {
        _receiveArgs.SetBuffer(Memory<byte>.Empty);
        if (_sendArgs.BufferList is not null)
        {
            _sendArgs.BufferList = null;
        }

        _sendArgs.SetBuffer(null, 0, 0);
        _socket = null;
    }

    public override ValueTask<SocketError> WaitForDataAsync() => _receiveArgs.ReceiveAsync(_socket!, Memory<byte>.Empty);

    public override ValueTask<SocketError> ReceiveAsync(Memory<byte> buffer) => _receiveArgs.ReceiveAsync(_socket!, buffer);

    public override ValueTask<SocketError> SendAsync(ReadOnlyMemory<byte> buffer)
    {
        if (_sendArgs.BufferList is not null)
        {
            _sendArgs.BufferList = null;
        }

        // The event args take writable memory, but only read it when sending.
        _sendArgs.SetBuffer(System.Runtime.InteropServices.MemoryMarshal.AsMemory(buffer));
        return _sendArgs.SendAsync(_socket!);
    }

    public override ValueTask<SocketError> SendAsync(List<ArraySegment<byte>> buffers)
    {
        if (!_sendArgs.MemoryBuffer.IsEmpty)
        {
            _sendArgs.SetBuffer(null, 0, 0);
        }

        _sendArgs.BufferList = buffers;
        return _sendArgs.SendAsync(_socket!);
    }

    // The runtime ends a pending operation itself when its socket is closed.
    public override void OnSocketClosed()
    {
    }
}
