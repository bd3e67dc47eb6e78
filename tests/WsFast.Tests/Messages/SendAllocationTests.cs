using System.Buffers;
using System.Net.WebSockets;
using WsFast.Tests.Server;
using WsFast.Tests.Support;

namespace WsFast.Tests.Messages;

/// <summary>The per-message send path allocates nothing, whatever form the payload comes in.</summary>
public class SendAllocationTests
{
    private const int Rounds = 200;

    [Fact]
    public async Task Sends_from_memory_and_sequences_and_fragments_allocate_nothing_per_message()
    {
        var captured = new Captured();
        await using TestServer server = await TestServer.StartAsync(map: s => s.Map("/captured", captured));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        using ClientWebSocket client = await server.ConnectAsync("/captured");
        WebSocketConnection connection = await captured.NextAsync();
        Task<int> draining = CountMessagesAsync(client, timeout.Token);

        ReadOnlyMemory<byte> memory = MessageKit.Payload(0, 0, 64);
        ReadOnlySequence<byte> pieces = Sequences.SplitAt(MessageKit.Payload(0, 1, 64), 10, 40);
        SendRound(connection, memory, pieces); // warm-up: first-use paths (pools, lazily made state) allocate
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < Rounds; i++)
        {
            SendRound(connection, memory, pieces);
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated == 0, $"{allocated} bytes allocated for {Rounds * 6} sends");

        connection.Close();
        Assert.Equal((Rounds + 1) * 5, await draining);
    }

    // Six sends, five messages; each queued at once (far below the bounds), so that none waits.
    private static void SendRound(WebSocketConnection connection, ReadOnlyMemory<byte> memory, ReadOnlySequence<byte> pieces)
    {
        Completed(connection.SendTextAsync(memory));
        Completed(connection.SendBinaryAsync(memory));
        Completed(connection.SendTextAsync(pieces));
        Completed(connection.SendBinaryAsync(pieces));
        Completed(connection.SendFragmentAsync(MessageType.Binary, memory, endOfMessage: false));
        Completed(connection.SendFragmentAsync(MessageType.Binary, memory, endOfMessage: true));
    }

    private static void Completed(ValueTask<bool> send)
    {
        if (!send.IsCompletedSuccessfully || !send.Result)
        {
            throw new InvalidOperationException("A send was not queued at once.");
        }
    }

    private static async Task<int> CountMessagesAsync(ClientWebSocket client, CancellationToken cancel)
    {
        int messages = 0;
        while (true)
        {
            (WebSocketMessageType type, _) = await client.ReceiveMessageAsync(cancel);
            if (type == WebSocketMessageType.Close)
            {
                return messages;
            }

            messages++;
        }
    }
}
