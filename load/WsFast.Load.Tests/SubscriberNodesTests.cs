using System.Net;
using WsFast.Load.Cli;
using WsFast.Load.Client;
using WsFast.Load.Engine;
using WsFast.Load.Reports;
using WsFast.Load.Scenarios.Feed;
using WsFast.Load.Server;
using WsFast.Server;

namespace WsFast.Load.Tests;

/// <summary>
/// ws-broadcast with <c>--subscribe-urls</c>: the subscribers spread over several servers while the publisher posts
/// to one, and the report splits deliveries, losses, order, latency and CPU by node.
/// </summary>
public sealed class SubscriberNodesTests
{
    [Fact]
    public void Subscribe_urls_are_read_in_order()
    {
        IReadOnlyList<Uri> urls = SubscribeUrls.Parse("http://127.0.0.1:8081, ws://127.0.0.1:8082,http://localhost:8083");
        Assert.Equal(["127.0.0.1:8081", "127.0.0.1:8082", "localhost:8083"], urls.Select(u => u.Authority));
    }

    [Theory]
    [InlineData("http://127.0.0.1:8081,")] // an empty entry
    [InlineData("https://127.0.0.1:8081")] // TLS: no plain port for the node's /healthz
    [InlineData("wss://127.0.0.1:8081")]
    [InlineData("127.0.0.1:8081")] // not a URL
    [InlineData("http://127.0.0.1:8081,ws://127.0.0.1:8081")] // one server twice would count its CPU twice
    public void Bad_subscribe_urls_are_refused(string text) =>
        Assert.Throws<FormatException>(() => SubscribeUrls.Parse(text));

