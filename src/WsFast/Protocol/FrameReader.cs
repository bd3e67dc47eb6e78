using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace WsFast.Protocol;

/// <summary>
/// A resumable decoder of RFC 6455 frames (section 5), fed from a <see cref="ReadOnlySequence{T}"/> that may
/// end anywhere: inside a header, a masking key or a payload that straddles any number of segments and reads.
/// </summary>
/// <remarks>
/// <para>
/// Each call to <see cref="Read"/> decodes one thing from the front of the buffer and slices the buffer past
/// what it used: a piece of message payload (<see cref="FrameReadStatus.Data"/>), a whole control frame
/// (<see cref="FrameReadStatus.Control"/>), a protocol violation (<see cref="FrameReadStatus.Error"/>), or
/// <see cref="FrameReadStatus.NeedMoreData"/>. A caller loops until it gets NeedMoreData, handles each
/// chunk before releasing the buffer, then releases the consumed part (a pipe's <c>AdvanceTo(buffer.Start,
/// buffer.End)</c>). Headers and control frames are consumed only once they are complete (at most 14 and
/// 131 bytes), so the state carried between calls is just the frame and message in flight.
/// </para>
/// <para>
/// Payload is unmasked in place, so the buffer must be memory the caller owns and may write, such as a
/// pipe's. Everything valid that precedes a violation is handed out before the violation is reported, and
/// each check fails at the first byte that breaks it: a reserved opcode as soon as the first header byte
/// arrives, invalid UTF-8 at the first byte that can no longer become valid.
/// </para>
/// <para>
/// The reader is a mutable struct meant to live in a field of its owner; copying it copies its state.
/// </para>
/// </remarks>
internal struct FrameReader
{
    /// <summary>The largest frame header: 2 bytes, a 64-bit length and a masking key.</summary>
    public const int MaxHeaderSize = 14;

    /// <summary>The largest payload a control frame may carry (section 5.5).</summary>
    public const int MaxControlPayload = 125;

    private readonly long _maxFramePayload;
    private readonly long _maxMessagePayload;
    private readonly bool _isServer;
    private readonly bool _allowRsv1;

    // The data frame whose payload is being read.
    private long _payloadRemaining;
    private uint _maskKey;
    private int _maskOffset;
    private bool _inPayload;
    private bool _frameFin;
    private bool _frameMasked;
    private int _headerToSkip; // a data frame's header, read but not yet sliced off the buffer

    // The data message in flight: Text or Binary, or Continuation when none is.
    private Opcode _messageOpcode;
    private long _messageLength;
    private bool _messageStartPending;
    private bool _messageCompressed; // RSV1 on its first frame: permessage-deflate (RFC 7692 section 6)
    private Utf8Validator _utf8;

    private ProtocolError _error;

    /// <summary>Creates a reader with the given limits and role.</summary>
    public FrameReader(FrameReaderOptions options)
    {
        _maxFramePayload = Math.Min(options.MaxFramePayload, options.MaxMessagePayload);
        _maxMessagePayload = options.MaxMessagePayload;
        _isServer = options.IsServer;
        _allowRsv1 = options.AllowRsv1;
    }

    /// <summary>The violation that stopped the reader, or <see cref="ProtocolError.None"/>.</summary>
    public readonly ProtocolError Error => _error;

    /// <summary>True while a fragmented data message has started and not yet ended.</summary>
    public readonly bool IsMessageInFlight => _messageOpcode != Opcode.Continuation;

    /// <summary>
    /// Decodes the next chunk or control frame from the front of <paramref name="buffer"/> and slices
    /// <paramref name="buffer"/> past the bytes it consumed.
    /// </summary>
    public FrameReadStatus Read(ref ReadOnlySequence<byte> buffer, out FrameChunk chunk)
    {
        chunk = default;
        if (_error != ProtocolError.None)
        {
            return FrameReadStatus.Error;
        }

        if (!_inPayload)
        {
            FrameReadStatus status = ReadHeader(ref buffer, out chunk);
            if (!_inPayload)
            {
                return status; // a control frame, more data needed, or an error
            }
        }

        return ReadPayload(ref buffer, out chunk);
    }

