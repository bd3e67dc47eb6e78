using System.Diagnostics;
using System.Net.WebSockets;

namespace WsFast.Tests.Server;

/// <summary>RFC 6455 section 5.5.2 and 5.5.3: pings and pongs in both directions, and the server's heartbeat.</summary>
public class ControlFrameTests
{
    [Fact]
    public async Task Section_5_5_2_a_responsive_client_stays_connected_through_many_heartbeat_pings()
    {
        await using TestServer server = await TestServer.StartAsync(options =>
        {
            // Pings every 200 ms; a pong may take up to 2 s, so that a loaded machine cannot fail the test.
            options.PingInterval = TimeSpan.FromMilliseconds(200);
            options.PingTimeout = TimeSpan.FromSeconds(2);
        });
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(8));
        using ClientWebSocket client = await server.ConnectAsync();

        // ClientWebSocket answers pings while a receive is pending; keep one pending through several intervals.
        Task<string> receiving = client.ReceiveTextAsync(timeout.Token);
        await Task.Delay(TimeSpan.FromMilliseconds(1200), timeout.Token);

        Assert.False(receiving.IsCompleted, "The server sent something other than pings to an idle, responsive client.");
        Assert.Equal(System.Net.WebSockets.WebSocketState.Open, client.State);
        await client.SendTextAsync("still here", timeout.Token);
        Assert.Equal("still here", await receiving);
        Assert.False(server.Log.Contains("did not answer a ping"));

        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "", timeout.Token);
    }

    [Fact]
    public async Task Section_5_5_2_the_heartbeat_sends_pings_and_a_client_that_never_answers_is_closed_after_the_ping_timeout()
    {
        await using TestServer server = await TestServer.StartAsync(options =>
        {
            options.PingInterval = TimeSpan.FromMilliseconds(200);
            options.PingTimeout = TimeSpan.FromMilliseconds(300);
        });
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        var stopwatch = Stopwatch.StartNew();
        using ClientWebSocket client = await server.ConnectAsync();

        // With no receive pending, ClientWebSocket reads nothing, so the server's ping stays unanswered.
        Assert.True(await server.Log.WaitForAsync("did not answer a ping", TimeSpan.FromSeconds(5)));
        Assert.True(stopwatch.Elapsed >= TimeSpan.FromMilliseconds(450),
            $"Closed after {stopwatch.ElapsedMilliseconds} ms, before the ping interval plus the ping timeout.");

        // Reading now answers the ping (too late) and then finds the server's close.
        (WebSocketCloseStatus? status, string? reason) = await client.ExpectCloseAsync(timeout.Token);
        Assert.Equal(WebSocketCloseStatus.InternalServerError, status);
        Assert.Equal("ping timeout", reason);
    }

    [Fact]
    public async Task Section_5_5_3_client_keep_alive_pings_are_answered_with_pongs_carrying_the_same_payload()
    {
        await using TestServer server = await TestServer.StartAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));

        // With a keep-alive timeout, ClientWebSocket aborts unless each of its pings is answered by a pong
        // that echoes that ping's payload.
        using ClientWebSocket client = await server.ConnectAsync(configure: options =>
        {
            options.KeepAliveInterval = TimeSpan.FromMilliseconds(100);
            options.KeepAliveTimeout = TimeSpan.FromSeconds(2);
        });

        Task<string> receiving = client.ReceiveTextAsync(timeout.Token);
        await Task.Delay(TimeSpan.FromMilliseconds(1200), timeout.Token);

        Assert.False(receiving.IsCompleted, "The client stopped receiving: a pong was missing or wrong.");
        Assert.Equal(System.Net.WebSockets.WebSocketState.Open, client.State);
        await client.SendTextAsync("pong ok", timeout.Token);
        Assert.Equal("pong ok", await receiving);

        // The pings were control frames: the handler saw one message only.
        Assert.Equal(1, server.Server.Counters.MessagesIn);
        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "", timeout.Token);
    }
}
