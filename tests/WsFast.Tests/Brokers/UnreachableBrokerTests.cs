using System.Net;
using System.Net.WebSockets;
using System.Text.Json;
using WsFast.Tests.Broadcast;
using WsFast.Tests.Server;
using WsFast.Tests.Support;

namespace WsFast.Tests.Brokers;

/// <summary>
/// Redis out of reach: the server still starts and serves its subscribers, says it is degraded, refuses what needs
/// Redis with 503 and <c>Retry-After</c> (publishes, polls it cannot answer) or 1013 (a client's relayed message),
/// and once Redis answers it carries on by itself.
/// </summary>
public class UnreachableBrokerTests
{
    [Fact]
    public async Task A_server_started_before_its_Redis_serves_subscribers_refuses_publishes_with_503_and_carries_on_once_Redis_answers()
    {
        using RedisServer redis = RedisServer.Start();
        redis.Kill(); // nothing answers on its port until Restart
        await using TestServer node = await BrokerKit.StartNodeAsync(redis.Configuration, SharedRedis.NewPrefix(),
            options => options.Broker.SyncTimeout = TimeSpan.FromMilliseconds(500));
        using HttpClient http = BroadcastKit.HttpClient(node);

        Assert.Equal("degraded", (await BrokerKit.GetJsonAsync(node, "/healthz")).Json.GetProperty("status").GetString());
        using (HttpResponseMessage refused = await BroadcastKit.PostTextAsync(http, "news", "while away"))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.Equal(TimeSpan.FromSeconds(1), refused.Headers.RetryAfter?.Delta);
        }

        await Assert.ThrowsAsync<BrokerUnavailableException>(() => node.Server.Topics.PublishAsync("news", "while away").AsTask());
        ClientWebSocket subscriber = await node.ConnectAsync("/broadcast/news");
        using (HttpResponseMessage poll = await http.GetAsync("/poll/news?after=0&wait=0"))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, poll.StatusCode);
            Assert.NotNull(poll.Headers.RetryAfter);
        }

        redis.Restart();
        await BroadcastKit.WaitUntilAsync(() => node.Server.Topics.Broker.IsConnected, "the broker reached", TimeSpan.FromSeconds(30));
        await BrokerKit.WaitSyncedAsync(node, "news");

        using (HttpResponseMessage published = await BroadcastKit.PostTextAsync(http, "news", "once back"))
        {
            Assert.Equal(HttpStatusCode.OK, published.StatusCode);
        }

        Assert.Equal("once back", await BroadcastKit.ReceiveTextAsync(subscriber));
        Assert.Equal(WebSocketState.Open, subscriber.State);
        Assert.Equal("ok", (await BrokerKit.GetJsonAsync(node, "/healthz")).Json.GetProperty("status").GetString());
        JsonElement broker = (await BrokerKit.GetJsonAsync(node, "/healthz?details")).Json.GetProperty("broker");
        Assert.Equal((true, 1L, 2L), (broker.GetProperty("connected").GetBoolean(), broker.GetProperty("published").GetInt64(), broker.GetProperty("publishFailures").GetInt64()));
        await BroadcastKit.CloseAllAsync([subscriber]);
    }

    [Fact]
    public async Task A_client_relaying_while_Redis_is_away_is_closed_with_1013_try_again_later_and_a_bystander_stays()
    {
        using RedisServer redis = RedisServer.Start();
        await using TestServer node = await BrokerKit.StartNodeAsync(redis.Configuration, SharedRedis.NewPrefix());
        ClientWebSocket[] clients = await BrokerKit.SubscribeAsync(node, "room", 2);

        redis.Kill();
        await BroadcastKit.WaitUntilAsync(() => !node.Server.Topics.Broker.IsConnected, "the broker lost");
        await BroadcastKit.SendTextAsync(clients[0], "nobody can number this");

        using var timeout = new CancellationTokenSource(BroadcastKit.Timeout);
        WebSocketReceiveResult result = await clients[0].ReceiveAsync(new byte[256], timeout.Token);
        Assert.Equal((WebSocketMessageType.Close, (WebSocketCloseStatus)1013), (result.MessageType, clients[0].CloseStatus));
        Assert.Equal(WebSocketState.Open, clients[1].State);
        await BroadcastKit.CloseAllAsync(clients);
    }
}
