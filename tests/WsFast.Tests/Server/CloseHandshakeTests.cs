using System.Net.WebSockets;
using WsFast.Protocol;
using WsFast.Server;
using WebSocketMessageType = System.Net.WebSockets.WebSocketMessageType;

namespace WsFast.Tests.Server;

/// <summary>RFC 6455 sections 5.5.1 and 7: the closing handshake started by either side.</summary>
public class CloseHandshakeTests
{
    [Fact]
    public async Task Section_5_5_1_a_client_close_1000_with_a_reason_reaches_the_handler_and_the_server_echoes_the_code()
    {
        var recorder = new TestServer.Recorder();
        await using TestServer server = await TestServer.StartAsync(map: s => s.Map("/recorded", recorder));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        using ClientWebSocket client = await server.ConnectAsync("/recorded");

        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", timeout.Token);

        Assert.Equal(System.Net.WebSockets.WebSocketState.Closed, client.State);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, client.CloseStatus);
        (CloseCode code, string reason) = await recorder.Disconnected.Task.WaitAsync(timeout.Token);
        Assert.Equal(CloseCode.NormalClosure, code);
        Assert.Equal("bye", reason);
    }

    [Fact]
    public async Task Section_7_4_2_a_client_close_with_an_application_code_4000_is_reported_and_echoed()
    {
        var recorder = new TestServer.Recorder();
        await using TestServer server = await TestServer.StartAsync(map: s => s.Map("/recorded", recorder));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        using ClientWebSocket client = await server.ConnectAsync("/recorded");

        await client.CloseAsync((WebSocketCloseStatus)4000, "app", timeout.Token);

        Assert.Equal((WebSocketCloseStatus)4000, client.CloseStatus);
        (CloseCode code, string reason) = await recorder.Disconnected.Task.WaitAsync(timeout.Token);
        Assert.Equal((CloseCode)4000, code);
        Assert.Equal("app", reason);
    }

    [Fact]
    public async Task Section_7_4_1_a_close_frame_carrying_the_reserved_code_1005_is_failed_with_1002()
    {
        var recorder = new TestServer.Recorder();
        await using TestServer server = await TestServer.StartAsync(map: s => s.Map("/recorded", recorder));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        using ClientWebSocket client = await server.ConnectAsync("/recorded");

        // ClientWebSocket puts "Empty" (1005) on the wire as a two-byte code, which section 7.4.1 forbids:
        // 1005 only stands for "no code" in an API. The server fails the connection with 1002.
        await client.CloseAsync(WebSocketCloseStatus.Empty, null, timeout.Token);

        Assert.Equal(WebSocketCloseStatus.ProtocolError, client.CloseStatus);
        Assert.True(await server.Log.WaitForAsync("broke the protocol: 1002 close code not allowed on the wire"));
        (CloseCode code, _) = await recorder.Disconnected.Task.WaitAsync(timeout.Token);
        Assert.Equal(CloseCode.ProtocolError, code);
    }

    [Fact]
    public async Task Section_7_1_2_a_server_close_1008_from_a_handler_reaches_the_client_and_nothing_is_sent_after_it()
    {
        var handler = new ClosesOnFirstMessage();
        await using TestServer server = await TestServer.StartAsync(map: s => s.Map("/closing", handler));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        using ClientWebSocket client = await server.ConnectAsync("/closing");

        await client.SendTextAsync("close me", timeout.Token);

        // The close frame is the next thing the client receives: the "too late" message never went out.
        (WebSocketCloseStatus? status, string? reason) = await client.ExpectCloseAsync(timeout.Token);
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, status);
        Assert.Equal("go", reason);
        Assert.False(await handler.SendAfterClose.Task.WaitAsync(timeout.Token));
        Assert.Equal(WsFast.ConnectionState.Closing, await handler.StateAfterClose.Task.WaitAsync(timeout.Token));

        (CloseCode code, string disconnectReason) = await handler.Disconnected.Task.WaitAsync(timeout.Token);
        Assert.Equal(CloseCode.PolicyViolation, code);
        Assert.Equal("go", disconnectReason);
        Assert.Equal(WsFast.ConnectionState.Closed, handler.Connection!.State);
    }

    [Fact]
    public async Task Section_7_1_2_a_server_close_from_outside_a_handler_closes_the_client()
    {
        var recorder = new TestServer.Recorder();
        await using TestServer server = await TestServer.StartAsync(map: s => s.Map("/recorded", recorder));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        using ClientWebSocket client = await server.ConnectAsync("/recorded");
        await ClientSupport.WaitUntilAsync(() => recorder.Last is not null, timeout.Token);

        recorder.Last!.Close(CloseCode.NormalClosure, "done");

        Assert.Equal((WebSocketCloseStatus.NormalClosure, "done"), await client.ExpectCloseAsync(timeout.Token));
        Assert.Equal((CloseCode.NormalClosure, "done"), await recorder.Disconnected.Task.WaitAsync(timeout.Token));
    }

    [Fact]
    public async Task Section_7_4_a_handler_cannot_send_a_code_reserved_from_the_wire_or_a_reason_over_123_bytes()
    {
        var recorder = new TestServer.Recorder();
        await using TestServer server = await TestServer.StartAsync(map: s => s.Map("/recorded", recorder));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        using ClientWebSocket client = await server.ConnectAsync("/recorded");
        await ClientSupport.WaitUntilAsync(() => recorder.Last is not null, timeout.Token);
        WebSocketConnection connection = recorder.Last!;

        Assert.Throws<ArgumentOutOfRangeException>(() => connection.Close(CloseCode.NoStatusReceived));
        Assert.Throws<ArgumentOutOfRangeException>(() => connection.Close(CloseCode.AbnormalClosure));
        Assert.Throws<ArgumentOutOfRangeException>(() => connection.Close((CloseCode)999));
        Assert.Throws<ArgumentException>(() => connection.Close(CloseCode.NormalClosure, new string('x', 124)));

        // None of the refused calls closed anything; a valid reason of exactly 123 bytes does.
        Assert.Equal(WsFast.ConnectionState.Open, connection.State);
        connection.Close(CloseCode.NormalClosure, new string('x', 123));
        (WebSocketCloseStatus? status, string? reason) = await client.ExpectCloseAsync(timeout.Token);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, status);
        Assert.Equal(new string('x', 123), reason);
    }

    [Fact]
    public async Task Section_7_1_5_a_client_that_vanishes_without_a_close_frame_is_reported_as_1006()
    {
        var recorder = new TestServer.Recorder();
        await using TestServer server = await TestServer.StartAsync(map: s => s.Map("/recorded", recorder));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        ClientWebSocket client = await server.ConnectAsync("/recorded");
        await ClientSupport.WaitUntilAsync(() => recorder.Last is not null, timeout.Token);

        // Abort closes the TCP connection without a close frame.
        client.Abort();
        client.Dispose();

        (CloseCode code, _) = await recorder.Disconnected.Task.WaitAsync(timeout.Token);
        Assert.Equal(CloseCode.AbnormalClosure, code);
    }

    [Fact]
    public async Task Section_7_1_1_a_client_that_never_answers_the_server_close_is_dropped_after_the_close_timeout()
    {
        var recorder = new TestServer.Recorder();
        await using TestServer server = await TestServer.StartAsync(
            options => options.CloseTimeout = TimeSpan.FromMilliseconds(300),
            s => s.Map("/recorded", recorder));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));

        // No receive is pending, so ClientWebSocket neither reads the close frame nor answers it.
        using ClientWebSocket client = await server.ConnectAsync("/recorded");
        await ClientSupport.WaitUntilAsync(() => recorder.Last is not null, timeout.Token);
        var stopwatch = System.Diagnostics.Stopwatch.StartNew();
        recorder.Last!.Close(CloseCode.GoingAway, "leaving");

        Assert.Equal((CloseCode.GoingAway, "leaving"), await recorder.Disconnected.Task.WaitAsync(timeout.Token));
        Assert.True(stopwatch.Elapsed >= TimeSpan.FromMilliseconds(250), $"Dropped after {stopwatch.ElapsedMilliseconds} ms.");
        await ClientSupport.WaitUntilAsync(() => server.Server.ConnectionCount == 0, timeout.Token);

        // What the client finds when it finally reads: the close frame the server sent before giving up.
        (WebSocketMessageType type, _) = await client.ReceiveMessageAsync(timeout.Token);
        Assert.Equal(WebSocketMessageType.Close, type);
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, client.CloseStatus);
    }

    /// <summary>Closes with 1008 "go" on the first message, then tries to send once more.</summary>
    private sealed class ClosesOnFirstMessage : WebSocketHandler
    {
        public TaskCompletionSource<bool> SendAfterClose { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource<WsFast.ConnectionState> StateAfterClose { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource<(CloseCode Code, string Reason)> Disconnected { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public WebSocketConnection? Connection { get; private set; }

        public override async ValueTask OnMessageAsync(WebSocketConnection connection, WebSocketMessage message)
        {
            Connection = connection;
            connection.Close(CloseCode.PolicyViolation, "go");
            StateAfterClose.TrySetResult(connection.State);
            SendAfterClose.TrySetResult(await connection.SendTextAsync("too late"));
        }

        public override ValueTask OnDisconnectedAsync(WebSocketConnection connection, CloseCode code, string reason)
        {
            Disconnected.TrySetResult((code, reason));
            return default;
        }
    }
}
