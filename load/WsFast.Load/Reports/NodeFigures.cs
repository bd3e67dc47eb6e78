using WsFast.Load.Engine;
using WsFast.Load.Server;

namespace WsFast.Load.Reports;

/// <summary>
/// One node of a feed whose subscribers spread over several servers (ws-broadcast <c>--subscribe-urls</c>): what
/// its subscribers received, how late, whether each got every message in order, and its server's CPU time.
/// </summary>
public sealed class NodeFigures
{
    /// <summary>
    /// The figures of node <paramref name="number"/> at <paramref name="url"/> from its
    /// <paramref name="subscribers"/>' statistics, its server's PID, CPU time in the window and connections when the
    /// window opened (each null when unknown), over a window of <paramref name="window"/> in which
    /// <paramref name="published"/> messages were published.
    /// </summary>
    public NodeFigures(
        int number, string url, IReadOnlyList<WorkerStats> subscribers, int? serverPid, TimeSpan? serverCpu, long? connections, TimeSpan window, long? published)
    {
        ArgumentNullException.ThrowIfNull(subscribers);
        Number = number;
        Url = url;
        Subscribers = subscribers.Count;
        Window = window;
        Published = published;
        foreach (WorkerStats subscriber in subscribers)
        {
            Stats.Add(subscriber);
            if (subscriber.MessagesReceived == 0)
            {
                Silent++;
            }
        }

        ServerPid = serverPid;
        ServerCpu = serverCpu;
        ConnectionsAtWindowStart = connections;
    }

    /// <summary>The node's number, from 1, in the order of <c>--subscribe-urls</c>; 0 for every node together.</summary>
    public int Number { get; }

    /// <summary>The node's base URL.</summary>
    public string Url { get; }

    /// <summary>Subscribers the tool started on this node.</summary>
    public int Subscribers { get; }

    /// <summary>This node's subscribers' statistics added up.</summary>
    public WorkerStats Stats { get; } = new();

    /// <summary>Subscribers that received nothing in the window: a subscription that never saw the feed.</summary>
    public int Silent { get; }

    /// <summary>The server's PID, when known.</summary>
    public int? ServerPid { get; }

    /// <summary>The server's CPU time in the window (every node together: every server process's), when known.</summary>
    public TimeSpan? ServerCpu { get; }

    /// <summary>The connections the server counted when the window opened (its <c>/healthz</c>): subscribers, plus the publisher on its node.</summary>
    public long? ConnectionsAtWindowStart { get; }

    /// <summary>The measurement window.</summary>
    public TimeSpan Window { get; }

    /// <summary>Messages published in the window, when known.</summary>
    public long? Published { get; }

    /// <summary>Messages delivered to this node's subscribers in the window.</summary>
    public long Delivered => Stats.MessagesReceived;

    /// <summary>Deliveries per second of the window.</summary>
    public double DeliveredPerSecond => Window > TimeSpan.Zero ? Delivered / Window.TotalSeconds : 0;

    /// <summary>
    /// Deliveries over what every subscriber receiving every message published in the window would make; about 1
    /// when the node keeps up (the messages in flight at the window's two edges roughly cancel out).
    /// </summary>
    public double? DeliveredShare => Published is long published && published > 0 && Subscribers > 0
        ? (double)Delivered / (published * Subscribers)
        : null;

    /// <summary>Messages lost: gaps in the sequence numbers each subscriber received, summed.</summary>
    public long Lost => Stats.MessagesLost;

    /// <summary>Messages that arrived with a sequence number at or below one already received (out of order, or duplicated).</summary>
    public long OutOfOrder => Stats.Errors(ErrorKind.OutOfOrder);

    /// <summary>The latency (publish to receipt) at <paramref name="percentile"/> in µs, or null without deliveries.</summary>
    public double? LatencyMicroseconds(double percentile) =>
        Stats.Latency.Count == 0 ? null : Stats.Latency.ValueAtPercentile(percentile) / 1000.0;

    /// <summary>The largest latency in µs, or null without deliveries.</summary>
    public double? MaxLatencyMicroseconds => Stats.Latency.Count == 0 ? null : Stats.Latency.Max / 1000.0;

    /// <summary>The server's CPU use in the window, in percent of one core.</summary>
    public double? ServerCpuPercent => ServerCpu is TimeSpan cpu && Window > TimeSpan.Zero ? 100 * cpu / Window : null;

    /// <summary>The server's CPU µs per delivery to its own subscribers.</summary>
    public double? ServerCpuMicrosecondsPerDelivery => ServerCpu is TimeSpan cpu && Delivered > 0 ? cpu.TotalMicroseconds / Delivered : null;

    /// <summary>
    /// Splits <paramref name="result"/>'s clients by node as the broadcast scenario spread them (client i on node
    /// i mod N, N being <paramref name="urls"/>' count), with each node's server probe (null when unknown).
    /// </summary>
    public static IReadOnlyList<NodeFigures> Split(ScenarioResult result, IReadOnlyList<string> urls, IReadOnlyList<ServerProbe?> servers)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(urls);
        ArgumentNullException.ThrowIfNull(servers);
        var groups = new List<WorkerStats>[urls.Count];
        for (int node = 0; node < urls.Count; node++)
        {
            groups[node] = [];
        }

        for (int client = 0; client < result.Clients.Count; client++)
        {
            groups[client % urls.Count].Add(result.Clients[client]);
        }

        var nodes = new NodeFigures[urls.Count];
        for (int node = 0; node < urls.Count; node++)
        {
            ServerProbe? server = servers[node];
            nodes[node] = new NodeFigures(
                node + 1, urls[node], groups[node], server?.Pid, server?.WindowCpu, server?[RunPhase.WindowStart]?.Health?.Connections, result.Window, result.Feed?.MessagesSent);
        }

        return nodes;
    }

    /// <summary>
    /// Every node together: all of <paramref name="result"/>'s subscribers, the connections of <paramref name="nodes"/>
    /// added up, and <paramref name="serversCpu"/>, the CPU time of every server process of the run.
    /// </summary>
    public static NodeFigures Total(ScenarioResult result, IReadOnlyList<NodeFigures> nodes, TimeSpan? serversCpu)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(nodes);
        long? connections = 0;
        foreach (NodeFigures node in nodes)
        {
            connections += node.ConnectionsAtWindowStart; // null once one is unknown
        }

        return new NodeFigures(0, "all", result.Clients, null, serversCpu, connections, result.Window, result.Feed?.MessagesSent);
    }
}
