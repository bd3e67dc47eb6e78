using System.Buffers;
using System.Buffers.Binary;

namespace WsFast.Protocol;

/// <summary>
/// What <see cref="FrameReader.Read"/> hands out: a piece of a data message's payload, or a whole control
/// frame. <see cref="Payload"/> points into the caller's buffer (no copy) and is valid until the caller
/// releases that buffer.
/// </summary>
internal readonly struct FrameChunk
{
    internal FrameChunk(
        Opcode opcode, ReadOnlySequence<byte> payload, bool isMessageStart, bool isFrameEnd, bool isMessageEnd, bool isCompressed = false)
    {
        IsCompressed = isCompressed;
        Opcode = opcode;
        Payload = payload;
        IsMessageStart = isMessageStart;
        IsFrameEnd = isFrameEnd;
        IsMessageEnd = isMessageEnd;
    }

    /// <summary>
    /// <see cref="Opcode.Text"/> or <see cref="Opcode.Binary"/> for message data (also for the payload of
    /// continuation frames: it names the message, not the frame); Ping, Pong or Close for control frames.
    /// </summary>
    public Opcode Opcode { get; }

    /// <summary>The unmasked payload bytes of this piece.</summary>
    public ReadOnlySequence<byte> Payload { get; }

    /// <summary>
    /// True when the message's first frame had RSV1 set under permessage-deflate: <see cref="Payload"/> is DEFLATE
    /// data, not yet validated as text (RFC 7692 section 6).
    /// </summary>
    public bool IsCompressed { get; }

    /// <summary>True for the first piece of a message (or a control frame).</summary>
    public bool IsMessageStart { get; }

    /// <summary>True for the last piece of a frame.</summary>
    public bool IsFrameEnd { get; }

    /// <summary>True for the last piece of the last frame of a message (or a control frame).</summary>
    public bool IsMessageEnd { get; }

    /// <summary>
    /// For a close frame, its status code, or <see cref="CloseCode.NoStatusReceived"/> (1005) when the
    /// frame carried none (section 7.1.5).
    /// </summary>
    public CloseCode CloseCode
    {
        get
        {
            if (Opcode != Opcode.Close || Payload.Length < 2)
            {
                return CloseCode.NoStatusReceived;
            }

            Span<byte> code = stackalloc byte[2];
            Payload.Slice(0, 2).CopyTo(code);
            return (CloseCode)BinaryPrimitives.ReadUInt16BigEndian(code);
        }
    }

    /// <summary>For a close frame, the UTF-8 reason after the code (empty when none).</summary>
    public ReadOnlySequence<byte> CloseReason =>
        Opcode == Opcode.Close && Payload.Length > 2 ? Payload.Slice(2) : ReadOnlySequence<byte>.Empty;
}
