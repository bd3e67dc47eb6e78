using System.Buffers;
using System.Text;
using WsFast.Protocol;
using WsFast.Transport;

namespace WsFast.Server;

/// <summary>
/// The WebSocket envelope of a topic's message, for clients that ask for it with the <see cref="SubProtocol"/>
/// subprotocol: the topic, the epoch and the sequence number with the payload, so that the client knows its
/// cursor and can resume from the history after a reconnect (as event streams and polls can).
/// </summary>
/// <remarks>
/// <para>Text: one text frame, <c>{"topic":"news","epoch":E,"seq":N,"data":"..."}</c>, the payload as a JSON string.
/// Binary: one binary frame, <c>{"topic":"news","epoch":E,"seq":N}</c>, a line feed (0x0A), then the payload's
/// bytes as they are (a topic name holds no character JSON would escape, so the line feed is the first one).
/// A gap: <c>{"topic":"news","epoch":E,"gap":true,"first":F,"last":L}</c>, with <c>"reset":true</c> when the
/// client's cursor was of another epoch.</para>
/// <para>Built once per message, the first time an enveloped subscriber needs it, and shared like the plain frame.</para>
/// </remarks>
internal static class TopicEnvelope
{
    /// <summary>The subprotocol a WebSocket client offers to get envelopes.</summary>
    public const string SubProtocol = "wsfast.v1";

    // What JSON requires escaped in a string (RFC 8259 section 7): the quote, the backslash, control characters.
    private static readonly SearchValues<byte> Escaped = SearchValues.Create(
        "\0\u0001\u0002\u0003\u0004\u0005\u0006\u0007\b\t\n\u000b\f\r\u000e\u000f\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001a\u001b\u001c\u001d\u001e\u001f\"\\"u8);

    /// <summary>The envelope frame of message <paramref name="sequence"/> of <paramref name="topic"/>, with one reference for the caller.</summary>
    public static SharedBuffer Frame(Topic topic, long sequence, MessageType type, ReadOnlySpan<byte> payload)
    {
        Span<byte> head = stackalloc byte[128];
        int headLength = WriteHead(head, topic, sequence);
        int length = type == MessageType.Text
            ? headLength + ",\"data\":\""u8.Length + EscapedLength(payload) + "\"}"u8.Length
            : headLength + "}\n"u8.Length + payload.Length;
        int header = FrameWriter.HeaderSize(length);
        SharedBuffer buffer = SharedBufferPool.Shared.Rent(header + length);
        Span<byte> span = buffer.Span;
        FrameWriter.WriteHeader(span, (Opcode)type, length);
        int at = header;
        at += Append(span, at, head.Slice(0, headLength));
        if (type == MessageType.Text)
        {
            at += Append(span, at, ",\"data\":\""u8);
            at += WriteEscaped(span.Slice(at), payload);
            at += Append(span, at, "\"}"u8);
        }
        else
        {
            at += Append(span, at, "}\n"u8);
            at += Append(span, at, payload);
        }

        buffer.Length = at;
        return buffer;
    }

    /// <summary>The frame telling a resuming client of a gap (once per resume: it may allocate).</summary>
    public static SharedBuffer Gap(Topic topic, long first, long last, bool reset)
    {
        string json = $"{{\"topic\":\"{topic.Name}\",\"epoch\":{topic.Epoch},\"gap\":true,\"first\":{first},\"last\":{last}{(reset ? ",\"reset\":true" : "")}}}";
        return FrameWriting.Frame(Opcode.Text, Encoding.ASCII.GetBytes(json));
    }

    // {"topic":"NAME","epoch":E,"seq":N (without the closing brace)
    private static int WriteHead(Span<byte> head, Topic topic, long sequence)
    {
        int at = Append(head, 0, "{\"topic\":\""u8);
        at += Encoding.ASCII.GetBytes(topic.Name, head.Slice(at));
        at += Append(head, at, "\",\"epoch\":"u8);
        topic.Epoch.TryFormat(head.Slice(at), out int written, default, System.Globalization.CultureInfo.InvariantCulture);
        at += written;
        at += Append(head, at, ",\"seq\":"u8);
        sequence.TryFormat(head.Slice(at), out written, default, System.Globalization.CultureInfo.InvariantCulture);
        return at + written;
    }

    private static int EscapedLength(ReadOnlySpan<byte> text)
    {
        int length = text.Length;
        while (true)
        {
            int index = text.IndexOfAny(Escaped);
            if (index < 0)
            {
                return length;
            }

            length += ShortEscape(text[index]) != 0 ? 1 : 5; // \n is two bytes, \u001f six
            text = text.Slice(index + 1);
        }
    }

    private static int WriteEscaped(Span<byte> destination, ReadOnlySpan<byte> text)
    {
        int at = 0;
        while (true)
        {
            int index = text.IndexOfAny(Escaped);
            ReadOnlySpan<byte> plain = index < 0 ? text : text.Slice(0, index);
            at += Append(destination, at, plain);
            if (index < 0)
            {
                return at;
            }

            byte b = text[index];
            destination[at++] = (byte)'\\';
            byte shortEscape = ShortEscape(b);
            if (shortEscape != 0)
            {
                destination[at++] = shortEscape;
            }
            else
            {
                at += Append(destination, at, "u00"u8);
                destination[at++] = (byte)"0123456789abcdef"[b >> 4];
                destination[at++] = (byte)"0123456789abcdef"[b & 0xF];
            }

            text = text.Slice(index + 1);
        }
    }

    private static byte ShortEscape(byte b) => b switch
    {
        (byte)'"' => (byte)'"',
        (byte)'\\' => (byte)'\\',
        (byte)'\n' => (byte)'n',
        (byte)'\r' => (byte)'r',
        (byte)'\t' => (byte)'t',
        (byte)'\b' => (byte)'b',
        (byte)'\f' => (byte)'f',
        _ => 0,
    };

    private static int Append(Span<byte> destination, int offset, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(destination.Slice(offset));
        return bytes.Length;
    }
}
