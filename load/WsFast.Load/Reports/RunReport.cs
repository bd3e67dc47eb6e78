using WsFast.Load.Engine;
using WsFast.Load.Server;

namespace WsFast.Load.Reports;

/// <summary>
/// Everything a run measured, and the figures derived from it, ready to print. A figure that could not be
/// measured (no server PID, no messages) is null and prints as "n/a".
/// </summary>
public sealed class RunReport
{
    /// <summary>Percentiles reported, in percent.</summary>
    public static readonly double[] Percentiles = [50, 75, 95, 99, 99.9];

    /// <summary>Builds the report of <paramref name="result"/> with the probes' samples.</summary>
    public RunReport(DateTimeOffset startedAt, string target, string settings, ScenarioResult result, ServerProbe? server, SelfProbe? self)
    {
        ArgumentNullException.ThrowIfNull(result);
        StartedAt = startedAt;
        Target = target;
        Settings = settings;
        Result = result;
        ServerPid = server?.Pid;
        ServerBaseline = server?[RunPhase.Baseline];
        ServerStart = server?[RunPhase.WindowStart];
        ServerEnd = server?[RunPhase.WindowEnd];
        if (self?[RunPhase.WindowStart] is TimeSpan selfStart && self[RunPhase.WindowEnd] is TimeSpan selfEnd)
        {
            LoadCpu = selfEnd - selfStart;
        }
    }

    /// <summary>When the run started.</summary>
    public DateTimeOffset StartedAt { get; }

    /// <summary>The URL the clients connected to.</summary>
    public string Target { get; }

    /// <summary>The scenario's settings in words (message size, in flight, text or binary).</summary>
    public string Settings { get; }

    /// <summary>The clients' merged statistics.</summary>
    public ScenarioResult Result { get; }

    /// <summary>The server's PID, when known.</summary>
    public int? ServerPid { get; }

    /// <summary>The server before any client connected.</summary>
    public ServerSample? ServerBaseline { get; }

    /// <summary>The server when the measurement window opened.</summary>
    public ServerSample? ServerStart { get; }

    /// <summary>The server when the measurement window closed.</summary>
    public ServerSample? ServerEnd { get; }

    /// <summary>CPU time the load tool used during the window.</summary>
    public TimeSpan? LoadCpu { get; }

    /// <summary>Messages received per second.</summary>
    public double Rate => Result.ReceiveRate;

    /// <summary>The latency at <paramref name="percentile"/> in µs, or null without messages.</summary>
    public double? LatencyMicroseconds(double percentile) =>
        Result.Stats.Latency.Count == 0 ? null : Result.Stats.Latency.ValueAtPercentile(percentile) / 1000.0;

    /// <summary>The largest latency in µs, or null without messages.</summary>
    public double? MaxLatencyMicroseconds => Result.Stats.Latency.Count == 0 ? null : Result.Stats.Latency.Max / 1000.0;

    /// <summary>Server CPU time during the window, when the PID is known.</summary>
    public TimeSpan? ServerCpu => ServerStart is { RssBytes: >= 0 } start && ServerEnd is { RssBytes: >= 0 } end ? end.CpuTime - start.CpuTime : null;

    /// <summary>Server CPU use during the window, in percent of one core.</summary>
    public double? ServerCpuPercent => ServerCpu is TimeSpan cpu ? 100 * cpu / Result.Window : null;

    /// <summary>Server CPU µs per message received by the clients (per echo: one message in and one out).</summary>
    public double? ServerCpuMicrosecondsPerMessage =>
        ServerCpu is TimeSpan cpu && Result.Stats.MessagesReceived > 0 ? cpu.TotalMicroseconds / Result.Stats.MessagesReceived : null;

    /// <summary>Bytes the server allocated during the window (its GC.GetTotalAllocatedBytes).</summary>
    public long? ServerAllocatedBytes =>
        ServerStart?.Health is { AllocatedBytes: >= 0 } start && ServerEnd?.Health is { AllocatedBytes: >= 0 } end ? end.AllocatedBytes - start.AllocatedBytes : null;

    /// <summary>Bytes the server allocated per message received by the clients.</summary>
    public double? ServerAllocatedBytesPerMessage =>
        ServerAllocatedBytes is long bytes && Result.Stats.MessagesReceived > 0 ? (double)bytes / Result.Stats.MessagesReceived : null;

    /// <summary>Messages the server counted in during the window.</summary>
    public long? ServerMessagesIn =>
        ServerStart?.Health is { MessagesIn: >= 0 } start && ServerEnd?.Health is { MessagesIn: >= 0 } end ? end.MessagesIn - start.MessagesIn : null;

    /// <summary>Growth of the server's resident memory from before the first client to the window's start, per ready client.</summary>
    public double? ServerRssBytesPerConnection =>
        ServerBaseline is { RssBytes: >= 0 } baseline && ServerStart is { RssBytes: >= 0 } start && Result.ClientsReady > 0
            ? (double)(start.RssBytes - baseline.RssBytes) / Result.ClientsReady
            : null;

    /// <summary>Load tool CPU use during the window, in percent of one core.</summary>
    public double? LoadCpuPercent => LoadCpu is TimeSpan cpu ? 100 * cpu / Result.Window : null;

    /// <summary>Load tool CPU µs per message received.</summary>
    public double? LoadCpuMicrosecondsPerMessage =>
        LoadCpu is TimeSpan cpu && Result.Stats.MessagesReceived > 0 ? cpu.TotalMicroseconds / Result.Stats.MessagesReceived : null;

    /// <summary>Errors by kind, only the kinds that occurred.</summary>
    public IEnumerable<(ErrorKind Kind, long Count)> Errors =>
        Enum.GetValues<ErrorKind>().Select(kind => (kind, Result.Stats.Errors(kind))).Where(e => e.Item2 > 0);
}
