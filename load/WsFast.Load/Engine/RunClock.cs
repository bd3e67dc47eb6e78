using System.Diagnostics;

namespace WsFast.Load.Engine;

/// <summary>
/// The run's shared clock and measurement window. Workers read <see cref="IsMeasuring"/> to decide whether
/// an event counts; only the runner writes it, so a volatile flag is enough and no worker ever locks.
/// </summary>
public sealed class RunClock
{
    private volatile bool _measuring;

    /// <summary>True between the start and the end of the measurement window.</summary>
    public bool IsMeasuring => _measuring;

    /// <summary>A timestamp in <see cref="Stopwatch"/> ticks.</summary>
    public static long Now => Stopwatch.GetTimestamp();

    /// <summary>Converts a difference of <see cref="Now"/> timestamps to nanoseconds.</summary>
    public static long ToNanoseconds(long ticks) => (long)(ticks * (1_000_000_000.0 / Stopwatch.Frequency));

    internal void StartMeasuring() => _measuring = true;

    internal void StopMeasuring() => _measuring = false;
}
