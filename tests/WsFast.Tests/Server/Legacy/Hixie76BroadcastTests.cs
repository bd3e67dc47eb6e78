using System.Net.WebSockets;
using System.Text;
using WsFast.Server;
using WsFast.Tests.Broadcast;

namespace WsFast.Tests.Server.Legacy;

/// <summary>
/// Draft-76 clients on a broadcast endpoint: they receive every text message of their topic, whoever published
/// it, as one frame shared between them; binary messages skip them; the slow-consumer bounds hold.
/// </summary>
public class Hixie76BroadcastTests
{
    private static Task<TestServer> StartAsync(Action<WsFastServerOptions>? configure = null, SlowConsumerPolicy policy = SlowConsumerPolicy.Drop) =>
        BroadcastKit.StartAsync(configure, server =>
        {
            WebSocketEndpoint broadcast = server.Endpoints["/broadcast"];
            broadcast.LegacyHixie76 = true;
            broadcast.SlowConsumerPolicy = policy;
        });

    private static async Task<Hixie76Client> SubscribeAsync(TestServer server, string topic, int? receiveBufferSize = null)
    {
        int before = server.Server.Topics.SubscriberCount(topic);
        Hixie76Client client = await Hixie76Client.ConnectAsync(server.Port, "/broadcast/" + topic, receiveBufferSize);
        await BroadcastKit.WaitUntilAsync(() => server.Server.Topics.SubscriberCount(topic) == before + 1, "the draft-76 subscriber");
        return client;
    }

