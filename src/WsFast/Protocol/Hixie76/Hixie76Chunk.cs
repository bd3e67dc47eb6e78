using System.Buffers;

namespace WsFast.Protocol.Hixie76;

/// <summary>
/// A piece of a draft-76 text message as <see cref="Hixie76FrameReader"/> hands it out: a slice of the caller's
/// buffer, valid until the caller releases that buffer, and UTF-8 that is valid so far.
/// </summary>
internal readonly struct Hixie76Chunk(ReadOnlySequence<byte> payload, bool isMessageStart, bool isMessageEnd)
{
    /// <summary>The text bytes, without the framing bytes.</summary>
    public ReadOnlySequence<byte> Payload { get; } = payload;

    /// <summary>True for the first piece of a message.</summary>
    public bool IsMessageStart { get; } = isMessageStart;

    /// <summary>True for the last piece: the <c>0xFF</c> that ends the frame was read, and the text is complete UTF-8.</summary>
    public bool IsMessageEnd { get; } = isMessageEnd;
}
