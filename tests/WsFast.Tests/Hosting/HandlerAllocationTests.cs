using Microsoft.Extensions.DependencyInjection;
using WsFast.Protocol;
using WsFast.Tests.Attacks;
using WsFast.Tests.Server;
using WsFast.Tests.Support;
using WsFast.Transport;

namespace WsFast.Tests.Hosting;

/// <summary>
/// A handler made per connection (<c>Map&lt;THandler&gt;</c>) costs its scope once, at connect: each message is one
/// call into the connection's own handler, and allocates nothing. Alone in the process (the attack tests'
/// collection), so that the process's allocation count is this test's.
/// </summary>
[Collection(AttackCollection.Name)]
public class HandlerAllocationTests
{
    private const int Messages = 20_000;
    private const int MessagesPerWrite = 2_000;

    [Fact]
    public async Task Messages_to_a_handler_made_per_connection_allocate_nothing()
    {
        var counter = new Counter();
        await using ServiceProvider services = new ServiceCollection().AddSingleton(counter).BuildServiceProvider(validateScopes: true);
        var options = new WsFastServerOptions { Urls = { "http://127.0.0.1:0" }, SocketEngine = TestServer.Engine, PingInterval = TimeSpan.Zero };
        options.ClientLimits.MessagesPerSecond = 0;
        options.ClientLimits.BytesPerSecond = 0;
        await using var server = new WsFastServer(options, services);
        server.Map<CountingHandler>("/count");
        await server.StartAsync();
        await using RawClient client = await RawClient.OpenAsync(server.EndPoints[0].Port, "/count");
        byte[] write = ClientFrames.Concat(Enumerable.Repeat(ClientFrames.Frame(Opcode.Text, "hello"u8), MessagesPerWrite).ToArray());

        // The first write warms the path up (the connection's first receive blocks, the handler's first call).
        await client.SendAsync(write);
        await PingAsync(client);
        PinnedBlockMemoryPool receivePool = server.ConnectionPool!.BlockPool;
        long poolBefore = receivePool.CreatedBytes;
        long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);

        for (int sent = 0; sent < Messages; sent += MessagesPerWrite)
        {
            await client.SendAsync(write);
        }

        await PingAsync(client);
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore - (receivePool.CreatedBytes - poolBefore);

        Assert.Equal(Messages + MessagesPerWrite, counter.Count);

        // An allocation per message would be at least 24 bytes each, 480 KB: the whole process allocated less
        // than one byte per message (the client's sends and the server's receive completions included).
        Assert.True(allocated < Messages, $"{allocated:N0} bytes allocated for {Messages:N0} messages");
    }

    // A ping after the messages: its pong says the server has read (and handled) every one before it.
    private static async Task PingAsync(RawClient client)
    {
        await client.SendAsync(ClientFrames.Frame(Opcode.Ping, "read?"u8));
        Assert.Equal(Opcode.Pong, (await client.ReadFrameAsync()).Opcode);
    }

    /// <summary>Messages handled, over all connections.</summary>
    public sealed class Counter
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public void Add() => Interlocked.Increment(ref _count);
    }

    /// <summary>Counts each message and nothing else.</summary>
    public sealed class CountingHandler(Counter counter) : WebSocketHandler
    {
        public override ValueTask OnMessageAsync(WebSocketConnection connection, WebSocketMessage message)
        {
            counter.Add();
            return default;
        }
    }
}
