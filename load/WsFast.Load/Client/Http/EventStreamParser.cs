using System.Buffers;
using System.Text;

namespace WsFast.Load.Client.Http;

/// <summary>
/// Parses a <c>text/event-stream</c> body as it arrives, in pieces of any size (the HTML Living Standard's
/// event stream interpretation): lines end with CRLF, LF or CR; a blank line dispatches the event; <c>data</c>
/// lines are joined with LF; <c>event</c> names the type; <c>id</c> sets the last event id; lines starting
/// with a colon are comments; <c>retry</c> and unknown fields are ignored.
/// </summary>
public sealed class EventStreamParser
{
    private readonly ArrayBufferWriter<byte> _line = new(256);
    private readonly ArrayBufferWriter<byte> _data = new(256);
    private string? _type;
    private bool _afterCr; // the last byte was a CR: an LF right after it ends nothing more

    /// <summary>The id of the last <c>id</c> field, kept across events (what a reconnect sends as Last-Event-ID).</summary>
    public string? LastEventId { get; private set; }

    /// <summary>Parses <paramref name="bytes"/>, adding every event they complete to <paramref name="events"/>.</summary>
    public void Feed(ReadOnlySpan<byte> bytes, ICollection<ServerSentEvent> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        while (bytes.Length > 0)
        {
            if (_afterCr && bytes[0] == '\n')
            {
                bytes = bytes.Slice(1);
            }

            _afterCr = false;
            int end = bytes.IndexOfAny((byte)'\r', (byte)'\n');
            if (end < 0)
            {
                _line.Write(bytes);
                return;
            }

            ReadOnlySpan<byte> line = bytes.Slice(0, end);
            if (_line.WrittenCount > 0)
            {
                _line.Write(line);
                EndLine(_line.WrittenSpan, events);
                _line.ResetWrittenCount();
            }
            else
            {
                EndLine(line, events);
            }

            _afterCr = bytes[end] == '\r';
            bytes = bytes.Slice(end + 1);
        }
    }

    private void EndLine(ReadOnlySpan<byte> line, ICollection<ServerSentEvent> events)
    {
        if (line.IsEmpty)
        {
            Dispatch(events);
            return;
        }

        if (line[0] == ':')
        {
            return; // a comment, such as a keep-alive
        }

        int colon = line.IndexOf((byte)':');
        ReadOnlySpan<byte> field = colon < 0 ? line : line.Slice(0, colon);
        ReadOnlySpan<byte> value = colon < 0 ? default : line.Slice(colon + 1);
        if (value.Length > 0 && value[0] == ' ')
        {
            value = value.Slice(1);
        }

        if (field.SequenceEqual("data"u8))
        {
            _data.Write(value);
            _data.Write("\n"u8);
        }
        else if (field.SequenceEqual("event"u8))
        {
            _type = Encoding.UTF8.GetString(value);
        }
        else if (field.SequenceEqual("id"u8) && value.IndexOf((byte)0) < 0)
        {
            LastEventId = Encoding.UTF8.GetString(value);
        }
    }

    private void Dispatch(ICollection<ServerSentEvent> events)
    {
        // An event without data is not dispatched, but its type is still reset.
        if (_data.WrittenCount > 0)
        {
            byte[] data = _data.WrittenSpan[..^1].ToArray(); // without the last data line's LF
            events.Add(new ServerSentEvent(string.IsNullOrEmpty(_type) ? "message" : _type, LastEventId, data));
        }

        _data.ResetWrittenCount();
        _type = null;
    }
}
