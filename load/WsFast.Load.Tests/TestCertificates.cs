using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace WsFast.Load.Tests;

/// <summary>
/// A CA of the test's own and a server certificate it signs (ECDSA P-256, valid for a day), kept in memory and
/// written as PEM files into a temporary folder (ca.pem, server.pem, server.key: what load/tls/make-cert.sh writes
/// and the servers' --tls-cert / --tls-key take); the folder is deleted on dispose.
/// </summary>
internal sealed class TestCertificates : IDisposable
{
    private TestCertificates(string folder, X509Certificate2 server)
    {
        Folder = folder;
        Server = server;
    }

    /// <summary>The folder of the PEM files.</summary>
    public string Folder { get; }

    /// <summary>The CA certificate, PEM: what a client given <c>--ca</c> trusts.</summary>
    public string CaFile => Path.Combine(Folder, "ca.pem");

    /// <summary>The server certificate alone, PEM.</summary>
    public string CertificateFile => Path.Combine(Folder, "server.pem");

    /// <summary>The server certificate's private key, PKCS#8 PEM.</summary>
    public string KeyFile => Path.Combine(Folder, "server.key");

    /// <summary>The server certificate with its private key, for an in-test TLS server.</summary>
    public X509Certificate2 Server { get; }

    /// <summary>
    /// Makes a CA and a server certificate for <paramref name="dnsName"/> and, when <paramref name="withLoopback"/>,
    /// 127.0.0.1 (what the clients connect to).
    /// </summary>
    public static TestCertificates Create(string dnsName = "localhost", bool withLoopback = true)
    {
        DateTimeOffset now = DateTimeOffset.UtcNow;
        using ECDsa caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=WsFast load test CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: true, pathLengthConstraint: 0, critical: true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, critical: true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, critical: false));
        using X509Certificate2 ca = caRequest.CreateSelfSigned(now.AddHours(-1), now.AddDays(1));

        using ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={dnsName}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: false, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false)); // serverAuth
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(dnsName);
        if (withLoopback)
        {
            names.AddIpAddress(IPAddress.Loopback);
        }

        request.CertificateExtensions.Add(names.Build());
        using X509Certificate2 leaf = request.Create(ca, now.AddHours(-1), now.AddDays(1), RandomNumberGenerator.GetBytes(16));

        string folder = Path.Combine(Path.GetTempPath(), "wsfast-load-tls-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "ca.pem"), ca.ExportCertificatePem());
        File.WriteAllText(Path.Combine(folder, "server.pem"), leaf.ExportCertificatePem());
        File.WriteAllText(Path.Combine(folder, "server.key"), key.ExportPkcs8PrivateKeyPem());
        return new TestCertificates(folder, leaf.CopyWithPrivateKey(key));
    }

    public void Dispose()
    {
        Server.Dispose();
        Directory.Delete(Folder, recursive: true);
    }
}
