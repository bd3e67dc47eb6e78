using System.Net.WebSockets;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using WsFast.Tests.Server;
using WsFast.Tests.Support;

namespace WsFast.Tests.Tls;

/// <summary>
/// The executable with <c>--tls-port</c> beside <c>--port</c>: the demo page, Server-Sent Events, publishing and
/// WebSockets over TLS, a certificate per host name (<c>--tls-sni</c>), and a renewal on SIGHUP.
/// </summary>
public class ExecutableTlsTests
{
    private const int SIGHUP = 1;

    [Fact]
    public async Task The_page_an_event_stream_a_publish_and_wss_work_over_TLS_beside_plain_HTTP()
    {
        using TestCertificates certificates = TestCertificates.Create();
        (string cert, string key) = certificates.WriteServerCertificate("server", "localhost");
        (string otherCert, string otherKey) = certificates.WriteServerCertificate("other", "other.test", "other.test");
        await using ServerProcess server = await ServerProcess.StartAsync(
            ["--tls-port", "0", "--tls-cert", cert, "--tls-key", key, "--tls-sni", $"other.test={otherCert},{otherKey}", "--mode", "broadcast"]);
        Assert.NotEqual(0, server.TlsPort);
        string https = $"https://localhost:{server.TlsPort}";
        using HttpClient http = TlsBroadcastTests.Https(certificates);

        string page = await http.GetStringAsync($"{https}/");
        Assert.Contains("<html", page, StringComparison.OrdinalIgnoreCase);
        using (var plain = new HttpClient())
        {
            Assert.Equal(page, await plain.GetStringAsync(server.Http("/")));
        }

        using var ws = new ClientWebSocket();
        ws.Options.RemoteCertificateValidationCallback = (_, c, _, e) => certificates.Validate(c, e);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await ws.ConnectAsync(new Uri($"wss://localhost:{server.TlsPort}/broadcast/news"), timeout.Token);

        using HttpResponseMessage events = await http.GetAsync($"{https}/sse/news", HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        Assert.Equal("text/event-stream", events.Content.Headers.ContentType?.MediaType);
        using var stream = new StreamReader(await events.Content.ReadAsStreamAsync(timeout.Token), Encoding.UTF8);

        using HttpResponseMessage published = await http.PostAsync($"{https}/publish/news", new StringContent("over TLS"), timeout.Token);
        Assert.True(published.IsSuccessStatusCode, $"publish answered {published.StatusCode}");

        Assert.Equal("over TLS", await TlsBroadcastTests.ReceiveTextAsync(ws));
        string? line;
        while ((line = await stream.ReadLineAsync(timeout.Token)) is not null && !line.StartsWith("data:", StringComparison.Ordinal))
        {
        }

        Assert.Equal("data: over TLS", line);
        Assert.Equal("CN=other.test", (await TlsKit.HandshakeAsync(server.TlsPort, "other.test")).Certificate.Subject);
    }

    [Fact]
    public async Task SIGHUP_reloads_the_certificate_and_open_connections_continue()
    {
        using TestCertificates certificates = TestCertificates.Create();
        (string cert, string key) = certificates.WriteServerCertificate("server", "first");
        await using ServerProcess server = await ServerProcess.StartAsync(["--tls-port", "0", "--tls-cert", cert, "--tls-key", key]);
        using var ws = new ClientWebSocket();
        ws.Options.RemoteCertificateValidationCallback = (_, c, _, e) => certificates.Validate(c, e);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await ws.ConnectAsync(new Uri($"wss://localhost:{server.TlsPort}/echo"), timeout.Token);
        Assert.Equal("CN=first", await ReloadTests.SubjectAsync(server.TlsPort));

        certificates.WriteServerCertificate("server", "second");
        Assert.Equal(0, Kill(server.Id, SIGHUP));

        Assert.True(await ReloadTests.WaitForSubjectAsync(server.TlsPort, "CN=second"), "the new certificate was not picked up");
        await ws.AssertEchoesAsync("still open");
    }

    [Fact]
    public async Task A_PFX_file_with_its_password_from_the_environment_serves_wss_and_a_wrong_password_stops_the_start()
    {
        using TestCertificates certificates = TestCertificates.Create();
        using (X509Certificate2 issued = certificates.IssueServerCertificate("pfx.localhost", out ECDsa key, "localhost"))
        using (key)
        {
            File.WriteAllBytes(Path.Combine(certificates.Folder, "server.pfx"), issued.Export(X509ContentType.Pkcs12, "pfx-secret"));
        }

        string pfx = Path.Combine(certificates.Folder, "server.pfx");
        await using (ServerProcess server = await ServerProcess.StartAsync(["--tls-port", "0", "--tls-pfx", pfx], ("WSFAST_TLS_PFX_PASSWORD", "pfx-secret")))
        {
            Assert.Equal("CN=pfx.localhost", (await TlsKit.HandshakeAsync(server.TlsPort, "localhost")).Certificate.Subject);
            using var ws = new ClientWebSocket();
            ws.Options.RemoteCertificateValidationCallback = (_, c, _, e) => certificates.Validate(c, e);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await ws.ConnectAsync(new Uri($"wss://localhost:{server.TlsPort}/echo"), timeout.Token);
            await ws.AssertEchoesAsync("from a PFX");
        }

        (int exitCode, _, string stderr) = await InteropTests.RunAsync(
            "dotnet", [ServerProcess.ExecutablePath(), "--port", "0", "--tls-port", "0", "--tls-pfx", pfx], Path.GetTempPath(), ("WSFAST_TLS_PFX_PASSWORD", "wrong"));
        Assert.NotEqual(0, exitCode);
        Assert.Contains("server.pfx", stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--tls-port", "0")]
    [InlineData("--tls-cert", "cert.pem")]
    public async Task TLS_flags_without_their_partner_are_refused_at_start(string flag, string value)
    {
        (int exitCode, _, string stderr) = await InteropTests.RunAsync("dotnet", [ServerProcess.ExecutablePath(), "--port", "0", flag, value], Path.GetTempPath());
        Assert.Equal(2, exitCode);
        Assert.Contains("--tls-", stderr, StringComparison.Ordinal);
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
