using System.Net;
using System.Net.WebSockets;
using System.Text.Json;
using WsFast.Server;
using WsFast.Tests.Server;
using WsFast.Tests.Support;

namespace WsFast.Tests.Broadcast;

/// <summary>Healthy subscribers of a topic get every message, once, in publish order.</summary>
public class DeliveryTests
{
    [Fact]
    public async Task Every_healthy_subscriber_receives_every_message_in_order_whether_published_by_api_or_by_post()
    {
        const int Subscribers = 100;
        const int Messages = 500;
        await using TestServer server = await BroadcastKit.StartAsync();
        ClientWebSocket[] clients = await BroadcastKit.SubscribeAsync(server, "/broadcast/orders", "orders", Subscribers);
        using HttpClient http = BroadcastKit.HttpClient(server);

        // Receiving starts before publishing, so that nothing waits in the server's queues longer than needed.
        Task<List<string>>[] receiving = clients
            .Select(client => BroadcastKit.ReceiveTextsAsync(client, Messages, TimeSpan.FromSeconds(8)))
            .ToArray();

        for (int i = 1; i <= Messages; i++)
        {
            string text = $"m{i}";
            if (i % 2 == 1)
            {
                PublishResult result = server.Server.Topics.Publish("orders", text);
                Assert.Equal(i, result.Sequence);
                Assert.Equal(Subscribers, result.Subscribers);
            }
            else
            {
                using HttpResponseMessage response = await BroadcastKit.PostTextAsync(http, "orders", text);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                using JsonDocument json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
                Assert.Equal("orders", json.RootElement.GetProperty("topic").GetString());
                Assert.Equal(i, json.RootElement.GetProperty("sequence").GetInt64());
                Assert.Equal(Subscribers, json.RootElement.GetProperty("subscribers").GetInt32());
            }
        }

        string[] expected = Enumerable.Range(1, Messages).Select(i => $"m{i}").ToArray();
        foreach (Task<List<string>> received in receiving)
        {
            Assert.Equal(expected, await received);
        }

        Assert.Equal(Messages, server.Server.Topics.Find("orders")!.LastSequence);
        Assert.Equal(0, server.Server.Topics.Find("orders")!.DroppedMessages);
        Assert.Equal(0, server.Server.Counters.Dropped);
        await BroadcastKit.CloseAllAsync(clients);
    }

    [Fact]
    public async Task Binary_messages_published_by_api_arrive_as_binary_with_the_same_bytes()
    {
        await using TestServer server = await BroadcastKit.StartAsync();
        ClientWebSocket[] clients = await BroadcastKit.SubscribeAsync(server, "/broadcast/bytes", "bytes", 3);
        byte[] payload = Enumerable.Range(0, 70_000).Select(i => (byte)(i * 7)).ToArray();

        PublishResult result = server.Server.Topics.Publish("bytes", WsFast.MessageType.Binary, payload);

        Assert.Equal(new PublishResult(1, 3), result.IgnoringEpoch());
        foreach (ClientWebSocket client in clients)
        {
            (System.Net.WebSockets.WebSocketMessageType type, byte[] received) = await BroadcastKit.ReceiveAsync(client);
            Assert.Equal(System.Net.WebSockets.WebSocketMessageType.Binary, type);
            Assert.Equal(payload, received);
        }

        await BroadcastKit.CloseAllAsync(clients);
    }

    [Fact]
    public async Task A_subscriber_that_leaves_is_no_longer_counted_or_sent_to()
    {
        await using TestServer server = await BroadcastKit.StartAsync();
        ClientWebSocket[] clients = await BroadcastKit.SubscribeAsync(server, "/broadcast/leaving", "leaving", 3);

        await BroadcastKit.CloseAllAsync(clients[..1]);
        await BroadcastKit.WaitUntilAsync(() => server.Server.Topics.SubscriberCount("leaving") == 2, "the subscriber to leave");

        Assert.Equal(new PublishResult(1, 2), server.Server.Topics.Publish("leaving", "after").IgnoringEpoch());
        Assert.Equal("after", await BroadcastKit.ReceiveTextAsync(clients[1]));
        Assert.Equal("after", await BroadcastKit.ReceiveTextAsync(clients[2]));
        await BroadcastKit.CloseAllAsync(clients[1..]);
    }
}
