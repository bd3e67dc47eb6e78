using System.Diagnostics;

namespace WsFast.Load.Engine;

/// <summary>
/// Paces operations at a fixed rate without drift: slot k is due at <c>start + k / rate</c>, computed from k
/// rather than from the previous slot, so a late wake-up delays one operation and never shifts the ones after
/// it. A caller that falls behind catches up by taking due slots back to back, but only those at most
/// <c>maxLag</c> late: older ones are skipped and counted as missed, so a stall never turns into an unbounded
/// burst.
/// </summary>
/// <remarks>Not thread-safe: one controller belongs to one client (or one publisher).</remarks>
public sealed class RateController
{
    private readonly long _start;
    private readonly double _ticksPerSlot;
    private readonly long _maxLagTicks;
    private long _next; // index of the next slot not yet taken or skipped

    /// <summary>
    /// Creates a controller of <paramref name="perSecond"/> slots a second, the first due at
    /// <paramref name="start"/>, in ticks of <paramref name="frequency"/> a second (default: <see cref="Stopwatch"/>).
    /// </summary>
    public RateController(double perSecond, long start, TimeSpan maxLag, long frequency = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(perSecond);
        ArgumentOutOfRangeException.ThrowIfNegative(maxLag.Ticks);
        frequency = frequency > 0 ? frequency : Stopwatch.Frequency;
        _start = start;
        _ticksPerSlot = frequency / perSecond;
        _maxLagTicks = (long)(maxLag.TotalSeconds * frequency);
    }

    /// <summary>Slots taken so far.</summary>
    public long Taken { get; private set; }

    /// <summary>Slots skipped so far for being more than the allowed lag late.</summary>
    public long Missed { get; private set; }

    /// <summary>When the next slot is due, in ticks.</summary>
    public long NextDue => DueOf(_next);

    /// <summary>
    /// Takes the next slot if it is due at <paramref name="now"/>: <paramref name="due"/> is when it was due,
    /// and <paramref name="missed"/> how many slots before it were skipped for being too late.
    /// </summary>
    public bool TryTake(long now, out long due, out long missed)
    {
        missed = 0;
        due = DueOf(_next);
        if (due > now)
        {
            return false;
        }

        long oldestAllowed = now - _maxLagTicks;
        if (due < oldestAllowed)
        {
            // Jump straight to the first slot within the lag rather than stepping through every missed one.
            long first = Math.Max(_next + 1, (long)Math.Ceiling((oldestAllowed - _start) / _ticksPerSlot));
            while (DueOf(first) < oldestAllowed)
            {
                first++;
            }

            missed = first - _next;
            Missed += missed;
            _next = first;
            due = DueOf(_next);
        }

        _next++;
        Taken++;
        return true;
    }

    /// <summary>Waits until the next slot is due (returns at once when it already is).</summary>
    public Task WaitAsync(CancellationToken cancellationToken)
    {
        long wait = NextDue - Stopwatch.GetTimestamp();
        return wait <= 0 ? Task.CompletedTask : Task.Delay(Stopwatch.GetElapsedTime(0, wait), cancellationToken);
    }

    private long DueOf(long slot) => _start + (long)(slot * _ticksPerSlot);
}
