namespace WsFast.Server;

/// <summary>The last messages of a topic, for catch-up by a cursor: a fixed ring, oldest first.</summary>
internal sealed class TopicHistory
{
    private readonly TopicMessage?[] _ring;
    private int _start;
    private int _count;

    public TopicHistory(int capacity) => _ring = new TopicMessage?[capacity];

    public int Count => _count;

    /// <summary>The oldest sequence number still held, or 0 when empty.</summary>
    public long OldestSequence => _count == 0 ? 0 : _ring[_start]!.Sequence;

    /// <summary>Keeps <paramref name="message"/>; the oldest message leaves (and is released) when the ring is full.</summary>
    public void Add(TopicMessage message)
    {
        if (_ring.Length == 0)
        {
            message.Release();
            return;
        }

        if (_count == _ring.Length)
        {
            _ring[_start]!.Release();
            _ring[_start] = message;
            _start = (_start + 1) % _ring.Length;
            return;
        }

        _ring[(_start + _count) % _ring.Length] = message;
        _count++;
    }

    /// <summary>The messages with a sequence number above <paramref name="after"/>, oldest first.</summary>
    public IEnumerable<TopicMessage> After(long after)
    {
        for (int i = 0; i < _count; i++)
        {
            TopicMessage message = _ring[(_start + i) % _ring.Length]!;
            if (message.Sequence > after)
            {
                yield return message;
            }
        }
    }

    /// <summary>Releases every message held.</summary>
    public void Clear()
    {
        for (int i = 0; i < _count; i++)
        {
            _ring[(_start + i) % _ring.Length]!.Release();
            _ring[(_start + i) % _ring.Length] = null;
        }

        _count = 0;
        _start = 0;
    }
}
