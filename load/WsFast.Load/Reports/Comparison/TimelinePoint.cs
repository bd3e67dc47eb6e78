namespace WsFast.Load.Reports.Comparison;

/// <summary>One line of a run's timeline.csv: the rate at a moment of the run.</summary>
/// <param name="ElapsedSeconds">Seconds since the run started.</param>
/// <param name="RatePerSecond">Messages received per second over the previous progress interval.</param>
internal readonly record struct TimelinePoint(double ElapsedSeconds, double RatePerSecond);
