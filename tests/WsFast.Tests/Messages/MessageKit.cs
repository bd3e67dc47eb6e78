using System.Threading.Channels;
using WsFast.Tests.Server;

namespace WsFast.Tests.Messages;

/// <summary>
/// A handler that hands each connection to the test as it opens, and lets a test decide what a message does:
/// the test then drives the server's side of the connection through its public API.
/// </summary>
internal sealed class Captured : WebSocketHandler
{
    private readonly Func<WebSocketConnection, WebSocketMessage, ValueTask>? _onMessage;

    public Captured(Func<WebSocketConnection, WebSocketMessage, ValueTask>? onMessage = null) => _onMessage = onMessage;

    /// <summary>The connections, in the order they opened.</summary>
    public Channel<WebSocketConnection> Connections { get; } = Channel.CreateUnbounded<WebSocketConnection>();

    /// <summary>Connections whose end the handler saw, with the state they were in when it was told.</summary>
    public Channel<(WebSocketConnection Connection, bool TokenCancelled)> Ended { get; } = Channel.CreateUnbounded<(WebSocketConnection, bool)>();

    /// <summary>The next connection to open, within 5 seconds.</summary>
    public async Task<WebSocketConnection> NextAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        return await Connections.Reader.ReadAsync(timeout.Token);
    }

    /// <inheritdoc/>
    public override ValueTask OnConnectedAsync(WebSocketConnection connection)
    {
        Connections.Writer.TryWrite(connection);
        return default;
    }

    /// <inheritdoc/>
    public override ValueTask OnMessageAsync(WebSocketConnection connection, WebSocketMessage message) =>
        _onMessage?.Invoke(connection, message) ?? default;

    /// <inheritdoc/>
    public override ValueTask OnDisconnectedAsync(WebSocketConnection connection, CloseCode code, string reason)
    {
        Ended.Writer.TryWrite((connection, connection.ConnectionClosed.IsCancellationRequested));
        return default;
    }
}

internal static class MessageKit
{
    /// <summary>Distinct bytes for message <paramref name="index"/> of client <paramref name="client"/>: a mix-up shows.</summary>
    public static byte[] Payload(int client, int index, int length)
    {
        byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++)
        {
            bytes[i] = (byte)('a' + ((client * 7) + index + i) % 26);
        }

        return bytes;
    }

    /// <summary>Sends <paramref name="count"/> messages from a client to the echo endpoint and checks every echo.</summary>
    public static async Task EchoTrafficAsync(TestServer server, int client, int count, CancellationToken cancel)
    {
        using System.Net.WebSockets.ClientWebSocket socket = await server.ConnectAsync("/echo");
        for (int i = 0; i < count; i++)
        {
            // Small and large, so that the others' bytes land in small and large receive blocks alike.
            byte[] payload = Payload(client, i, i % 4 == 0 ? 20_000 : 100 + i);
            await socket.SendAsync(payload, System.Net.WebSockets.WebSocketMessageType.Binary, endOfMessage: true, cancel);
            (_, byte[] echo) = await socket.ReceiveMessageAsync(cancel);
            Assert.Equal(payload, echo);
        }

        await socket.CloseAsync(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, "", cancel);
    }
}
