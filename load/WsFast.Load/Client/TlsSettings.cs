using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace WsFast.Load.Client;

/// <summary>
/// How the load tool's clients check the server over TLS: against a CA of their own (a PEM file, such as the one
/// <c>load/tls/make-cert.sh</c> writes), against the system's trust store, or not at all (benchmarking only).
/// </summary>
/// <remarks>
/// Every client makes a full handshake: session resumption is off, since the clients of a load run stand for
/// distinct browsers, each meeting the server for the first time. The clients offer ALPN <c>http/1.1</c> only, as
/// browsers do for a WebSocket's connection.
/// </remarks>
public static class TlsSettings
{
    /// <summary>
    /// Client options for a server named <paramref name="targetHost"/> (a name or an IP address, checked against
    /// the certificate's subject alternative names): trusting only the certificates of <paramref name="caFile"/>
    /// when given, none checked at all when <paramref name="skipVerify"/>, else the system's roots.
    /// </summary>
    /// <exception cref="FormatException">The CA file cannot be read or holds no certificate.</exception>
    public static SslClientAuthenticationOptions ClientOptions(string targetHost, string? caFile, bool skipVerify)
    {
        var options = new SslClientAuthenticationOptions
        {
            TargetHost = targetHost,
            AllowTlsResume = false,
            ApplicationProtocols = [SslApplicationProtocol.Http11],
        };
        if (skipVerify)
        {
            options.RemoteCertificateValidationCallback = static (_, _, _, _) => true;
        }
        else if (caFile is not null)
        {
            options.CertificateChainPolicy = TrustOnly(caFile);
        }

        return options;
    }

    /// <summary>A chain policy that trusts the certificates of the PEM file <paramref name="caFile"/> and nothing else.</summary>
    /// <exception cref="FormatException">The file cannot be read or holds no certificate.</exception>
    public static X509ChainPolicy TrustOnly(string caFile)
    {
        var roots = new X509Certificate2Collection();
        try
        {
            roots.ImportFromPemFile(caFile);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException)
        {
            throw new FormatException($"--ca: cannot read the CA certificate '{caFile}': {e.Message}", e);
        }

        if (roots.Count == 0)
        {
            throw new FormatException($"--ca: '{caFile}' holds no PEM certificate.");
        }

        var policy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            // A test CA publishes no revocation lists; a production one is not what a load run is for.
            RevocationMode = X509RevocationMode.NoCheck,
        };
        policy.CustomTrustStore.AddRange(roots);
        return policy;
    }
}
