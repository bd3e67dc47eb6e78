using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using WsFast.Protocol;
using WsFast.Server;
using WsFast.Tests.Server;
using WsFast.Tests.Support;

namespace WsFast.Tests.Attacks;

/// <summary>
/// Attack: many connections each trickle one large message in 64 KiB fragments and never finish it, so that the
/// server assembles all of them at once. Past the process's memory budget, new connections get 503 and the
/// connections holding the most are closed with 1009 (the budget's reason) until the rest fits; with a budget
/// large enough, the message size limit closes a connection with 1009 as soon as its message exceeds it, before
/// the server has assembled the rest. Nothing of the messages stays in memory once their connections are gone.
/// </summary>
[Collection(AttackCollection.Name)]
public class TrickledLargeMessageTests
{
    private const int Fragment = 64 * 1024;
    private static readonly byte[] FirstFragment = ClientFrames.Frame(Opcode.Binary, new byte[Fragment], fin: false);
    private static readonly byte[] NextFragment = ClientFrames.Frame(Opcode.Continuation, new byte[Fragment], fin: false);

    [Fact]
    public async Task Forty_connections_trickling_16_MiB_messages_past_the_memory_budget_are_closed_with_1009_while_new_ones_get_503()
    {
        const long Budget = 64L * 1024 * 1024;
        const int Connections = 40;
        const int Fragments = 256; // 16 MiB: the default message size limit, never exceeded
        await using TestServer server = await AttackKit.StartAsync(options => options.MemoryBudget = Budget);
        await using Bystanders bystanders = await Bystanders.StartAsync(server);
        MemoryProbe memory = MemoryProbe.Start();
        long closesBefore = server.Server.Counters.OverBudgetCloses;

        RawClient[] attackers = await Task.WhenAll(Enumerable.Range(0, Connections).Select(_ => RawClient.OpenAsync(server.Port, "/echo")));
        var attack = Stopwatch.StartNew();

        // A fragment every 20 ms from each (some 128 MB/s together), for 3 s at most: together they pass the
        // budget within half a second, long before any message would be whole.
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(3));
        Task<ServerFrame?>[] trickling = attackers.Select(a => TrickleAsync(a, Fragments, TimeSpan.FromMilliseconds(20), stop.Token)).ToArray();

        // Watched meanwhile: what the server holds, and what a new client gets once the budget has closed someone.
        long mostHeld = 0;
        string? refusal = null;
        while (!Task.WhenAll(trickling).IsCompleted)
        {
            mostHeld = Math.Max(mostHeld, server.Server.BufferedBytes);
            if (refusal is null && server.Server.Counters.OverBudgetCloses > closesBefore)
            {
                refusal = await ConnectAndReadResponseAsync(server.Port);
            }

            await Task.Delay(10);
        }

        ServerFrame?[] closes = await Task.WhenAll(trickling);
        TimeSpan attacked = attack.Elapsed;
        Assert.NotNull(refusal);
        Assert.StartsWith("HTTP/1.1 503 ", refusal);
        Assert.Contains("over its memory budget", refusal);

        // Every close the attackers received is the budget's 1009, one for each close the server counted.
        ServerFrame[] received = closes.OfType<ServerFrame>().ToArray();
        Assert.NotEmpty(received);
        Assert.All(received, close =>
        {
            Assert.Equal((ushort)CloseCode.MessageTooBig, close.CloseCode);
            Assert.Equal("message too big for the server's memory budget", close.CloseReason);
        });
        await AttackKit.WaitUntilAsync(() => server.Server.Counters.OverBudgetCloses - closesBefore == received.Length,
            TimeSpan.FromSeconds(1), $"{received.Length} over-budget closes to be counted (counted {server.Server.Counters.OverBudgetCloses - closesBefore})");

        // The budget is enforced on the server's timer, every quarter second: between two ticks assembling buffers
        // may double, and a closed connection keeps its buffer until it is gone (the close timeout). Within that,
        // the server never held more than three budgets, against 640 MiB for the 40 messages whole.
        Assert.True(mostHeld < 3 * Budget, $"The server held up to {mostHeld:N0} bytes (budget {Budget:N0}).");

        foreach (RawClient attacker in attackers)
        {
            await attacker.DisposeAsync();
        }

