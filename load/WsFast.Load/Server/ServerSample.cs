namespace WsFast.Load.Server;

/// <summary>The server as seen at one moment: its memory, its CPU time so far, and its counters.</summary>
/// <param name="RssBytes">Resident set size, or -1 when the process could not be read.</param>
/// <param name="CpuTime">User plus system CPU time since it started.</param>
/// <param name="Health">Its <c>/healthz</c> counters, or null when they could not be fetched.</param>
public sealed record ServerSample(long RssBytes, TimeSpan CpuTime, HealthSnapshot? Health)
{
    /// <summary>The system (kernel) part of <see cref="CpuTime"/>: on loopback, mostly the TCP stack's work.</summary>
    public TimeSpan KernelCpuTime { get; init; }
}
