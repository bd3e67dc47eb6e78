namespace WsFast.Server;

/// <summary>
/// A rate with bursts: <c>rate</c> tokens a second, at most <c>burst</c> held, full at first. Used by one owner at
/// a time (a connection's receive loop, or under its table's lock), not thread-safe, allocation-free.
/// </summary>
/// <remarks>
/// Not <c>System.Threading.RateLimiting.TokenBucketRateLimiter</c>: that is a class per bucket with a lock, a
/// queue and either a timer or a replenish call of its own, and <c>AttemptAcquire</c> returns a lease object
/// (cached for success, allocated for a refusal that carries its retry-after). A connection checks its buckets
/// on every frame it receives and there are up to <see cref="WsFastServerOptions.MaxConnections"/> of them; this
/// is two fields and arithmetic, with the library's semantics (refill continuously, capped at the burst, a
/// request larger than what is held is refused and takes nothing).
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
