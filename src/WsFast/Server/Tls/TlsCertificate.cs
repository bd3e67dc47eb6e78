using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace WsFast;

/// <summary>
/// Where a server certificate and its private key come from: PEM files, a PFX (PKCS#12) file, or a certificate
/// already loaded. Files are read when the server starts and again on every reload.
/// </summary>
public sealed class TlsCertificate
{
    private readonly string? _certificatePath;
    private readonly string? _keyPath;
    private readonly string? _pfxPath;
    private readonly string? _password;
    private readonly X509Certificate2? _certificate;

    private TlsCertificate(string? certificatePath, string? keyPath, string? pfxPath, string? password, X509Certificate2? certificate)
    {
        _certificatePath = certificatePath;
        _keyPath = keyPath;
        _pfxPath = pfxPath;
        _password = password;
        _certificate = certificate;
    }

    /// <summary>
    /// A certificate in PEM: <paramref name="certificatePath"/> holds the certificate, then any intermediate
    /// certificates of its chain (sent to clients with it); <paramref name="keyPath"/> its private key (PKCS#8,
    /// PKCS#1 or SEC1), or null when the key is in the certificate file too.
    /// </summary>
    public static TlsCertificate FromPemFiles(string certificatePath, string? keyPath = null) => FromPemFiles(certificatePath, keyPath, password: null);

    /// <summary>A certificate in PEM whose private key may be encrypted with <paramref name="password"/> (PKCS#8).</summary>
    internal static TlsCertificate FromPemFiles(string certificatePath, string? keyPath, string? password)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(certificatePath);
        return new TlsCertificate(Path.GetFullPath(certificatePath), keyPath is null ? null : Path.GetFullPath(keyPath), null, password, null);
    }

    /// <summary>
    /// A PFX (PKCS#12) file holding the certificate with its private key, and any intermediate certificates.
    /// </summary>
    public static TlsCertificate FromPfxFile(string path, string? password = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        return new TlsCertificate(null, null, Path.GetFullPath(path), password, null);
    }

    /// <summary>A certificate already loaded, with its private key; a reload keeps it as it is.</summary>
    public static TlsCertificate FromCertificate(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        if (!certificate.HasPrivateKey)
        {
            throw new ArgumentException("The certificate has no private key.", nameof(certificate));
        }

        return new TlsCertificate(null, null, null, null, certificate);
    }

    /// <summary>The files read, for the file watch.</summary>
    internal IEnumerable<string> Files
    {
        get
        {
            foreach (string? path in (string?[])[_certificatePath, _keyPath, _pfxPath])
            {
                if (path is not null)
                {
                    yield return path;
                }
            }
        }
    }

    /// <summary>The files it is read from, or the certificate's subject.</summary>
    public override string ToString() =>
        _pfxPath ?? (_certificatePath is null ? _certificate!.Subject : _keyPath is null ? _certificatePath : $"{_certificatePath} + {_keyPath}");

    /// <summary>
    /// Reads the certificate and builds what handshakes use: the certificate context, with its chain built once
    /// here rather than per handshake.
    /// </summary>
    /// <exception cref="InvalidOperationException">The files could not be read or do not hold a certificate and its key.</exception>
    internal SslStreamCertificateContext Load()
    {
        try
        {
            (X509Certificate2 leaf, X509Certificate2Collection chain) = _pfxPath is not null ? ReadPfx(_pfxPath, _password)
                : _certificatePath is not null ? ReadPem(_certificatePath, _keyPath, _password)
                : (_certificate!, []);

            // offline: intermediates come from the file or the system's store, never fetched over the network.
            return SslStreamCertificateContext.Create(leaf, chain, offline: true);
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            throw new InvalidOperationException($"TLS certificate {this}: {e.Message}", e);
        }
    }

    private static (X509Certificate2 Leaf, X509Certificate2Collection Chain) ReadPem(string certificatePath, string? keyPath, string? password)
    {
        X509Certificate2 leaf = password is null
            ? X509Certificate2.CreateFromPemFile(certificatePath, keyPath)
            : X509Certificate2.CreateFromEncryptedPemFile(certificatePath, password, keyPath);
        if (OperatingSystem.IsWindows())
        {
            // Windows' TLS needs the key in a key store, not the ephemeral one a PEM import makes.
            X509Certificate2 ephemeral = leaf;
            leaf = X509CertificateLoader.LoadPkcs12(ephemeral.Export(X509ContentType.Pkcs12), null);
            ephemeral.Dispose();
        }

        var all = new X509Certificate2Collection();
        all.ImportFromPemFile(certificatePath);
        var chain = new X509Certificate2Collection();
        for (int i = 1; i < all.Count; i++)
        {
            chain.Add(all[i]);
        }

        return (leaf, chain);
    }

    private static (X509Certificate2 Leaf, X509Certificate2Collection Chain) ReadPfx(string path, string? password)
    {
        X509Certificate2Collection all = X509CertificateLoader.LoadPkcs12CollectionFromFile(path, password);
        X509Certificate2? leaf = null;
        var chain = new X509Certificate2Collection();
        foreach (X509Certificate2 certificate in all)
        {
            if (leaf is null && certificate.HasPrivateKey)
            {
                leaf = certificate;
            }
            else
            {
                chain.Add(certificate);
            }
        }

        return leaf is null ? throw new CryptographicException("No certificate in the file has a private key.") : (leaf, chain);
    }
}
