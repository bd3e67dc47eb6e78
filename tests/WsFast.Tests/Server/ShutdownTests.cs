using System.Net.Sockets;
using System.Net.WebSockets;

namespace WsFast.Tests.Server;

/// <summary>Graceful shutdown: 1001 to every client (RFC 6455 section 7.4.1), then no new connections.</summary>
public class ShutdownTests
{
    [Fact]
    public async Task Section_7_4_1_StopAsync_closes_every_open_connection_with_1001_going_away()
    {
        await using TestServer server = await TestServer.StartAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var clients = new List<ClientWebSocket>();
        for (int i = 0; i < 5; i++)
        {
            clients.Add(await server.ConnectAsync(i % 2 == 0 ? "/echo" : "/broadcast"));
        }

        // Each client answers the server's close as soon as it reads it, so that the shutdown can finish early.
        Task<(WebSocketCloseStatus? Status, string? Reason)>[] closes = [.. clients.Select(c => c.ExpectCloseAsync(timeout.Token))];
        Task stopping = server.Server.StopAsync(timeout.Token);

        foreach (Task<(WebSocketCloseStatus? Status, string? Reason)> close in closes)
        {
            (WebSocketCloseStatus? status, string? reason) = await close;
            Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, status);
            Assert.Equal("server shutting down", reason);
        }

        // Every client answered, so the shutdown does not wait out its timeout (5 s by default).
        await stopping.WaitAsync(TimeSpan.FromSeconds(4), timeout.Token);
        Assert.Equal(0, server.Server.ConnectionCount);
        Assert.True(server.Log.Contains("WsFast stopped"));
        foreach (ClientWebSocket client in clients)
        {
            client.Dispose();
        }
    }

    [Fact]
    public async Task After_StopAsync_new_connections_are_refused()
    {
        await using TestServer server = await TestServer.StartAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await server.Server.StopAsync(timeout.Token);

        using var client = new ClientWebSocket();
        await Assert.ThrowsAsync<WebSocketException>(() => client.ConnectAsync(server.Ws("/echo"), timeout.Token));

        // The listening socket is closed: TCP itself refuses.
        SocketException refused = await Assert.ThrowsAsync<SocketException>(() => ClientSupport.ConnectRawAsync(server.Port, timeout.Token));
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
    }

    [Fact]
    public async Task StopAsync_closes_a_client_that_never_answers_the_1001_once_the_shutdown_timeout_passes()
    {
        await using TestServer server = await TestServer.StartAsync(options => options.ShutdownTimeout = TimeSpan.FromMilliseconds(300));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));

        // No receive is pending, so the client never reads (or answers) the server's close.
        using ClientWebSocket client = await server.ConnectAsync();
        await server.Server.StopAsync(timeout.Token).WaitAsync(TimeSpan.FromSeconds(3), timeout.Token);
        Assert.Equal(0, server.Server.ConnectionCount);
    }

    [Fact]
    public async Task StopAsync_drops_a_connection_still_in_its_handshake()
    {
        await using TestServer server = await TestServer.StartAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        using Socket raw = await ClientSupport.ConnectRawAsync(server.Port, timeout.Token);
        await ClientSupport.WaitUntilAsync(() => server.Server.ConnectionCount == 1, timeout.Token);

        await server.Server.StopAsync(timeout.Token).WaitAsync(TimeSpan.FromSeconds(3), timeout.Token);

        Assert.Equal(0, await ClientSupport.ReadUntilClosedAsync(raw, timeout.Token));
        Assert.Equal(0, server.Server.ConnectionCount);
    }
}
