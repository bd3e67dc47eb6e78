using System.Net;
using WsFast.Load.Client;
using WsFast.Load.Engine;
using WsFast.Load.Reports;
using WsFast.Load.Scenarios;
using WsFast.Load.Scenarios.Feed;
using WsFast.Load.Server;

namespace WsFast.Load.Tests;

/// <summary>
/// Every scenario the comparison runs, for about a second with a few clients, against one of load/peers'
/// servers started as a child process (fresh per test, stopped by SIGTERM to its PID): something is delivered,
/// nothing fails, the feeds lose nothing, and the server probe reads the peer's /healthz (which has no
/// allocatedBytes) and its CPU time. Each peer also listens over TLS beside its plain port, with a certificate of the
/// test's own CA (as run-compare.sh's TLS cases start it): the echo and the broadcast run over wss:// too.
/// </summary>
public abstract class PeerSmokeTests : IAsyncLifetime
{
    private const int Clients = 4;

    private readonly string _name;
    private readonly TestCertificates _certificates = TestCertificates.Create();
    private PeerProcess? _peer;

    protected PeerSmokeTests(string name) => _name = name;

    private PeerProcess Peer => _peer ?? throw new InvalidOperationException("not started");

    private IPEndPoint Endpoint => new(IPAddress.Loopback, Peer.Port);

    private IPEndPoint TlsEndpoint => new(IPAddress.Loopback, Peer.TlsPort);

    public async Task InitializeAsync() => _peer = await PeerProcess.StartAsync(_name, _certificates);

    public async Task DisposeAsync()
    {
        if (_peer is not null)
        {
            await _peer.DisposeAsync();
        }

        _certificates.Dispose();
    }

    [Fact]
    public async Task Echo_delivers_over_TLS()
    {
        var client = new WsClientOptions
        {
            Url = new Uri($"wss://127.0.0.1:{Peer.TlsPort}/echo"),
            Server = TlsEndpoint,
            Tls = TlsSettings.ClientOptions("127.0.0.1", _certificates.CaFile, skipVerify: false),
        };
        (ScenarioResult result, RunReport report) = await RunAsync(new EchoScenario(new EchoSettings { Client = client, MessageSize = 32 }));
        AssertDelivered(result);
        Assert.Equal(Clients, result.Stats.TlsClients);
        Assert.StartsWith("Tls1", report.TlsAgreement, StringComparison.Ordinal);
        Assert.True(report.ServerMessagesIn >= result.Stats.MessagesReceived, $"server counted {report.ServerMessagesIn} in, clients {result.Stats.MessagesReceived} echoes");

        // Without a plain port to read, the probe reads /healthz over TLS, trusting what the clients trust.
        using var probe = new ServerProbe(Peer.Pid, new Uri($"https://127.0.0.1:{Peer.TlsPort}/"), client.Tls);
        await probe.SampleAsync(RunPhase.Baseline);
        Assert.NotNull(probe[RunPhase.Baseline]?.Health);
    }

    [Fact]
    public async Task Broadcast_over_TLS_reaches_the_subscribers_of_a_feed_published_over_plain_HTTP()
    {
        const string topic = "smoke-tls";
        var feed = new FeedSettings
        {
            Client = new WsClientOptions
            {
                Url = new Uri($"wss://127.0.0.1:{Peer.TlsPort}/broadcast/{topic}"),
                Server = TlsEndpoint,
                Tls = TlsSettings.ClientOptions("127.0.0.1", _certificates.CaFile, skipVerify: false),
            },
            PublishServer = Endpoint,
            Topic = topic,
            Rate = 50,
            MessageSize = 64,
        };
        (ScenarioResult result, _) = await RunAsync(new BroadcastScenario(feed));
        AssertDelivered(result);
        Assert.Equal(Clients, result.Stats.TlsClients);
        Assert.True(result.Feed!.MessagesSent > 0, $"published {result.Feed.MessagesSent}, missed {result.Feed.SlotsMissed}");
        Assert.Equal(0, result.Feed.TotalErrors);
        Assert.Equal(0, result.Stats.MessagesLost);
    }

