using System.Diagnostics;

namespace WsFast.Load.Engine;

/// <summary>
/// Samples the load tool's own CPU time, the CPUs it may run on and the threads that receive for it, to show
/// whether the tool rather than the server was the limit.
/// </summary>
public sealed class SelfProbe : IRunProbe
{
    private readonly Dictionary<RunPhase, TimeSpan> _cpu = [];

    /// <summary>The tool's CPU time at <paramref name="phase"/>, if sampled.</summary>
    public TimeSpan? this[RunPhase phase] => _cpu.TryGetValue(phase, out TimeSpan value) ? value : null;

    /// <summary>The CPUs the tool may run on (its affinity, as <c>taskset</c> set it) when the window opened.</summary>
    public IReadOnlySet<int>? Cpus { get; private set; }

    /// <summary>The runtime's socket engine threads when the window opened: the threads the clients receive on.</summary>
    public int? ReceiveThreads { get; private set; }

    /// <inheritdoc/>
    public Task SampleAsync(RunPhase phase)
    {
        using Process self = Process.GetCurrentProcess();
        _cpu[phase] = self.TotalProcessorTime;
        if (phase == RunPhase.WindowStart)
        {
            Cpus = CpuAffinity.OfSelf();
            ReceiveThreads = SocketEngines.Running();
        }

        return Task.CompletedTask;
    }
}
