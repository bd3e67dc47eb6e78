using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace WsFast.Protocol;

/// <summary>
/// Writes server frames (RFC 6455 section 5.2) without allocating. Server frames are never masked
/// (section 5.1), and the payload length always takes its shortest encoding: 7 bits up to 125 bytes,
/// 16 bits up to 65535, 64 bits above.
/// </summary>
/// <remarks>
/// <para>
/// Misuse is a programming error and throws <see cref="ArgumentException"/>: an undefined opcode, a control
/// frame with more than 125 payload bytes or without FIN, RSV1 on anything but the first frame of a text or
/// binary message (RFC 7692 section 6.1 sets it there only), a close code that must not be sent, or a close
/// reason that does not fit or is not UTF-8. The <c>Write</c> methods taking a span also throw when the
/// destination is too small; <see cref="TryWriteFrame"/> returns false instead.
/// </para>
/// <para>
/// Text payloads are not validated: sending valid UTF-8 is the caller's duty, and a fragment may end in the
/// middle of a code point that the next fragment completes.
/// </para>
/// <para>
/// To frame a message once and send it to many connections, put the payload in a buffer after room for the
/// header, then write the header right in front of it:
/// <code>
/// payload.CopyTo(buffer.Slice(FrameWriter.MaxHeaderSize));
/// int start = FrameWriter.WriteHeaderBefore(buffer, FrameWriter.MaxHeaderSize, Opcode.Text, payload.Length);
/// ReadOnlySpan&lt;byte&gt; frame = buffer.Slice(start, FrameWriter.MaxHeaderSize + payload.Length - start);
/// </code>
/// Reserving <see cref="HeaderSize"/> bytes instead of <see cref="MaxHeaderSize"/> makes the frame start at 0.
/// </para>
/// </remarks>
internal static class FrameWriter
{
    /// <summary>The largest header a server frame has: 2 bytes, then a 64-bit length, and no masking key.</summary>
    public const int MaxHeaderSize = 10;

    /// <summary>The largest payload a control frame may carry (section 5.5).</summary>
    public const int MaxControlPayloadLength = 125;

    /// <summary>The largest control frame: a 2-byte header and 125 payload bytes.</summary>
    public const int MaxControlFrameSize = 2 + MaxControlPayloadLength;

    /// <summary>The longest close reason in UTF-8 bytes: the control payload less the 2-byte code.</summary>
    public const int MaxCloseReasonLength = MaxControlPayloadLength - 2;

    private const byte FinBit = 0x80;
    private const byte Rsv1Bit = 0x40;
    private const byte Length16 = 126;
    private const byte Length64 = 127;

    /// <summary>The header size, 2, 4 or 10 bytes, of a server frame with <paramref name="payloadLength"/> bytes.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="payloadLength"/> is negative.</exception>
    public static int HeaderSize(long payloadLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(payloadLength);
        return payloadLength switch
        {
            <= 125 => 2,
            <= ushort.MaxValue => 4,
            _ => MaxHeaderSize,
        };
    }

    /// <summary>
    /// Writes only the header of a frame whose <paramref name="payloadLength"/> bytes the caller sends after
    /// it. Returns the bytes written, <see cref="HeaderSize"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The header breaks a rule above, or <paramref name="destination"/> is too small.</exception>
    public static int WriteHeader(Span<byte> destination, Opcode opcode, long payloadLength, bool fin = true, bool rsv1 = false)
    {
        ValidateHeader(opcode, payloadLength, fin, rsv1);
        int size = HeaderSize(payloadLength);
        if (destination.Length < size)
        {
            ThrowDestinationTooSmall(nameof(destination));
        }

        WriteHeaderUnchecked(destination, opcode, payloadLength, size, fin, rsv1);
        return size;
    }

