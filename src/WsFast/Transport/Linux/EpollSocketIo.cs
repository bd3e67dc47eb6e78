using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace WsFast.Transport.Linux;

/// <summary>
/// Socket I/O driven by an <see cref="EpollLoop"/>: the socket is non-blocking and registered edge-triggered for
/// reading and writing once, for the client's life; a receive or send is one system call when the socket is
/// ready, and waits for the loop's next edge only when the kernel says it would block. Waiting for data costs no
/// system call and holds no buffer.
/// </summary>
internal sealed class EpollSocketIo : SocketIo
{
    // How many bytes one connection receives in a row before the loop serves the others: four large blocks.
    private const int BytesPerTurn = 4 * PinnedBlockMemoryPool.LargeBlockSize;

    private readonly Readiness _readable = new();
    private readonly Readiness _writable = new();
    private EpollLoop? _loop;
    private SafeSocketHandle? _handle;
    private int _fd;
    private int _received;
    private int _sent;
    private int _streak; // bytes received in a row without waiting for the loop
    private Memory<byte> _receiveBuffer;
    private ReadOnlyMemory<byte> _sendBuffer;
    private List<ArraySegment<byte>>? _sendBuffers;
    private readonly ReadinessRetry _receive;
    private readonly ReadinessRetry _send;

    public EpollSocketIo()
    {
        _receive = new ReadinessRetry(_readable, AttemptReceive);
        _send = new ReadinessRetry(_writable, AttemptSend);
    }

    /// <summary>The key of the current registration (slot and generation); 0 when none.</summary>
    public ulong Key { get; set; }

    public override int BytesReceived => _received;

    public override int BytesSent => _sent;

    public override void Attach(Socket socket)
    {
        _handle = socket.SafeHandle;
        _fd = (int)_handle.DangerousGetHandle();

        // Directly, not through Socket.Blocking: that would give the socket the runtime's async context (~150 B
        // per connection) for an engine that never uses it.
        if (!LibC.SetNonBlocking(_fd))
        {
            throw new SocketException((int)LibC.ToSocketError(Marshal.GetLastPInvokeError()));
        }

        _readable.Reset();
        _writable.Reset();
        _loop = EpollLoop.Next();
        _loop.Register(this, _fd);
    }

    public override void Detach()
    {
        _loop?.Unregister(Key);
        Key = 0;
        _loop = null;
        _handle = null;
        _receiveBuffer = default;
        _sendBuffer = default;
        _sendBuffers = null;
    }

    public override void OnSocketClosed()
    {
        _readable.Close();
        _writable.Close();
    }

    /// <summary>Called by the loop: bytes can be read.</summary>
    public void OnReadable() => _readable.Signal();

    /// <summary>Called by the loop: the peer closed its side; what is left to read ends with the end of the stream.</summary>
    public void OnPeerClosed() => _readable.SignalLasting();

    /// <summary>Called by the loop: the kernel has room to send again.</summary>
    public void OnWritable() => _writable.Signal();

    /// <summary>Called by the loop: the socket failed or hung up; every operation now finds out at once.</summary>
    public void OnFailed()
    {
        _readable.SignalLasting();
        _writable.SignalLasting();
    }

    public override ValueTask<SocketError> WaitForDataAsync()
    {
        _streak = 0;
        return _readable.WaitAsync();
    }

    public override ValueTask<SocketError> ReceiveAsync(Memory<byte> buffer)
    {
        _receiveBuffer = buffer;
        if (_streak >= BytesPerTurn)
        {
            // Its share of the loop: the other connections' events go first (a client that floods cannot keep
            // the loop to itself), and the loop tells it to carry on after them.
            _streak = 0;
            _loop!.Defer(this);
            return _receive.WaitThenAttempt();
        }

        SocketError error = AttemptReceive();
        return error == SocketError.WouldBlock ? _receive.WaitThenAttempt() : new ValueTask<SocketError>(error);
    }

