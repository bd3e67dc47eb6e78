namespace WsFast.Server;

/// <summary>
/// A rate with bursts: <c>rate</c> tokens a second, at most <c>burst</c> held, full at first. Used by one owner at
/// a time (a connection's receive loop, or under its table's lock), not thread-safe, allocation-free.
/// </summary>
/// <remarks>
/// Not <c>System.Threading.RateLimiting.TokenBucketRateLimiter</c>, measured on .NET 10: each one is a 240-byte
/// object with a lock and a queue, refilled by a timer of its own or by calls to <c>TryReplenish</c>; a granted
/// <c>AttemptAcquire</c> returns a cached lease (0 bytes) but takes the lock (about 150 ns on the shared test
/// machine), and a refused one allocates its lease (40 bytes, for its retry-after). A connection checks two
/// buckets on every data frame it receives, and a server holds up to <see cref="WsFastServerOptions.MaxConnections"/>
/// connections: here a bucket is two fields inside its owner and a few arithmetic instructions, with the library's
/// semantics (continuous refill capped at the burst; a request for more than is held is refused and takes nothing).
/// </remarks>
internal struct TokenBucket
{
    private double _tokens;
    private long _refilledAt;

    /// <summary>Takes a token at <paramref name="now"/> (<see cref="Environment.TickCount64"/>); false when none is left.</summary>
    public bool TryTake(int rate, long now) => TryTake(1, rate, rate, now);

    /// <summary>
    /// Takes <paramref name="count"/> tokens at <paramref name="now"/> (<see cref="Environment.TickCount64"/>) from a
    /// bucket refilled at <paramref name="rate"/> a second up to <paramref name="burst"/>; false, taking none, when
    /// fewer are held.
    /// </summary>
    public bool TryTake(long count, double rate, long burst, long now)
    {
        Refill(rate, burst, now);
        if (_tokens < count)
        {
            return false;
        }

        _tokens -= count;
        return true;
    }

    /// <summary>Seconds until <paramref name="count"/> tokens are held again (at least 1: what <c>Retry-After</c> can say).</summary>
    public readonly int SecondsUntil(long count, double rate) =>
        (int)Math.Clamp(Math.Ceiling((count - _tokens) / rate), 1, int.MaxValue);

    /// <summary>Whether the bucket is full at <paramref name="now"/>: forgetting it loses nothing.</summary>
    public readonly bool IsFull(double rate, long burst, long now) =>
        _refilledAt == 0 || _tokens + ((now - _refilledAt) * rate / 1000.0) >= burst;

    private void Refill(double rate, long burst, long now)
    {
        _tokens = _refilledAt == 0 ? burst : Math.Min(burst, _tokens + ((now - _refilledAt) * rate / 1000.0));
        _refilledAt = now;
    }
}
