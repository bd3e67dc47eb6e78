using System.Net.WebSockets;
using System.Text.Json;
using WsFast.Server;
using WsFast.Tests.Broadcast;
using WsFast.Tests.Groups;
using WsFast.Tests.Server;
using WsFast.Tests.Support;

namespace WsFast.Tests.Brokers;

/// <summary>
/// What server code sees of topics shared through Redis: rooms that span servers, publishing without waiting, the
/// subscriber counts of every server, and the bound on what a client can make a server follow.
/// </summary>
[Collection(SharedRedisCollection.Name)]
public class SharedTopicTests(SharedRedis redis)
{
    [Fact]
    public async Task A_chat_room_spans_servers_a_message_reaches_every_member_on_every_server_but_its_sender()
    {
        string prefix = SharedRedis.NewPrefix();
        var chatA = new ChatRooms();
        var chatB = new ChatRooms();
        await using TestServer a = await BrokerKit.StartNodeAsync(redis.Configuration, prefix, map: s => s.Map("/chat", chatA));
        await using TestServer b = await BrokerKit.StartNodeAsync(redis.Configuration, prefix, map: s => s.Map("/chat", chatB));
        (ClientWebSocket alice, WebSocketConnection aliceConnection) = await GroupsKit.ConnectAsync(a, chatA, "lobby");
        (ClientWebSocket bob, WebSocketConnection bobConnection) = await GroupsKit.ConnectAsync(a, chatA, "lobby");
        (ClientWebSocket carol, WebSocketConnection carolConnection) = await GroupsKit.ConnectAsync(b, chatB, "lobby");
        await BrokerKit.WaitSyncedAsync(a, "lobby");
        await BrokerKit.WaitSyncedAsync(b, "lobby");

        await BroadcastKit.SendTextAsync(alice, "say:lobby:hi from alice");
        Assert.Equal("hi from alice", await BroadcastKit.ReceiveTextAsync(bob));
        Assert.Equal("hi from alice", await BroadcastKit.ReceiveTextAsync(carol));
        await BroadcastKit.SendTextAsync(carol, "say:lobby:hi from carol");
        Assert.Equal("hi from carol", await BroadcastKit.ReceiveTextAsync(alice));
        Assert.Equal("hi from carol", await BroadcastKit.ReceiveTextAsync(bob));

        // The senders got nothing of their own: the next message each gets is a marker sent after everything above.
        await GroupsKit.AssertNextIsAsync(alice, aliceConnection, "nothing of alice's own");
        await GroupsKit.AssertNextIsAsync(carol, carolConnection, "nothing of carol's own");
        await GroupsKit.AssertNextIsAsync(bob, bobConnection, "nothing twice");
        await BroadcastKit.CloseAllAsync([alice, bob, carol]);
    }

    [Fact]
    public async Task A_message_crosses_to_each_server_once_whatever_its_number_of_subscribers_and_is_framed_once_there()
    {
        string prefix = SharedRedis.NewPrefix();
        await using TestServer a = await BrokerKit.StartNodeAsync(redis.Configuration, prefix);
        await using TestServer b = await BrokerKit.StartNodeAsync(redis.Configuration, prefix);
        ClientWebSocket[] onA = await BrokerKit.SubscribeAsync(a, "wide", 5);
        ClientWebSocket[] onB = await BrokerKit.SubscribeAsync(b, "wide", 40);

        for (int i = 0; i < 10; i++)
        {
            await a.Server.Topics.PublishAsync("wide", $"m{i}");
        }

        foreach (ClientWebSocket client in onA.Concat(onB))
        {
            Assert.Equal(Enumerable.Range(0, 10).Select(i => $"m{i}"), await BroadcastKit.ReceiveTextsAsync(client, 10));
        }

        // Ten messages came to each server, each offered to its subscribers as one frame (ten publishes' fan-outs).
        Assert.Equal((10L, 10L, 50L), (a.Server.Counters.BrokerReceived, a.Server.Counters.Publishes, a.Server.Counters.Fanout));
        Assert.Equal((10L, 10L, 400L), (b.Server.Counters.BrokerReceived, b.Server.Counters.Publishes, b.Server.Counters.Fanout));
        await BroadcastKit.CloseAllAsync(onA.Concat(onB));
    }

