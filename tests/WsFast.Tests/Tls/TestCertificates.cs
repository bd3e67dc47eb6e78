using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace WsFast.Tests.Tls;

/// <summary>
/// A certificate authority made for one test, and server certificates it signs, written as PEM files to a
/// temporary folder (deleted on dispose) for the server, the executable and the clients.
/// </summary>
internal sealed class TestCertificates : IDisposable
{
    private readonly ECDsa _caKey;

    private TestCertificates(string folder, X509Certificate2 ca, ECDsa caKey)
    {
        Folder = folder;
        Ca = ca;
        _caKey = caKey;
        CaPath = Path.Combine(folder, "ca.pem");
        File.WriteAllText(CaPath, ca.ExportCertificatePem());
    }

    /// <summary>The folder holding the files.</summary>
    public string Folder { get; }

    /// <summary>The authority (public part only).</summary>
    public X509Certificate2 Ca { get; }

    /// <summary>The authority's certificate as a PEM file, for clients to trust.</summary>
    public string CaPath { get; }

    /// <summary>A new authority in a new folder.</summary>
    public static TestCertificates Create()
    {
        string folder = Path.Combine(Path.GetTempPath(), "wsfast-tls-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=WsFast Test CA", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        using X509Certificate2 withKey = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        X509Certificate2 ca = X509CertificateLoader.LoadCertificate(withKey.RawData);
        return new TestCertificates(folder, ca, key);
    }

    /// <summary>
    /// A server certificate signed by the authority, with the subject <c>CN=<paramref name="commonName"/></c>, for
    /// <paramref name="dnsNames"/> (default: localhost) and 127.0.0.1, written to <c>{fileName}.crt</c> and
    /// <c>{fileName}.key</c>. Files of the same name are replaced.
    /// </summary>
    public (string CertificatePath, string KeyPath) WriteServerCertificate(string fileName, string commonName, params string[] dnsNames)
    {
        using X509Certificate2 certificate = IssueServerCertificate(commonName, out ECDsa key, dnsNames);
        string certificatePath = Path.Combine(Folder, fileName + ".crt");
        string keyPath = Path.Combine(Folder, fileName + ".key");
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        File.WriteAllText(certificatePath, certificate.ExportCertificatePem());
        key.Dispose();
        return (certificatePath, keyPath);
    }

    /// <summary>A server certificate with its private key, in memory.</summary>
    public X509Certificate2 IssueServerCertificate(string commonName, out ECDsa key, params string[] dnsNames)
    {
        key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={commonName}", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        foreach (string name in dnsNames.Length == 0 ? ["localhost"] : dnsNames)
        {
            names.AddDnsName(name);
        }

        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Ca, true, false));
        byte[] serial = RandomNumberGenerator.GetBytes(12);
        serial[0] &= 0x7F;
        using X509Certificate2 issued = request.Create(Ca.SubjectName, X509SignatureGenerator.CreateForECDsa(_caKey),
            DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(7), serial);
        return issued.CopyWithPrivateKey(key);
    }

    /// <summary>
    /// A client's check of a server certificate against this authority alone (not the system's roots), names
    /// included.
    /// </summary>
    public bool Validate(X509Certificate? certificate, SslPolicyErrors errors)
    {
        if (certificate is null || (errors & (SslPolicyErrors.RemoteCertificateNameMismatch | SslPolicyErrors.RemoteCertificateNotAvailable)) != 0)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(Ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
    }

    public void Dispose()
    {
        _caKey.Dispose();
        Ca.Dispose();
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
