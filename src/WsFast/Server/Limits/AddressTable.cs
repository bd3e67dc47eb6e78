namespace WsFast.Server;

/// <summary>What a client address holds: its open connections and its handshake allowance.</summary>
internal sealed class AddressState(UInt128 key)
{
    public UInt128 Key { get; } = key;

    /// <summary>Open connections counted against the address (guarded by the table's lock).</summary>
    public int Connections;

    /// <summary>Upgrades, event streams and polls it may still start (guarded by the table's lock).</summary>
    public TokenBucket Handshakes;
}

/// <summary>Why a request from a client address is refused.</summary>
internal enum AddressRefusal
{
    None,

    /// <summary>The address holds <see cref="ClientLimitOptions.MaxConnectionsPerAddress"/> connections.</summary>
    TooManyConnections,

    /// <summary>Every tracked address holds a connection and the table is at <see cref="ClientLimitOptions.MaxTrackedAddresses"/>.</summary>
    TableFull,
}

/// <summary>
/// The per-address counts of <see cref="ClientLimitOptions"/>: connections open and handshakes allowed, by
/// <see cref="AddressKey"/>. Bounded: an address without open connections is forgotten once its handshake
/// allowance is full again (at the server's housekeeping, about once a second, when it would be as a new one),
/// or at once when the table is full; so a flood of distinct addresses costs at most
/// <see cref="ClientLimitOptions.MaxTrackedAddresses"/> entries. Used once per request and per connection end,
/// under one lock: never per message.
/// </summary>
internal sealed class AddressTable(ClientLimitOptions options)
{
    private readonly Dictionary<UInt128, AddressState> _states = [];
    private readonly Lock _lock = new();

    /// <summary>Addresses tracked now.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _states.Count;
            }
        }
    }

    /// <summary>Counts a connection against the address of <paramref name="key"/>, or says why not.</summary>
    public AddressRefusal TryOpen(UInt128 key, out AddressState? state)
    {
        lock (_lock)
        {
            if (!_states.TryGetValue(key, out state))
            {
                if (_states.Count >= options.MaxTrackedAddresses && ForgetIdle(all: true, Environment.TickCount64) == 0)
                {
                    state = null;
                    return AddressRefusal.TableFull;
                }

                state = new AddressState(key);
                _states.Add(key, state);
            }

            int max = options.MaxConnectionsPerAddress;
            if (max > 0 && state.Connections >= max)
            {
                state = null;
                return AddressRefusal.TooManyConnections;
            }

            state.Connections++;
            return AddressRefusal.None;
        }
    }

    /// <summary>The connection counted by <see cref="TryOpen"/> ended (or moved to another address).</summary>
    public void Close(AddressState state)
    {
        lock (_lock)
        {
            state.Connections--;
        }
    }

    /// <summary>Takes a handshake from the address's allowance; when none is left, the seconds until one is.</summary>
    public bool TryHandshake(AddressState state, long now, out int retryAfterSeconds)
    {
        retryAfterSeconds = 0;
        double rate = options.HandshakesPerSecond;
        if (rate == 0)
        {
            return true;
        }

        lock (_lock)
        {
            if (state.Handshakes.TryTake(1, rate, options.HandshakeBurst, now))
            {
                return true;
            }

            retryAfterSeconds = state.Handshakes.SecondsUntil(1, rate);
            return false;
        }
    }

    /// <summary>Forgets the addresses without connections whose allowance has refilled: they are as new ones.</summary>
    public void Expire(long now)
    {
        lock (_lock)
        {
            ForgetIdle(all: false, now);
        }
    }

    // With all, every address without connections goes, refilled or not: the table is full, and a new address
    // must not be refused because old ones were once busy. Linear, but then the next many additions are free.
    private int ForgetIdle(bool all, long now)
    {
        int forgotten = 0;
        foreach ((UInt128 key, AddressState state) in _states)
        {
            if (state.Connections == 0
                && (all || options.HandshakesPerSecond == 0 || state.Handshakes.IsFull(options.HandshakesPerSecond, options.HandshakeBurst, now)))
            {
                _states.Remove(key);
                forgotten++;
            }
        }

        return forgotten;
    }
}
