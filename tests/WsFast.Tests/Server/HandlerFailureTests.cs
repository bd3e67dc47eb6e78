using System.Net.WebSockets;
using WsFast.Server;
using WebSocketMessageType = System.Net.WebSockets.WebSocketMessageType;

namespace WsFast.Tests.Server;

/// <summary>A handler that throws fails its own connection with 1011 and no other.</summary>
public class HandlerFailureTests
{
    [Theory]
    [InlineData("throw now")]
    [InlineData("throw later")]
    public async Task Section_7_4_1_a_handler_that_throws_in_OnMessageAsync_closes_its_connection_with_1011(string trigger)
    {
        await using TestServer server = await TestServer.StartAsync(map: s => s.Map("/fragile", new Fragile()));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        using ClientWebSocket victim = await server.ConnectAsync("/fragile");
        using ClientWebSocket neighbour = await server.ConnectAsync("/fragile");
        using ClientWebSocket elsewhere = await server.ConnectAsync("/echo");

        await victim.SendTextAsync(trigger, timeout.Token);

        (WebSocketCloseStatus? status, string? reason) = await victim.ExpectCloseAsync(timeout.Token);
        Assert.Equal(WebSocketCloseStatus.InternalServerError, status);
        Assert.Equal("internal error", reason);
        Assert.True(await server.Log.WaitForAsync("Handler of /fragile failed on connection"));

        // The other connections, on the same endpoint and on another, go on as before.
        foreach (ClientWebSocket other in new[] { neighbour, elsewhere })
        {
            await other.SendTextAsync("unaffected", timeout.Token);
            Assert.Equal("unaffected", await other.ReceiveTextAsync(timeout.Token));
            await other.CloseAsync(WebSocketCloseStatus.NormalClosure, "", timeout.Token);
            Assert.Equal(WebSocketCloseStatus.NormalClosure, other.CloseStatus);
        }
    }

    [Fact]
    public async Task Section_7_4_1_a_handler_that_throws_in_OnConnectedAsync_closes_the_connection_with_1011()
    {
        await using TestServer server = await TestServer.StartAsync(map: s => s.Map("/refusing", new ThrowsOnConnect()));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        using ClientWebSocket client = await server.ConnectAsync("/refusing");

        (WebSocketCloseStatus? status, _) = await client.ExpectCloseAsync(timeout.Token);
        Assert.Equal(WebSocketCloseStatus.InternalServerError, status);

        using ClientWebSocket echo = await server.ConnectAsync("/echo");
        await echo.SendTextAsync("server still fine", timeout.Token);
        Assert.Equal("server still fine", await echo.ReceiveTextAsync(timeout.Token));
        await echo.CloseAsync(WebSocketCloseStatus.NormalClosure, "", timeout.Token);
    }

    [Fact]
    public async Task A_handler_that_throws_in_OnDisconnectedAsync_is_logged_and_the_server_keeps_serving()
    {
        await using TestServer server = await TestServer.StartAsync(map: s => s.Map("/leaving", new ThrowsOnDisconnect()));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        using (ClientWebSocket client = await server.ConnectAsync("/leaving"))
        {
            await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "", timeout.Token);
        }

        Assert.True(await server.Log.WaitForAsync("Handler of /leaving failed on connection"));
        await ClientSupport.WaitUntilAsync(() => server.Server.ConnectionCount == 0, timeout.Token);
        using ClientWebSocket next = await server.ConnectAsync("/leaving");
        Assert.Equal(System.Net.WebSockets.WebSocketState.Open, next.State);
    }

    /// <summary>Echoes, except "throw now" (throws before returning) and "throw later" (throws after an await).</summary>
    private sealed class Fragile : WebSocketHandler
    {
        public override ValueTask OnMessageAsync(WebSocketConnection connection, WebSocketMessage message)
        {
            string text = message.GetText();
            if (text == "throw now")
            {
                throw new InvalidOperationException("thrown synchronously");
            }

            return text == "throw later" ? ThrowLaterAsync() : EchoAsync(connection, message);
        }

        private static async ValueTask EchoAsync(WebSocketConnection connection, WebSocketMessage message) =>
            await connection.SendAsync(message);

        private static async ValueTask ThrowLaterAsync()
        {
            await Task.Yield();
            throw new InvalidOperationException("thrown after an await");
        }
    }

    private sealed class ThrowsOnConnect : WebSocketHandler
    {
        public override ValueTask OnConnectedAsync(WebSocketConnection connection) =>
            throw new InvalidOperationException("no");
    }

    private sealed class ThrowsOnDisconnect : WebSocketHandler
    {
        public override ValueTask OnDisconnectedAsync(WebSocketConnection connection, WsFast.CloseCode code, string reason) =>
            throw new InvalidOperationException("no");
    }
}