    [Fact]
    public async Task Publish_without_waiting_hands_messages_to_the_broker_in_the_order_of_the_calls_and_returns_zeros()
    {
        string prefix = SharedRedis.NewPrefix();
        await using TestServer a = await BrokerKit.StartNodeAsync(redis.Configuration, prefix);
        await using TestServer b = await BrokerKit.StartNodeAsync(redis.Configuration, prefix);
        ClientWebSocket[] subscribers = await BrokerKit.SubscribeAsync(b, "feed", 1);

        for (int i = 0; i < 20; i++)
        {
            Assert.Equal(default, a.Server.Topics.Publish("feed", $"m{i}"));
        }

        Assert.Equal(Enumerable.Range(0, 20).Select(i => $"m{i}"), await BroadcastKit.ReceiveTextsAsync(subscribers[0], 20));
        Assert.Null(a.Server.Topics.Find("feed")); // the publishing server follows nothing it has no subscriber of
        Assert.Equal(20, b.Server.Topics.Find("feed")!.LastSequence);
        await BroadcastKit.CloseAllAsync(subscribers);
    }

    [Fact]
    public async Task Subscribers_are_counted_over_every_server_and_a_server_whose_subscribers_left_drops_out()
    {
        string prefix = SharedRedis.NewPrefix();
        Action<WsFastServerOptions> quickPresence = options => options.Broker.PresenceInterval = TimeSpan.FromMilliseconds(200);
        await using TestServer a = await BrokerKit.StartNodeAsync(redis.Configuration, prefix, quickPresence);
        await using TestServer b = await BrokerKit.StartNodeAsync(redis.Configuration, prefix, quickPresence);
        ClientWebSocket[] onA = await BrokerKit.SubscribeAsync(a, "scores", 2);
        ClientWebSocket[] onB = await BrokerKit.SubscribeAsync(b, "scores", 3);

        await BroadcastKit.WaitUntilAsync(() => Presence(a) == (5, 2, 2), "5 subscribers on 2 servers, 2 of them here", TimeSpan.FromSeconds(10));
        await BroadcastKit.CloseAllAsync(onB);
        await BroadcastKit.WaitUntilAsync(() => Presence(a) == (2, 1, 2), "2 subscribers on 1 server", TimeSpan.FromSeconds(10));
        await BroadcastKit.CloseAllAsync(onA);

        (long, int, int) Presence(TestServer server)
        {
            (int status, JsonElement info) = BrokerKit.GetJsonAsync(server, "/topics/scores").GetAwaiter().GetResult();
            Assert.Equal(200, status);
            return (info.GetProperty("subscribers").GetInt64(), info.GetProperty("servers").GetInt32(), info.GetProperty("here").GetInt32());
        }
    }

    [Fact]
    public async Task A_client_cycling_through_topic_names_leaves_the_server_following_at_most_MaxTopics_of_them()
    {
        await using TestServer node = await BrokerKit.StartNodeAsync(redis.Configuration, SharedRedis.NewPrefix(), options =>
        {
            options.Broadcast.MaxTopics = 4;
            options.Broker.UnsubscribeDelay = TimeSpan.FromMinutes(5);
        });
        var broker = (SharedBroker)node.Server.Topics.Broker;

        for (int i = 0; i < 12; i++)
        {
            ClientWebSocket[] client = await BrokerKit.SubscribeAsync(node, $"name-{i}", 1);
            await BroadcastKit.CloseAllAsync(client);
            await BroadcastKit.WaitUntilAsync(() => node.Server.Topics.SubscriberCount($"name-{i}") == 0, "the client gone");
        }

        // Four linger (the unsubscribe delay spares polling clients a subscription each time); the rest went at once.
        await BroadcastKit.WaitUntilAsync(() => node.Server.Topics.All.Count == 4 && broker.FollowedTopics == 4, "four topics followed");
        Assert.NotNull(node.Server.Topics.Find("name-0"));
        Assert.Null(node.Server.Topics.Find("name-11"));
    }
}
