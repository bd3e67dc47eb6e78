using System.Buffers;
using WsFast.Protocol;
using WsFast.Protocol.Hixie76;
using WsFast.Transport;

namespace WsFast.Server;

/// <summary>Frames text as draft 76 does into a pooled, reference-counted buffer, ready to be queued on connections.</summary>
internal static class Hixie76Framing
{
    /// <summary>A buffer holding the text frame of <paramref name="utf8"/> (valid UTF-8), with one reference for the caller.</summary>
    public static SharedBuffer Frame(ReadOnlySpan<byte> utf8)
    {
        SharedBuffer buffer = SharedBufferPool.Shared.Rent(Hixie76FrameWriter.TextFrameSize(utf8.Length));
        buffer.Length = Hixie76FrameWriter.WriteText(buffer.Span, utf8);
        return buffer;
    }

    /// <inheritdoc cref="Frame(ReadOnlySpan{byte})"/>
    public static SharedBuffer Frame(in ReadOnlySequence<byte> utf8)
    {
        if (utf8.IsSingleSegment)
        {
            return Frame(utf8.FirstSpan);
        }

        int length = checked((int)utf8.Length);
        SharedBuffer buffer = SharedBufferPool.Shared.Rent(Hixie76FrameWriter.TextFrameSize(length));
        Span<byte> span = buffer.Span;
        span[0] = Hixie76FrameWriter.TextStart;
        utf8.CopyTo(span[1..]);
        span[1 + length] = Hixie76FrameWriter.TextEnd;
        buffer.Length = Hixie76FrameWriter.TextFrameSize(length);
        return buffer;
    }

    /// <summary>
    /// The frame of a published message for draft-76 subscribers, or null when draft 76 cannot carry it: a binary
    /// message (a draft-76 client reads text frames only), or text that is not valid UTF-8, which
    /// <c>POST /publish</c> does not check and whose 0xFF bytes would end the frame early.
    /// </summary>
    public static SharedBuffer? TryFrame(MessageType type, ReadOnlySpan<byte> payload) =>
        type == MessageType.Text && Utf8Validator.IsValid(payload) ? Frame(payload) : null;
}
