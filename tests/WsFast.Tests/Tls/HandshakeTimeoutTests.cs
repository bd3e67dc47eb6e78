using System.Diagnostics;
using WsFast.Tests.Server;

namespace WsFast.Tests.Tls;

/// <summary>
/// A client that opens a TCP connection to the TLS port and stalls the TLS handshake holds a connection slot
/// and handshake state: it is dropped at the handshake timeout, which covers the TLS handshake and the HTTP
/// request together.
/// </summary>
public class HandshakeTimeoutTests
{
    private static readonly TimeSpan HandshakeTimeout = TimeSpan.FromMilliseconds(400);

    [Theory]
    [InlineData("nothing")]
    [InlineData("half a ClientHello")]
    public async Task A_client_that_stalls_the_TLS_handshake_is_dropped_at_the_handshake_timeout(string sent)
    {
        using TestCertificates certificates = TestCertificates.Create();
        (string cert, string key) = certificates.WriteServerCertificate("server", "localhost");
        await using TestServer server = await TlsKit.StartAsync(cert, key, options => options.HandshakeTimeout = HandshakeTimeout);

        // The clock starts before the connection, so that it never starts after the server's (at its accept).
        var clock = Stopwatch.StartNew();
        await using RawClient staller = await RawClient.ConnectAsync(server.TlsPort());
        if (sent != "nothing")
        {
            // A handshake record (RFC 8446 section 5.1) announcing 512 bytes of a ClientHello, of which 11 come.
            await staller.SendAsync(new byte[] { 0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xFC, 0x03, 0x03, 1, 2, 3, 4, 5 });
        }

        await staller.ReadToEndAsync(TimeSpan.FromSeconds(5));
        TimeSpan elapsed = clock.Elapsed;
        Assert.True(elapsed >= HandshakeTimeout - RawClient.ClockSlack, $"dropped after {elapsed.TotalMilliseconds} ms");
        Assert.True(elapsed < HandshakeTimeout * 4, $"dropped only after {elapsed.TotalMilliseconds} ms");
        Assert.True(await server.Log.WaitForAsync("timed out"), "no log line for the timeout");

        // A stalled handshake the server ended is a timeout, not a handshake the client broke.
        Assert.Equal(0, server.Server.Counters.TlsHandshakeFailures);
        Assert.True(await HandshakeFailureTests.WaitForAsync(() => server.Server.ConnectionCount == 0), "the staller is still held");
    }
}
