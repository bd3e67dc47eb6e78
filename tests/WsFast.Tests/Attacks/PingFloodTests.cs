using System.Diagnostics;
using WsFast.Protocol;
using WsFast.Server;
using WsFast.Tests.Server;
using WsFast.Tests.Support;

namespace WsFast.Tests.Attacks;

/// <summary>
/// Attack: a client upgraded on <c>/echo</c> never reads and sends pings in a loop, empty or of the largest
/// control payload (125 bytes). RFC 6455 section 5.5.3 lets the server answer only the latest ping: a pong still
/// waiting in the queue is replaced by the next one, so the connection holds at most one pending pong however
/// many pings arrive, and memory stays flat. The client's sends do not keep it alive: its output stops moving,
/// and the send-stall deadline aborts it while it is still sending.
/// </summary>
[Collection(AttackCollection.Name)]
public class PingFloodTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(125)]
    public async Task A_ping_flood_from_a_client_that_never_reads_holds_one_pending_pong_and_is_aborted_at_the_send_stall_deadline(int payloadLength)
    {
        await using TestServer server = await AttackKit.StartAsync();
        await using Bystanders bystanders = await Bystanders.StartAsync(server);
        MemoryProbe memory = MemoryProbe.Start();
        long stallsBefore = server.Server.Counters.SendStalls;

        using Attacker attacker = await Attacker.UpgradeAsync(server.Port, "/echo");
        WebSocketConnection target = await ServerSide.OfAsync(server, "/echo", attacker);

        // Pongs replace one another while they wait, so the kernel gets about one pong per receive: 15 s of empty
        // pings did not fill its socket buffers with 2-byte pongs. The attacker fills them first, as any client
        // that stops reading does, with echoed messages until the server's output for it stalls.
        long queuedBeforePings = await FillOutputWithEchoesAsync(server, attacker, target);
        var stalled = Stopwatch.StartNew();

        byte[] ping = ClientFrames.Frame(Opcode.Ping, new byte[payloadLength], key: [0, 0, 0, 0]);
        byte[] burst = ClientFrames.Concat(Enumerable.Repeat(ping, 16 * 1024 / ping.Length).ToArray());
        TimeSpan deadline = AttackKit.StallTimeout + AttackKit.Slack;
        Task<long> flooding = attacker.FloodAsync(burst, deadline + TimeSpan.FromSeconds(2));

        // Behind the stalled output, one pong waits at most: each new one takes the place of the last.
        long pongSize = 2 + payloadLength;
        long mostQueued = 0;
        while (!flooding.IsCompleted)
        {
            mostQueued = Math.Max(mostQueued, target.QueuedBytes);
            await Task.Delay(5);
        }

        long sent = await flooding;
        TimeSpan flooded = stalled.Elapsed;
        Assert.True(mostQueued <= queuedBeforePings + pongSize,
            $"The server queued up to {mostQueued:N0} bytes for the attacker: {queuedBeforePings:N0} of echoes and more than one {pongSize}-byte pong.");
        Assert.True(sent > 1024 * 1024, $"The attacker sent only {sent:N0} bytes of pings: the server did not read them.");

        // The flood ended because the server aborted the connection, at the deadline, not because it stopped.
        Assert.True(server.Server.Counters.SendStalls > stallsBefore, $"The attacker sent {sent:N0} bytes for {flooded} and was not aborted.");
        Assert.True(flooded <= deadline, $"The attacker was aborted {flooded} after its output stalled (deadline {deadline}).");
        await AttackKit.WaitUntilAsync(() => server.Server.ConnectionCount == 2, AttackKit.Slack, "the attacker's connection to go");

        memory.AssertGrowthBelow(AttackKit.MemoryBound, $"{sent:N0} bytes of {payloadLength}-byte pings");
        await bystanders.AssertServedThroughoutAsync();
    }

    /// <summary>
    /// Sends 128 KiB messages to be echoed until the server's output for the attacker stalls; returns what is
    /// then queued (below the outbound bound, so that the server goes on reading).
    /// </summary>
    private static async Task<long> FillOutputWithEchoesAsync(TestServer server, Attacker attacker, WebSocketConnection target)
    {
        byte[] message = ClientFrames.Frame(Opcode.Binary, new byte[128 * 1024]);
        for (int i = 0; i < 100; i++)
        {
            long bytesIn = server.Server.Counters.BytesIn;
            await attacker.SendAsync(message);
            await AttackKit.WaitUntilAsync(() => server.Server.Counters.BytesIn >= bytesIn + (128 * 1024), TimeSpan.FromSeconds(5), "the echo to be read");
            if (await ServerSide.HasStalledAsync(target, TimeSpan.FromMilliseconds(200)))
            {
                long queued = target.QueuedBytes;
                Assert.True(queued < server.Server.Options.MaxQueuedOutboundBytes, $"The filling left {queued:N0} bytes queued, at the bound.");
                return queued;
            }
        }

        Assert.Fail("The kernel took 100 echoes of 128 KiB without filling up.");
        return 0;
    }
}
