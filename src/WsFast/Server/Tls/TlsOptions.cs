using System.Net;
using System.Security.Authentication;
using WsFast.Server;

namespace WsFast;

/// <summary>
/// TLS (<c>wss://</c> and <c>https://</c>) on endpoints of their own, beside or instead of the plain ones: the
/// certificates, chosen by the name the client asks for (SNI), and the protocol versions.
/// </summary>
/// <example>
/// <code>
/// options.Tls = new TlsOptions { Certificate = TlsCertificate.FromPemFiles("cert.pem", "key.pem") };
/// options.Tls.Endpoints.Add(new IPEndPoint(IPAddress.Any, 443));
/// </code>
/// </example>
public sealed class TlsOptions
{
    /// <summary>
    /// Addresses to listen on with TLS, beside the <c>https</c> ones of <see cref="WsFastServerOptions.Urls"/>;
    /// together, at least one.
    /// </summary>
    public List<IPEndPoint> Endpoints { get; } = [];

    /// <summary>
    /// The certificate for clients that name no host (no SNI) or a host without a certificate of its own in
    /// <see cref="HostCertificates"/>. Required.
    /// </summary>
    public TlsCertificate? Certificate { get; set; }

    /// <summary>
    /// Certificates by the host name a client asks for in its hello (SNI), case-insensitive: an exact name
    /// (<c>api.example.com</c>) first, then a wildcard (<c>*.example.com</c>, one label deep, as a wildcard
    /// certificate covers), then <see cref="Certificate"/>.
    /// </summary>
    public Dictionary<string, TlsCertificate> HostCertificates { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The TLS versions offered: TLS 1.2, TLS 1.3 or both (the default).</summary>
    public SslProtocols Protocols { get; set; } = SslProtocols.Tls12 | SslProtocols.Tls13;

    /// <summary>
    /// Whether the certificate files are watched, and re-read (<see cref="WsFastServer.ReloadCertificates"/>) half a
    /// second after the last change in their folders, for renewals without a restart. Default false.
    /// </summary>
    public bool WatchCertificateFiles { get; set; }

    internal void Check(OptionsCheck check)
    {
        if (Certificate is null)
        {
            check.Fail(nameof(Certificate), "is required: the certificate for clients that name no host (or one without a certificate of its own)");
        }

        const SslProtocols Supported = SslProtocols.Tls12 | SslProtocols.Tls13;
        if (Protocols == SslProtocols.None || (Protocols & ~Supported) != 0)
        {
            check.Fail(nameof(Protocols), $"must be TLS 1.2, TLS 1.3 or both (was {Protocols})");
        }

        foreach (string host in HostCertificates.Keys)
        {
            if (host.Length == 0 || host.Contains('*', StringComparison.Ordinal) && (!host.StartsWith("*.", StringComparison.Ordinal) || host.LastIndexOf('*') != 0))
            {
                check.Fail(nameof(HostCertificates), $"has '{host}', which is neither a host name nor a wildcard of the form *.example.com");
            }
        }
    }
}
