namespace WsFast.Load.Engine;

/// <summary>What a run looked like at one progress tick.</summary>
/// <param name="ElapsedSeconds">Seconds since the run started.</param>
/// <param name="Phase">What the run was doing (ramp-up, connecting, settle, measuring, closing).</param>
/// <param name="Ready">Clients ready.</param>
/// <param name="Clients">Clients the run starts in all.</param>
/// <param name="Received">Messages received since the run started.</param>
/// <param name="RatePerSecond">Messages received per second since the previous tick.</param>
/// <param name="P99Microseconds">The 99th percentile latency of the messages measured since the previous tick; null when none were (outside the window).</param>
/// <param name="Errors">Errors since the run started.</param>
/// <param name="Remaining">Estimated time left; null when the plan is not known.</param>
public readonly record struct ProgressSample(
    double ElapsedSeconds,
    string Phase,
    int Ready,
    int Clients,
    long Received,
    double RatePerSecond,
    double? P99Microseconds,
    long Errors,
    TimeSpan? Remaining);
