using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using WsFast.Server;
using WsFast.Tests.Deflate;
using WsFast.Tests.Server;

namespace WsFast.Tests.Attacks;

/// <summary>
/// Attack: the echo flood of <see cref="EchoFloodTests"/> with permessage-deflate agreed. The client sends
/// compressed messages and never reads; the server inflates each, compresses its echo and queues it. The same
/// bounds hold: the queue stops at its bound, reading the client stops, and the send-stall deadline ends it.
/// </summary>
[Collection(AttackCollection.Name)]
public class DeflateEchoFloodTests
{
    private const long MaxQueuedBytes = 64 * 1024;
    private const int MaxQueuedMessages = 64;
    private const long MaxUnreadInput = 64 * 1024;

    [Theory]
    [InlineData(false)] // the defaults: no context either way, compressors lent per message
    [InlineData(true)]  // context kept both ways: the connection's own compressor
    public async Task A_compressed_echo_flood_from_a_client_that_never_reads_is_held_at_the_bounds_and_ended_at_the_send_stall_deadline(bool contextTakeover)
    {
        await using TestServer server = await AttackKit.StartAsync(options =>
        {
            options.MaxQueuedOutboundBytes = MaxQueuedBytes;
            options.MaxQueuedOutboundMessages = MaxQueuedMessages;
            options.MaxUnreadInputBytes = MaxUnreadInput;
            options.PerMessageDeflate = new PerMessageDeflateOptions { ServerContextTakeover = contextTakeover, ClientContextTakeover = contextTakeover };
        });
        long stallsBefore = server.Server.Counters.SendStalls;

        using Attacker attacker = await Attacker.ConnectAsync(server.Port);
        string request = RawClient.UpgradeRequest("/echo").Replace("\r\n\r\n", $"\r\nSec-WebSocket-Extensions: {DeflateClient.BrowserOffer}\r\n\r\n");
        await attacker.SendAsync(Encoding.ASCII.GetBytes(request));
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
        {
            string head = await ClientSupport.ReadResponseHeadAsync(attacker.Socket, timeout.Token);
            Assert.StartsWith("HTTP/1.1 101 ", head);
            Assert.Contains("permessage-deflate", head);
        }

        WebSocketConnection target = await ServerSide.OfAsync(server, "/echo", attacker);
        // Sixteen different quotes, each a kilobyte of JSON: with context kept, a message that repeats one the
        // server's 4 KiB window still holds would compress to a few bytes, and the kernel's socket buffers (up to
        // tcp_wmem's 4 MiB) would take a minute of such echoes before the server's own queue saw a stall.
        var random = new Random(6455);
        byte[][] messages = new byte[16][];
        for (int i = 0; i < messages.Length; i++)
        {
            var quotes = new StringBuilder();
            while (quotes.Length < 1024)
            {
                quotes.Append($"{{\"symbol\":\"WSF\",\"price\":{random.Next(100_000, 999_999)},\"size\":{random.Next(1, 99_999)}}},");
            }

            messages[i] = DeflateClient.CompressedText(DeflateClient.Deflate(Encoding.UTF8.GetBytes(quotes.ToString())));
        }

        byte[] burst = Support.ClientFrames.Concat(messages);
        long queueBound = MaxQueuedBytes + 1024 + 16;

        Task<long> flooding = attacker.FloodAsync(burst, TimeSpan.FromSeconds(10));
        long mostHeld = 0;
        var watch = Stopwatch.StartNew();
        while (server.Server.Counters.SendStalls == stallsBefore)
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(8),
                $"No send stall after 8 s: queued {target.QueuedBytes:N0} B, state {target.State}, messages in {server.Server.Counters.MessagesIn}, buffered {server.Server.BufferedBytes:N0}");
            mostHeld = Math.Max(mostHeld, target.QueuedBytes);
            await Task.Delay(20);
        }

        Assert.True(mostHeld <= queueBound, $"The server queued up to {mostHeld:N0} bytes of echoes (bound {queueBound:N0}).");

        await flooding;
        await AttackKit.WaitUntilAsync(() => server.Server.ConnectionCount == 0, AttackKit.Slack, "the attacker's connection to go");
    }
}
