using System.Buffers;
using WsFast.Protocol;
using WsFast.Transport;

namespace WsFast.Server;

/// <summary>
/// Writes a response body straight into a pooled send buffer, leaving room in front for the head, so that a
/// body built piece by piece (a poll's JSON) is copied once: into the buffer that is sent.
/// </summary>
internal sealed class ResponseBodyWriter : IBufferWriter<byte>, IDisposable
{
    // Status line, Content-Type, Cache-Control, Connection and Content-Length take under 200 bytes.
    private const int HeadRoom = 256;

    private SharedBuffer? _buffer;
    private int _written;

    public ResponseBodyWriter(int sizeHint = 1024) => _buffer = SharedBufferPool.Shared.Rent(HeadRoom + sizeHint);

    public void Advance(int count) => _written += count;

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Reserve(sizeHint);
        return _buffer!.Memory[(HeadRoom + _written)..];
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Reserve(sizeHint);
        return _buffer!.Span[(HeadRoom + _written)..];
    }

    /// <summary>
    /// Writes the head in front of the body and queues the response on <paramref name="connection"/>: kept open
    /// for the next request with <paramref name="keepAlive"/>, closed after it otherwise. The writer is done.
    /// </summary>
    public bool Send(HttpConnection connection, int status, string contentType, bool keepAlive)
    {
        SharedBuffer buffer = _buffer!;
        _buffer = null;
        Span<byte> head = stackalloc byte[HeadRoom];
        if (!HandshakeResponse.TryWriteHttpHead(status, HttpResponses.ContentHeaders(contentType, keepAlive), _written, head, out int headLength))
        {
            buffer.Release();
            throw new InvalidOperationException("The response head did not fit the room left for it.");
        }

        head[..headLength].CopyTo(buffer.Span[(HeadRoom - headLength)..]);
        buffer.Length = HeadRoom + _written;
        connection.Respond(buffer, HeadRoom - headLength, headLength + _written, keepAlive);
        return keepAlive;
    }

    public void Dispose()
    {
        _buffer?.Release();
        _buffer = null;
    }

    private void Reserve(int sizeHint)
    {
        SharedBuffer current = _buffer ?? throw new ObjectDisposedException(nameof(ResponseBodyWriter));
        int needed = HeadRoom + _written + Math.Max(sizeHint, 256);
        if (needed <= current.Capacity)
        {
            return;
        }

        SharedBuffer larger = SharedBufferPool.Shared.Rent(Math.Max(needed, current.Capacity * 2));
        current.Span.Slice(HeadRoom, _written).CopyTo(larger.Span[HeadRoom..]);
        current.Release();
        _buffer = larger;
    }
}
