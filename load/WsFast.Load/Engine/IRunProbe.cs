namespace WsFast.Load.Engine;

/// <summary>
/// Something measured outside the clients at fixed moments of a run: the server's CPU time and memory, the
/// load tool's own CPU time. The runner calls <see cref="SampleAsync"/> at each <see cref="RunPhase"/>.
/// </summary>
public interface IRunProbe
{
    /// <summary>Takes this probe's sample for <paramref name="phase"/>.</summary>
    Task SampleAsync(RunPhase phase);
}
