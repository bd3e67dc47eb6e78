using System.Diagnostics;

namespace WsFast.Load.Engine;

/// <summary>Samples the load tool's own CPU time, to show whether the tool rather than the server was the limit.</summary>
public sealed class SelfProbe : IRunProbe
{
    private readonly Dictionary<RunPhase, TimeSpan> _cpu = [];

    /// <summary>The tool's CPU time at <paramref name="phase"/>, if sampled.</summary>
    public TimeSpan? this[RunPhase phase] => _cpu.TryGetValue(phase, out TimeSpan value) ? value : null;

    /// <inheritdoc/>
    public Task SampleAsync(RunPhase phase)
    {
        using Process self = Process.GetCurrentProcess();
        _cpu[phase] = self.TotalProcessorTime;
        return Task.CompletedTask;
    }
}
