using System.Diagnostics;
using WsFast.Protocol;
using WsFast.Tests.Server;
using WsFast.Tests.Support;
using WsFast.Transport;

namespace WsFast.Tests.Attacks;

/// <summary>
/// Attack: one text message in 100,000 empty fragments (a first empty text frame without FIN, then empty
/// continuations), sent in large writes, then the final fragment. The server keeps and allocates nothing per
/// fragment: the frame reader counts the message's length and the assembler appends nothing, so the fragments
/// cost CPU only. Memory stays flat while the message is open, the bystanders are served, and the empty message
/// is echoed; reading the fragments takes less than an echo may take under attack.
/// </summary>
[Collection(AttackCollection.Name)]
public class EmptyFragmentsTests
{
    private const int Fragments = 100_000;
    private const int FragmentsPerWrite = 10_000; // 60 KB writes

    [Fact]
    public async Task A_text_message_of_100000_empty_fragments_costs_no_memory_per_fragment_and_is_echoed_empty()
    {
        await using TestServer server = await AttackKit.StartAsync();
        await using Bystanders bystanders = await Bystanders.StartAsync(server);
        await using RawClient attacker = await RawClient.OpenAsync(server.Port, "/echo");
        byte[] zeroKey = [0, 0, 0, 0];
        byte[] first = ClientFrames.Frame(Opcode.Text, [], fin: false, key: zeroKey);
        byte[] continuations = ClientFrames.Concat(Enumerable.Repeat(ClientFrames.Frame(Opcode.Continuation, [], fin: false, key: zeroKey), FragmentsPerWrite).ToArray());
        byte[] last = ClientFrames.Frame(Opcode.Continuation, [], fin: true, key: zeroKey);
        MemoryProbe memory = MemoryProbe.Start();
        PinnedBlockMemoryPool receivePool = server.Server.ConnectionPool!.BlockPool;
        long poolBefore = receivePool.CreatedBytes;
        long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var clock = Stopwatch.StartNew();

        await attacker.SendAsync(first);
        for (int sent = 0; sent < Fragments; sent += FragmentsPerWrite)
        {
            await attacker.SendAsync(continuations);
        }

        // A ping between fragments is allowed (section 5.4): its pong says the server has read them all.
        await attacker.SendAsync(ClientFrames.Frame(Opcode.Ping, "all read?"u8));
        ServerFrame pong = await attacker.ReadFrameAsync();
        Assert.Equal(Opcode.Pong, pong.Opcode);
        TimeSpan read = clock.Elapsed;
        Assert.True(read < Bystanders.MaxLatency, $"The server took {read} to read {Fragments:N0} empty fragments.");

        // Anything kept or made per fragment would cost at least an object of 24 bytes each: 2.4 MB. The whole
        // process, bystanders included, allocated less than a byte per fragment, and keeps less than 8. Blocks
        // the receive pool created meanwhile are its working set, made once per server and reused (a burst
        // that fills a 4 KiB block is received into 64 KiB ones): not counted here, and bounded by the memory
        // growth asserted below.
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore - (receivePool.CreatedBytes - poolBefore);
        Assert.True(allocated < Fragments, $"{allocated:N0} bytes were allocated while {Fragments:N0} empty fragments were read.");
        memory.AssertGrowthBelow(Fragments * 8, $"{Fragments:N0} empty fragments of a message still open");

        // The final fragment completes the message: empty, echoed as one frame.
        await attacker.SendAsync(last);
        ServerFrame echo = await attacker.ReadFrameAsync(Bystanders.MaxLatency);
        Assert.Equal(Opcode.Text, echo.Opcode);
        Assert.True(echo.Fin);
        Assert.Empty(echo.Payload);
        await bystanders.AssertServedThroughoutAsync();
    }
}
