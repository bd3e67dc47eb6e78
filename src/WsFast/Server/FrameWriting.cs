using System.Buffers;
using WsFast.Protocol;
using WsFast.Protocol.Deflate;
using WsFast.Transport;

namespace WsFast.Server;

/// <summary>Frames a message into a pooled, reference-counted buffer, ready to be queued on connections.</summary>
internal static class FrameWriting
{
    /// <summary>
    /// A buffer holding one frame of <paramref name="payload"/>, with one reference for the caller; without
    /// <paramref name="fin"/>, a fragment that more frames of its message follow (RFC 6455 section 5.4).
    /// </summary>
    public static SharedBuffer Frame(Opcode opcode, ReadOnlySpan<byte> payload, bool fin = true)
    {
        int header = FrameWriter.HeaderSize(payload.Length);
        SharedBuffer buffer = SharedBufferPool.Shared.Rent(header + payload.Length);
        FrameWriter.WriteHeader(buffer.Span, opcode, payload.Length, fin);
        payload.CopyTo(buffer.Span.Slice(header));
        buffer.Length = header + payload.Length;
        return buffer;
    }

    /// <summary>The header size of a frame made here: the payload follows it.</summary>
    public static int HeaderSizeOf(SharedBuffer frame) => (frame.Span[1] & 0x7F) switch
    {
        126 => 4,
        127 => 10,
        _ => 2,
    };

    /// <inheritdoc cref="Frame(Opcode, ReadOnlySpan{byte}, bool)"/>
    public static SharedBuffer Frame(Opcode opcode, in ReadOnlySequence<byte> payload)
    {
        if (payload.IsSingleSegment)
        {
            return Frame(opcode, payload.FirstSpan);
        }

        int length = checked((int)payload.Length);
        int header = FrameWriter.HeaderSize(length);
        SharedBuffer buffer = SharedBufferPool.Shared.Rent(header + length);
        FrameWriter.WriteHeader(buffer.Span, opcode, length);
        payload.CopyTo(buffer.Span.Slice(header));
        buffer.Length = header + length;
        return buffer;
    }

    /// <summary>
    /// A buffer holding one frame of <paramref name="payload"/> compressed by <paramref name="deflater"/>, with RSV1
    /// set (RFC 7692 section 6), or null when it does not shrink and is to go uncompressed.
    /// </summary>
    public static SharedBuffer? Compressed(MessageDeflater deflater, Opcode opcode, ReadOnlySpan<byte> payload)
    {
        int length = payload.Length;
        int room = MessageDeflater.MaxOutput(length);
        SharedBuffer frame = SharedBufferPool.Shared.Rent(FrameWriter.MaxHeaderSize + room);
        Span<byte> span = frame.Span;
        int compressed = deflater.Compress(payload, span.Slice(FrameWriter.MaxHeaderSize, room));
        if (compressed < 0)
        {
            frame.Release();
            return null;
        }

        // Compressed after the largest header, then moved up behind the header its length needs.
        int header = FrameWriter.WriteHeader(span, opcode, compressed, fin: true, rsv1: true);
        span.Slice(FrameWriter.MaxHeaderSize, compressed).CopyTo(span.Slice(header));
        frame.Length = header + compressed;
        return frame;
    }
}
