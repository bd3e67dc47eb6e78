using System.Net;
using WsFast.Load.Client;
using WsFast.Load.Engine;
using WsFast.Load.Scenarios;
using WsFast.Load.Scenarios.Feed;
using WsFast.Server;

namespace WsFast.Load.Tests;

/// <summary>
/// Every scenario, run for about a second with a few clients against the real WsFast server in this process:
/// something is delivered, nothing fails, and the WebSocket feed loses nothing.
/// </summary>
public sealed class ScenarioSmokeTests : IAsyncLifetime
{
    private const int Clients = 4;

    private WsFastServer _server = null!;

    private IPEndPoint Endpoint => new(IPAddress.Loopback, _server.EndPoints[0].Port);

    public async Task InitializeAsync()
    {
        var options = new WsFastServerOptions { PingInterval = TimeSpan.Zero };
        options.Endpoints.Add(new IPEndPoint(IPAddress.Loopback, 0));

        // The scenarios' clients send as fast as they can from one address: the client limits would end them.
        options.ClientLimits.MaxConnectionsPerAddress = 0;
        options.ClientLimits.HandshakesPerSecond = 0;
        options.ClientLimits.MessagesPerSecond = 0;
        options.ClientLimits.BytesPerSecond = 0;
        _server = new WsFastServer(options);
        _server.Map("/echo", new Echo());
        _server.MapBroadcast("/broadcast");
        await _server.StartAsync();
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Theory]
    [InlineData(null)]
    [InlineData(400.0)]
    public async Task Echo_delivers(double? rate)
    {
        var client = new WsClientOptions { Url = new Uri($"ws://127.0.0.1:{Endpoint.Port}/echo"), Server = Endpoint };
        ScenarioResult result = await RunAsync(new EchoScenario(new EchoSettings { Client = client }), rate);
        AssertDelivered(result);
        if (rate is double r)
        {
            // Paced: about the asked rate over the window, not as fast as possible.
            Assert.InRange(result.ReceiveRate, r * 0.5, r * 1.2);
        }
    }

    [Theory]
    [InlineData("ws-broadcast")]
    [InlineData("sse")]
    [InlineData("poll-long")]
    [InlineData("poll-short")]
    public async Task Feed_is_delivered(string name)
    {
        string topic = "smoke-" + name;
        var feed = new FeedSettings
        {
            Client = new WsClientOptions { Url = new Uri($"ws://127.0.0.1:{Endpoint.Port}/broadcast/{topic}"), Server = Endpoint },
            Topic = topic,
            Rate = 50,
            MessageSize = 64,
            PollInterval = TimeSpan.FromMilliseconds(200),
        };
        IScenario scenario = name switch
        {
            "ws-broadcast" => new BroadcastScenario(feed),
            "sse" => new EventStreamScenario(feed),
            "poll-long" => new PollScenario(feed, longPoll: true),
            _ => new PollScenario(feed, longPoll: false),
        };

        ScenarioResult result = await RunAsync(scenario, rate: null);
        AssertDelivered(result);
        Assert.Equal(name, result.Scenario);
        Assert.NotNull(result.Feed);
        // The feed was published during the window. How close the publisher keeps to its rate is the rate
        // controller's test (a simulated clock); in a one-second window on a shared machine, a publisher that
        // wakes late records its missed slots in one batch, on either side of the window's edge.
        Assert.True(result.Feed.MessagesSent > 0, $"published {result.Feed.MessagesSent}, missed {result.Feed.SlotsMissed}");
        Assert.Equal(0, result.Stats.MessagesLost);
        Assert.True(result.Stats.BytesReceived > result.Stats.PayloadBytesReceived, "wire bytes include the framing");
        Assert.Equal(64 * result.Stats.MessagesReceived, result.Stats.PayloadBytesReceived);
    }

    private static async Task<ScenarioResult> RunAsync(IScenario scenario, double? rate)
    {
        var simulation = new LoadSimulation.KeepConstant(Clients, TimeSpan.FromSeconds(1), TimeSpan.Zero, TimeSpan.FromMilliseconds(200)) { Rate = rate };
        var runner = new ScenarioRunner([], TextWriter.Null, TimeSpan.FromMinutes(1));
        return await runner.RunAsync(scenario, simulation);
    }

    private static void AssertDelivered(ScenarioResult result)
    {
        Assert.Equal(Clients, result.ClientsReady);
        Assert.Equal(0, result.Stats.TotalErrors);
        Assert.True(result.Stats.MessagesReceived > 0, "nothing was delivered");
        Assert.True(result.Stats.Latency.Count > 0);
    }

    /// <summary>Sends every message back to its sender.</summary>
    private sealed class Echo : WebSocketHandler
    {
        public override ValueTask OnMessageAsync(WebSocketConnection connection, WebSocketMessage message)
        {
            ValueTask<bool> sent = connection.SendAsync(message);
            return sent.IsCompletedSuccessfully ? default : new ValueTask(sent.AsTask());
        }
    }
}
