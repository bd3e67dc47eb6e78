using System.Net.WebSockets;
using System.Security.Authentication;
using WsFast.Server;
using WsFast.Tests.Server;

namespace WsFast.Tests.Tls;

/// <summary>
/// wss:// (RFC 6455 section 3: a WebSocket over TLS) beside ws:// on the same server: the same endpoints, the same
/// behaviour, the connection told which it is.
/// </summary>
public class WssEchoTests
{
    [Fact]
    public async Task ClientWebSocket_echoes_over_wss_and_ws_side_by_side()
    {
        using TestCertificates certificates = TestCertificates.Create();
        (string cert, string key) = certificates.WriteServerCertificate("server", "localhost");
        var handler = new TestServer.Recorder();
        await using TestServer server = await TlsKit.StartAsync(cert, key, configure: null);
        server.Server.Map("/recorded", handler);

        using ClientWebSocket secure = await server.ConnectWssAsync(certificates);
        using ClientWebSocket plain = await server.ConnectAsync();
        for (int i = 0; i < 3; i++)
        {
            await secure.AssertEchoesAsync($"over TLS {i}");
            await plain.AssertEchoesAsync($"in the clear {i}");
        }

        // A message larger than a TLS record (16 KiB) comes back whole.
        await secure.AssertEchoesAsync(new string('x', 100_000));

        using ClientWebSocket recorded = await server.ConnectWssAsync(certificates, "/recorded");
        Assert.True(handler.Last!.IsSecure);
        using ClientWebSocket recordedPlain = await server.ConnectAsync("/recorded");
        Assert.False(handler.Last!.IsSecure);

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await secure.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", timeout.Token);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, secure.CloseStatus);
        Assert.Equal(0, server.Server.Counters.TlsHandshakeFailures);
    }

    [Theory]
    [InlineData(SslProtocols.Tls12)]
    [InlineData(SslProtocols.Tls13)]
    public async Task Both_TLS_versions_are_offered_by_default(SslProtocols protocol)
    {
        using TestCertificates certificates = TestCertificates.Create();
        (string cert, string key) = certificates.WriteServerCertificate("server", "localhost");
        await using TestServer server = await TlsKit.StartAsync(cert, key);

        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(System.Net.IPAddress.Loopback, server.TlsPort());
        using var ssl = new System.Net.Security.SslStream(tcp.GetStream());
        await ssl.AuthenticateAsClientAsync(new System.Net.Security.SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            EnabledSslProtocols = protocol,
            ApplicationProtocols = [System.Net.Security.SslApplicationProtocol.Http2, System.Net.Security.SslApplicationProtocol.Http11],
            RemoteCertificateValidationCallback = (_, c, _, e) => certificates.Validate(c, e),
        });
        Assert.Equal(protocol, ssl.SslProtocol);
        // ALPN (RFC 7301): HTTP/1.1 only, the protocol an upgrade needs, even when the client prefers h2.
        Assert.Equal(System.Net.Security.SslApplicationProtocol.Http11, ssl.NegotiatedApplicationProtocol);
    }
}

/// <summary>The authorization hook is told whether the request came over TLS (for cookies marked Secure, redirects, X-Forwarded-Proto).</summary>
public class TlsAuthorizationTests
{
    [Fact]
    public async Task The_authorization_hook_sees_whether_the_upgrade_came_over_TLS()
    {
        using TestCertificates certificates = TestCertificates.Create();
        (string cert, string key) = certificates.WriteServerCertificate("server", "localhost");
        var seen = new System.Collections.Concurrent.ConcurrentQueue<bool>();
        await using TestServer server = await TlsKit.StartAsync(cert, key, options => options.Authorizer = new Recording(seen));

        using (ClientWebSocket secure = await server.ConnectWssAsync(certificates))
        {
            await secure.AssertEchoesAsync("over TLS");
        }

        using (ClientWebSocket plain = await server.ConnectAsync())
        {
            await plain.AssertEchoesAsync("in the clear");
        }

        Assert.Equal([true, false], seen);
    }

    private sealed class Recording(System.Collections.Concurrent.ConcurrentQueue<bool> seen) : RequestAuthorizer
    {
        public override ValueTask<AuthorizationResult> AuthorizeAsync(AuthorizationContext context)
        {
            seen.Enqueue(context.IsSecure);
            return new(AuthorizationResult.Accept());
        }
    }
}
