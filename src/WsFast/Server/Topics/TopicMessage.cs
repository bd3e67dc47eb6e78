using System.Buffers.Text;
using System.Text;
using WsFast.Transport;

namespace WsFast.Server;

/// <summary>
/// One message published to a topic, with its per-topic sequence number. It is framed once: every WebSocket
/// subscriber's queue references the same frame bytes, and every Server-Sent Events subscriber the same
/// event bytes, built the first time one is needed.
/// </summary>
/// <remarks>All access happens under the topic's lock; the message holds one reference to each buffer until it leaves the topic's history.</remarks>
public sealed class TopicMessage
{
    private readonly SharedBuffer _frame;
    private readonly int _headerSize;
    private SharedBuffer? _event;

    internal TopicMessage(long sequence, WebSocketMessageType type, SharedBuffer frame, int headerSize, DateTime publishedUtc)
    {
        Sequence = sequence;
        Type = type;
        _frame = frame;
        _headerSize = headerSize;
        PublishedUtc = publishedUtc;
    }

    /// <summary>The topic's sequence number of this message: 1 for the first one published.</summary>
    public long Sequence { get; }

    /// <summary>Text or binary.</summary>
    public WebSocketMessageType Type { get; }

    /// <summary>When it was published.</summary>
    public DateTime PublishedUtc { get; }

    /// <summary>The payload bytes (inside the shared frame).</summary>
    public ReadOnlySpan<byte> Payload => _frame.WrittenSpan.Slice(_headerSize);

    /// <summary>The WebSocket frame shared by every WebSocket subscriber.</summary>
    internal SharedBuffer Frame => _frame;

    /// <summary>The <c>text/event-stream</c> event shared by every SSE subscriber: <c>id</c> is the sequence number.</summary>
    internal SharedBuffer Event => _event ??= BuildEvent();

    /// <summary>Drops the message's own references; queues holding the buffers keep theirs.</summary>
    internal void Release()
    {
        _frame.Release();
        _event?.Release();
    }

    // "id: N\n", then "data: line\n" per line of the text (or the base64 of binary, after "event: binary"),
    // then a blank line (the HTML Living Standard's event stream format).
    private SharedBuffer BuildEvent()
    {
        ReadOnlySpan<byte> payload = Payload;
        int dataLength = Type == WebSocketMessageType.Text ? payload.Length : Base64.GetMaxEncodedToUtf8Length(payload.Length);
        int lines = 1;
        if (Type == WebSocketMessageType.Text)
        {
            lines += payload.Count((byte)'\n');
        }

        SharedBuffer buffer = SharedBufferPool.Shared.Rent(64 + dataLength + lines * 7);
        Span<byte> span = buffer.Span;
        int length = Append(span, 0, "id: ");
        Sequence.TryFormat(span.Slice(length), out int written);
        length += written;
        length = Append(span, length, "\n");
        if (Type == WebSocketMessageType.Binary)
        {
            length = Append(span, length, "event: binary\ndata: ");
            Base64.EncodeToUtf8(payload, span.Slice(length), out _, out written);
            length += written;
            length = Append(span, length, "\n");
        }
        else
        {
            // A line break inside the text starts a new data line; the client joins them back with '\n'.
            foreach (Range range in payload.Split((byte)'\n'))
            {
                ReadOnlySpan<byte> line = payload[range];
                if (line.Length > 0 && line[^1] == (byte)'\r')
                {
                    line = line[..^1];
                }

                length = Append(span, length, "data: ");
                line.CopyTo(span.Slice(length));
                length += line.Length;
                length = Append(span, length, "\n");
            }
        }

        length = Append(span, length, "\n");
        buffer.Length = length;
        return buffer;
    }

    private static int Append(Span<byte> destination, int offset, string ascii) =>
        offset + Encoding.ASCII.GetBytes(ascii, destination.Slice(offset));
}
