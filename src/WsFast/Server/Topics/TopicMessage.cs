using System.Buffers.Text;
using System.Text;
using WsFast.Protocol;
using WsFast.Transport;

namespace WsFast.Server;

/// <summary>
/// One message published to a topic, with its per-topic sequence number. It is framed once: every WebSocket
/// subscriber's queue references the same frame bytes, every Server-Sent Events subscriber the same
/// event bytes, and every draft-76 subscriber the same <c>0x00 … 0xFF</c> frame, each built the first time one
/// is needed.
/// </summary>
/// <remarks>
/// All access happens under the topic's lock, except <see cref="Payload"/> read by a poll that holds a
/// reference of its own (<see cref="TakeReference"/>). The message holds one reference to each buffer until it
/// leaves the topic's history.
/// </remarks>
internal sealed class TopicMessage
{
    private readonly Topic _topic;
    private readonly SharedBuffer _frame;
    private readonly int _headerSize;
    private SharedBuffer? _event;
    private SharedBuffer? _envelope;
    private SharedBuffer? _compressed;
    private int _compressedWindowBits;
    private bool _compressionDone;
    private SharedBuffer? _hixie76Frame;
    private bool _hixie76Built;

    internal TopicMessage(Topic topic, long sequence, MessageType type, SharedBuffer frame, int headerSize, DateTime publishedUtc)
    {
        _topic = topic;
        Sequence = sequence;
        Type = type;
        _frame = frame;
        _headerSize = headerSize;
        PublishedUtc = publishedUtc;
        PublishedTicks = Environment.TickCount64;
    }

    /// <summary>The topic's sequence number of this message: 1 for the first one published.</summary>
    public long Sequence { get; }

    /// <summary>Text or binary.</summary>
    public MessageType Type { get; }

    /// <summary>When it was published.</summary>
    public DateTime PublishedUtc { get; }

    /// <summary>The payload bytes (inside the shared frame).</summary>
    public ReadOnlySpan<byte> Payload => _frame.WrittenSpan.Slice(_headerSize);

    /// <summary>When it was published, on the clock the server's deadlines use (<see cref="Environment.TickCount64"/>).</summary>
    internal long PublishedTicks { get; }

    /// <summary>The WebSocket frame shared by every WebSocket subscriber.</summary>
    internal SharedBuffer Frame => _frame;

    /// <summary>
    /// The envelope frame shared by every WebSocket subscriber that asked for envelopes (<see cref="TopicEnvelope"/>);
    /// null for a message of an endpoint's own topic, which has no name to put in one: those subscribers get
    /// <see cref="Frame"/>.
    /// </summary>
    internal SharedBuffer? EnvelopeFrame
    {
        get
        {
            if (_envelope is null && _topic.Registry is not null)
            {
                _envelope = TopicEnvelope.Frame(_topic, Sequence, Type, Payload);
                HeldBy?.Grow(_envelope.Length);
            }

            return _envelope;
        }
    }

    /// <summary>The <c>text/event-stream</c> event shared by every SSE subscriber: <c>id</c> is <c>epoch:sequence</c>.</summary>
    internal SharedBuffer Event
    {
        get
        {
            if (_event is null)
            {
                _event = BuildEvent();
                HeldBy?.Grow(_event.Length);
            }

            return _event;
        }
    }

    /// <summary>
    /// The permessage-deflate frame shared by every WebSocket subscriber that agreed to
    /// <c>server_no_context_takeover</c> within a window at least as large (RFC 7692): compressed once, the first
    /// time such a subscriber needs it, with that subscriber's settings (uWebSockets' shared compressor does the
    /// same). Null for that subscriber when the message is below its endpoint's minimum size, does not shrink, or
    /// no compressor was free: it then gets <see cref="Frame"/>.
    /// </summary>
    internal SharedBuffer? CompressedFrameFor(ConnectionDeflate subscriber)
    {
        if (!_compressionDone)
        {
            ReadOnlySpan<byte> payload = Payload;
            PerMessageDeflateOptions options = subscriber.Options;
            if (payload.Length < options.MinimumMessageSize)
            {
                return null; // not marked done: a subscriber of another endpoint may have a lower minimum
            }

            int windowBits = subscriber.Agreement.ServerMaxWindowBits;
            if (!options.Pools.TryCompressFrame(windowBits, (Opcode)Type, payload, out _compressed))
            {
                return null; // every compressor busy: this subscriber gets the plain frame, a later one may try again
            }

            _compressionDone = true;
            _compressedWindowBits = windowBits;
            if (_compressed is not null)
            {
                HeldBy?.Grow(_compressed.Length);
            }
        }

        return _compressed is not null && subscriber.CanShare(_compressedWindowBits) ? _compressed : null;
    }