    [Fact]
    public async Task Text_from_an_RFC_6455_client_from_publish_and_from_a_draft_76_client_reaches_both_kinds()
    {
        await using TestServer server = await StartAsync();
        using Hixie76Client hixie = await SubscribeAsync(server, "news");
        using Hixie76Client hixieSender = await SubscribeAsync(server, "news");
        ClientWebSocket[] rfc = await BroadcastKit.SubscribeAsync(server, "/broadcast/news", "news", 1);
        using HttpClient http = BroadcastKit.HttpClient(server);

        await BroadcastKit.SendTextAsync(rfc[0], "from RFC 6455");
        Assert.Equal("from RFC 6455", await hixie.ReadAsync());
        Assert.Equal("from RFC 6455", await BroadcastKit.ReceiveTextAsync(rfc[0]));

        using (HttpResponseMessage response = await BroadcastKit.PostTextAsync(http, "news", "from POST é"))
        {
            Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Equal("from POST é", await hixie.ReadAsync());
        Assert.Equal("from POST é", await BroadcastKit.ReceiveTextAsync(rfc[0]));

        // Relaying is on: a draft-76 client publishes too, the sender included.
        await hixieSender.SendTextAsync("from draft 76");
        Assert.Equal("from draft 76", await hixie.ReadAsync());
        Assert.Equal("from draft 76", await BroadcastKit.ReceiveTextAsync(rfc[0]));
        Assert.Equal("from RFC 6455", await hixieSender.ReadAsync());
        Assert.Equal("from POST é", await hixieSender.ReadAsync());
        Assert.Equal("from draft 76", await hixieSender.ReadAsync());
        Assert.Equal(3, server.Server.Topics.Find("news")!.LastSequence);
        await BroadcastKit.CloseAllAsync(rfc);
    }

    [Fact]
    public async Task A_binary_message_skips_draft_76_subscribers_and_is_neither_reached_nor_dropped()
    {
        await using TestServer server = await StartAsync();
        using Hixie76Client hixie = await SubscribeAsync(server, "mixed");
        ClientWebSocket[] rfc = await BroadcastKit.SubscribeAsync(server, "/broadcast/mixed", "mixed", 1);

        PublishResult binary = server.Server.Topics.Publish("mixed", WsFast.MessageType.Binary, [1, 2, 0xFF]);
        server.Server.Topics.Publish("mixed", "text after binary");

        Assert.Equal(1, binary.Subscribers);   // the RFC 6455 client only
        Assert.Equal(0, server.Server.Topics.Find("mixed")!.DroppedMessages);
        Assert.Equal("text after binary", await hixie.ReadAsync());
        (System.Net.WebSockets.WebSocketMessageType type, _) = await BroadcastKit.ReceiveAsync(rfc[0]);
        Assert.Equal(System.Net.WebSockets.WebSocketMessageType.Binary, type);
        await BroadcastKit.CloseAllAsync(rfc);
    }

    [Fact]
    public async Task The_draft_76_frame_is_built_once_and_counted_in_the_history_bytes()
    {
        await using TestServer server = await StartAsync();
        using Hixie76Client first = await SubscribeAsync(server, "shared");
        using Hixie76Client second = await SubscribeAsync(server, "shared");
        long before = server.Server.Topics.HistoryBytes;

        server.Server.Topics.Publish("shared", "hello");

        // The RFC 6455 frame (2 + 5 bytes) and one draft-76 frame (2 + 5) for both subscribers.
        Assert.Equal(14, server.Server.Topics.HistoryBytes - before);
        Assert.Equal("hello", await first.ReadAsync());
        Assert.Equal("hello", await second.ReadAsync());
    }

    [Fact]
    public async Task A_draft_76_subscriber_that_does_not_read_skips_messages_at_its_queue_bound()
    {
        const int Bound = 4;
        await using TestServer server = await StartAsync(options => options.MaxQueuedOutboundMessages = Bound);
        using Hixie76Client slow = await SubscribeAsync(server, "slow", receiveBufferSize: 4096);
        Hixie76Connection connection = server.Server.Topics.Find("slow")!.Subscribers.OfType<Hixie76Connection>().Single();
        string payload = new('z', 16 * 1024);

        int published = 0;
        Topic topic = server.Server.Topics.Find("slow")!;
        while (topic.DroppedMessages == 0 && published < 10_000)
        {
            server.Server.Topics.Publish("slow", payload);
            published++;
            Assert.True(((IServerConnection)connection).BufferedBytes <= (Bound + 1) * (payload.Length + 2L), "the queue stays within its bound");
        }

        Assert.True(topic.DroppedMessages > 0, $"{published} messages published, none dropped");
        Assert.Equal(WsFast.ConnectionState.Open, connection.State);
        Assert.Equal(0, server.Server.Counters.SlowConsumerDisconnects);
    }

    [Fact]
    public async Task With_the_disconnect_policy_a_draft_76_subscriber_that_does_not_read_is_closed_at_its_bound()
    {
        await using TestServer server = await StartAsync(options => options.MaxQueuedOutboundMessages = 4, SlowConsumerPolicy.Disconnect);
        using Hixie76Client slow = await SubscribeAsync(server, "gone", receiveBufferSize: 4096);
        string payload = new('z', 16 * 1024);

        int published = 0;
        while (server.Server.Counters.SlowConsumerDisconnects == 0 && published < 10_000)
        {
            server.Server.Topics.Publish("gone", payload);
            published++;
        }

        Assert.Equal(1, server.Server.Counters.SlowConsumerDisconnects);
        Assert.Equal(0, server.Server.Topics.SubscriberCount("gone"));
    }

    [Fact]
    public async Task Without_relaying_a_draft_76_clients_message_closes_it()
    {
        await using TestServer server = await TestServer.StartAsync(
            options => options.PingInterval = TimeSpan.Zero,
            s => s.MapBroadcast("/quiet", relayClientMessages: false, defaultTopic: "quiet").LegacyHixie76 = true);
        using Hixie76Client client = await Hixie76Client.ConnectAsync(server.Port, "/quiet");

        await client.SendTextAsync("may I?");

        Assert.Equal("close", await client.ReadAsync());
        Assert.Equal(0, server.Server.Topics.Find("quiet")?.LastSequence ?? 0);
    }

    [Fact]
    public async Task An_endpoint_broadcast_reaches_draft_76_clients_of_a_custom_handler()
    {
        WebSocketEndpoint? ticker = null;
        await using TestServer server = await TestServer.StartAsync(
            options => options.PingInterval = TimeSpan.Zero,
            s => (ticker = s.Map("/ticker", new TestServer.Recorder())).LegacyHixie76 = true);
        using Hixie76Client client = await Hixie76Client.ConnectAsync(server.Port, "/ticker");
        await BroadcastKit.WaitUntilAsync(() => ticker!.ConnectionCount == 1, "the draft-76 client");

        Assert.Equal(1, ticker!.Broadcast("tick 1"));

        Assert.Equal("tick 1", await client.ReadAsync());
        Assert.Equal(0, ticker.Broadcast(WsFast.MessageType.Binary, Encoding.UTF8.GetBytes("tock")));
    }
}
