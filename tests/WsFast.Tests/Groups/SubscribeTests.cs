using System.Net.WebSockets;
using WsFast.Tests.Broadcast;
using WsFast.Tests.Server;
using WsFast.Tests.Support;

namespace WsFast.Tests.Groups;

/// <summary>
/// Server-side groups: server code subscribes a connection of any endpoint to topics, from any handler event
/// or any thread, and every subscription ends with the connection.
/// </summary>
public class SubscribeTests
{
    [Fact]
    public async Task A_chat_endpoints_connections_receive_the_rooms_they_joined_and_no_other()
    {
        (TestServer server, ChatRooms chat) = await GroupsKit.StartAsync();
        await using TestServer running = server;
        (ClientWebSocket alice, WebSocketConnection aliceConnection) = await GroupsKit.ConnectAsync(server, chat, "lobby,games");
        (ClientWebSocket bob, WebSocketConnection bobConnection) = await GroupsKit.ConnectAsync(server, chat, "lobby");
        (ClientWebSocket carol, _) = await GroupsKit.ConnectAsync(server, chat, "games");

        Assert.Equal(new PublishResult(1, 2), server.Server.Topics.Publish("lobby", "to the lobby").IgnoringEpoch());
        Assert.Equal(new PublishResult(1, 2), server.Server.Topics.Publish("games", "to the games").IgnoringEpoch());

        Assert.Equal(["to the lobby", "to the games"], await BroadcastKit.ReceiveTextsAsync(alice, 2));
        Assert.Equal("to the lobby", await BroadcastKit.ReceiveTextAsync(bob));
        Assert.Equal("to the games", await BroadcastKit.ReceiveTextAsync(carol));
        await GroupsKit.AssertNextIsAsync(bob, bobConnection, "nothing from games");

        // A member says something: the room but the sender hears it.
        await BroadcastKit.SendTextAsync(alice, "say:games:hello");
        Assert.Equal("hello", await BroadcastKit.ReceiveTextAsync(carol));
        await GroupsKit.AssertNextIsAsync(alice, aliceConnection, "not its own message");
        await BroadcastKit.CloseAllAsync([alice, bob, carol]);
    }

    [Fact]
    public async Task Subscribing_twice_is_one_subscription_and_unsubscribing_stops_delivery()
    {
        (TestServer server, ChatRooms chat) = await GroupsKit.StartAsync();
        await using TestServer running = server;
        (ClientWebSocket client, WebSocketConnection connection) = await GroupsKit.ConnectAsync(server, chat, "");

        Assert.Equal("joined:news:true", await GroupsKit.CommandAsync(client, "join:news"));
        Assert.Equal("joined:news:false", await GroupsKit.CommandAsync(client, "join:news"));
        Assert.Equal(1, server.Server.Topics.SubscriberCount("news"));
        server.Server.Topics.Publish("news", "once");
        Assert.Equal("once", await BroadcastKit.ReceiveTextAsync(client));
        await GroupsKit.AssertNextIsAsync(client, connection, "only once");

        Assert.Equal("left:news:true", await GroupsKit.CommandAsync(client, "leave:news"));
        Assert.Equal("left:news:false", await GroupsKit.CommandAsync(client, "leave:news"));
        Assert.False(connection.IsSubscribed("news"));
        Assert.Equal(new PublishResult(2, 0), server.Server.Topics.Publish("news", "after leaving").IgnoringEpoch());
        await GroupsKit.AssertNextIsAsync(client, connection, "nothing after leaving");

        // Joining again works like the first time.
        Assert.Equal("joined:news:true", await GroupsKit.CommandAsync(client, "join:news"));
        server.Server.Topics.Publish("news", "back");
        Assert.Equal("back", await BroadcastKit.ReceiveTextAsync(client));
        await BroadcastKit.CloseAllAsync([client]);
    }