    [SkipLocalsInit] // the header scratch is only read where it was written
    private FrameReadStatus ReadHeader(ref ReadOnlySequence<byte> buffer, out FrameChunk chunk)
    {
        chunk = default;
        scoped ReadOnlySpan<byte> header = buffer.FirstSpan;
        Span<byte> gathered = stackalloc byte[MaxHeaderSize];
        if (header.Length < MaxHeaderSize && !buffer.IsSingleSegment)
        {
            int count = (int)Math.Min(buffer.Length, MaxHeaderSize);
            buffer.Slice(0, count).CopyTo(gathered);
            header = gathered.Slice(0, count);
        }

        if (header.Length < 1)
        {
            return FrameReadStatus.NeedMoreData;
        }

        // First byte: FIN, RSV1-3, opcode. Each can already be judged on its own.
        byte first = header[0];
        bool fin = (first & 0x80) != 0;
        bool rsv1 = (first & 0x40) != 0;
        var opcode = (Opcode)(first & 0x0F);

        if ((first & 0x30) != 0 || (rsv1 && !_allowRsv1))
        {
            return Fail(ProtocolError.ReservedBitsSet);
        }

        if (!opcode.IsDefined())
        {
            return Fail(ProtocolError.ReservedOpcode);
        }

        bool isControl = opcode.IsControl();
        if (isControl)
        {
            if (!fin)
            {
                return Fail(ProtocolError.FragmentedControlFrame);
            }
        }
        else if (opcode == Opcode.Continuation)
        {
            if (_messageOpcode == Opcode.Continuation)
            {
                return Fail(ProtocolError.UnexpectedContinuation);
            }
        }
        else if (_messageOpcode != Opcode.Continuation)
        {
            return Fail(ProtocolError.ExpectedContinuation);
        }

        // An extension's RSV1 marks a whole message, so it may only appear on the first frame of one
        // (RFC 7692 section 6).
        if (rsv1 && (isControl || opcode == Opcode.Continuation))
        {
            return Fail(ProtocolError.ReservedBitsSet);
        }

        if (header.Length < 2)
        {
            return FrameReadStatus.NeedMoreData;
        }

        // Second byte: MASK and the 7-bit length.
        byte second = header[1];
        bool masked = (second & 0x80) != 0;
        int length7 = second & 0x7F;
        if (masked != _isServer)
        {
            return Fail(_isServer ? ProtocolError.UnmaskedFrame : ProtocolError.MaskedFrame);
        }

        if (isControl && length7 > MaxControlPayload)
        {
            return Fail(ProtocolError.ControlFrameTooLong);
        }

        int lengthBytes = length7 switch { 126 => 2, 127 => 8, _ => 0 };
        if (lengthBytes == 8 && header.Length > 2 && (header[2] & 0x80) != 0)
        {
            return Fail(ProtocolError.PayloadLengthTopBitSet);
        }

        int headerSize = 2 + lengthBytes + (masked ? 4 : 0);
        if (header.Length < 2 + lengthBytes)
        {
            return FrameReadStatus.NeedMoreData;
        }

        long payloadLength = lengthBytes switch
        {
            2 => BinaryPrimitives.ReadUInt16BigEndian(header.Slice(2)),
            8 => (long)BinaryPrimitives.ReadUInt64BigEndian(header.Slice(2)),
            _ => length7,
        };

        if (payloadLength > _maxFramePayload)
        {
            return Fail(ProtocolError.FrameTooBig);
        }

        if (!isControl)
        {
            long messageSoFar = opcode == Opcode.Continuation ? _messageLength : 0;
            if (payloadLength > _maxMessagePayload - messageSoFar)
            {
                return Fail(ProtocolError.MessageTooBig);
            }
        }

        if (header.Length < headerSize)
        {
            return FrameReadStatus.NeedMoreData;
        }

        uint maskKey = masked ? Masking.ReadKey(header.Slice(headerSize - 4)) : 0;

        if (isControl)
        {
            // Control payloads are tiny: wait until the whole frame is here and hand it out at once.
            long frameSize = headerSize + payloadLength;
            if (buffer.Length < frameSize)
            {
                return FrameReadStatus.NeedMoreData;
            }

            ReadOnlySequence<byte> payload = buffer.Slice(headerSize, payloadLength);
            if (masked)
            {
                Unmask(payload, maskKey, 0);
            }

            if (opcode == Opcode.Close)
            {
                ProtocolError closeError = ValidateClosePayload(payload);
                if (closeError != ProtocolError.None)
                {
                    return Fail(closeError);
                }
            }

            chunk = new FrameChunk(opcode, payload, isMessageStart: true, isFrameEnd: true, isMessageEnd: true);
            buffer = buffer.Slice(frameSize);
            return FrameReadStatus.Control;
        }

        if (opcode != Opcode.Continuation)
        {
            _messageOpcode = opcode;
            _messageLength = 0;
            _messageStartPending = true;
            _messageCompressed = rsv1;
            _utf8.Reset();
        }

        _messageLength += payloadLength;
        _payloadRemaining = payloadLength;
        _maskKey = maskKey;
        _maskOffset = 0;
        _frameMasked = masked;
        _frameFin = fin;
        _inPayload = true;

        // The header is skipped together with the payload that follows it: one slice of the sequence, not two.
        _headerToSkip = headerSize;
        return FrameReadStatus.Data;
    }

