using System.Buffers.Text;
using System.Diagnostics;

namespace WsFast.Load.Scenarios.Feed;

/// <summary>
/// The text of a feed message: <c>{"seq":N,"t":T,"pad":"xxx"}</c>, padded to the asked size (or, for
/// permessage-deflate runs, <c>{"seq":N,"t":T,"ticks":[...]}</c>: market-data quotes), where N counts
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

    private static ReadOnlySpan<byte> TicksField => ",\"ticks\":["u8;

    // Quote symbols and their price levels in cents: a feed's messages repeat keys and symbols and differ in
    // digits, which is what a compressor meets in market data (a run of letters would compress to nothing).
    private static readonly byte[][] Symbols = [.. new[] { "BTC-USD", "ETH-USD", "SOL-USD", "EUR-USD", "AAPL", "MSFT", "NVDA", "TSLA" }.Select(s => System.Text.Encoding.ASCII.GetBytes(s))];
    private static readonly int[] Levels = [4_321_100, 228_100, 14_250, 108, 23_410, 47_120, 18_830, 33_560];

    /// <summary>
    /// Writes the payload of message <paramref name="sequence"/> stamped <paramref name="timestamp"/> into
    /// <paramref name="destination"/>, padded to <paramref name="size"/> bytes when that is more than the bare
    /// fields take; returns its length.
    /// </summary>
    public static int Write(Span<byte> destination, long sequence, long timestamp, int size) =>
        Write(destination, sequence, timestamp, size, ticks: false);

    /// <summary>
    /// <see cref="Write(Span{byte}, long, long, int)"/>, or with <paramref name="ticks"/> filled with quotes that
    /// vary from message to message (drawn from a generator seeded by the sequence number) instead of letters.
    /// </summary>
    public static int Write(Span<byte> destination, long sequence, long timestamp, int size, bool ticks)
    {
        int length = 0;
        Append(destination, ref length, SeqField);
        Utf8Formatter.TryFormat(sequence, destination.Slice(length), out int written);
        length += written;
        Append(destination, ref length, TimeField);
        Utf8Formatter.TryFormat(timestamp, destination.Slice(length), out written);
        length += written;

        int room = size - length - 1; // what is left besides the closing brace
        if (ticks && room >= TicksField.Length + 1)
        {
            length = WriteTicks(destination, length, size - 1, sequence);
        }
        else if (room >= PadField.Length + 1)
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

    // ,"ticks":[{"s":"ETH-USD","b":2281.41,"a":2281.46,"v":120},...] up to `end`, then JSON whitespace to it.
    private static int WriteTicks(Span<byte> destination, int length, int end, long sequence)
    {
        Append(destination, ref length, TicksField);
        ulong state = (ulong)sequence * 0x9E3779B97F4A7C15UL + 1; // xorshift64, never 0
        Span<byte> tick = stackalloc byte[64];
        bool first = true;
        while (true)
        {
            int index = (int)(Next(ref state) % (ulong)Symbols.Length);
            long bid = Levels[index] + (long)(Next(ref state) % 2_000) - 1_000;
            int tickLength = 0;
            Append(tick, ref tickLength, first ? "{\"s\":\""u8 : ",{\"s\":\""u8);
            Append(tick, ref tickLength, Symbols[index]);
            Append(tick, ref tickLength, "\",\"b\":"u8);
            AppendCents(tick, ref tickLength, bid);
            Append(tick, ref tickLength, ",\"a\":"u8);
            AppendCents(tick, ref tickLength, bid + 1 + (long)(Next(ref state) % 9));
            Append(tick, ref tickLength, ",\"v\":"u8);
            Utf8Formatter.TryFormat(1 + Next(ref state) % 5_000, tick.Slice(tickLength), out int written);
            tickLength += written;
            tick[tickLength++] = (byte)'}';
            if (length + tickLength + 1 > end)
            {
                break;
            }

            Append(destination, ref length, tick.Slice(0, tickLength));
            first = false;
        }

        destination[length++] = (byte)']';
        destination.Slice(length, end - length).Fill((byte)' ');
        return end;
    }

    private static ulong Next(ref ulong state)
    {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        return state;
    }

    private static void AppendCents(Span<byte> destination, ref int length, long cents)
    {
        Utf8Formatter.TryFormat(cents / 100, destination.Slice(length), out int written);
        length += written;
        destination[length++] = (byte)'.';
        destination[length++] = (byte)('0' + cents % 100 / 10);
        destination[length++] = (byte)('0' + cents % 10);
    }

    private static void Append(Span<byte> destination, ref int length, ReadOnlySpan<byte> text)
    {
        text.CopyTo(destination.Slice(length));
        length += text.Length;
    }
}
