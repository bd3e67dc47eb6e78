namespace WsFast.Transport;

/// <summary>
/// The outbound bytes of one connection not yet sent: a ring of (buffer, offset, count) references in send
/// order. The first entry may be partly sent already. Not thread-safe; <see cref="SocketConnection"/> guards it.
/// </summary>
/// <remarks>
/// Entries a send under way covers (<see cref="InFlight"/>) and a partly sent first entry are untouchable: the
/// kernel or the coalescing copy may be reading them, and dropping a partly sent one would cut a frame in two.
/// Everything behind them may still be replaced (<see cref="TryReplace"/>) or dropped (<see cref="DropUnsent"/>).
/// </remarks>
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

    // Positions counted from the first entry ever queued (since the last Clear), so that the replaceable entry
    // keeps its identity while the head moves.
    private long _removed;
    private long _replaceable = -1;

    /// <summary>Entries queued, including a partly sent first one.</summary>
    public int Count => _count;

    /// <summary>Bytes queued and not yet sent.</summary>
    public long Bytes => _bytes;

    /// <summary>How many entries from the front the send under way covers; 0 when none is under way.</summary>
    public int InFlight { get; set; }

    /// <summary>
    /// Adds an entry at the back. A <paramref name="replaceable"/> one may later be superseded by
    /// <see cref="TryReplace"/> as long as it waits.
    /// </summary>
    public void Enqueue(SharedBuffer buffer, int offset, int count, bool replaceable = false)
    {
        if (_count == _entries.Length)
        {
            Grow();
        }

        _entries[(_head + _count) & (_entries.Length - 1)] = new Entry(buffer, offset, count);
        _count++;
        _bytes += count;
        if (replaceable)
        {
            _replaceable = _removed + _count - 1;
        }
    }

    /// <summary>
    /// Puts the given bytes in place of the waiting replaceable entry and returns the buffer it held (the caller
    /// releases it); null, changing nothing, when there is no such entry or it is already being sent.
    /// </summary>
    public SharedBuffer? TryReplace(SharedBuffer buffer, int offset, int count)
    {
        long index = _replaceable - _removed;
        if (_replaceable < 0 || index < Untouchable || index >= _count)
        {
            return null;
        }

        ref Entry entry = ref _entries[(_head + (int)index) & (_entries.Length - 1)];
        SharedBuffer replaced = entry.Buffer;
        _bytes += count - entry.Count;
        entry = new Entry(buffer, offset, count);
        return replaced;
    }

    /// <summary>Releases every entry that is neither being sent nor partly sent: the queue keeps only those.</summary>
    public void DropUnsent()
    {
        int keep = Untouchable;
        while (_count > keep)
        {
            ref Entry last = ref _entries[(_head + _count - 1) & (_entries.Length - 1)];
            SharedBuffer buffer = last.Buffer;
            _bytes -= last.Count;
            last = default;
            _count--;
            buffer.Release();
        }

        if (_replaceable - _removed >= _count)
        {
            _replaceable = -1;
        }
    }

    /// <summary>
    /// Moves every entry, in order, to the back of <paramref name="target"/>, references and all; this queue is left
    /// empty. For a queue none of whose entries is being sent.
    /// </summary>
    public void MoveTo(OutboundQueue target)
    {
        while (_count > 0)
        {
            Entry entry = _entries[_head];
            target.Enqueue(entry.Buffer, entry.Offset, entry.Count);
            _bytes -= entry.Count;
            RemoveHead();
        }
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
        _removed = 0;
        _replaceable = -1;
        InFlight = 0;
        if (_entries.Length > RetainedCapacity)
        {
            _entries = new Entry[InitialCapacity];
        }
    }

    // Entries from the front that must stay as they are.
    private int Untouchable => Math.Max(InFlight, _headSent > 0 ? 1 : 0);

    private void RemoveHead()
    {
        _entries[_head] = default;
        _head = (_head + 1) & (_entries.Length - 1);
        _count--;
        _headSent = 0;
        if (_replaceable == _removed)
        {
            _replaceable = -1;
        }

        _removed++;
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
