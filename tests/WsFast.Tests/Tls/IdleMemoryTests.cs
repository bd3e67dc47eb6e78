using System.Net.WebSockets;
using WsFast.Tests.Server;

namespace WsFast.Tests.Tls;

/// <summary>
/// An idle TLS connection holds no receive memory: it waits with a zero-byte read through the TLS layer, so
/// neither a pipe block nor the TLS layer's record buffer is held between messages.
/// </summary>
public class IdleMemoryTests
{
    [Fact]
    public async Task Idle_wss_connections_hold_no_receive_blocks()
    {
        using TestCertificates certificates = TestCertificates.Create();
        (string cert, string key) = certificates.WriteServerCertificate("server", "localhost");
        await using TestServer server = await TlsKit.StartAsync(cert, key);
        var clients = new List<ClientWebSocket>();
        for (int i = 0; i < 20; i++)
        {
            ClientWebSocket client = await server.ConnectWssAsync(certificates);
            await client.AssertEchoesAsync(new string('m', 10_000));
            clients.Add(client);
        }

        Assert.True(await HandshakeFailureTests.WaitForAsync(() => server.Server.TlsConnectionPool!.BlockPool.InUseBytes == 0),
            $"{server.Server.TlsConnectionPool!.BlockPool.InUseBytes} bytes of receive blocks held by 20 idle connections");
        foreach (ClientWebSocket client in clients)
        {
            client.Dispose();
        }
    }
}
