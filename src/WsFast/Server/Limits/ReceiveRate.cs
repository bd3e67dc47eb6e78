namespace WsFast.Server;

/// <summary>
/// One WebSocket connection's allowance of <see cref="ClientLimitOptions.MessagesPerSecond"/> and
/// <see cref="ClientLimitOptions.BytesPerSecond"/>: checked on every data frame piece its receive loop reads, so
/// two buckets and arithmetic, nothing allocated. A message is counted at its first frame and bytes as they
/// arrive (before any decompression), so a client over either is stopped before the server assembles or hands
/// on what is over, and everything that arrived whole before it has been handed on in order.
/// </summary>
internal struct ReceiveRate
{
    private TokenBucket _messages;
    private TokenBucket _bytes;

    /// <summary>
    /// Takes a data frame piece of <paramref name="bytes"/> payload bytes, the first of a message when
    /// <paramref name="messageStart"/>; the limit it would go over otherwise.
    /// </summary>
    public LimitRefusal? TryTake(ClientLimitOptions limits, bool messageStart, long bytes)
    {
        long now = Environment.TickCount64;
        if (messageStart && limits.MessagesPerSecond > 0 && !_messages.TryTake(1, limits.MessagesPerSecond, limits.MessageBurst, now))
        {
            return LimitRefusal.MessageRate;
        }

        if (limits.BytesPerSecond > 0 && bytes > 0 && !_bytes.TryTake(bytes, limits.BytesPerSecond, limits.ByteBurst, now))
        {
            return LimitRefusal.ByteRate;
        }

        return null;
    }
}
