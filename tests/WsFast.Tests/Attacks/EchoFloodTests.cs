using System.Diagnostics;
using WsFast.Protocol;
using WsFast.Server;
using WsFast.Tests.Server;
using WsFast.Tests.Support;

namespace WsFast.Tests.Attacks;

/// <summary>
/// Attack: a client upgraded on <c>/echo</c> never reads and sends small or empty messages in a loop. A handler's
/// send waits while the connection's queue is at its byte bound or its message bound, so the server queues at
/// most one message past either bound and then stops reading from the client: what the client sends piles up in
/// its own socket and the transport's bounded input, not in the server. Memory stays flat, and the send-stall
/// deadline aborts the connection.
/// </summary>
[Collection(AttackCollection.Name)]
public class EchoFloodTests
{
    private const long MaxQueuedBytes = 64 * 1024;
    private const int MaxQueuedMessages = 64;
    private const long MaxUnreadInput = 64 * 1024;

    // The bystanders' own echoes: one round trip every 100 ms at most.
    private const int BystanderMessagesPerHalfSecond = 10;

    [Theory]
    [InlineData(0)]      // 2-byte echoes: the message bound binds, at 128 bytes
    [InlineData(16)]     // 18-byte echoes: the message bound binds, at 1,152 bytes
    [InlineData(4096)]   // 4,100-byte echoes: the byte bound binds, at the 16th
    public async Task An_echo_flood_from_a_client_that_never_reads_is_held_at_the_outbound_bounds_stops_being_read_and_is_aborted_at_the_send_stall_deadline(int payloadLength)
    {
        await using TestServer server = await AttackKit.StartAsync(options =>
        {
            options.MaxQueuedOutboundBytes = MaxQueuedBytes;
            options.MaxQueuedOutboundMessages = MaxQueuedMessages;
            options.MaxUnreadInputBytes = MaxUnreadInput;
        });
        await using Bystanders bystanders = await Bystanders.StartAsync(server);
        MemoryProbe memory = MemoryProbe.Start();
        long stallsBefore = server.Server.Counters.SendStalls;

        using Attacker attacker = await Attacker.UpgradeAsync(server.Port, "/echo");
        WebSocketConnection target = await ServerSide.OfAsync(server, "/echo", attacker);
        byte[] message = ClientFrames.Frame(Opcode.Text, new byte[payloadLength]);
        byte[] burst = ClientFrames.Concat(Enumerable.Repeat(message, Math.Max(1, 16 * 1024 / message.Length)).ToArray());
        int echoSize = 2 + payloadLength + (payloadLength > 125 ? 2 : 0);
        long queueBound = Math.Min(MaxQueuedBytes + echoSize, (MaxQueuedMessages + 1L) * echoSize);

        // The flood ends when the server aborts the connection (its sends then fail); 10 s is only a backstop.
        Task<long> flooding = attacker.FloodAsync(burst, TimeSpan.FromSeconds(10));
        long mostQueued = 0;
        Task watching = WatchQueueAsync(target, flooding, queued => mostQueued = Math.Max(mostQueued, queued));

        // Once the kernel buffers between them are full, the queue reaches its bound, the echo of the next message
        // waits, and so does reading: half a second passes with none of the attacker's messages read.
        var reading = Stopwatch.StartNew();
        while (true)
        {
            Assert.True(reading.Elapsed < TimeSpan.FromSeconds(8), "The server kept reading the attacker's messages for 8 s.");
            long messagesIn = server.Server.Counters.MessagesIn;
            await Task.Delay(500);
            if (server.Server.Counters.MessagesIn - messagesIn <= BystanderMessagesPerHalfSecond)
            {
                break;
            }
        }

        Assert.False(flooding.IsCompleted, "The attacker stopped sending before the server stopped reading it.");
        Assert.True(server.Server.Counters.SendStalls == stallsBefore, "The attacker was aborted before the server stopped reading it.");

        // What the server holds for it: the queue at its bound, and the input it stopped reading at its own.
        long held = server.Server.BufferedBytes;
        Assert.True(held < queueBound + MaxUnreadInput + (64 * 1024),
            $"The server held {held:N0} bytes (queue bound {queueBound:N0}, unread input bound {MaxUnreadInput:N0}).");

        await AttackKit.WaitUntilAsync(() => server.Server.Counters.SendStalls > stallsBefore,
            AttackKit.StallTimeout + AttackKit.Slack, "the send-stall deadline to end the attacker");
        long sent = await flooding;
        await watching;
        Assert.True(mostQueued <= queueBound,
            $"The server queued up to {mostQueued:N0} bytes of {echoSize}-byte echoes (bound {queueBound:N0}: {MaxQueuedMessages} messages or {MaxQueuedBytes:N0} bytes, and one more).");
        Assert.True(sent > 10 * held, $"The attacker sent only {sent:N0} bytes, for {held:N0} held by the server.");
        await AttackKit.WaitUntilAsync(() => server.Server.ConnectionCount == 2, AttackKit.Slack, "the attacker's connection to go");

        memory.AssertGrowthBelow(AttackKit.MemoryBound, $"{sent:N0} bytes of {payloadLength}-byte messages to echo");
        await bystanders.AssertServedThroughoutAsync();
    }

    private static async Task WatchQueueAsync(WebSocketConnection target, Task until, Action<long> observe)
    {
        while (!until.IsCompleted)
        {
            observe(target.QueuedBytes);
            await Task.Delay(5);
        }
    }
}
