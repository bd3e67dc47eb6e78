using System.Net.WebSockets;
using WsFast.Tests.Broadcast;
using WsFast.Tests.Server;
using WsFast.Tests.Support;

namespace WsFast.Tests.Groups;

/// <summary>
/// Publishing to everyone but one connection (typically the sender): a topic's publish and an endpoint's
/// broadcast, which is a publish to the endpoint's own topic of every connection.
/// </summary>
public class ExceptTests
{
    [Fact]
    public async Task A_publish_except_the_sender_reaches_everyone_else_and_still_takes_a_sequence_number_and_a_place_in_history()
    {
        (TestServer server, ChatRooms chat) = await GroupsKit.StartAsync();
        await using TestServer running = server;
        (ClientWebSocket sender, WebSocketConnection senderConnection) = await GroupsKit.ConnectAsync(server, chat, "room");
        (ClientWebSocket other, _) = await GroupsKit.ConnectAsync(server, chat, "room");
        Topic room = server.Server.Topics.Find("room")!;

        Assert.Equal(new PublishResult(1, 1), room.Publish("text", except: senderConnection).IgnoringEpoch());
        Assert.Equal(new PublishResult(2, 1), room.Publish(MessageType.Binary, GroupsKit.Utf8("span"), except: senderConnection).IgnoringEpoch());
        Assert.Equal(new PublishResult(3, 1), room.Publish(MessageType.Text, new System.Buffers.ReadOnlySequence<byte>(GroupsKit.Utf8("sequence")), except: senderConnection).IgnoringEpoch());
        Assert.Equal(new PublishResult(4, 1), server.Server.Topics.Publish("room", "by name", except: senderConnection).IgnoringEpoch());
        Assert.Equal(new PublishResult(5, 2), room.Publish("everyone", except: null).IgnoringEpoch());

        Assert.Equal("text", await BroadcastKit.ReceiveTextAsync(other));
        (WebSocketMessageType type, byte[] payload) = await BroadcastKit.ReceiveAsync(other);
        Assert.Equal((WebSocketMessageType.Binary, "span"), (type, System.Text.Encoding.UTF8.GetString(payload)));
        Assert.Equal(["sequence", "by name", "everyone"], await BroadcastKit.ReceiveTextsAsync(other, 3));
        Assert.Equal("everyone", await BroadcastKit.ReceiveTextAsync(sender));

        // Skipping the sender is not dropping it, and the history has every message.
        Assert.Equal(0, room.DroppedMessages);
        using HttpClient http = BroadcastKit.HttpClient(server);
        PollAnswer answer = await PollAnswer.GetAsync(http, "/poll/room?after=0&wait=0");
        Assert.Equal([1L, 2, 3, 4, 5], answer.Messages.Select(m => m.Sequence));
        await BroadcastKit.CloseAllAsync([sender, other]);
    }

    [Fact]
    public async Task An_endpoint_broadcast_except_one_connection_reaches_the_others_and_plain_broadcast_is_unchanged()
    {
        var chat = new ChatRooms();
        await using TestServer server = await BroadcastKit.StartAsync(map: s => s.Map("/chat", chat));
        (ClientWebSocket a, WebSocketConnection aConnection) = await GroupsKit.ConnectAsync(server, chat, "");
        (ClientWebSocket b, _) = await GroupsKit.ConnectAsync(server, chat, "");
        WebSocketEndpoint endpoint = server.Server.Endpoints["/chat"];

        Assert.Equal(1, endpoint.Broadcast("not to a", except: aConnection));
        Assert.Equal(1, endpoint.Broadcast(MessageType.Text, GroupsKit.Utf8("span, not to a"), except: aConnection));
        Assert.Equal(2, endpoint.Broadcast("to both"));

        Assert.Equal(["not to a", "span, not to a", "to both"], await BroadcastKit.ReceiveTextsAsync(b, 3));
        Assert.Equal("to both", await BroadcastKit.ReceiveTextAsync(a));
        Assert.Equal(0, endpoint.DroppedMessages);
        await BroadcastKit.CloseAllAsync([a, b]);
    }

    [Fact]
    public async Task Topics_an_authorizer_joined_count_as_subscribed_and_last_as_long_as_the_connection()
    {
        (TestServer server, ChatRooms chat) = await GroupsKit.StartAsync(map: s => s.Endpoints["/chat"].Authorizer = new JoiningAuthorizer());
        await using TestServer running = server;
        (ClientWebSocket client, WebSocketConnection connection) = await GroupsKit.ConnectAsync(server, chat, "");

        Assert.True(connection.IsSubscribed("granted"));
        Assert.False(connection.Subscribe("granted"));
        Assert.False(connection.Unsubscribe("granted"));
        Assert.Equal(1, server.Server.Topics.SubscriberCount("granted"));
        server.Server.Topics.Publish("granted", "once");
        Assert.Equal("once", await BroadcastKit.ReceiveTextAsync(client));
        await GroupsKit.AssertNextIsAsync(client, connection, "only once");
        await BroadcastKit.CloseAllAsync([client]);
    }

    private sealed class JoiningAuthorizer : RequestAuthorizer
    {
        public override ValueTask<AuthorizationResult> AuthorizeAsync(AuthorizationContext context) =>
            new(AuthorizationResult.Accept(joinTopics: ["granted"]));
    }
}