    /// <summary>
    /// Writes the header of a frame whose payload already sits in <paramref name="buffer"/> at
    /// <paramref name="payloadOffset"/>, in the bytes just before it. Returns where the frame starts; it ends
    /// at <paramref name="payloadOffset"/> + <paramref name="payloadLength"/>.
    /// </summary>
    /// <exception cref="ArgumentException">
    /// The header breaks a rule above, there is less than <see cref="HeaderSize"/> room before the payload, or
    /// the payload does not lie within <paramref name="buffer"/>.
    /// </exception>
    public static int WriteHeaderBefore(Span<byte> buffer, int payloadOffset, Opcode opcode, int payloadLength, bool fin = true, bool rsv1 = false)
    {
        ValidateHeader(opcode, payloadLength, fin, rsv1);
        int size = HeaderSize(payloadLength);
        if (payloadOffset < size)
        {
            throw new ArgumentException($"A {size}-byte header does not fit before offset {payloadOffset}.", nameof(payloadOffset));
        }

        if (payloadOffset > buffer.Length - payloadLength)
        {
            throw new ArgumentException("The payload does not lie within the buffer.", nameof(payloadLength));
        }

        int start = payloadOffset - size;
        WriteHeaderUnchecked(buffer.Slice(start), opcode, payloadLength, size, fin, rsv1);
        return start;
    }

    /// <summary>Writes a whole frame. Returns the bytes written.</summary>
    /// <exception cref="ArgumentException">The frame breaks a rule above, or <paramref name="destination"/> is too small.</exception>
    public static int WriteFrame(Span<byte> destination, Opcode opcode, ReadOnlySpan<byte> payload, bool fin = true, bool rsv1 = false)
    {
        if (!TryWriteFrame(destination, opcode, payload, out int written, fin, rsv1))
        {
            ThrowDestinationTooSmall(nameof(destination));
        }

        return written;
    }

    /// <summary>
    /// Writes a whole frame if <paramref name="destination"/> has room for it; otherwise writes nothing and
    /// returns false. A frame that breaks a rule above still throws.
    /// </summary>
    /// <exception cref="ArgumentException">The frame breaks a rule above.</exception>
    public static bool TryWriteFrame(Span<byte> destination, Opcode opcode, ReadOnlySpan<byte> payload, out int bytesWritten, bool fin = true, bool rsv1 = false)
    {
        ValidateHeader(opcode, payload.Length, fin, rsv1);
        if (opcode == Opcode.Close)
        {
            ValidateClosePayload(payload);
        }

        int size = HeaderSize(payload.Length);
        if (destination.Length - size < payload.Length)
        {
            bytesWritten = 0;
            return false;
        }

        WriteHeaderUnchecked(destination, opcode, payload.Length, size, fin, rsv1);
        payload.CopyTo(destination.Slice(size));
        bytesWritten = size + payload.Length;
        return true;
    }

    /// <summary>Appends a whole frame to <paramref name="writer"/>.</summary>
    /// <exception cref="ArgumentException">The frame breaks a rule above.</exception>
    public static void WriteFrame(IBufferWriter<byte> writer, Opcode opcode, ReadOnlySpan<byte> payload, bool fin = true, bool rsv1 = false)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ValidateHeader(opcode, payload.Length, fin, rsv1);
        if (opcode == Opcode.Close)
        {
            ValidateClosePayload(payload);
        }