        await AttackKit.WaitUntilAsync(() => server.Server.ConnectionCount == 2, TimeSpan.FromSeconds(3), "the attackers' connections to go");
        memory.AssertGrowthBelow(AttackKit.MemoryBound, $"{Connections} large messages trickled for {attacked}");
        await bystanders.AssertServedThroughoutAsync();
    }

    [Fact]
    public async Task Fragmented_messages_past_the_message_size_limit_are_closed_with_1009_at_the_first_fragment_beyond_it_before_the_rest_is_assembled()
    {
        const long MaxMessageSize = 4 * 1024 * 1024;
        const int Connections = 8;
        await using TestServer server = await AttackKit.StartAsync(options => options.MaxMessageSize = MaxMessageSize);
        Assert.True(server.Server.Options.MemoryBudget > Connections * MaxMessageSize, "The budget must not be what stops these messages.");
        await using Bystanders bystanders = await Bystanders.StartAsync(server);
        MemoryProbe memory = MemoryProbe.Start();

        RawClient[] attackers = await Task.WhenAll(Enumerable.Range(0, Connections).Select(_ => RawClient.OpenAsync(server.Port, "/echo")));
        await Task.WhenAll(attackers.Select(async attacker =>
        {
            // 64 fragments: the limit exactly, taken whole. The pong to a ping sent after them says the server
            // has read every one and still holds the message open.
            await attacker.SendAsync(FirstFragment);
            for (int i = 1; i < MaxMessageSize / Fragment; i++)
            {
                await attacker.SendAsync(NextFragment);
            }

            await attacker.SendAsync(ClientFrames.Frame(Opcode.Ping, "all read?"u8));
            ServerFrame pong = await attacker.ReadFrameAsync();
            Assert.Equal(Opcode.Pong, pong.Opcode);
            WebSocketConnection target = server.Server.Endpoints["/echo"].Connections.Single(c => attacker.LocalEndPoint.Equals(c.RemoteEndPoint));
            Assert.Equal(WsFast.ConnectionState.Open, target.State);
            long held = ((IServerConnection)target).BufferedBytes; // the message, and the pong if still queued
            Assert.True(held <= MaxMessageSize + FrameWriter.MaxControlFrameSize, $"The server held {held:N0} bytes for a message of {MaxMessageSize:N0}.");

            // One fragment more is one too many: the server closes as soon as it reads that frame's header.
            var clock = Stopwatch.StartNew();
            await attacker.SendAsync(NextFragment);
            ServerFrame close = await attacker.ReadFrameAsync(Bystanders.MaxLatency);
            Assert.True(close.Opcode == Opcode.Close, $"Expected the server's close, got {close}.");
            Assert.Equal((ushort)CloseCode.MessageTooBig, close.CloseCode);
            Assert.Equal("message exceeds the maximum size", close.CloseReason);
            Assert.True(clock.Elapsed < Bystanders.MaxLatency, $"The close came {clock.Elapsed} after the fragment beyond the limit.");
            await attacker.SendAsync(ClientFrames.Close((ushort)CloseCode.MessageTooBig));
            await attacker.AssertEndsCleanlyAsync();
        }));

        foreach (RawClient attacker in attackers)
        {
            await attacker.DisposeAsync();
        }

        await AttackKit.WaitUntilAsync(() => server.Server.ConnectionCount == 2, AttackKit.Slack, "the attackers' connections to go");
        Assert.Equal(Connections, server.Server.Counters.ClosedWith((int)CloseCode.MessageTooBig));
        memory.AssertGrowthBelow(AttackKit.MemoryBound, $"{Connections} messages of {MaxMessageSize:N0} bytes and one fragment");
        await bystanders.AssertServedThroughoutAsync();
    }

    /// <summary>
    /// Sends one message of <paramref name="fragments"/> fragments, none final, one every <paramref name="pace"/>,
    /// until the server closes the connection or <paramref name="stop"/> fires. Returns the server's close frame,
    /// or null if it did not close.
    /// </summary>
    private static async Task<ServerFrame?> TrickleAsync(RawClient attacker, int fragments, TimeSpan pace, CancellationToken stop)
    {
        // The server sends nothing but a close: the first frame read is the outcome.
        Task<ServerFrame> closed = attacker.ReadFrameAsync(TimeSpan.FromSeconds(10));
        try
        {
            await attacker.SendAsync(FirstFragment);
            for (int i = 1; i < fragments && !closed.IsCompleted; i++)
            {
                await Task.Delay(pace, stop);
                await attacker.SendAsync(NextFragment);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        catch (SocketException)
        {
            // The server dropped the connection after its close.
        }

        if (!closed.IsCompleted)
        {
            return null;
        }

        return await closed;
    }

    private static async Task<string> ConnectAndReadResponseAsync(int port)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        using Socket socket = await ClientSupport.ConnectRawAsync(port, timeout.Token);
        await socket.SendAsync(System.Text.Encoding.ASCII.GetBytes(RawClient.UpgradeRequest("/echo")), SocketFlags.None, timeout.Token);
        byte[] response = new byte[1024];
        int length = 0;
        int read;
        while (length < response.Length && (read = await socket.ReceiveAsync(response.AsMemory(length), SocketFlags.None, timeout.Token)) > 0)
        {
            length += read;
        }

        return System.Text.Encoding.ASCII.GetString(response, 0, length);
    }
}
