using System.Diagnostics;
using WsFast.Protocol;
using WsFast.Server;
using WsFast.Tests.Support;

namespace WsFast.Tests.Server;

/// <summary>The closing handshake (RFC 6455 sections 5.5.1 and 7) seen from a raw socket.</summary>
public class CloseHandshakeRawTests
{
    private static readonly TimeSpan Timeout = RawClient.Timeout;

    [Fact]
    public async Task A_client_close_is_answered_with_its_code_then_the_server_closes_TCP_first_section_5_5_1()
    {
        var handler = new ClosingHandler();
        await using TestServer server = await TestServer.StartAsync(map: s => s.Map("/close", handler));
        await using RawClient client = await RawClient.OpenAsync(server.Port, "/close");

        await client.SendAsync(ClientFrames.Close(1000, "bye"));

        BadInputTests.AssertClose(await client.ReadFrameAsync(), CloseCode.NormalClosure, "bye");
        // Section 7.1.1: the server closes the TCP connection first; this client has not closed anything.
        await client.AssertEndsCleanlyAsync();

        // Then the client closes its side, as section 7.1.1 asks, and the server lets the connection go.
        client.ShutdownSend();
        Assert.Equal((CloseCode.NormalClosure, "bye"), await handler.Disconnected.Task.WaitAsync(Timeout));
    }

    [Fact]
    public async Task A_close_without_a_status_code_is_answered_without_one_and_reported_as_1005_section_7_1_5()
    {
        var handler = new ClosingHandler();
        await using TestServer server = await TestServer.StartAsync(map: s => s.Map("/close", handler));
        await using RawClient client = await RawClient.OpenAsync(server.Port, "/close");

        await client.SendAsync(ClientFrames.Frame(Opcode.Close, []));

        // Section 5.5.1: the answer typically echoes the code received; none was received, so none is sent
        // (1005 is never put on the wire, section 7.4.1).
        ServerFrame close = await client.ReadFrameAsync();
        Assert.Equal(Opcode.Close, close.Opcode);
        Assert.Empty(close.Payload);
        await client.AssertEndsCleanlyAsync();
        client.ShutdownSend();
        Assert.Equal((CloseCode.NoStatusReceived, ""), await handler.Disconnected.Task.WaitAsync(Timeout));
    }

    [Fact]
    public async Task After_the_server_sent_its_close_frame_it_sends_nothing_more_not_even_a_pong_section_5_5_1()
    {
        var handler = new ClosingHandler();
        await using TestServer server = await TestServer.StartAsync(map: s => s.Map("/close", handler));
        await using RawClient client = await RawClient.OpenAsync(server.Port, "/close");

        // The ping is read right after the message that makes the handler close: the server is closing by then.
        await client.SendFramesAsync(ClientFrames.Text("close"), ClientFrames.Frame(Opcode.Ping, "still there?"u8));

        BadInputTests.AssertClose(await client.ReadFrameAsync(), CloseCode.NormalClosure, "done");
        await client.SendAsync(ClientFrames.Frame(Opcode.Ping, "and now?"u8));
        await client.AssertEndsCleanlyAsync();

        // The client completes the handshake and closes TCP; the server reports its own code, since it closed first.
        await client.SendAsync(ClientFrames.Close(1000));
        client.ShutdownSend();
        Assert.Equal((CloseCode.NormalClosure, "done"), await handler.Disconnected.Task.WaitAsync(Timeout));
    }

    [Fact]
    public async Task A_client_that_never_answers_the_server_close_is_dropped_at_the_close_timeout_section_7_1_1()
    {
        TimeSpan closeTimeout = TimeSpan.FromMilliseconds(300);
        var handler = new ClosingHandler();
        await using TestServer server = await TestServer.StartAsync(o => o.CloseTimeout = closeTimeout, s => s.Map("/close", handler));
        int baseline = server.Server.ConnectionCount;
        await using RawClient client = await RawClient.OpenAsync(server.Port, "/close");

        // The clock starts before the server can have set its close deadline, so it never reads short.
        var clock = Stopwatch.StartNew();
        await client.SendAsync(ClientFrames.Text("close"));
        BadInputTests.AssertClose(await client.ReadFrameAsync(), CloseCode.NormalClosure, "done");
        await client.AssertEndsCleanlyAsync();

        // This client never sends its close frame nor closes: the server gives up on it at the close timeout.
        Assert.Equal((CloseCode.NormalClosure, "done"), await handler.Disconnected.Task.WaitAsync(Timeout));
        Assert.InRange(clock.Elapsed, closeTimeout - RawClient.ClockSlack, closeTimeout + TimeSpan.FromSeconds(1.5));
        Assert.True(await server.Log.WaitForAsync($"Connection {handler.Last!.Id} from {client.LocalEndPoint} did not complete the close handshake in time"));
        await BadInputTests.WaitUntilAsync(() => server.Server.ConnectionCount == baseline, "the connection count back to its baseline");
    }

    [Fact]
    public async Task On_shutdown_a_client_that_never_answers_1001_is_dropped_at_the_close_timeout()
    {
        TimeSpan closeTimeout = TimeSpan.FromMilliseconds(300);
        var handler = new ClosingHandler();
        await using TestServer server = await TestServer.StartAsync(o =>
        {
            o.CloseTimeout = closeTimeout;
            o.ShutdownTimeout = TimeSpan.FromSeconds(10);
        }, s => s.Map("/close", handler));
        await using RawClient client = await RawClient.OpenAsync(server.Port, "/close");
        await BadInputTests.WaitUntilAsync(() => handler.Last is not null, "the handler saw the connection");

        var clock = Stopwatch.StartNew();
        Task stopping = server.Server.StopAsync();
        BadInputTests.AssertClose(await client.ReadFrameAsync(), CloseCode.GoingAway, "server shutting down");
        await client.AssertEndsCleanlyAsync();

        // Shutdown waits for this connection no longer than its close timeout, far less than the shutdown timeout.
        await stopping.WaitAsync(Timeout);
        Assert.InRange(clock.Elapsed, closeTimeout - RawClient.ClockSlack, closeTimeout + TimeSpan.FromSeconds(1.5));
        Assert.Equal(CloseCode.GoingAway, (await handler.Disconnected.Task.WaitAsync(Timeout)).Code);
        Assert.True(server.Log.Contains($"Connection {handler.Last!.Id} from {client.LocalEndPoint} did not complete the close handshake in time"));
        Assert.Equal(0, server.Server.ConnectionCount);
    }

    /// <summary>Closes with 1000 "done" when it receives the text "close"; records how the connection ended.</summary>
    private sealed class ClosingHandler : WebSocketHandler
    {
        public TaskCompletionSource<(CloseCode Code, string Reason)> Disconnected { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public WebSocketConnection? Last { get; private set; }

        public override ValueTask OnConnectedAsync(WebSocketConnection connection)
        {
            Last = connection;
            return default;
        }

        public override ValueTask OnMessageAsync(WebSocketConnection connection, WebSocketMessage message)
        {
            if (message.IsText && message.GetText() == "close")
            {
                connection.Close(CloseCode.NormalClosure, "done");
            }

            return default;
        }

        public override ValueTask OnDisconnectedAsync(WebSocketConnection connection, CloseCode code, string reason)
        {
            Disconnected.TrySetResult((code, reason));
            return default;
        }
    }
}
