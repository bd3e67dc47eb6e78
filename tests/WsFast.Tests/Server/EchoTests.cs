using System.Net.WebSockets;
using System.Text;

namespace WsFast.Tests.Server;

/// <summary>The echo endpoint over loopback with .NET's own client.</summary>
public class EchoTests
{
    [Fact]
    public async Task A_text_message_comes_back_unchanged()
    {
        await using TestServer server = await TestServer.StartAsync();
        using ClientWebSocket client = await server.ConnectAsync();
        byte[] hello = Encoding.UTF8.GetBytes("héllo, κόσμε 😀");
        await client.SendAsync(hello, WebSocketMessageType.Text, true, CancellationToken.None);

        var buffer = new byte[1024];
        WebSocketReceiveResult result = await client.ReceiveAsync(buffer, CancellationToken.None);
        Assert.Equal(WebSocketMessageType.Text, result.MessageType);
        Assert.True(result.EndOfMessage);
        Assert.Equal(hello, buffer[..result.Count]);

        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, client.CloseStatus);
    }
}
