namespace WsFast.Server;

/// <summary>
/// A rate with bursts: <c>rate</c> tokens a second, at most <c>rate</c> held. Used by one connection's receive
/// loop at a time (not thread-safe), allocation-free.
/// </summary>
internal struct TokenBucket
{
    private double _tokens;
    private long _refilledAt;

    /// <summary>Takes a token at <paramref name="now"/> (<see cref="Environment.TickCount64"/>); false when none is left.</summary>
    public bool TryTake(int rate, long now)
    {
        if (_refilledAt == 0)
        {
            _tokens = rate;
        }
        else
        {
            _tokens = Math.Min(rate, _tokens + ((now - _refilledAt) * rate / 1000.0));
        }

        _refilledAt = now;
        if (_tokens < 1)
        {
            return false;
        }

        _tokens--;
        return true;
    }
}
