namespace WsFast.Server;

/// <summary>
/// The last messages of a topic, for catch-up by a cursor: a ring, oldest first, bounded in messages, in bytes
/// (its own and, through the shared <see cref="HistoryBudget"/>, all topics' together) and in age. Guarded by
/// its topic's lock.
/// </summary>
internal sealed class TopicHistory
{
    private readonly HistoryBudget? _budget;
    private readonly TopicMessage?[] _ring;
    private int _start;
    private int _count;
    private long _bytes;

    /// <summary>A history within <paramref name="budget"/>; none (nothing kept) without one.</summary>
    public TopicHistory(HistoryBudget? budget)
    {
        _budget = budget;
        _ring = new TopicMessage?[budget?.MessagesPerTopic ?? 0];
    }

    /// <summary>Whether this history keeps anything at all.</summary>
    public bool KeepsMessages => _ring.Length > 0 && _budget!.BytesPerTopic > 0;

    public int Count => _count;

    /// <summary>Bytes the messages held take (frames, and events once built).</summary>
    public long Bytes => _bytes;

    /// <summary>The oldest sequence number still held, or 0 when empty.</summary>
    public long OldestSequence => _count == 0 ? 0 : _ring[_start]!.Sequence;

    /// <summary>Message <paramref name="index"/>, oldest first.</summary>
    public TopicMessage this[int index] => _ring[(_start + index) % _ring.Length]!;

    /// <summary>
    /// Keeps <paramref name="message"/> (taking over the caller's reference), then lets the oldest messages go
    /// until every bound holds again. The caller has already counted this topic in the budget if the history
    /// was empty (<see cref="HistoryBudget.TryStartTopic"/>).
    /// </summary>
    public void Add(TopicMessage message)
    {
        if (!KeepsMessages)
        {
            message.Release();
            return;
        }

        if (_count == _ring.Length)
        {
            RemoveOldest();
        }

        _ring[(_start + _count) % _ring.Length] = message;
        _count++;
        Grow(message.HeldBytes);
        message.HeldBy = this;
        Trim();
    }

    /// <summary>A message held here grew (its event was built): counts the bytes, and trims on the next add.</summary>
    public void Grow(long bytes)
    {
        _bytes += bytes;
        _budget?.Add(bytes);
    }

    /// <summary>Lets go of every message published before <paramref name="cutoffTicks"/>.</summary>
    public void Expire(long cutoffTicks)
    {
        while (_count > 0 && _ring[_start]!.PublishedTicks < cutoffTicks)
        {
            RemoveOldest();
        }
    }

    /// <summary>Releases every message held.</summary>
    public void Clear()
    {
        while (_count > 0)
        {
            RemoveOldest();
        }
    }

    // The newest message stays even alone over the per-topic bound, so that the largest message a publisher may
    // send (MaxPublishBytes, which the default HistoryBytes equals) can still be caught up with; that bounds a
    // topic by one such message. The shared total is never exceeded: over it, a topic lets even its newest go.
    private void Trim()
    {
        while (_count > 0 && ((_count > 1 && _bytes > _budget!.BytesPerTopic) || _budget!.IsOverTotal))
        {
            RemoveOldest();
        }
    }

    private void RemoveOldest()
    {
        TopicMessage oldest = _ring[_start]!;
        _ring[_start] = null;
        _start = (_start + 1) % _ring.Length;
        _count--;
        long held = oldest.HeldBytes;
        _bytes -= held;
        _budget?.Add(-held);
        oldest.HeldBy = null;
        oldest.Release();
        if (_count == 0)
        {
            _start = 0;
            _budget?.EndTopic();
        }
    }
}