    [Fact]
    public void Clients_split_by_node_in_turn_with_their_own_losses_order_and_cpu()
    {
        // Six subscribers on three nodes: clients 0 and 3 on node 1, 1 and 4 on node 2, 2 and 5 on node 3.
        var clients = new WorkerStats[6];
        for (int i = 0; i < clients.Length; i++)
        {
            clients[i] = new WorkerStats();
            for (int m = 0; m < 10; m++)
            {
                clients[i].RecordDelivered(64, (i % 3 + 1) * 1_000_000L); // node n's latency: n ms
            }
        }

        clients[4].RecordLost(2);
        clients[4].RecordError(ErrorKind.OutOfOrder);
        clients[5] = new WorkerStats(); // received nothing: a silent subscriber on node 3
        var merged = new WorkerStats();
        foreach (WorkerStats client in clients)
        {
            merged.Add(client);
        }

        var feed = new WorkerStats();
        for (int m = 0; m < 10; m++)
        {
            feed.RecordSent(100);
        }

        var simulation = new LoadSimulation.KeepConstant(6, TimeSpan.FromSeconds(2), TimeSpan.Zero, TimeSpan.Zero);
        var result = new ScenarioResult("ws-broadcast", simulation, merged, TimeSpan.FromSeconds(2), 6, feed, clients);
        using ServerProbe node1 = Probe(pid: 11, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1.2), connections: 3);
        using ServerProbe node2 = Probe(pid: 12, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1.1), connections: 2);
        IReadOnlyList<NodeFigures> nodes = NodeFigures.Split(result, ["a:1", "b:2", "c:3"], [node1, node2, null]);

        Assert.Equal([2, 2, 2], nodes.Select(n => n.Subscribers));
        Assert.Equal([20L, 20, 10], nodes.Select(n => n.Delivered));
        Assert.Equal([1.0, 1.0, 0.5], nodes.Select(n => n.DeliveredShare!.Value)); // 10 published to 2 subscribers each
        Assert.Equal([0L, 2, 0], nodes.Select(n => n.Lost));
        Assert.Equal([0L, 1, 0], nodes.Select(n => n.OutOfOrder));
        Assert.Equal([0, 0, 1], nodes.Select(n => n.Silent));
        Assert.Equal(2000, nodes[1].LatencyMicroseconds(50)!.Value, 2000 * LatencyHistogram.RelativePrecision);
        Assert.Equal(10_000, nodes[0].ServerCpuMicrosecondsPerDelivery!.Value, precision: 6); // 0.2 s over 20 deliveries
        Assert.Null(nodes[2].ServerCpu);

        NodeFigures all = NodeFigures.Total(result, nodes, TimeSpan.FromSeconds(0.5));
        Assert.Equal(6, all.Subscribers);
        Assert.Equal(50, all.Delivered);
        Assert.Equal(1, all.Silent);
        Assert.Null(all.ConnectionsAtWindowStart); // node 3's server is unknown
        Assert.Equal(10_000, all.ServerCpuMicrosecondsPerDelivery!.Value, precision: 6); // 0.5 s over 50 deliveries

        var report = new RunReport(DateTimeOffset.UnixEpoch, "ws://a:1/broadcast/t", "s", result, node1, self: null)
        {
            Nodes = nodes,
            AllNodes = all,
            BrokerPid = 99,
            BrokerCpu = TimeSpan.FromSeconds(0.1),
        };
        string[] lines = NodesCsv.Write(report).TrimEnd().Split(Environment.NewLine);
        string[] header = lines[0].Split(',');
        Assert.Equal(["node", "url", "pid", "subscribers", "connections", "delivered"], header[..6]);
        Assert.Equal(6, lines.Length); // header, three nodes, all, broker
        Assert.All(lines, line => Assert.Equal(header.Length, line.Split(',').Length));
        Assert.Equal(["2", "b:2", "12", "2", "2", "20"], lines[2].Split(',')[..6]);
        Assert.Equal("1", lines[2].Split(',')[Array.IndexOf(header, "out_of_order")]);
        Assert.Equal("1", lines[3].Split(',')[Array.IndexOf(header, "silent")]);
        Assert.Equal("all", lines[4].Split(',')[0]);
        Assert.Equal(["broker", "99"], new[] { lines[5].Split(',')[0], lines[5].Split(',')[2] });
        Assert.Equal("2000", lines[5].Split(',')[Array.IndexOf(header, "cpu_us_per_delivery")]); // 0.1 s over 50 deliveries

        string markdown = MarkdownReport.Write(report);
        Assert.Contains("### Subscribers by node (client i on node i mod 3", markdown, StringComparison.Ordinal);
        Assert.Contains("| 2: `b:2` | 2 (2) | 10 | 1.000 | 2 | 1 | 0 |", markdown, StringComparison.Ordinal);
        Assert.Contains("| broker (per delivery to any node) |", markdown, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Subscribers_take_the_servers_in_turn_and_a_server_without_the_feed_shows_them_silent()
    {
        // Two servers that share nothing: the feed is published on the first, so the subscribers that went to the
        // second receive nothing, which proves they connected there and that the report sees it.
        await using WsFastServer first = await StartAsync(endpoints: 1);
        await using WsFastServer second = await StartAsync(endpoints: 1);
        ScenarioResult result = await RunBroadcastAsync([first.EndPoints[0].Port, second.EndPoints[0].Port]);

        IReadOnlyList<NodeFigures> nodes = NodeFigures.Split(result, ["first", "second"], [null, null]);
        Assert.Equal(0, result.Stats.TotalErrors);
        Assert.Equal(0, nodes[0].Silent);
        Assert.True(nodes[0].Delivered > 0);
        Assert.Equal(0, nodes[0].Lost);
        Assert.Equal(2, nodes[1].Silent);
        Assert.Equal(0, nodes[1].Delivered);
    }

    [Fact]
    public async Task Subscribers_on_every_node_of_a_shared_topic_receive_the_whole_feed()
    {
        // One server listening on two ports stands in for two nodes of one topic.
        await using WsFastServer server = await StartAsync(endpoints: 2);
        ScenarioResult result = await RunBroadcastAsync([server.EndPoints[0].Port, server.EndPoints[1].Port]);

        IReadOnlyList<NodeFigures> nodes = NodeFigures.Split(result, ["first", "second"], [null, null]);
        Assert.Equal(0, result.Stats.TotalErrors);
        Assert.All(nodes, node =>
        {
            Assert.Equal(2, node.Subscribers);
            Assert.Equal(0, node.Silent);
            Assert.Equal(0, node.Lost);
            Assert.Equal(0, node.OutOfOrder);
            Assert.True(node.Delivered > 0);
        });
    }

    private static ServerProbe Probe(int pid, TimeSpan start, TimeSpan end, long connections)
    {
        var probe = new ServerProbe(pid, new Uri("http://127.0.0.1:1/"));
        probe.Record(RunPhase.WindowStart, new ServerSample(1, start, new HealthSnapshot(connections, 0, 0, 0)));
        probe.Record(RunPhase.WindowEnd, new ServerSample(1, end, null));
        return probe;
    }

    private static async Task<WsFastServer> StartAsync(int endpoints)
    {
        var options = new WsFastServerOptions { PingInterval = TimeSpan.Zero };
        for (int i = 0; i < endpoints; i++)
        {
            options.Endpoints.Add(new IPEndPoint(IPAddress.Loopback, 0));
        }

        options.ClientLimits.MaxConnectionsPerAddress = 0;
        options.ClientLimits.HandshakesPerSecond = 0;
        var server = new WsFastServer(options);
        server.MapBroadcast("/broadcast");
        await server.StartAsync();
        return server;
    }

    // Four subscribers on the given ports in turn, a feed published to the first port, a window of 0.5 s.
    private static async Task<ScenarioResult> RunBroadcastAsync(int[] ports)
    {
        const string Topic = "nodes";
        WsClientOptions Node(int port) => new() { Url = new Uri($"ws://127.0.0.1:{port}/broadcast/{Topic}"), Server = new IPEndPoint(IPAddress.Loopback, port) };
        var feed = new FeedSettings { Client = Node(ports[0]), Nodes = [.. ports.Select(Node)], Topic = Topic, Rate = 50 };
        var simulation = new LoadSimulation.KeepConstant(4, TimeSpan.FromSeconds(0.5), TimeSpan.Zero, TimeSpan.FromMilliseconds(200));
        return await new ScenarioRunner([], TextWriter.Null, TimeSpan.FromMinutes(1)).RunAsync(new BroadcastScenario(feed), simulation);
    }
}
