using System.Net.WebSockets;
using WsFast.Server;
using WsFast.Tests.Server;
using WsFast.Tests.Support;

namespace WsFast.Tests.Broadcast;

/// <summary>
/// Plain <c>/broadcast</c> keeps the classic semantics: it is the topic "default", and what a client sends
/// there reaches every client connected, the sender included (relaying being on for the endpoint).
/// </summary>
public class PlainBroadcastTests
{
    [Fact]
    public async Task A_clients_message_on_plain_broadcast_reaches_every_connected_client_the_sender_included()
    {
        await using TestServer server = await BroadcastKit.StartAsync();
        ClientWebSocket[] clients = await BroadcastKit.SubscribeAsync(server, "/broadcast", "default", 3);

        await BroadcastKit.SendTextAsync(clients[0], "hello, everyone");

        foreach (ClientWebSocket client in clients)
        {
            Assert.Equal("hello, everyone", await BroadcastKit.ReceiveTextAsync(client));
        }

        // Relayed through the topic: it took the topic's first sequence number.
        Assert.Equal(1, server.Server.Topics.Find("default")!.LastSequence);
        await BroadcastKit.CloseAllAsync(clients);
    }

    [Fact]
    public async Task Plain_broadcast_is_the_default_topic_for_publishing_and_counting()
    {
        await using TestServer server = await BroadcastKit.StartAsync();
        ClientWebSocket[] clients = await BroadcastKit.SubscribeAsync(server, "/broadcast", "default", 2);
        using HttpClient http = BroadcastKit.HttpClient(server);

        Assert.Equal(2, server.Server.Topics.SubscriberCount("default"));
        Assert.Equal(new PublishResult(1, 2), server.Server.Topics.Publish("default", "from the api").IgnoringEpoch());
        using (HttpResponseMessage response = await BroadcastKit.PostTextAsync(http, "default", "from http"))
        {
            Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        }

        foreach (ClientWebSocket client in clients)
        {
            Assert.Equal(["from the api", "from http"], await BroadcastKit.ReceiveTextsAsync(client, 2));
        }

        await BroadcastKit.CloseAllAsync(clients);
    }

    [Fact]
    public async Task Without_relaying_a_clients_message_reaches_no_one_and_closes_it_with_1008()
    {
        await using TestServer server = await TestServer.StartAsync(
            options => options.PingInterval = TimeSpan.Zero,
            s => s.MapBroadcast("/quiet", relayClientMessages: false, defaultTopic: "quiet"));
        ClientWebSocket[] clients = await BroadcastKit.SubscribeAsync(server, "/quiet", "quiet", 2);

        await BroadcastKit.SendTextAsync(clients[0], "not for anyone");
        using var cancel = new CancellationTokenSource(BroadcastKit.Timeout);
        (System.Net.WebSockets.WebSocketCloseStatus? status, string? reason) = await clients[0].ExpectCloseAsync(cancel.Token);
        Assert.Equal(System.Net.WebSockets.WebSocketCloseStatus.PolicyViolation, status);
        Assert.Equal("this endpoint does not take messages from clients", reason);
        Assert.Equal(0, server.Server.Topics.Find("quiet")!.LastSequence);

        // The other client receives the server's own publish, and nothing of the client's message.
        server.Server.Topics.Publish("quiet", "from the server");
        Assert.Equal("from the server", await BroadcastKit.ReceiveTextAsync(clients[1]));
        await BroadcastKit.CloseAllAsync(clients);
    }

    [Fact]
    public async Task A_clients_message_on_a_topic_path_is_relayed_to_that_topic_only()
    {
        await using TestServer server = await BroadcastKit.StartAsync();
        ClientWebSocket[] room = await BroadcastKit.SubscribeAsync(server, "/broadcast/room", "room", 2);
        ClientWebSocket[] plain = await BroadcastKit.SubscribeAsync(server, "/broadcast", "default", 1);

        await BroadcastKit.SendTextAsync(room[1], "in the room");
        Assert.Equal("in the room", await BroadcastKit.ReceiveTextAsync(room[0]));
        Assert.Equal("in the room", await BroadcastKit.ReceiveTextAsync(room[1]));

        // The default topic's subscriber gets the default topic's next message first: the room's never came.
        server.Server.Topics.Publish("default", "default only");
        Assert.Equal("default only", await BroadcastKit.ReceiveTextAsync(plain[0]));
        await BroadcastKit.CloseAllAsync([.. room, .. plain]);
    }
}
