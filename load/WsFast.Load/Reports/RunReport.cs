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

        LoadCpus = self?.Cpus;
        LoadReceiveThreads = self?.ReceiveThreads;
        // Read once the run is over: scripts pin the server when they start it, and it is still running here.
        ServerCpus = ServerPid is int pid ? CpuAffinity.Of(pid) : null;
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

    /// <summary>The CPUs the load tool was allowed to run on, when known.</summary>
    public IReadOnlySet<int>? LoadCpus { get; init; }

    /// <summary>The load tool's receive threads (the runtime's socket engines) when the window opened, when known.</summary>
    public int? LoadReceiveThreads { get; init; }

    /// <summary>The CPUs the server was allowed to run on, when known.</summary>
    public IReadOnlySet<int>? ServerCpus { get; init; }

    /// <summary>
    /// Which side limited the run (<see cref="Reports.Bottleneck"/>): tool, server, both, shared, neither, or
    /// null when the figures do not settle it.
    /// </summary>
    public string? Bottleneck => Reports.Bottleneck.Judge(LoadCpuPercent, LoadCpus, ServerCpuPercent, ServerCpus);

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

    /// <summary>The kernel's part of <see cref="ServerCpu"/> (system time), when the PID is known.</summary>
    public TimeSpan? ServerKernelCpu =>
        ServerCpu is not null && ServerStart is { } start && ServerEnd is { } end ? end.KernelCpuTime - start.KernelCpuTime : null;

    /// <summary>Server user-space CPU µs per message received by the clients: the part the server's own code controls.</summary>
    public double? ServerUserCpuMicrosecondsPerMessage =>
        ServerCpu is TimeSpan cpu && ServerKernelCpu is TimeSpan kernel && Result.Stats.MessagesReceived > 0
            ? (cpu - kernel).TotalMicroseconds / Result.Stats.MessagesReceived
            : null;

    /// <summary>Server kernel CPU µs per message received by the clients: system calls and, on loopback, the TCP stack.</summary>
    public double? ServerKernelCpuMicrosecondsPerMessage =>
        ServerKernelCpu is TimeSpan kernel && Result.Stats.MessagesReceived > 0 ? kernel.TotalMicroseconds / Result.Stats.MessagesReceived : null;

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

    private double? PerDelivery(long bytes) => Delivered > 0 ? (double)bytes / Delivered : null;

    /// <summary>Load tool CPU use during the window, in percent of one core.</summary>
    public double? LoadCpuPercent => LoadCpu is TimeSpan cpu ? 100 * cpu / Result.Window : null;

    /// <summary>Load tool CPU µs per message received.</summary>
    public double? LoadCpuMicrosecondsPerMessage =>
        LoadCpu is TimeSpan cpu && Result.Stats.MessagesReceived > 0 ? cpu.TotalMicroseconds / Result.Stats.MessagesReceived : null;

    /// <summary>The rate asked for: a feed's messages published a second, or ws-echo's --rate; null when unpaced.</summary>
    public double? AskedRate { get; init; }

    /// <summary>The short-poll interval in ms, for poll-short; else null.</summary>
    public double? IntervalMilliseconds { get; init; }

    /// <summary>From the first client's connect to the last one's handshake, for scenarios that time it (ws-idle); else null.</summary>
    public TimeSpan? ConnectTime { get; init; }

    /// <summary>Handshakes completed per second of <see cref="ConnectTime"/>: the clients ready over it.</summary>
    public double? HandshakesPerSecond =>
        ConnectTime is { TotalSeconds: > 0 } time && Result.ClientsReady > 0 ? Result.ClientsReady / time.TotalSeconds : null;

    /// <summary>
    /// Server CPU µs per client ready, from before the first connect to the window's start: what connecting (TCP,
    /// TLS and WebSocket handshakes, the connection's setup) and the settle after it cost per connection. With
    /// every client started at once and an idle settle, nearly all of it is the handshakes.
    /// </summary>
    public double? ServerCpuMicrosecondsPerConnection =>
        ServerBaseline is { RssBytes: >= 0 } baseline && ServerStart is { RssBytes: >= 0 } start && Result.ClientsReady > 0
            ? (start.CpuTime - baseline.CpuTime).TotalMicroseconds / Result.ClientsReady
            : null;

    /// <summary>The TLS protocol and cipher suite the server agreed to, as the first TLS client read it; null without TLS.</summary>
    public string? TlsAgreement => Result.Stats.TlsAgreement;

    /// <summary>Clients that connected over TLS.</summary>
    public long TlsClients => Result.Stats.TlsClients;

    /// <summary>Messages delivered to the clients in the window (for ws-echo: echoes received).</summary>
    public long Delivered => Result.Stats.MessagesReceived;

    /// <summary>Deliveries per second of the window, over all clients.</summary>
    public double DeliveredPerSecond => Result.ReceiveRate;

    /// <summary>Feed messages lost: gaps in the sequence numbers the clients received, over all clients.</summary>
    public long Lost => Result.Stats.MessagesLost;

    /// <summary>Bytes the clients received on the wire (frames, HTTP heads and framing) per delivery.</summary>
    public double? WireBytesInPerDelivery => PerDelivery(Result.Stats.BytesReceived);

    /// <summary>Bytes the clients sent on the wire (frames, HTTP requests) per delivery.</summary>
    public double? WireBytesOutPerDelivery => PerDelivery(Result.Stats.BytesSent);

    /// <summary>Payload bytes per delivery: what the application receives.</summary>
    public double? PayloadBytesPerDelivery => PerDelivery(Result.Stats.PayloadBytesReceived);

    /// <summary>
    /// What the wire adds to the payload on the way in: (wire bytes received − payload bytes) / payload bytes.
    /// 0.1 means 10% overhead; polls with few messages per answer run far above 1.
    /// </summary>
    public double? HeaderOverheadRatio =>
        Result.Stats.PayloadBytesReceived > 0 ? (double)(Result.Stats.BytesReceived - Result.Stats.PayloadBytesReceived) / Result.Stats.PayloadBytesReceived : null;

    /// <summary>
    /// The <c>Sec-WebSocket-Extensions</c> the server agreed to (permessage-deflate with its parameters), as the
    /// first client that offered it read it; null when no client offered it or the server declined.
    /// </summary>
    public string? DeflateAgreement => Result.Stats.DeflateAgreement;

    /// <summary>Clients whose server agreed to permessage-deflate.</summary>
    public long DeflateClients => Result.Stats.DeflateClients;

    /// <summary>The share of the data messages received in the window that came compressed; null without messages.</summary>
    public double? CompressedShare =>
        Result.Stats.MessagesReceived > 0 ? (double)Result.Stats.CompressedReceived / Result.Stats.MessagesReceived : null;

    /// <summary>Server CPU seconds per 1,000 deliveries.</summary>
    public double? ServerCpuSecondsPer1000Deliveries =>
        ServerCpu is TimeSpan cpu && Delivered > 0 ? cpu.TotalSeconds * 1000 / Delivered : null;

    /// <summary>Messages the feed's publisher sent in the window, for feed scenarios.</summary>
    public long? Published => Result.Feed?.MessagesSent;

    /// <summary>Messages published per second of the window, for feed scenarios.</summary>
    public double? PublishedPerSecond => Published is long published && Result.Window > TimeSpan.Zero ? published / Result.Window.TotalSeconds : null;

    /// <summary>Paced slots skipped for lateness in the window: the clients' (ws-echo --rate, poll-short) plus the publisher's.</summary>
    public long MissedSlots => Result.Stats.SlotsMissed + (Result.Feed?.SlotsMissed ?? 0);

    /// <summary>
    /// The nodes the subscribers spread over (ws-broadcast <c>--subscribe-urls</c>), in order; empty when every
    /// client connected to the one target.
    /// </summary>
    public IReadOnlyList<NodeFigures> Nodes { get; init; } = [];

    /// <summary>
    /// With <see cref="Nodes"/>: every node together, its server CPU that of every server process of the run (the
    /// nodes', and the publisher's server when it is not one of them); else null.
    /// </summary>
    public NodeFigures? AllNodes { get; init; }

    /// <summary>The broker process the servers share (<c>--broker-pid</c>: a <c>redis-server</c>), when given.</summary>
    public int? BrokerPid { get; init; }

    /// <summary>The broker's CPU time in the window, when read.</summary>
    public TimeSpan? BrokerCpu { get; init; }

    /// <summary>The broker's CPU µs per delivery (to any node's subscriber).</summary>
    public double? BrokerCpuMicrosecondsPerDelivery => BrokerCpu is TimeSpan cpu && Delivered > 0 ? cpu.TotalMicroseconds / Delivered : null;

    /// <summary>Errors by kind, only the kinds that occurred.</summary>
    public IEnumerable<(ErrorKind Kind, long Count)> Errors =>
        Enum.GetValues<ErrorKind>().Select(kind => (kind, Result.Stats.Errors(kind))).Where(e => e.Item2 > 0);
}
