using System.Net.WebSockets;
using WsFast.Protocol;
using WsFast.Tests.Server;
using WsFast.Tests.Support;

namespace WsFast.Tests.Messages;

/// <summary>
/// <see cref="WebSocketConnection.ConnectionClosed"/>: work a handler starts for a connection learns of its end,
/// whatever ends it, once.
/// </summary>
public class ConnectionClosedTests
{
    public enum Ending
    {
        ClientCloseHandshake,
        ClientReset,
        ServerClose,
        ServerStop,
    }

    [Theory]
    [InlineData(Ending.ClientCloseHandshake)]
    [InlineData(Ending.ClientReset)]
    [InlineData(Ending.ServerClose)]
    [InlineData(Ending.ServerStop)]
    public async Task A_handlers_background_task_waiting_on_ConnectionClosed_is_released_once_when_the_connection_ends(Ending ending)
    {
        var work = new BackgroundWork();
        await using TestServer server = await TestServer.StartAsync(map: s => s.Map("/work", work));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await using RawClient client = await RawClient.OpenAsync(server.Port, "/work");
        WebSocketConnection connection = await work.Connected.Task.WaitAsync(timeout.Token);

        // Still waiting while the connection is open.
        await client.AssertEchoesAsync("still open");
        Assert.False(work.Released.Task.IsCompleted);

        switch (ending)
        {
            case Ending.ClientCloseHandshake:
                await client.SendAsync(ClientFrames.Close(1000));
                Assert.Equal(Opcode.Close, (await client.ReadFrameAsync()).Opcode);
                client.ShutdownSend();
                break;
            case Ending.ClientReset:
                client.Reset();
                break;
            case Ending.ServerClose:
                connection.Close(CloseCode.NormalClosure, "done");
                Assert.Equal(Opcode.Close, (await client.ReadFrameAsync()).Opcode);
                await client.SendAsync(ClientFrames.Close(1000));
                client.ShutdownSend();
                break;
            case Ending.ServerStop:
                Task stopping = server.Server.StopAsync(timeout.Token);
                Assert.Equal((ushort)1001, (await client.ReadFrameAsync()).CloseCode);
                await client.SendAsync(ClientFrames.Close(1001));
                client.ShutdownSend();
                await stopping;
                break;
        }

        // Released at the end, not at the first close frame.
        Assert.Equal(ConnectionState.Closed, await work.Released.Task.WaitAsync(timeout.Token));
        Assert.True(connection.ConnectionClosed.IsCancellationRequested);
        Assert.Equal(1, work.Callbacks);
    }

    [Fact]
    public async Task ConnectionClosed_asked_for_the_first_time_at_or_after_the_end_is_already_cancelled()
    {
        var captured = new Captured();
        await using TestServer server = await TestServer.StartAsync(map: s => s.Map("/captured", captured));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        using (ClientWebSocket client = await server.ConnectAsync("/captured"))
        {
            await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "", timeout.Token);
        }

        // Nothing asked for the token while the connection was open; OnDisconnectedAsync asks for the first time.
        (WebSocketConnection connection, bool cancelledInOnDisconnected) = await captured.Ended.Reader.ReadAsync(timeout.Token);
        Assert.True(cancelledInOnDisconnected);
        Assert.True(connection.ConnectionClosed.IsCancellationRequested);
        Assert.Equal(ConnectionState.Closed, connection.State);
    }

    /// <summary>Starts, for every connection, a task that waits for the connection's end; echoes messages.</summary>
    private sealed class BackgroundWork : WebSocketHandler
    {
        private int _callbacks;

        public TaskCompletionSource<WebSocketConnection> Connected { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>The connection's state when the background task was released.</summary>
        public TaskCompletionSource<ConnectionState> Released { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Callbacks => Volatile.Read(ref _callbacks);

        public override ValueTask OnConnectedAsync(WebSocketConnection connection)
        {
            CancellationToken closed = connection.ConnectionClosed;
            closed.Register(() => Interlocked.Increment(ref _callbacks));
            _ = Task.Run(async () =>
            {
                try
                {
                    await Task.Delay(Timeout.Infinite, closed);
                }
                catch (OperationCanceledException e) when (e.CancellationToken == closed)
                {
                    Released.TrySetResult(connection.State);
                }
            });
            Connected.TrySetResult(connection);
            return default;
        }

        public override async ValueTask OnMessageAsync(WebSocketConnection connection, WebSocketMessage message) =>
            await connection.SendAsync(message);
    }
}