    [Theory]
    [InlineData(32, false)]
    [InlineData(65536, true)]
    public async Task Echo_delivers(int size, bool binary)
    {
        var client = new WsClientOptions { Url = Url("ws", "/echo"), Server = Endpoint, ReceiveBufferSize = Math.Max(4096, size + 14) };
        (ScenarioResult result, RunReport report) = await RunAsync(new EchoScenario(new EchoSettings { Client = client, MessageSize = size, Binary = binary }));
        AssertDelivered(result);
        Assert.Equal((long)size * result.Stats.MessagesReceived, result.Stats.PayloadBytesReceived);

        // The probe read the peer's counters (the window's echoes went through it) and its CPU time; the
        // allocation figures are missing, not wrong.
        Assert.True(report.ServerMessagesIn >= result.Stats.MessagesReceived, $"server counted {report.ServerMessagesIn} in, clients {result.Stats.MessagesReceived} echoes");
        Assert.NotNull(report.ServerCpu);
        Assert.Null(report.ServerAllocatedBytes);
        Assert.Null(report.ServerAllocatedBytesPerMessage);
        Assert.Contains(",ws-echo,", CsvReport.Write([report]), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Idle_connections_are_held_and_counted()
    {
        var client = new WsClientOptions { Url = Url("ws", "/echo"), Server = Endpoint, ReceiveBufferSize = 512 };
        var idle = new IdleScenario(client);
        (ScenarioResult result, RunReport report) = await RunAsync(idle);
        Assert.Equal(Clients, result.ClientsReady);
        Assert.InRange(idle.Connecting.Elapsed!.Value, TimeSpan.FromTicks(1), TimeSpan.FromSeconds(30));
        Assert.Equal(0, result.Stats.TotalErrors);
        Assert.True(report.ServerStart?.Health?.Connections >= Clients, $"healthz connections {report.ServerStart?.Health?.Connections}");
        Assert.NotNull(report.ServerRssBytesPerConnection);
    }

    [Theory]
    [InlineData("ws-broadcast", false)]
    [InlineData("sse", false)]
    [InlineData("poll-long", false)]
    [InlineData("poll-short", false)]
    [InlineData("sse", true)]
    [InlineData("poll-long", true)]
    [InlineData("poll-short", true)]
    public async Task Feed_is_delivered(string scenarioName, bool browserHeaders)
    {
        string topic = "smoke-" + scenarioName;
        var feed = new FeedSettings
        {
            Client = new WsClientOptions { Url = Url("ws", $"/broadcast/{topic}"), Server = Endpoint },
            Topic = topic,
            Rate = 50,
            MessageSize = 64,
            PollInterval = TimeSpan.FromMilliseconds(200),
            BrowserHeaders = browserHeaders,
        };
        IScenario scenario = scenarioName switch
        {
            "ws-broadcast" => new BroadcastScenario(feed),
            "sse" => new EventStreamScenario(feed),
            "poll-long" => new PollScenario(feed, longPoll: true),
            _ => new PollScenario(feed, longPoll: false),
        };

        (ScenarioResult result, _) = await RunAsync(scenario);
        AssertDelivered(result);
        Assert.Equal(scenarioName, result.Scenario);
        Assert.NotNull(result.Feed);
        Assert.True(result.Feed.MessagesSent > 0, $"published {result.Feed.MessagesSent}, missed {result.Feed.SlotsMissed}");
        Assert.Equal(0, result.Feed.TotalErrors);
        Assert.Equal(0, result.Stats.MessagesLost);
        Assert.Equal(64 * result.Stats.MessagesReceived, result.Stats.PayloadBytesReceived);
        if (browserHeaders && scenarioName.StartsWith("poll", StringComparison.Ordinal))
        {
            // Every poll carries the browser's headers and its cookie: well over a kilobyte out per request.
            Assert.True(result.Stats.BytesSent > 1000 * result.Stats.MessagesSent, $"{result.Stats.BytesSent} B in {result.Stats.MessagesSent} polls");
        }
    }

    [Fact]
    public async Task Stops_on_SIGTERM_with_its_clients_connected()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        HealthSnapshot health = await HealthSnapshot.FetchAsync(http, Url("http", "/"));
        Assert.Equal(-1, health.AllocatedBytes);
        Assert.True(health.Connections >= 0);

        // A long poll and an event stream are open when the signal comes: they must not hold the server up.
        Task<string> poll = http.GetStringAsync(Url("http", "/poll/stopping?after=0&wait=20"));
        using var stream = await http.GetStreamAsync(Url("http", "/sse/stopping"));
        Assert.Equal(0, await Peer.StopAsync());
        string answer = await poll.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.StartsWith("{\"topic\":\"stopping\",\"last\":0,", answer, StringComparison.Ordinal);
    }

    private Uri Url(string scheme, string pathAndQuery) => new($"{scheme}://127.0.0.1:{Peer.Port}{pathAndQuery}");

    private async Task<(ScenarioResult Result, RunReport Report)> RunAsync(IScenario scenario)
    {
        using var server = new ServerProbe(Peer.Pid, Url("http", "/"));
        var simulation = new LoadSimulation.KeepConstant(Clients, TimeSpan.FromSeconds(1), TimeSpan.Zero, TimeSpan.FromMilliseconds(200));
        var runner = new ScenarioRunner([server], TextWriter.Null, TimeSpan.FromMinutes(1));
        ScenarioResult result = await runner.RunAsync(scenario, simulation).WaitAsync(TimeSpan.FromSeconds(60));
        return (result, new RunReport(DateTimeOffset.UtcNow, Url("ws", "/").ToString(), _name, result, server, self: null));
    }

    private void AssertDelivered(ScenarioResult result)
    {
        Assert.True(Clients == result.ClientsReady, $"{result.ClientsReady}/{Clients} ready; {_name}'s output:\n{Peer.Output}");
        Assert.True(result.Stats.TotalErrors == 0, $"{result.Stats.TotalErrors} errors; {_name}'s output:\n{Peer.Output}");
        Assert.True(result.Stats.MessagesReceived > 0, "nothing was delivered");
        Assert.True(result.Stats.Latency.Count > 0);
    }
}

/// <summary>The Bun peer (load/peers/bun).</summary>
public sealed class BunPeerSmokeTests() : PeerSmokeTests("bun");

/// <summary>The Node.js ws peer (load/peers/node-ws).</summary>
public sealed class NodeWsPeerSmokeTests() : PeerSmokeTests("node-ws");
