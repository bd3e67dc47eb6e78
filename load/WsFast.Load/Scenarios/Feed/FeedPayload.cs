using System.Buffers.Text;
using System.Diagnostics;

namespace WsFast.Load.Scenarios.Feed;

/// <summary>
/// The text of a feed message: <c>{"seq":N,"t":T,"pad":"xxx"}</c>, padded to the asked size, where N counts
/// the publisher's messages from 1 and T is the <see cref="Stopwatch"/> timestamp taken just before the
/// publish request was sent. A receiver's fan-out latency is its own timestamp at receipt minus T.
/// </summary>
/// <remarks>
/// T compares across receivers because the publisher and the receivers share one process and one clock. (On
/// Linux, Stopwatch reads CLOCK_MONOTONIC, which is one clock for the whole machine, so stamps from another
/// process on the same machine would compare too; not across machines.)
/// </remarks>
public static class FeedPayload
{
    /// <summary>The longest payload without padding: <c>{"seq":,"t":}</c> and two numbers of up to 19 digits.</summary>
    public const int MaxUnpaddedLength = 51;

    private static ReadOnlySpan<byte> SeqField => "{\"seq\":"u8;

    private static ReadOnlySpan<byte> TimeField => ",\"t\":"u8;

    private static ReadOnlySpan<byte> PadField => ",\"pad\":\""u8;

    /// <summary>
    /// Writes the payload of message <paramref name="sequence"/> stamped <paramref name="timestamp"/> into
    /// <paramref name="destination"/>, padded to <paramref name="size"/> bytes when that is more than the bare
    /// fields take; returns its length.
    /// </summary>
    public static int Write(Span<byte> destination, long sequence, long timestamp, int size)
    {
        int length = 0;
        Append(destination, ref length, SeqField);
        Utf8Formatter.TryFormat(sequence, destination.Slice(length), out int written);
        length += written;
        Append(destination, ref length, TimeField);
        Utf8Formatter.TryFormat(timestamp, destination.Slice(length), out written);
        length += written;

        int room = size - length - 1; // what is left besides the closing brace
        if (room >= PadField.Length + 1)
        {
            // A pad field of letters: room for its name, quotes and at least one letter.
            Append(destination, ref length, PadField);
            int letters = room - PadField.Length - 1;
            destination.Slice(length, letters).Fill((byte)'x');
            length += letters;
            destination[length++] = (byte)'"';
        }
        else if (room > 0)
        {
            // Too little room for a field: JSON whitespace.
            destination.Slice(length, room).Fill((byte)' ');
            length += room;
        }

        destination[length++] = (byte)'}';
        return length;
    }

    /// <summary>The payload of message <paramref name="sequence"/> stamped <paramref name="timestamp"/>, padded to <paramref name="size"/>.</summary>
    public static byte[] Create(long sequence, long timestamp, int size)
    {
        var buffer = new byte[Math.Max(size, MaxUnpaddedLength)];
        return buffer.AsSpan(0, Write(buffer, sequence, timestamp, size)).ToArray();
    }

    /// <summary>Reads the sequence number and timestamp back; false when <paramref name="payload"/> is not a feed payload.</summary>
    public static bool TryParse(ReadOnlySpan<byte> payload, out long sequence, out long timestamp)
    {
        timestamp = 0;
        sequence = 0;
        if (!payload.StartsWith(SeqField) || !Utf8Parser.TryParse(payload.Slice(SeqField.Length), out sequence, out int consumed))
        {
            return false;
        }

        ReadOnlySpan<byte> rest = payload.Slice(SeqField.Length + consumed);
        return rest.StartsWith(TimeField) && Utf8Parser.TryParse(rest.Slice(TimeField.Length), out timestamp, out _);
    }

    private static void Append(Span<byte> destination, ref int length, ReadOnlySpan<byte> text)
    {
        text.CopyTo(destination.Slice(length));
        length += text.Length;
    }
}
