namespace WsFast.Load.Engine;

/// <summary>The moments of a run at which <see cref="IRunProbe"/>s take their samples.</summary>
public enum RunPhase
{
    /// <summary>Before the first client starts.</summary>
    Baseline,

    /// <summary>All clients are ready and settled; the measurement window opens.</summary>
    WindowStart,

    /// <summary>The measurement window closes; clients are still connected.</summary>
    WindowEnd,
}