    /// <summary>
    /// The draft-76 text frame shared by every draft-76 subscriber (<c>Server/Legacy/Hixie76Connection</c>); null
    /// for a message draft 76 cannot carry: binary, or text that is not valid UTF-8 (a 0xFF in it would end the
    /// frame early and let the rest be read as frames of its own).
    /// </summary>
    internal SharedBuffer? Hixie76Frame
    {
        get
        {
            if (!_hixie76Built)
            {
                _hixie76Built = true;
                _hixie76Frame = Hixie76Framing.TryFrame(Type, Payload);
                if (_hixie76Frame is not null)
                {
                    HeldBy?.Grow(_hixie76Frame.Length);
                }
            }

            return _hixie76Frame;
        }
    }

    /// <summary>Bytes this message holds: its frame, and its event, compressed frame and draft-76 frame once built.</summary>
    internal int HeldBytes => _frame.Length + (_event?.Length ?? 0) + (_envelope?.Length ?? 0) + (_compressed?.Length ?? 0) + (_hixie76Frame?.Length ?? 0);

    /// <summary>The history keeping this message, which counts its bytes; null once it left (or never joined).</summary>
    internal TopicHistory? HeldBy { get; set; }

    /// <summary>
    /// Keeps the payload readable outside the topic's lock, after the message may have left the history: the
    /// caller releases the returned buffer when done with <see cref="Payload"/>.
    /// </summary>
    internal SharedBuffer TakeReference()
    {
        _frame.AddReference();
        return _frame;
    }

    /// <summary>Drops the message's own references; queues holding the buffers keep theirs.</summary>
    internal void Release()
    {
        _frame.Release();
        _event?.Release();
        _envelope?.Release();
        _compressed?.Release();
        _hixie76Frame?.Release();
    }

    // "id: E:N\n" (the topic's epoch and the sequence number), then "data: line\n" per line of the text (or the base64 of binary, after "event: binary"),
    // then a blank line (the HTML Living Standard's event stream format).
    private SharedBuffer BuildEvent()
    {
        ReadOnlySpan<byte> payload = Payload;
        int dataLength = Type == MessageType.Text ? payload.Length : Base64.GetMaxEncodedToUtf8Length(payload.Length);
        int lines = 1;
        if (Type == MessageType.Text)
        {
            // A CR or an LF each end at most one line (a CRLF pair ends one).
            lines += payload.Count((byte)'\n') + payload.Count((byte)'\r');
        }

        SharedBuffer buffer = SharedBufferPool.Shared.Rent(96 + dataLength + lines * 7);
        Span<byte> span = buffer.Span;
        int length = Append(span, 0, "id: ");
        _topic.Epoch.TryFormat(span.Slice(length), out int written);
        length += written;
        length = Append(span, length, ":");
        Sequence.TryFormat(span.Slice(length), out written);
        length += written;
        length = Append(span, length, "\n");
        if (Type == MessageType.Binary)
        {
            length = Append(span, length, "event: binary\ndata: ");
            Base64.EncodeToUtf8(payload, span.Slice(length), out _, out written);
            length += written;
            length = Append(span, length, "\n");
        }
        else
        {
            // The event stream grammar ends a line at CRLF, at a lone LF and at a lone CR alike. A line break
            // the text carries, in any of the three forms, starts a new data line (the client joins them back
            // with '\n'); a break left inside a data line would let the text inject fields such as id or event.
            while (true)
            {
                int end = payload.IndexOfAny((byte)'\r', (byte)'\n');
                ReadOnlySpan<byte> line = end < 0 ? payload : payload[..end];
                length = Append(span, length, "data: ");
                line.CopyTo(span.Slice(length));
                length += line.Length;
                length = Append(span, length, "\n");
                if (end < 0)
                {
                    break;
                }

                int breakLength = payload[end] == (byte)'\r' && end + 1 < payload.Length && payload[end + 1] == (byte)'\n' ? 2 : 1;
                payload = payload[(end + breakLength)..];
            }
        }

        length = Append(span, length, "\n");
        buffer.Length = length;
        return buffer;
    }

    private static int Append(Span<byte> destination, int offset, string ascii) =>
        offset + Encoding.ASCII.GetBytes(ascii, destination.Slice(offset));
}