    private FrameReadStatus ReadPayload(ref ReadOnlySequence<byte> buffer, out FrameChunk chunk)
    {
        chunk = default;
        int skip = _headerToSkip;
        _headerToSkip = 0;
        long available = buffer.Length - skip;
        if (_payloadRemaining > 0 && available == 0)
        {
            buffer = buffer.Slice(skip);
            return FrameReadStatus.NeedMoreData;
        }

        long count = Math.Min(available, _payloadRemaining);
        _payloadRemaining -= count;
        bool frameEnd = _payloadRemaining == 0;
        bool messageEnd = frameEnd && _frameFin;
        // Compressed text is validated once inflated, by whoever inflates it.
        bool isText = _messageOpcode == Opcode.Text && !_messageCompressed;

        ReadOnlySequence<byte> payload;
        if (buffer.IsSingleSegment)
        {
            // The common case: the payload's bytes are handed out as their memory, converted to a writable span
            // once for unmasking and validation; cheaper than slicing the sequence, and the caller needs the
            // bytes, not their position.
            ReadOnlyMemory<byte> memory = buffer.First.Slice(skip, (int)count);
            Span<byte> bytes = MemoryMarshal.AsMemory(memory).Span;
            if (_frameMasked)
            {
                _maskOffset = Masking.Apply(bytes, _maskKey, _maskOffset);
            }

            if (isText && (!_utf8.Validate(bytes) || (messageEnd && !_utf8.IsComplete)))
            {
                return Fail(ProtocolError.InvalidUtf8);
            }

            payload = new ReadOnlySequence<byte>(memory);
        }
        else
        {
            payload = buffer.Slice(skip, count);
            if (_frameMasked)
            {
                _maskOffset = Unmask(payload, _maskKey, _maskOffset);
            }

            if (isText && !ValidateText(payload, messageEnd))
            {
                return Fail(ProtocolError.InvalidUtf8);
            }
        }

        chunk = new FrameChunk(_messageOpcode, payload, _messageStartPending, frameEnd, messageEnd, _messageCompressed);
        _messageStartPending = false;
        if (frameEnd)
        {
            _inPayload = false;
            if (messageEnd)
            {
                _messageOpcode = Opcode.Continuation;
            }
        }

        buffer = buffer.Slice(skip + count);
        return FrameReadStatus.Data;
    }

    private bool ValidateText(in ReadOnlySequence<byte> payload, bool messageEnd)
    {
        if (payload.IsSingleSegment)
        {
            if (!_utf8.Validate(payload.FirstSpan))
            {
                return false;
            }
        }
        else
        {
            foreach (ReadOnlyMemory<byte> segment in payload)
            {
                if (!_utf8.Validate(segment.Span))
                {
                    return false;
                }
            }
        }

        // A message may not end inside a code point (section 8.1).
        return !messageEnd || _utf8.IsComplete;
    }

    private static ProtocolError ValidateClosePayload(in ReadOnlySequence<byte> payload)
    {
        if (payload.Length == 0)
        {
            return ProtocolError.None;
        }

        if (payload.Length == 1)
        {
            return ProtocolError.ClosePayloadTooShort;
        }

        Span<byte> bytes = stackalloc byte[MaxControlPayload];
        payload.CopyTo(bytes);
        ushort code = BinaryPrimitives.ReadUInt16BigEndian(bytes);
        if (!CloseCodes.IsValidOnWire(code))
        {
            return ProtocolError.InvalidCloseCode;
        }

        return Utf8Validator.IsValid(bytes.Slice(2, (int)payload.Length - 2))
            ? ProtocolError.None
            : ProtocolError.InvalidCloseReason;
    }

    private static int Unmask(in ReadOnlySequence<byte> payload, uint key, int keyOffset)
    {
        if (payload.IsSingleSegment)
        {
            return Masking.Apply(MemoryMarshal.AsMemory(payload.First).Span, key, keyOffset);
        }

        foreach (ReadOnlyMemory<byte> segment in payload)
        {
            keyOffset = Masking.Apply(MemoryMarshal.AsMemory(segment).Span, key, keyOffset);
        }

        return keyOffset;
    }

    private FrameReadStatus Fail(ProtocolError error)
    {
        _error = error;
        _inPayload = false;
        return FrameReadStatus.Error;
    }
}
