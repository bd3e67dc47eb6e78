using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace WsFast.Transport.Tls;

/// <summary>
/// A connection's <see cref="SocketIo"/> as the <see cref="Stream"/> an <see cref="System.Net.Security.SslStream"/>
/// reads and writes: asynchronous only. A zero-byte read waits for data without a buffer
/// (<see cref="SocketIo.WaitForDataAsync"/>), which is what lets an idle TLS connection hold no memory: the
/// <see cref="System.Net.Security.SslStream"/> rents its read buffer only once bytes are there.
/// </summary>
/// <remarks>
/// A wait for data returns at once after a receive that filled its buffer: more bytes are probably in the
/// kernel already, and the epoll engine announces bytes only as they arrive (edge-triggered), so a wait then
/// would wait for bytes that came before it. The receive loop follows the same rule.
/// </remarks>
internal sealed class SocketIoStream(SocketIo io) : Stream
{
    private bool _mayHaveMore;

    /// <summary>For a new client.</summary>
    public void Reset() => _mayHaveMore = false;

    public override bool CanRead => true;

    public override bool CanWrite => true;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.IsEmpty)
        {
            if (_mayHaveMore)
            {
                _mayHaveMore = false;
                return 0;
            }

            ThrowIfFailed(await io.WaitForDataAsync());
            return 0;
        }

        ThrowIfFailed(await io.ReceiveAsync(buffer));
        int received = io.BytesReceived;
        _mayHaveMore = received == buffer.Length;
        return received;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        // A send may take part of the bytes (the epoll engine sends what the kernel takes); a stream write is all.
        while (!buffer.IsEmpty)
        {
            ThrowIfFailed(await io.SendAsync(buffer));
            buffer = buffer[io.BytesSent..];
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    // Every byte goes out with its send: there is nothing to flush.
    public override void Flush()
    {
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    private static void ThrowIfFailed(SocketError error)
    {
        if (error != SocketError.Success)
        {
            throw new IOException("The socket failed.", new SocketException((int)error));
        }
    }
}