        // Header and payload go separately so that a large payload need not find one contiguous buffer.
        int size = HeaderSize(payload.Length);
        WriteHeaderUnchecked(writer.GetSpan(size), opcode, payload.Length, size, fin, rsv1);
        writer.Advance(size);
        writer.Write(payload);
    }

    /// <summary>Writes a text frame: a whole message, or with <paramref name="fin"/> false its first fragment.</summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is too small.</exception>
    public static int WriteText(Span<byte> destination, ReadOnlySpan<byte> utf8Payload, bool fin = true, bool rsv1 = false) =>
        WriteFrame(destination, Opcode.Text, utf8Payload, fin, rsv1);

    /// <summary>Appends a text frame: a whole message, or with <paramref name="fin"/> false its first fragment.</summary>
    public static void WriteText(IBufferWriter<byte> writer, ReadOnlySpan<byte> utf8Payload, bool fin = true, bool rsv1 = false) =>
        WriteFrame(writer, Opcode.Text, utf8Payload, fin, rsv1);

    /// <summary>Writes a binary frame: a whole message, or with <paramref name="fin"/> false its first fragment.</summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is too small.</exception>
    public static int WriteBinary(Span<byte> destination, ReadOnlySpan<byte> payload, bool fin = true, bool rsv1 = false) =>
        WriteFrame(destination, Opcode.Binary, payload, fin, rsv1);

    /// <summary>Appends a binary frame: a whole message, or with <paramref name="fin"/> false its first fragment.</summary>
    public static void WriteBinary(IBufferWriter<byte> writer, ReadOnlySpan<byte> payload, bool fin = true, bool rsv1 = false) =>
        WriteFrame(writer, Opcode.Binary, payload, fin, rsv1);

    /// <summary>Writes a further fragment of a message; <paramref name="fin"/> true marks the last one.</summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is too small.</exception>
    public static int WriteContinuation(Span<byte> destination, ReadOnlySpan<byte> payload, bool fin = true) =>
        WriteFrame(destination, Opcode.Continuation, payload, fin);

    /// <summary>Appends a further fragment of a message; <paramref name="fin"/> true marks the last one.</summary>
    public static void WriteContinuation(IBufferWriter<byte> writer, ReadOnlySpan<byte> payload, bool fin = true) =>
        WriteFrame(writer, Opcode.Continuation, payload, fin);

    /// <summary>Writes a ping carrying at most 125 bytes of application data.</summary>
    /// <exception cref="ArgumentException">The payload is over 125 bytes, or <paramref name="destination"/> is too small.</exception>
    public static int WritePing(Span<byte> destination, ReadOnlySpan<byte> payload) =>
        WriteFrame(destination, Opcode.Ping, payload);

    /// <summary>Appends a ping carrying at most 125 bytes of application data.</summary>
    /// <exception cref="ArgumentException">The payload is over 125 bytes.</exception>
    public static void WritePing(IBufferWriter<byte> writer, ReadOnlySpan<byte> payload) =>
        WriteFrame(writer, Opcode.Ping, payload);

    /// <summary>Writes a pong; in answer to a ping it carries the ping's payload (section 5.5.3).</summary>
    /// <exception cref="ArgumentException">The payload is over 125 bytes, or <paramref name="destination"/> is too small.</exception>
    public static int WritePong(Span<byte> destination, ReadOnlySpan<byte> payload) =>
        WriteFrame(destination, Opcode.Pong, payload);

    /// <summary>Appends a pong; in answer to a ping it carries the ping's payload (section 5.5.3).</summary>
    /// <exception cref="ArgumentException">The payload is over 125 bytes.</exception>
    public static void WritePong(IBufferWriter<byte> writer, ReadOnlySpan<byte> payload) =>
        WriteFrame(writer, Opcode.Pong, payload);

    /// <summary>Writes a close frame with no code, hence an empty payload. Returns the bytes written, 2.</summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is too small.</exception>
    public static int WriteClose(Span<byte> destination) =>
        WriteFrame(destination, Opcode.Close, ReadOnlySpan<byte>.Empty);

    /// <summary>
    /// Writes a close frame carrying <paramref name="code"/> and an optional reason of at most
    /// <see cref="MaxCloseReasonLength"/> UTF-8 bytes. Returns the bytes written.
    /// </summary>
    /// <exception cref="ArgumentException">
    /// The code may not be sent, the reason is too long or not UTF-8, or <paramref name="destination"/> is too small.
    /// </exception>
    public static int WriteClose(Span<byte> destination, CloseCode code, ReadOnlySpan<byte> utf8Reason = default)
    {
        ValidateCloseCode(code);
        if (utf8Reason.Length > MaxCloseReasonLength)
        {
            throw new ArgumentException($"A close reason may take at most {MaxCloseReasonLength} bytes.", nameof(utf8Reason));
        }

        if (!Utf8Validator.IsValid(utf8Reason))
        {
            throw new ArgumentException("A close reason must be UTF-8.", nameof(utf8Reason));
        }

        int size = 2 + 2 + utf8Reason.Length;
        if (destination.Length < size)
        {
            ThrowDestinationTooSmall(nameof(destination));
        }

        WriteHeaderUnchecked(destination, Opcode.Close, size - 2, 2, fin: true, rsv1: false);
        BinaryPrimitives.WriteUInt16BigEndian(destination.Slice(2), (ushort)code);
        utf8Reason.CopyTo(destination.Slice(4));
        return size;
    }

    /// <summary>
    /// Writes a close frame carrying <paramref name="code"/> and <paramref name="reason"/>, which must take at
    /// most <see cref="MaxCloseReasonLength"/> bytes in UTF-8. Returns the bytes written.
    /// </summary>
    /// <exception cref="ArgumentException">
    /// The code may not be sent, the reason is too long, or <paramref name="destination"/> is too small.
    /// </exception>
    public static int WriteClose(Span<byte> destination, CloseCode code, string reason)
    {
        ArgumentNullException.ThrowIfNull(reason);
        ValidateCloseCode(code);

        // Every char takes at least one byte, so a long string is rejected before it is measured.
        if (reason.Length > MaxCloseReasonLength || Encoding.UTF8.GetByteCount(reason) > MaxCloseReasonLength)
        {
            throw new ArgumentException($"A close reason may take at most {MaxCloseReasonLength} UTF-8 bytes.", nameof(reason));
        }

        Span<byte> utf8Reason = stackalloc byte[MaxCloseReasonLength];
        int reasonLength = Encoding.UTF8.GetBytes(reason, utf8Reason);
        return WriteClose(destination, code, utf8Reason.Slice(0, reasonLength));
    }

    /// <summary>Appends a close frame with no code, hence an empty payload.</summary>
    public static void WriteClose(IBufferWriter<byte> writer) =>
        WriteFrame(writer, Opcode.Close, ReadOnlySpan<byte>.Empty);

    /// <summary>Appends a close frame carrying <paramref name="code"/> and an optional UTF-8 reason.</summary>
    /// <exception cref="ArgumentException">The code may not be sent, or the reason is too long or not UTF-8.</exception>
    public static void WriteClose(IBufferWriter<byte> writer, CloseCode code, ReadOnlySpan<byte> utf8Reason = default)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Advance(WriteClose(writer.GetSpan(MaxControlFrameSize), code, utf8Reason));
    }

    /// <summary>Appends a close frame carrying <paramref name="code"/> and <paramref name="reason"/>.</summary>
    /// <exception cref="ArgumentException">The code may not be sent, or the reason is too long.</exception>
    public static void WriteClose(IBufferWriter<byte> writer, CloseCode code, string reason)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Advance(WriteClose(writer.GetSpan(MaxControlFrameSize), code, reason));
    }

    private static void ValidateHeader(Opcode opcode, long payloadLength, bool fin, bool rsv1)
    {
        if (!opcode.IsDefined())
        {
            throw new ArgumentException($"Opcode {(byte)opcode} is reserved.", nameof(opcode));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(payloadLength);

        if (opcode.IsControl())
        {
            if (payloadLength > MaxControlPayloadLength)
            {
                throw new ArgumentException($"A control frame carries at most {MaxControlPayloadLength} bytes.", nameof(payloadLength));
            }

            if (!fin)
            {
                throw new ArgumentException("A control frame cannot be fragmented.", nameof(fin));
            }

            if (opcode == Opcode.Close && payloadLength == 1)
            {
                throw new ArgumentException("A close payload is empty or starts with a 2-byte code.", nameof(payloadLength));
            }
        }

        if (rsv1 && opcode is not (Opcode.Text or Opcode.Binary))
        {
            throw new ArgumentException("RSV1 marks the first frame of a text or binary message only.", nameof(rsv1));
        }
    }

    // The close frames a caller builds by hand get the same checks as those WriteClose builds.
    private static void ValidateClosePayload(ReadOnlySpan<byte> payload)
    {
        if (payload.Length < 2)
        {
            return;
        }

        ValidateCloseCode((CloseCode)BinaryPrimitives.ReadUInt16BigEndian(payload));
        if (!Utf8Validator.IsValid(payload.Slice(2)))
        {
            throw new ArgumentException("A close reason must be UTF-8.", nameof(payload));
        }
    }

    private static void ValidateCloseCode(CloseCode code)
    {
        if (!CloseCodes.IsValidOnWire((ushort)code))
        {
            throw new ArgumentException($"Close code {(ushort)code} may not be sent.", nameof(code));
        }
    }

    private static void WriteHeaderUnchecked(Span<byte> destination, Opcode opcode, long payloadLength, int size, bool fin, bool rsv1)
    {
        destination[0] = (byte)((fin ? FinBit : 0) | (rsv1 ? Rsv1Bit : 0) | (byte)opcode);
        switch (size)
        {
            case 2:
                destination[1] = (byte)payloadLength;
                break;
            case 4:
                destination[1] = Length16;
                BinaryPrimitives.WriteUInt16BigEndian(destination.Slice(2), (ushort)payloadLength);
                break;
            default:
                destination[1] = Length64;
                BinaryPrimitives.WriteUInt64BigEndian(destination.Slice(2), (ulong)payloadLength);
                break;
        }
    }

    [DoesNotReturn]
    private static void ThrowDestinationTooSmall(string paramName) =>
        throw new ArgumentException("The destination is too small for the frame.", paramName);
}