    public override ValueTask<SocketError> SendAsync(ReadOnlyMemory<byte> buffer)
    {
        _sendBuffer = buffer;
        _sendBuffers = null;
        SocketError error = AttemptSend();
        return error == SocketError.WouldBlock ? _send.WaitThenAttempt() : new ValueTask<SocketError>(error);
    }

    public override ValueTask<SocketError> SendAsync(List<ArraySegment<byte>> buffers)
    {
        _sendBuffer = default;
        _sendBuffers = buffers;
        SocketError error = AttemptSend();
        return error == SocketError.WouldBlock ? _send.WaitThenAttempt() : new ValueTask<SocketError>(error);
    }

    private SocketError AttemptReceive()
    {
        SocketError error = TryReceive(_receiveBuffer.Span, out _received);
        if (error == SocketError.WouldBlock)
        {
            _streak = 0;
        }
        else
        {
            _streak += _received;
        }

        return error;
    }

    private SocketError AttemptSend() =>
        _sendBuffers is { } buffers ? TrySend(buffers, out _sent) : TrySend(_sendBuffer.Span, out _sent);

    private unsafe SocketError TryReceive(Span<byte> buffer, out int received)
    {
        fixed (byte* bytes = buffer)
        {
            return Call(&Receive, bytes, (nuint)buffer.Length, out received);
        }
    }

    private unsafe SocketError TrySend(ReadOnlySpan<byte> buffer, out int sent)
    {
        fixed (byte* bytes = buffer)
        {
            return Call(&Send, bytes, (nuint)buffer.Length, out sent);
        }
    }

    // The segments are of pinned arrays (shared buffers, pooled blocks): their addresses stay put while the kernel
    // copies them.
    private unsafe SocketError TrySend(List<ArraySegment<byte>> buffers, out int sent)
    {
        int count = buffers.Count;
        LibC.IoVector* vectors = stackalloc LibC.IoVector[count];
        for (int i = 0; i < count; i++)
        {
            ArraySegment<byte> segment = buffers[i];
            vectors[i].Base = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(segment.Array!)) + segment.Offset;
            vectors[i].Length = (nuint)segment.Count;
        }

        var message = new LibC.MessageHeader { Vectors = vectors, VectorCount = (nuint)count };
        return Call(&SendMessage, &message, 0, out sent);
    }

    private static unsafe nint Receive(int fd, void* buffer, nuint length) => LibC.Receive(fd, (byte*)buffer, length, 0);

    private static unsafe nint Send(int fd, void* buffer, nuint length) => LibC.Send(fd, (byte*)buffer, length, LibC.MsgNoSignal);

    private static unsafe nint SendMessage(int fd, void* message, nuint unused) =>
        LibC.SendMessage(fd, (LibC.MessageHeader*)message, LibC.MsgNoSignal);

    // One system call on the socket, retried when a signal interrupts it: the bytes it moved, or why it moved none
    // (WouldBlock when the kernel has no bytes or no room, OperationAborted once the socket is closed).
    private unsafe SocketError Call(delegate*<int, void*, nuint, nint> call, void* data, nuint length, out int transferred)
    {
        transferred = 0;
        SafeSocketHandle? handle = _handle;
        if (handle is null)
        {
            return SocketError.OperationAborted;
        }

        bool added = false;
        try
        {
            // A reference on the handle for the call's length: the descriptor cannot be closed (and reused by
            // another connection) while the kernel reads or writes through it.
            handle.DangerousAddRef(ref added);
            while (true)
            {
                nint result = call(_fd, data, length);
                if (result >= 0)
                {
                    transferred = (int)result;
                    return SocketError.Success;
                }

                int errno = Marshal.GetLastPInvokeError();
                if (!LibC.Interrupted(errno))
                {
                    return LibC.WouldBlock(errno) ? SocketError.WouldBlock : LibC.ToSocketError(errno);
                }
            }
        }
        catch (ObjectDisposedException)
        {
            return SocketError.OperationAborted;
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }
}
