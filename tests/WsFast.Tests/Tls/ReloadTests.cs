using System.Net.Security;
using System.Net.WebSockets;
using System.Security.Cryptography.X509Certificates;
using WsFast.Tests.Server;

namespace WsFast.Tests.Tls;

/// <summary>
/// Certificate renewal without a restart: the files are replaced, then read again (on request or when they
/// change); new handshakes get the new certificate, open connections go on, and files that cannot be read
/// leave the certificate in use in place.
/// </summary>
public class ReloadTests
{
    [Fact]
    public async Task After_a_reload_new_connections_get_the_new_certificate_and_open_ones_continue()
    {
        using TestCertificates certificates = TestCertificates.Create();
        (string cert, string key) = certificates.WriteServerCertificate("server", "before");
        await using TestServer server = await TlsKit.StartAsync(cert, key);
        using ClientWebSocket open = await server.ConnectWssAsync(certificates);
        Assert.Equal("CN=before", await SubjectAsync(server.TlsPort()));

        certificates.WriteServerCertificate("server", "after");
        Assert.Equal("CN=before", await SubjectAsync(server.TlsPort()));
        server.Server.ReloadCertificates();

        Assert.Equal("CN=after", await SubjectAsync(server.TlsPort()));
        await open.AssertEchoesAsync("the open connection continues");
        using ClientWebSocket renewed = await server.ConnectWssAsync(certificates);
        await renewed.AssertEchoesAsync("a new connection works");
    }

    [Fact]
    public async Task A_failed_reload_says_why_and_keeps_the_certificate_in_use()
    {
        using TestCertificates certificates = TestCertificates.Create();
        (string cert, string key) = certificates.WriteServerCertificate("server", "kept");
        await using TestServer server = await TlsKit.StartAsync(cert, key);

        // Half-way through a renewal: a new certificate, the old key.
        string oldKey = File.ReadAllText(key);
        certificates.WriteServerCertificate("server", "mismatched");
        File.WriteAllText(key, oldKey);
        InvalidOperationException failure = Assert.Throws<InvalidOperationException>(server.Server.ReloadCertificates);
        Assert.Contains(cert, failure.Message, StringComparison.Ordinal);
        Assert.True(server.Log.Contains("TLS certificates not reloaded"), "the failure was not logged");

        File.WriteAllText(cert, "not a certificate");
        Assert.Throws<InvalidOperationException>(server.Server.ReloadCertificates);

        Assert.Equal("CN=kept", await SubjectAsync(server.TlsPort()));
    }

    [Fact]
    public async Task With_the_file_watch_replaced_files_are_read_without_being_asked()
    {
        using TestCertificates certificates = TestCertificates.Create();
        (string cert, string key) = certificates.WriteServerCertificate("server", "watched-before");
        await using TestServer server = await TlsKit.StartAsync(cert, key, options => options.Tls!.WatchCertificateFiles = true);
        Assert.Equal("CN=watched-before", await SubjectAsync(server.TlsPort()));

        certificates.WriteServerCertificate("server", "watched-after");
        Assert.True(await WaitForSubjectAsync(server.TlsPort(), "CN=watched-after"), "the new certificate was not picked up");
    }

    internal static async Task<string> SubjectAsync(int port)
    {
        (SslStream stream, X509Certificate2 certificate) = await TlsKit.HandshakeAsync(port, "localhost");
        await stream.DisposeAsync();
        return certificate.Subject;
    }

    // The watch reloads half a second after the last change; a few seconds are plenty.
    internal static async Task<bool> WaitForSubjectAsync(int port, string subject)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(5))
        {
            if (await SubjectAsync(port) == subject)
            {
                return true;
            }

            await Task.Delay(100);
        }

        return false;
    }
}
