using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Text;
using WsFast.Protocol;
using WsFast.Server;
using WsFast.Tests.Server;
using WsFast.Tests.Support;
using WsFast.Tests.Tls;

namespace WsFast.Tests.Attacks;

/// <summary>
/// Attack: the echo flood of <see cref="EchoFloodTests"/> over <c>wss://</c>. Between the outbound queue and the
/// socket the TLS layer encrypts one send at a time, so the same bounds hold: the queue stops at its bound, reading
/// the client stops, and the send-stall deadline ends a client that never reads.
/// </summary>
[Collection(AttackCollection.Name)]
public class WssEchoFloodTests
{
    private const long MaxQueuedBytes = 64 * 1024;
    private const long MaxUnreadInput = 64 * 1024;

    [Fact]
    public async Task An_echo_flood_over_TLS_from_a_client_that_never_reads_is_held_at_the_bounds_and_ended_at_the_send_stall_deadline()
    {
        using TestCertificates certificates = TestCertificates.Create();
        (string cert, string key) = certificates.WriteServerCertificate("server", "localhost");
        await using TestServer server = await AttackKit.StartAsync(options =>
        {
            options.MaxQueuedOutboundBytes = MaxQueuedBytes;
            options.MaxUnreadInputBytes = MaxUnreadInput;
            options.Tls = new TlsOptions { Certificate = TlsCertificate.FromPemFiles(cert, key) };
            options.Tls.Endpoints.Add(new IPEndPoint(IPAddress.Loopback, 0));
        });
        long stallsBefore = server.Server.Counters.SendStalls;
        int before = server.Server.ConnectionCount;

        (SslStream attacker, _) = await TlsKit.HandshakeAsync(server.TlsPort(), "localhost");
        await using (attacker)
        {
            await attacker.WriteAsync(Encoding.ASCII.GetBytes(RawClient.UpgradeRequest("/echo")));
            byte[] head = new byte[1024];
            int read = 0;
            while (!Encoding.ASCII.GetString(head, 0, read).Contains("\r\n\r\n", StringComparison.Ordinal))
            {
                read += await attacker.ReadAsync(head.AsMemory(read));
            }

            Assert.StartsWith("HTTP/1.1 101 ", Encoding.ASCII.GetString(head, 0, read));

            // 4,000-byte messages, sixteen a write, never reading an echo; the flood ends when the server drops it.
            byte[] burst = ClientFrames.Concat(Enumerable.Repeat(ClientFrames.Frame(Opcode.Text, new byte[4000]), 16).ToArray());
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            Task flooding = FloodAsync(attacker, burst, stop.Token);

            long mostHeld = 0;
            var clock = Stopwatch.StartNew();
            while (server.Server.Counters.SendStalls == stallsBefore)
            {
                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(8), $"No send stall after 8 s; the server holds {server.Server.BufferedBytes:N0} bytes.");
                mostHeld = Math.Max(mostHeld, server.Server.BufferedBytes);
                await Task.Delay(20);
            }

            // The queue's bound and one echo more, the unread input's bound and two 4 KiB receive blocks.
            long bound = MaxQueuedBytes + 4004 + MaxUnreadInput + (2 * 4096);
            Assert.True(mostHeld <= bound, $"The server held up to {mostHeld:N0} bytes for the attacker (bound {bound:N0}).");
            await flooding;
        }

        await AttackKit.WaitUntilAsync(() => server.Server.ConnectionCount == before, AttackKit.Slack, "the attacker's connection to go");
    }

    private static async Task FloodAsync(SslStream stream, byte[] burst, CancellationToken stop)
    {
        try
        {
            while (!stop.IsCancellationRequested)
            {
                await stream.WriteAsync(burst, stop);
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
        {
            // The server dropped the connection, or the backstop ended the flood.
        }
    }
}
