using System.Net;
using System.Net.WebSockets;
using WsFast.Server;
using WsFast.Tests.Server;
using WsFast.Tests.Support;

namespace WsFast.Tests.Broadcast;

/// <summary>
/// The server's figures through the <c>WsFast</c> meter and through <c>GET /metrics</c>. A MeterListener hears
/// every meter of the process, hence these tests run alone.
/// </summary>
[Collection(SerialBroadcastCollection.Name)]
public class MetricsTests
{
    private const int Subscribers = 3;
    private const int Published = 7;

    [Fact]
    public async Task The_WsFast_meter_reports_the_same_figures_as_the_server_counters()
    {
        await using TestServer server = await BroadcastKit.StartAsync();
        ClientWebSocket[] clients = await MakeTrafficAsync(server);

        ServerCounters counters = server.Server.Counters;
        Dictionary<string, long> ours = Assert.Single(WsFastMeterReadings.Read(),
            values => values.GetValueOrDefault("wsfast.connections.accepted") == counters.Accepted
                && values.GetValueOrDefault("wsfast.publish.messages") == Published);
        Assert.Equal(server.Server.ConnectionCount, ours["wsfast.connections.open"]);
        Assert.Equal(counters.Refused, ours["wsfast.connections.refused"]);
        Assert.Equal(counters.MessagesIn, ours["wsfast.messages.received"]);
        Assert.Equal(counters.MessagesOut, ours["wsfast.messages.sent"]);
        Assert.Equal(counters.BytesIn, ours["wsfast.bytes.received"]);
        Assert.Equal(counters.BytesOut, ours["wsfast.bytes.sent"]);
        Assert.Equal(counters.Dropped, ours["wsfast.broadcast.dropped"]);
        Assert.Equal(counters.SlowConsumerDisconnects, ours["wsfast.broadcast.slow_consumer_disconnects"]);
        Assert.Equal(Subscribers * Published, ours["wsfast.publish.fanout"]);
        Assert.Equal(counters.Fanout, ours["wsfast.publish.fanout"]);
        Assert.Equal(2, ours["wsfast.closes|code=1000"]);
        Assert.Equal(counters.ClosedWith(1000), ours["wsfast.closes|code=1000"]);
        Assert.Equal(0, ours["wsfast.closes|code=1008"]);
        await BroadcastKit.CloseAllAsync(clients);
    }

    [Fact]
    public async Task GET_metrics_answers_in_the_Prometheus_text_format()
    {
        await using TestServer server = await BroadcastKit.StartAsync(options => options.MetricsIncludeTopics = true);
        ClientWebSocket[] clients = await MakeTrafficAsync(server);
        using var http = new HttpClient { Timeout = BroadcastKit.Timeout };

        using HttpResponseMessage response = await http.GetAsync(server.Http("/metrics"));
        string text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        string[] lines = text.Split('\n');
        // The one subscriber left, and the request asking.
        Assert.Contains("wsfast_connections_open 2", lines);
        Assert.Contains($"wsfast_publish_messages_total {Published}", lines);
        Assert.Contains($"wsfast_publish_fanout_total {Subscribers * Published}", lines);
        Assert.Contains("wsfast_closes_total{code=\"1000\"} 2", lines);
        Assert.Contains("wsfast_topic_subscribers{topic=\"metered\"} 1", lines);
        Assert.Contains($"wsfast_topic_last_sequence{{topic=\"metered\"}} {Published}", lines);
        Assert.Contains("# TYPE wsfast_publish_fanout_total counter", lines);
        Assert.Contains("# TYPE wsfast_connections_open gauge", lines);
        // Every sample line is "name{labels} value", the value a number.
        Assert.All(lines.Where(line => line.Length > 0 && !line.StartsWith('#')),
            line => Assert.Matches(@"^wsfast_[a-z_]+(\{[a-z]+=""[^""]*""\})? -?\d+$", line));
        await BroadcastKit.CloseAllAsync(clients);
    }

    [Fact]
    public async Task GET_metrics_names_no_topic_unless_asked_since_clients_choose_the_names()
    {
        await using TestServer server = await BroadcastKit.StartAsync();
        ClientWebSocket[] clients = await MakeTrafficAsync(server);
        using var http = new HttpClient { Timeout = BroadcastKit.Timeout };

        string text = await http.GetStringAsync(server.Http("/metrics"));

        Assert.DoesNotContain("metered", text);
        Assert.Contains("wsfast_topics 1\n", text);
        await BroadcastKit.CloseAllAsync(clients);
    }

    [Fact]
    public async Task GET_metrics_can_require_the_publish_token()
    {
        await using TestServer server = await BroadcastKit.StartAsync(options =>
        {
            options.Broadcast.PublishToken = "s3cret";
            options.MetricsRequireToken = true;
        });
        using var http = new HttpClient { Timeout = BroadcastKit.Timeout };

        using (HttpResponseMessage anonymous = await http.GetAsync(server.Http("/metrics")))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        }

        var request = new HttpRequestMessage(HttpMethod.Get, server.Http("/metrics"));
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "s3cret");
        using HttpResponseMessage authorized = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, authorized.StatusCode);
    }

    /// <summary>Three subscribers, seven messages to each, then two of them close with 1000; returns the one left.</summary>
    private static async Task<ClientWebSocket[]> MakeTrafficAsync(TestServer server)
    {
        ClientWebSocket[] clients = await BroadcastKit.SubscribeAsync(server, "/broadcast/metered", "metered", Subscribers);
        for (int i = 1; i <= Published; i++)
        {
            server.Server.Topics.Publish("metered", $"m{i}");
        }

        foreach (ClientWebSocket client in clients)
        {
            await BroadcastKit.ReceiveTextsAsync(client, Published);
        }

        await BroadcastKit.CloseAllAsync(clients[..2]);
        await BroadcastKit.WaitUntilAsync(() => server.Server.Counters.Closed == 2 && server.Server.ConnectionCount == 1,
            "two connections to end");
        return clients[2..];
    }
}
