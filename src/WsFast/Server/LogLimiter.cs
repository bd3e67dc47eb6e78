namespace WsFast.Server;

/// <summary>
/// Lets one log line of a kind through per second and counts the rest. A peer can provoke bad-input lines at
/// will; unlimited, a flood of garbage would keep the I/O threads writing to the console instead of serving.
/// </summary>
internal sealed class LogLimiter
{
    private const long WindowMilliseconds = 1000;

    private long _lastWritten = long.MinValue / 2;
    private int _suppressed;

    /// <summary>
    /// True when a line may be written at <paramref name="now"/> (<see cref="Environment.TickCount64"/>), with
    /// <paramref name="suppressed"/> the lines held back since the last one written; false (and counted) otherwise.
    /// </summary>
    public bool TryWrite(long now, out int suppressed)
    {
        long last = Volatile.Read(ref _lastWritten);
        if (now - last >= WindowMilliseconds && Interlocked.CompareExchange(ref _lastWritten, now, last) == last)
        {
            suppressed = Interlocked.Exchange(ref _suppressed, 0);
            return true;
        }

        Interlocked.Increment(ref _suppressed);
        suppressed = 0;
        return false;
    }
}
