using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using WsFast.Server;
using WsFast.Tests.Server;

namespace WsFast.Tests.Tls;

/// <summary>
/// Server Name Indication (RFC 6066 section 3): the certificate is chosen by the host name in the client's
/// hello: an exact name, then a wildcard one label deep, then the default certificate.
/// </summary>
public class SniTests
{
    [Fact]
    public async Task The_certificate_is_chosen_by_the_host_name_the_client_asks_for()
    {
        using TestCertificates certificates = TestCertificates.Create();
        (string defaultCert, string defaultKey) = certificates.WriteServerCertificate("default", "default", "localhost");
        (string aCert, string aKey) = certificates.WriteServerCertificate("a", "a.test", "a.test");
        (string wildCert, string wildKey) = certificates.WriteServerCertificate("wild", "wild.example.test", "*.example.test");
        await using TestServer server = await TlsKit.StartAsync(defaultCert, defaultKey, options =>
        {
            options.Tls!.HostCertificates["A.TEST"] = TlsCertificate.FromPemFiles(aCert, aKey);
            options.Tls.HostCertificates["*.example.test"] = TlsCertificate.FromPemFiles(wildCert, wildKey);
        });

        Assert.Equal("CN=a.test", await SubjectForAsync(server, "a.test"));
        Assert.Equal("CN=wild.example.test", await SubjectForAsync(server, "one.example.test"));
        Assert.Equal("CN=default", await SubjectForAsync(server, "deeper.one.example.test"));
        Assert.Equal("CN=default", await SubjectForAsync(server, "localhost"));
        Assert.Equal("CN=default", await SubjectForAsync(server, "b.test"));
    }

    private static async Task<string> SubjectForAsync(TestServer server, string host)
    {
        (SslStream stream, X509Certificate2 certificate) = await TlsKit.HandshakeAsync(server.TlsPort(), host);
        await stream.DisposeAsync();
        return certificate.Subject;
    }
}