    [Fact]
    public async Task Another_thread_can_find_a_connection_by_id_and_subscribe_it()
    {
        (TestServer server, ChatRooms chat) = await GroupsKit.StartAsync();
        await using TestServer running = server;
        (ClientWebSocket client, WebSocketConnection opened) = await GroupsKit.ConnectAsync(server, chat, "");
        long id = opened.Id;

        // Server code that kept only the id: a background job, another connection's handler.
        bool joined = await Task.Run(() => server.Server.Connections.TryGet(id, out WebSocketConnection? found) && found.Subscribe("alerts"));
        Assert.True(joined);
        Assert.True(server.Server.Connections.TryGet(id, out WebSocketConnection? connection));
        Assert.Same(opened, connection);
        Assert.Equal(1, server.Server.Connections.Count);
        Assert.False(server.Server.Connections.TryGet(id + 1_000_000, out _));

        // A lookup allocates nothing.
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            server.Server.Connections.TryGet(id, out _);
        }

        Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());

        server.Server.Topics.Publish("alerts", "after");
        Assert.Equal("after", await BroadcastKit.ReceiveTextAsync(client));

        await BroadcastKit.CloseAllAsync([client]);
        await BroadcastKit.WaitUntilAsync(() => server.Server.Connections.Count == 0, "the connection to end");
        Assert.False(server.Server.Connections.TryGet(id, out _));
    }

    [Fact]
    public async Task A_connection_joins_at_most_the_configured_number_of_topics_and_names_are_checked()
    {
        (TestServer server, ChatRooms chat) = await GroupsKit.StartAsync(options => options.Broadcast.MaxTopicsPerConnection = 3);
        await using TestServer running = server;
        (ClientWebSocket client, WebSocketConnection connection) = await GroupsKit.ConnectAsync(server, chat, "a,b,c");

        InvalidOperationException full = Assert.Throws<InvalidOperationException>(() => connection.Subscribe("d"));
        Assert.Contains("MaxTopicsPerConnection", full.Message);
        Assert.False(connection.Subscribe("a")); // already a member: no error at the bound
        Assert.Throws<ArgumentException>(() => connection.Subscribe("no spaces"));
        Assert.Throws<ArgumentException>(() => connection.Subscribe(new string('x', TopicRegistry.MaxNameLength + 1)));
        Assert.Throws<ArgumentException>(() => connection.Subscribe("a", "not-a-cursor"));
        Assert.Null(server.Server.Topics.Find("d"));

        // Leaving one makes room for another.
        Assert.True(connection.Unsubscribe("b"));
        Assert.True(connection.Subscribe("d"));
        await BroadcastKit.CloseAllAsync([client]);
    }

    [Fact]
    public async Task A_topic_object_of_this_server_can_be_subscribed_and_one_of_another_server_is_refused()
    {
        (TestServer server, ChatRooms chat) = await GroupsKit.StartAsync();
        await using TestServer running = server;
        (ClientWebSocket client, WebSocketConnection connection) = await GroupsKit.ConnectAsync(server, chat, "");
        server.Server.Topics.Publish("kept", "m1");
        Topic kept = server.Server.Topics.Find("kept")!;

        Assert.True(connection.Subscribe(kept));
        Assert.False(connection.Subscribe(kept));
        kept.Publish("m2");
        Assert.Equal("m2", await BroadcastKit.ReceiveTextAsync(client));
        Assert.True(connection.Unsubscribe(kept));

        await using var other = new WsFastServer(new WsFastServerOptions());
        other.Topics.Publish("kept", "elsewhere");
        Assert.Throws<ArgumentException>(() => connection.Subscribe(other.Topics.Find("kept")!));
        await BroadcastKit.CloseAllAsync([client]);
    }

    [Fact]
    public async Task Every_subscription_ends_with_the_connection_and_topics_without_history_go_with_it()
    {
        (TestServer server, ChatRooms chat) = await GroupsKit.StartAsync();
        await using TestServer running = server;
        (ClientWebSocket client, WebSocketConnection connection) = await GroupsKit.ConnectAsync(server, chat, "quiet,busy");
        server.Server.Topics.Publish("busy", "kept in history");
        Assert.Equal("kept in history", await BroadcastKit.ReceiveTextAsync(client));

        await BroadcastKit.CloseAllAsync([client]);
        await BroadcastKit.WaitUntilAsync(() => connection.State == ConnectionState.Closed && server.Server.Topics.Find("quiet") is null,
            "the subscriber-only topic to go");
        Assert.Equal(0, server.Server.Topics.SubscriberCount("busy"));
        Assert.Equal(1, server.Server.Topics.Find("busy")!.HistoryCount);

        // A closed connection joins nothing (and holds nothing).
        Assert.False(connection.Subscribe("late"));
        Assert.Null(server.Server.Topics.Find("late"));
    }

    [Fact]
    public async Task Many_connections_joining_and_leaving_concurrently_leave_nothing_behind()
    {
        (TestServer server, ChatRooms chat) = await GroupsKit.StartAsync(options => options.Broadcast.HistorySize = 0);
        await using TestServer running = server;
        var clients = new List<ClientWebSocket>();
        var connections = new List<WebSocketConnection>();
        for (int i = 0; i < 8; i++)
        {
            (ClientWebSocket client, WebSocketConnection connection) = await GroupsKit.ConnectAsync(server, chat, "");
            clients.Add(client);
            connections.Add(connection);
        }

        // Threads join and leave the same rooms while publishes go on: every join is matched by one leave.
        using var stop = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        Task publisher = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                server.Server.Topics.Publish("r1", "x");
                server.Server.Topics.Publish("r2", "y");
            }
        });
        await Task.WhenAll(connections.Select(connection => Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                connection.Subscribe("r1");
                connection.Subscribe("r2");
                connection.Unsubscribe("r1");
                connection.Unsubscribe("r2");
            }
        })));
        await publisher;

        Assert.Equal(0, server.Server.Topics.SubscriberCount("r1") + server.Server.Topics.SubscriberCount("r2"));
        foreach (WebSocketConnection connection in connections.Take(4))
        {
            connection.Subscribe("r1");
        }

        await BroadcastKit.CloseAllAsync(clients);
        await BroadcastKit.WaitUntilAsync(() => server.Server.Topics.Find("r1") is null && server.Server.Topics.Find("r2") is null,
            "every topic to go with its subscribers");
    }
}
