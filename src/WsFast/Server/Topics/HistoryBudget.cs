namespace WsFast.Server;

/// <summary>
/// What every topic's history may hold, and what all of them hold together: each history keeps at most
/// <see cref="BroadcastOptions.HistorySize"/> messages and <see cref="BroadcastOptions.HistoryBytes"/> bytes; all
/// of them together at most <see cref="BroadcastOptions.MaxHistoryBytes"/> bytes, in at most
/// <see cref="BroadcastOptions.MaxTopics"/> topics.
/// </summary>
internal sealed class HistoryBudget(BroadcastOptions options)
{
    private long _bytes;
    private int _topics;

    public int MessagesPerTopic { get; } = options.HistorySize;

    public long BytesPerTopic { get; } = options.HistoryBytes;

    public long TotalBytes { get; } = options.MaxHistoryBytes;

    public int MaxTopics { get; } = options.MaxTopics;

    /// <summary>Bytes every history holds together.</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>Topics whose history holds at least one message.</summary>
    public int Topics => Volatile.Read(ref _topics);

    public bool IsOverTotal => Interlocked.Read(ref _bytes) > TotalBytes;

    public void Add(long bytes) => Interlocked.Add(ref _bytes, bytes);

    /// <summary>A history is about to hold its first message: false when <see cref="MaxTopics"/> already hold some.</summary>
    public bool TryStartTopic()
    {
        if (Interlocked.Increment(ref _topics) <= MaxTopics)
        {
            return true;
        }

        Interlocked.Decrement(ref _topics);
        return false;
    }

    /// <summary>A history let go of its last message.</summary>
    public void EndTopic() => Interlocked.Decrement(ref _topics);
}
