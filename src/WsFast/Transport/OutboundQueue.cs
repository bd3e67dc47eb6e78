namespace WsFast.Transport;

/// <summary>
/// The outbound bytes of one connection not yet sent: a ring of (buffer, offset, count) references in send
/// order. The first entry may be partly sent already. Not thread-safe; <see cref="SocketConnection"/> guards it.
/// </summary>
internal sealed class OutboundQueue
{
    private const int InitialCapacity = 2; // an idle connection holds this ring; it grows on demand (powers of two)

    // Kept across pool reuse up to this size; a queue that grew larger for a burst shrinks back on Clear.
    private const int RetainedCapacity = 64;

    private Entry[] _entries = new Entry[InitialCapacity];
    private int _head;
    private int _count;
    private int _headSent;
    private long _bytes;

    /// <summary>Entries queued, including a partly sent first one.</summary>
    public int Count => _count;

    /// <summary>Bytes queued and not yet sent.</summary>
    public long Bytes => _bytes;

    public void Enqueue(SharedBuffer buffer, int offset, int count)
    {
        if (_count == _entries.Length)
        {
            Grow();
        }

        _entries[(_head + _count) & (_entries.Length - 1)] = new Entry(buffer, offset, count);
        _count++;
        _bytes += count;
    }

    /// <summary>The unsent part of entry <paramref name="index"/> (0 is the first) as an array segment.</summary>
    public ArraySegment<byte> Peek(int index)
    {
        ref Entry entry = ref _entries[(_head + index) & (_entries.Length - 1)];
        int skip = index == 0 ? _headSent : 0;
        return new ArraySegment<byte>(entry.Buffer.Array, entry.Offset + skip, entry.Count - skip);
    }

    /// <summary>Marks <paramref name="sent"/> bytes from the front as sent, releasing every entry fully sent.</summary>
    public void Consume(int sent)
    {
        _bytes -= sent;
        while (sent > 0)
        {
            ref Entry entry = ref _entries[_head];
            int remaining = entry.Count - _headSent;
            if (sent < remaining)
            {
                _headSent += sent;
                return;
            }

            sent -= remaining;
            SharedBuffer buffer = entry.Buffer;
            RemoveHead();
            buffer.Release();
        }
    }

    /// <summary>Releases every queued entry, sent or not, and shrinks back if the queue grew large.</summary>
    public void Clear()
    {
        while (_count > 0)
        {
            SharedBuffer buffer = _entries[_head].Buffer;
            RemoveHead();
            buffer.Release();
        }

        _bytes = 0;
        _head = 0;
        if (_entries.Length > RetainedCapacity)
        {
            _entries = new Entry[InitialCapacity];
        }
    }

    private void RemoveHead()
    {
        _entries[_head] = default;
        _head = (_head + 1) & (_entries.Length - 1);
        _count--;
        _headSent = 0;
    }

    private void Grow()
    {
        // Capacity stays a power of two so that wrapping is a mask.
        var larger = new Entry[_entries.Length * 2];
        for (int i = 0; i < _count; i++)
        {
            larger[i] = _entries[(_head + i) & (_entries.Length - 1)];
        }

        _entries = larger;
        _head = 0;
    }

    private readonly record struct Entry(SharedBuffer Buffer, int Offset, int Count);
}
