using System.Buffers;

namespace WsFast.Protocol.Hixie76;

/// <summary>
/// A resumable decoder of the frames a draft-76 client sends (draft-hixie-thewebsocketprotocol-76 section 5.3),
/// fed from a <see cref="ReadOnlySequence{T}"/> that may end anywhere.
/// </summary>
/// <remarks>
/// <para>The draft knows two frame shapes, told apart by the high bit of the first (type) byte. Without it, the
/// frame runs until a <c>0xFF</c> byte: type <c>0x00</c> is a text message, any other type is read and discarded.
/// With it, a length follows in 7-bit groups, most significant first, each byte but the last with its high bit
/// set, then that many bytes, discarded; type <c>0xFF</c> with length 0 is the closing handshake.</para>
/// <para>Nothing is ever held back: each call consumes every byte it is given, handing out text as it arrives
/// (<see cref="Hixie76ReadStatus.Text"/>), so a frame split at any byte costs no copy and no state beyond a few
/// fields. The message limit bounds a text frame as it grows, a sentinel frame being discarded the same way, and
/// a length-prefixed frame by its declared length as soon as the length bytes exceed it: the draft lets frames
/// be as long as a client likes, and a frame that never ends must not hold the connection forever.</para>
/// <para>Text is validated as UTF-8 incrementally; a piece is handed out only once it is known valid so far,
/// and the last piece only once it is complete. A mutable struct meant to live in a field of its owner.</para>
/// </remarks>
internal struct Hixie76FrameReader
{
    private readonly long _maxMessage;
    private State _state;
    private byte _type;
    private bool _startPending;
    private long _length;   // text bytes read so far, the declared length being read, or the bytes left to discard
    private Utf8Validator _utf8;
    private Hixie76Error _error;

    /// <summary>Creates a reader that refuses frames longer than <paramref name="maxMessage"/> bytes.</summary>
    public Hixie76FrameReader(long maxMessage)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxMessage);
        _maxMessage = maxMessage;
    }

    private enum State : byte
    {
        FrameStart = 0,
        Text,
        Sentinel,   // a frame up to 0xFF whose type is not 0x00: discarded
        Length,
        Discard,
        Closed,
        Failed,
    }

    /// <summary>The violation that stopped the reader, or <see cref="Hixie76Error.None"/>.</summary>
    public readonly Hixie76Error Error => _error;

    /// <summary>True while a text frame has started and not ended.</summary>
    public readonly bool IsMessageInFlight => _state == State.Text;

    /// <summary>
    /// Decodes from the front of <paramref name="buffer"/> and slices it past what was consumed: until a piece of
    /// text, the closing handshake or an error, or until the buffer is empty.
    /// </summary>
    public Hixie76ReadStatus Read(ref ReadOnlySequence<byte> buffer, out Hixie76Chunk chunk)
    {
        chunk = default;
        while (true)
        {
            switch (_state)
            {
                case State.Closed:
                    return Hixie76ReadStatus.Close;

                case State.Failed:
                    return Hixie76ReadStatus.Error;

                case State.FrameStart:
                    if (buffer.IsEmpty)
                    {
                        return Hixie76ReadStatus.NeedMoreData;
                    }

                    _type = buffer.FirstSpan[0];
                    buffer = buffer.Slice(1);
                    _length = 0;
                    if ((_type & 0x80) != 0)
                    {
                        _state = State.Length;
                    }
                    else
                    {
                        _state = _type == 0x00 ? State.Text : State.Sentinel;
                        _startPending = true;
                        _utf8.Reset();
                    }

                    continue;

                case State.Length:
                    if (buffer.IsEmpty)
                    {
                        return Hixie76ReadStatus.NeedMoreData;
                    }

                    byte b = buffer.FirstSpan[0];
                    buffer = buffer.Slice(1);
                    int value = b & 0x7F;
                    if (_length > (_maxMessage - value) / 128)
                    {
                        return Fail(Hixie76Error.MessageTooBig);
                    }

                    _length = _length * 128 + value;
                    if ((b & 0x80) != 0)
                    {
                        continue;
                    }

                    if (_type == 0xFF && _length == 0)
                    {
                        _state = State.Closed;
                        return Hixie76ReadStatus.Close;
                    }

                    _state = _length == 0 ? State.FrameStart : State.Discard;
                    continue;

                case State.Discard:
                    if (buffer.IsEmpty)
                    {
                        return Hixie76ReadStatus.NeedMoreData;
                    }

                    long skip = Math.Min(buffer.Length, _length);
                    buffer = buffer.Slice(skip);
                    _length -= skip;
                    if (_length == 0)
                    {
                        _state = State.FrameStart;
                    }

                    continue;

                default: // Text or Sentinel
                    if (buffer.IsEmpty)
                    {
                        return Hixie76ReadStatus.NeedMoreData;
                    }

                    SequencePosition? end = buffer.PositionOf(Hixie76FrameWriter.TextEnd);
                    ReadOnlySequence<byte> piece = end is null ? buffer : buffer.Slice(0, end.Value);
                    bool text = _state == State.Text;
                    long room = _maxMessage - _length;
                    if (piece.Length > room)
                    {
                        // The error is the one at the first bad byte whatever the reads were: invalid text within
                        // the limit comes before the byte that passes it.
                        return Fail(text && !Validate(piece.Slice(0, room), ended: false)
                            ? Hixie76Error.InvalidUtf8
                            : Hixie76Error.MessageTooBig);
                    }

                    _length += piece.Length;
                    if (text && !Validate(piece, ended: end is not null))
                    {
                        return Fail(Hixie76Error.InvalidUtf8);
                    }

                    buffer = end is null ? buffer.Slice(buffer.End) : buffer.Slice(buffer.GetPosition(1, end.Value));
                    if (end is not null)
                    {
                        _state = State.FrameStart;
                    }

                    if (!text)
                    {
                        continue;
                    }

                    chunk = new Hixie76Chunk(piece, _startPending, end is not null);
                    _startPending = false;
                    return Hixie76ReadStatus.Text;
            }
        }
    }

    private bool Validate(in ReadOnlySequence<byte> piece, bool ended)
    {
        foreach (ReadOnlyMemory<byte> segment in piece)
        {
            if (!_utf8.Validate(segment.Span))
            {
                return false;
            }
        }

        return !ended || _utf8.IsComplete;
    }

    private Hixie76ReadStatus Fail(Hixie76Error error)
    {
        _error = error;
        _state = State.Failed;
        return Hixie76ReadStatus.Error;
    }
}
