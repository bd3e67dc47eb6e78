using System.Diagnostics;

namespace WsFast.Load.Scenarios;

/// <summary>
/// How long a scenario's clients took to connect: from the first client's connect to the last one's handshake
/// completing. With every client started at once (a ramp-up of 0) that is the time the server took for all
/// the handshakes, and <c>clients / time</c> its handshake rate.
/// </summary>
/// <remarks>Lock-free: each client records its start and its ready moment with one interlocked operation each.</remarks>
public sealed class ConnectTiming
{
    private long _first = long.MaxValue;
    private long _last = long.MinValue;

    /// <summary>A client starts connecting now.</summary>
    public void Started()
    {
        long now = Stopwatch.GetTimestamp();
        long first = Volatile.Read(ref _first);
        while (now < first)
        {
            long seen = Interlocked.CompareExchange(ref _first, now, first);
            if (seen == first)
            {
                break;
            }

            first = seen;
        }
    }

    /// <summary>A client's handshake completed now.</summary>
    public void Ready()
    {
        long now = Stopwatch.GetTimestamp();
        long last = Volatile.Read(ref _last);
        while (now > last)
        {
            long seen = Interlocked.CompareExchange(ref _last, now, last);
            if (seen == last)
            {
                break;
            }

            last = seen;
        }
    }

    /// <summary>From the first connect to the last handshake; null before any client was ready.</summary>
    public TimeSpan? Elapsed
    {
        get
        {
            long first = Volatile.Read(ref _first);
            long last = Volatile.Read(ref _last);
            return first == long.MaxValue || last == long.MinValue ? null : Stopwatch.GetElapsedTime(first, last);
        }
    }
}
