using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using WsFast.Tests.Broadcast;
using WsFast.Tests.Server;

namespace WsFast.Tests.Groups;

/// <summary>
/// A chat with rooms written on the public API only, as a user would: a topic per room. A client names its first
/// rooms in the query (<c>/chat?rooms=a,b</c>) and then sends <c>join:room</c> (or <c>join:room:epoch:sequence</c>
/// to resume from a cursor), <c>leave:room</c> (each answered
/// with <c>joined:room:true|false</c> or <c>left:room:true|false</c>) and <c>say:room:text</c>, which goes to every
/// member of the room but the sender.
/// </summary>
internal sealed class ChatRooms : WebSocketHandler
{
    /// <summary>Every connection opened, in order.</summary>
    public ConcurrentQueue<WebSocketConnection> Opened { get; } = new();

    public override ValueTask OnConnectedAsync(WebSocketConnection connection)
    {
        string? rooms = QueryValue(connection.Query, "rooms");
        foreach (string room in rooms?.Split(',', StringSplitOptions.RemoveEmptyEntries) ?? [])
        {
            connection.Subscribe(room);
        }

        Opened.Enqueue(connection);
        return default;
    }

    public override async ValueTask OnMessageAsync(WebSocketConnection connection, WebSocketMessage message)
    {
        string text = message.GetText();
        string[] parts = text.Split(':', 3);
        switch (parts[0])
        {
            case "join":
                // join:room, or join:room:epoch:sequence to resume from a cursor the client kept.
                bool joined = parts.Length == 3 ? connection.Subscribe(parts[1], parts[2]) : connection.Subscribe(parts[1]);
                await connection.SendTextAsync($"joined:{parts[1]}:{(joined ? "true" : "false")}");
                break;
            case "leave":
                await connection.SendTextAsync($"left:{parts[1]}:{(connection.Unsubscribe(parts[1]) ? "true" : "false")}");
                break;
            case "say":
                connection.Server.Topics.Publish(parts[1], parts[2], except: connection);
                break;
        }
    }

    private static string? QueryValue(string query, string name)
    {
        foreach (string pair in query.Split('&'))
        {
            if (pair.StartsWith(name + "=", StringComparison.Ordinal))
            {
                return Uri.UnescapeDataString(pair[(name.Length + 1)..]);
            }
        }

        return null;
    }
}

/// <summary>Servers with a <c>/chat</c> endpoint of <see cref="ChatRooms"/>, and what the tests of this folder share.</summary>
internal static class GroupsKit
{
    public static async Task<(TestServer Server, ChatRooms Chat)> StartAsync(Action<WsFastServerOptions>? configure = null, Action<WsFastServer>? map = null)
    {
        var chat = new ChatRooms();
        TestServer server = await BroadcastKit.StartAsync(configure, s =>
        {
            s.Map("/chat", chat);
            map?.Invoke(s);
        });
        return (server, chat);
    }

    /// <summary>A chat client in <paramref name="rooms"/>, returned once the server has subscribed it to all of them.</summary>
    public static async Task<(ClientWebSocket Client, WebSocketConnection Connection)> ConnectAsync(
        TestServer server, ChatRooms chat, string rooms, Action<ClientWebSocketOptions>? configure = null)
    {
        int before = chat.Opened.Count;
        ClientWebSocket client = await server.ConnectAsync($"/chat?rooms={rooms}", configure);
        await BroadcastKit.WaitUntilAsync(() => chat.Opened.Count > before, "the chat connection to open");
        WebSocketConnection connection = chat.Opened.Last();
        foreach (string room in rooms.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            Assert.True(connection.IsSubscribed(room));
        }

        return (client, connection);
    }

    /// <summary>Sends a command and returns the chat's answer.</summary>
    public static async Task<string> CommandAsync(ClientWebSocket client, string command)
    {
        await BroadcastKit.SendTextAsync(client, command);
        return await BroadcastKit.ReceiveTextAsync(client);
    }

    /// <summary>
    /// Proves that <paramref name="client"/> got nothing before <paramref name="marker"/>: the server sends the
    /// marker after whatever it might have queued, so the next message is the marker only if nothing else came.
    /// </summary>
    public static async Task AssertNextIsAsync(ClientWebSocket client, WebSocketConnection connection, string marker)
    {
        Assert.True(await connection.SendTextAsync(marker));
        Assert.Equal(marker, await BroadcastKit.ReceiveTextAsync(client));
    }

    public static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);
}
