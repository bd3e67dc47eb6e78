using WsFast.Protocol.Deflate;
using WsFast.Server;
using WsFast.Tests.Deflate;
using WsFast.Tests.Server;

namespace WsFast.Tests.Attacks;

/// <summary>
/// Attacks on permessage-deflate: bombs (a little DEFLATE that inflates to a lot) and compressed messages started
/// and never finished, each holding a decompressor. Neither grows the server past its bounds or slows a bystander.
/// </summary>
[Collection(AttackCollection.Name)]
public class DeflateAttackTests
{
    [Fact]
    public async Task Eight_connections_sending_deflate_bombs_are_closed_with_1009_each_having_cost_at_most_the_message_limit()
    {
        const int MaxMessageSize = 1024 * 1024;
        byte[] bomb = DeflateClient.Deflate(new byte[256 * 1024 * 1024]); // 256 MiB inflated, ~250 KiB on the wire
        await using TestServer server = await AttackKit.StartAsync(options =>
        {
            options.MaxMessageSize = MaxMessageSize;
            options.PerMessageDeflate = new PerMessageDeflateOptions();
        });
        await using Bystanders bystanders = await Bystanders.StartAsync(server);
        MemoryProbe memory = MemoryProbe.Start();

        var attackers = new List<RawClient>();
        for (int i = 0; i < 8; i++)
        {
            (RawClient client, string? extensions) = await DeflateClient.OpenAsync(server.Port);
            Assert.NotNull(extensions);
            attackers.Add(client);
        }

        try
        {
            await Task.WhenAll(attackers.Select(a => a.SendFramesAsync(DeflateClient.CompressedBinary(bomb))));
            foreach (RawClient attacker in attackers)
            {
                ServerFrame close = await attacker.ReadFrameAsync();
                Assert.Equal((ushort)1009, close.CloseCode);
            }

            memory.AssertGrowthBelow(AttackKit.MemoryBound, "eight deflate bombs of 256 MiB each");
            await bystanders.AssertServedThroughoutAsync();
        }
        finally
        {
            foreach (RawClient attacker in attackers)
            {
                await attacker.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Two_hundred_compressed_messages_started_and_never_finished_hold_one_counted_decompressor_each_until_they_go()
    {
        const int Connections = 200;
        byte[] text = System.Text.Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("{\"stalled\":true},", 200)));
        byte[] deflated = DeflateClient.Deflate(text);
        byte[] firstHalf = DeflateClient.Frame(0x41, deflated.AsSpan(0, deflated.Length / 2)); // RSV1, text, no FIN
        await using TestServer server = await AttackKit.StartAsync(options => options.PerMessageDeflate = new PerMessageDeflateOptions());
        await using Bystanders bystanders = await Bystanders.StartAsync(server);
        long zlibBefore = ZLib.AllocatedBytes;

        var attackers = new List<RawClient>();
        try
        {
            for (int i = 0; i < Connections; i++)
            {
                (RawClient client, _) = await DeflateClient.OpenAsync(server.Port);
                attackers.Add(client);
                await client.SendFramesAsync(firstHalf);
            }

            // Each holds zlib's 7 KiB of state (and a 4 KiB window once it has inflated some output), and the server
            // counts it.
            const long Each = 7000;
            await AttackKit.WaitUntilAsync(() => server.Server.BufferedBytes >= Connections * Each, TimeSpan.FromSeconds(5),
                $"the {Connections} decompressors to be counted (buffered: {server.Server.BufferedBytes:N0} bytes)");
            Assert.InRange(ZLib.AllocatedBytes - zlibBefore, Connections * Each, Connections * 4 * Each);
            await bystanders.AssertServedThroughoutAsync();
        }
        finally
        {
            foreach (RawClient attacker in attackers)
            {
                await attacker.DisposeAsync();
            }
        }

        // Gone with their connections: the pool keeps a handful, not two hundred.
        await AttackKit.WaitUntilAsync(() => ZLib.AllocatedBytes - zlibBefore < 16 * 12 * 1024, TimeSpan.FromSeconds(5),
            $"the decompressors to be freed (zlib holds {ZLib.AllocatedBytes - zlibBefore:N0} bytes more than before)");
    }
}
