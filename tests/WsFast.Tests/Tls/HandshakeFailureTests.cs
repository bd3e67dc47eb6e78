using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Authentication;
using WsFast.Server;
using WsFast.Tests.Server;

namespace WsFast.Tests.Tls;

/// <summary>
/// What a TLS endpoint does with a handshake that fails: a client that does not trust the certificate, bytes
/// that are not TLS (random garbage, plaintext HTTP sent to the TLS port), no protocol version in common. Each
/// ends that connection at once (well before the handshake timeout) with one log line and a count, and
/// nobody else notices.
/// </summary>
public class HandshakeFailureTests
{
    // .NET's client checks the certificate after the TLS handshake and, on Linux, closes without an alert: the
    // server cannot tell it from a client that leaves, so it is not counted (the Python client, which refuses
    // during the handshake with an alert, is: WssInteropTests).
    [Fact]
    public async Task A_client_that_does_not_trust_the_certificate_refuses_it_and_the_server_lets_it_go()
    {
        using TestCertificates certificates = TestCertificates.Create();
        (string cert, string key) = certificates.WriteServerCertificate("server", "localhost");
        await using TestServer server = await TlsKit.StartAsync(cert, key);

        // The system's roots only, which do not include the test's authority.
        using var untrusting = new ClientWebSocket();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        WebSocketException refused = await Assert.ThrowsAsync<WebSocketException>(() => untrusting.ConnectAsync(server.Wss("/echo"), timeout.Token));
        Assert.IsType<AuthenticationException>(refused.InnerException?.InnerException ?? refused.InnerException);

        Assert.True(await WaitForAsync(() => server.Server.ConnectionCount == 0), "the refused connection is still held");

        using ClientWebSocket trusting = await server.ConnectWssAsync(certificates);
        await trusting.AssertEchoesAsync("still serving");
    }

    [Theory]
    [InlineData("random")]
    [InlineData("plaintext HTTP")]
    public async Task Bytes_that_are_not_TLS_end_the_connection_at_once_and_a_bystander_is_unaffected(string kind)
    {
        using TestCertificates certificates = TestCertificates.Create();
        (string cert, string key) = certificates.WriteServerCertificate("server", "localhost");
        await using TestServer server = await TlsKit.StartAsync(cert, key);
        using ClientWebSocket bystander = await server.ConnectWssAsync(certificates);
        await bystander.AssertEchoesAsync("before");

        byte[] garbage = kind == "random"
            ? [.. Enumerable.Range(0, 600).Select(i => (byte)(i * 131 + 7))]
            : System.Text.Encoding.ASCII.GetBytes(RawClient.UpgradeRequest());
        await using RawClient attacker = await RawClient.ConnectAsync(server.TlsPort());
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await attacker.SendAsync(garbage);

        // Whatever comes back is at most a TLS alert, never an HTTP answer; then the end, long before the
        // handshake timeout (10 s) would have come.
        (byte[] answer, _) = await attacker.ReadToEndAsync(TimeSpan.FromSeconds(5));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"ended after {clock.Elapsed}");
        Assert.True(answer.Length == 0 || answer[0] == 0x15, $"answered {Convert.ToHexString(answer)}");

        Assert.True(await server.Log.WaitForAsync("TLS handshake with"), "no log line for the broken handshake");
        Assert.Equal(1, server.Server.Counters.TlsHandshakeFailures);
        using (var http = new HttpClient())
        {
            Assert.Contains("\nwsfast_tls_handshake_failures_total 1\n", await http.GetStringAsync(server.Http("/metrics")), StringComparison.Ordinal);
        }

        await bystander.AssertEchoesAsync("after");
        Assert.True(await WaitForAsync(() => server.Server.ConnectionCount == 1), $"{server.Server.ConnectionCount} connections held");
    }

    [Fact]
    public async Task A_client_with_no_protocol_version_in_common_is_refused()
    {
        using TestCertificates certificates = TestCertificates.Create();
        (string cert, string key) = certificates.WriteServerCertificate("server", "localhost");
        await using TestServer server = await TlsKit.StartAsync(cert, key, options => options.Tls!.Protocols = SslProtocols.Tls13);

        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, server.TlsPort());
        using var ssl = new SslStream(tcp.GetStream());
        await Assert.ThrowsAnyAsync<Exception>(() => ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            EnabledSslProtocols = SslProtocols.Tls12,
            RemoteCertificateValidationCallback = (_, c, _, e) => certificates.Validate(c, e),
        }));
        Assert.True(await WaitForAsync(() => server.Server.Counters.TlsHandshakeFailures == 1), "the failure was not counted");
    }

    internal static async Task<bool> WaitForAsync(Func<bool> condition)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!condition() && clock.Elapsed < TimeSpan.FromSeconds(5))
        {
            await Task.Delay(10);
        }

        return condition();
    }
}
