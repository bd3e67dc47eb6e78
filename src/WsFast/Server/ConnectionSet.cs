namespace WsFast.Server;

/// <summary>
/// The connections of an endpoint (or of the whole server), kept so that a broadcast can walk them without
/// allocating or locking. Adding and removing take a short lock and reuse freed slots; the array grows only
/// when the set outgrows it.
/// </summary>
/// <remarks>
/// A walk reads the slots without the lock: a connection added or removed during a walk may or may not be
/// seen, which is the same race a broadcast has with a connection opening or closing at that instant.
/// </remarks>
internal sealed class ConnectionSet<T> where T : class
{
    private readonly object _lock = new();
    private T?[] _slots = new T?[16];
    private int[] _free = new int[16];
    private int _freeCount;
    private int _highWater;
    private int _count;

    /// <summary>How many items the set holds.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Adds <paramref name="item"/> and returns its slot, to be passed to <see cref="Remove"/>.</summary>
    public int Add(T item)
    {
        lock (_lock)
        {
            int slot;
            if (_freeCount > 0)
            {
                slot = _free[--_freeCount];
            }
            else
            {
                if (_highWater == _slots.Length)
                {
                    Array.Resize(ref _slots, _slots.Length * 2);
                }

                slot = _highWater++;
            }

            Volatile.Write(ref _slots[slot], item);
            _count++;
            return slot;
        }
    }

    /// <summary>Puts <paramref name="item"/> in the place of what <paramref name="slot"/> holds (a connection handing over to its next phase).</summary>
    public void Replace(int slot, T item)
    {
        lock (_lock)
        {
            Volatile.Write(ref _slots[slot], item);
        }
    }

    /// <summary>Removes the item in <paramref name="slot"/>.</summary>
    public void Remove(int slot)
    {
        lock (_lock)
        {
            if (_slots[slot] is null)
            {
                return;
            }

            Volatile.Write(ref _slots[slot], null);
            if (_freeCount == _free.Length)
            {
                Array.Resize(ref _free, _free.Length * 2);
            }

            _free[_freeCount++] = slot;
            _count--;
        }
    }

    /// <summary>
    /// The slots to walk: null entries are free. Take it once per walk, and walk it up to its length.
    /// </summary>
    public ReadOnlySpan<T?> Snapshot()
    {
        T?[] slots = Volatile.Read(ref _slots);
        return slots.AsSpan(0, Math.Min(Volatile.Read(ref _highWater), slots.Length));
    }
}
