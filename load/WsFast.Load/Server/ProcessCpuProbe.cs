using WsFast.Load.Engine;

namespace WsFast.Load.Server;

/// <summary>
/// Samples one more process's CPU time (by PID, through /proc) at each phase of a run: a process that works for
/// the servers without being one, such as the <c>redis-server</c> several WsFast nodes share.
/// </summary>
public sealed class ProcessCpuProbe : IRunProbe
{
    private readonly Dictionary<RunPhase, TimeSpan> _cpu = [];

    /// <summary>Creates a probe of process <paramref name="pid"/>.</summary>
    public ProcessCpuProbe(int pid) => Pid = pid;

    /// <summary>The process's PID.</summary>
    public int Pid { get; }

    /// <summary>The process's CPU time (user plus system) during the window; null when it could not be read at both ends.</summary>
    public TimeSpan? WindowCpu =>
        _cpu.TryGetValue(RunPhase.WindowStart, out TimeSpan start) && _cpu.TryGetValue(RunPhase.WindowEnd, out TimeSpan end) ? end - start : null;

    /// <inheritdoc/>
    public Task SampleAsync(RunPhase phase)
    {
        try
        {
            (TimeSpan user, TimeSpan kernel) = ProcFs.ReadCpuTimes(Pid);
            Record(phase, user + kernel);
        }
        catch (IOException)
        {
            // The process is gone (or never was): the report shows its figures as missing.
        }

        return Task.CompletedTask;
    }

    /// <summary>Stores <paramref name="cpu"/> as the CPU time read at <paramref name="phase"/>.</summary>
    internal void Record(RunPhase phase, TimeSpan cpu) => _cpu[phase] = cpu;
}
