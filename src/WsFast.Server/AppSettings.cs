using System.Net;
using Microsoft.Extensions.Configuration;

namespace WsFast.ServerApp;

/// <summary>
/// The executable's own settings, the configuration's <c>Server</c> section: what it serves and how it is
/// reached. The library's options are the <c>WsFast</c> section; <see cref="Apply"/> adds to them what only the
/// executable knows how to make (URLs from host and ports, certificate files, the JWT authorizer).
/// </summary>
internal sealed class AppSettings
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Server";

    public string? Host { get; set; }
    public int? Port { get; set; }
    public int? TlsPort { get; set; }
    public string Mode { get; set; } = "all";
    public string EchoPath { get; set; } = "/echo";
    public string BroadcastPath { get; set; } = "/broadcast";
    public string TickerPath { get; set; } = "/ticker";
    public bool? Relay { get; set; }
    public List<string> SubProtocols { get; } = [];
    public string SlowConsumer { get; set; } = "drop";
    public bool NoDeflate { get; set; }
    public List<string> NoDeflateOn { get; } = [];
    public bool LegacyHixie76 { get; set; }
    public TlsFiles Tls { get; } = new();
    public JwtSettings Jwt { get; } = new();

    /// <summary>Dedicated mode serves topics alone: the broadcast endpoint with its HTTP routes, metrics and the page.</summary>
    public bool Dedicated => Mode == "broadcast";

    public bool ServesEcho => !Dedicated && EchoPath.Length > 0;

    public bool ServesTicker => !Dedicated && TickerPath.Length > 0;

    public bool ServesBroadcast => BroadcastPath.Length > 0 || Dedicated;

    public string BroadcastPathOrDefault => BroadcastPath.Length > 0 ? BroadcastPath : "/broadcast";

    public SlowConsumerPolicy SlowConsumerPolicy => SlowConsumer == "drop" ? SlowConsumerPolicy.Drop : SlowConsumerPolicy.Disconnect;

    /// <summary>Reads and checks the section.</summary>
    /// <exception cref="FormatException">A setting that is not valid, named by its flag and its key.</exception>
    /// <exception cref="InvalidOperationException">A value of the wrong type (the binder names the key).</exception>
    public static AppSettings Read(IConfiguration configuration)
    {
        var settings = new AppSettings();
        configuration.GetSection(Section).Bind(settings);
        settings.Check();
        return settings;
    }

    private void Check()
    {
        if (Mode is not ("all" or "broadcast"))
        {
            throw new FormatException($"mode (Server:Mode) '{Mode}' is neither 'all' nor 'broadcast'");
        }

        if (SlowConsumer is not ("drop" or "disconnect"))
        {
            throw new FormatException($"slow-consumer (Server:SlowConsumer) '{SlowConsumer}' is neither 'drop' nor 'disconnect'");
        }

        List<string> paths = [];
        if (ServesEcho)
        {
            paths.Add(EchoPath);
        }

        if (ServesBroadcast)
        {
            paths.Add(BroadcastPathOrDefault);
        }

        if (ServesTicker)
        {
            paths.Add(TickerPath);
        }

        foreach (string path in NoDeflateOn)
        {
            if (!paths.Contains(path))
            {
                throw new FormatException($"--no-deflate-on (Server:NoDeflateOn) {path}: no WebSocket endpoint at that path (endpoints: {string.Join(", ", paths)})");
            }
        }

        // TLS is on with a TLS port; its certificate settings are required then and refused without it.
        if (TlsPort is null)
        {
            if (Tls.Certificate is not null || Tls.Key is not null || Tls.Pfx is not null || Tls.Sni.Count > 0)
            {
                throw new FormatException("--tls-cert, --tls-key, --tls-pfx and --tls-sni (Server:Tls) need --tls-port (Server:TlsPort)");
            }
        }
        else if ((Tls.Certificate is null) == (Tls.Pfx is null) || (Tls.Key is not null && Tls.Certificate is null))
        {
            throw new FormatException("--tls-port (Server:TlsPort) needs either --tls-cert (Server:Tls:Certificate; with --tls-key unless the key is in the same file) or --tls-pfx (Server:Tls:Pfx)");
        }

        if (Port is < 0 or > 65535 || TlsPort is < 0 or > 65535)
        {
            throw new FormatException($"port (Server:Port, Server:TlsPort) {(Port is < 0 or > 65535 ? Port : TlsPort)} is not between 0 and 65535");
        }

        _ = ListenHosts();
        if (Jwt.ClockSkew is < 0 or > 300 || double.IsNaN(Jwt.ClockSkew))
        {
            throw new FormatException($"jwt-clock-skew (Server:Jwt:ClockSkew) {Jwt.ClockSkew} is not between 0 and 300 seconds");
        }

        if (Jwt.Cookie.Length == 0 || Jwt.Cookie.AsSpan().ContainsAny("=; ,\\\""))
        {
            throw new FormatException($"jwt-cookie (Server:Jwt:Cookie) '{Jwt.Cookie}' is not a cookie name");
        }
    }

    /// <summary>
    /// Sets on <paramref name="options"/> (bound from the <c>WsFast</c> section) what the executable's settings
    /// make: <c>--host</c>, <c>--port</c> and <c>--tls-port</c>, when any is given, as the URLs to listen on in place
    /// of <c>WsFast:Urls</c>; TLS from certificate files; the JWT authorizer; no permessage-deflate with
    /// <c>--no-deflate</c>.
    /// </summary>
    /// <exception cref="FormatException">A TLS SNI entry or a JWT key that is not valid.</exception>
    public void Apply(WsFastServerOptions options)
    {
        if (Host is not null || Port is not null || TlsPort is not null)
        {
            options.Urls.Clear();
            options.Endpoints.Clear();
            foreach (string host in ListenHosts())
            {
                options.Urls.Add($"http://{host}:{Port ?? 8080}");
                if (TlsPort is int tlsPort)
                {
                    options.Urls.Add($"https://{host}:{tlsPort}");
                }
            }
        }

        if (TlsPort is not null)
        {
            options.Tls = Tls.Options();
        }

        if (NoDeflate)
        {
            options.PerMessageDeflate = null;
        }

        if (Jwt.Key is { Length: > 0 } key)
        {
            options.Authorizer = new JwtAuthorizer(JwtKey.Load(key), Jwt.Audience is { Length: > 0 } audience ? audience : null,
                Jwt.Issuer is { Length: > 0 } issuer ? issuer : null, Jwt.Cookie, TimeSpan.FromSeconds(Jwt.ClockSkew));
        }
    }

    // The hosts of the listen URLs: 'any' is every IPv4 and every IPv6 address, 'localhost' the IPv4 loopback.
    private string[] ListenHosts()
    {
        string host = Host ?? "127.0.0.1";
        if (host.Equals("any", StringComparison.OrdinalIgnoreCase))
        {
            return ["0.0.0.0", "[::]"];
        }

        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase))
        {
            return ["127.0.0.1"];
        }

        return IPAddress.TryParse(host.Trim('[', ']'), out IPAddress? address)
            ? [address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{address}]" : address.ToString()]
            : throw new FormatException($"host (Server:Host) '{host}' is not an IP address (or 'any', 'localhost')");
    }

    /// <summary>The certificate files (<c>Server:Tls</c>).</summary>
    internal sealed class TlsFiles
    {
        public string? Certificate { get; set; }
        public string? Key { get; set; }
        public string? Pfx { get; set; }
        public string? PfxPassword { get; set; }
        public List<string> Sni { get; } = [];

        public TlsOptions Options()
        {
            var tls = new TlsOptions
            {
                Certificate = Pfx is not null ? TlsCertificate.FromPfxFile(Pfx, PfxPassword) : TlsCertificate.FromPemFiles(Certificate!, Key),
                WatchCertificateFiles = true,
            };

            // HOST=CERT,KEY. An environment variable or JSON list splits at commas too, so an item without '=' is
            // the key file of the host before it.
            string? lastHost = null;
            string? lastCert = null;
            foreach (string item in Sni)
            {
                int equals = item.IndexOf('=');
                string[] parts = equals < 0 ? [item] : item[(equals + 1)..].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
                if (equals < 0 && lastHost is not null && lastCert is not null)
                {
                    tls.HostCertificates[lastHost] = TlsCertificate.FromPemFiles(lastCert, item.Trim());
                    lastHost = null;
                    continue;
                }

                if (equals <= 0 || parts.Length is 0 or > 2)
                {
                    throw new FormatException($"--tls-sni (Server:Tls:Sni) '{item}' is not HOST=CERTFILE[,KEYFILE]");
                }

                lastHost = item[..equals].Trim();
                lastCert = parts[0];
                tls.HostCertificates[lastHost] = TlsCertificate.FromPemFiles(parts[0], parts.Length == 2 ? parts[1] : null);
                if (parts.Length == 2)
                {
                    lastHost = null;
                }
            }

            return tls;
        }
    }

    /// <summary>JWT authentication (<c>Server:Jwt</c>); no key, no authentication.</summary>
    internal sealed class JwtSettings
    {
        public string? Key { get; set; }
        public string? Audience { get; set; }
        public string? Issuer { get; set; }
        public string Cookie { get; set; } = "wsfast_token";
        public double ClockSkew { get; set; } = 5;
    }
}
