using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace WsFast.Server;

/// <summary>
/// Listen addresses written as URLs (<see cref="WsFastServerOptions.Urls"/>), as Kestrel's <c>Urls</c>:
/// <c>scheme://host:port</c>. The scheme is <c>http</c> or <c>ws</c> (plain) or <c>https</c> or <c>wss</c> (TLS); the
/// host is <c>*</c> or <c>+</c> (every address of both families), <c>localhost</c> (the loopback addresses of both
/// families), or a literal address (<c>0.0.0.0</c>, <c>[::]</c>, <c>127.0.0.1</c>, <c>[::1]</c>); the port defaults
/// to the scheme's (80, 443), and 0 picks a free one.
/// </summary>
/// <remarks>
/// What a URL cannot mean here is refused rather than half-honoured: a path (the server serves the paths it maps
/// on every address), a host name other than <c>localhost</c> (a listener binds addresses; names are for
/// <see cref="WsFastServerOptions.AllowedHosts"/>), and port 0 on a host of two addresses (each socket would pick
/// a different port).
/// </remarks>
internal static class ListenUrls
{
    /// <summary>Reads <paramref name="url"/>; false with <paramref name="problem"/> saying why when it cannot be listened on.</summary>
    public static bool TryParse(string? url, out bool secure, out IPEndPoint[] endPoints, out string? problem)
    {
        secure = false;
        endPoints = [];
        string text = url?.Trim() ?? "";
        int separator = text.IndexOf("://", StringComparison.Ordinal);
        if (separator <= 0)
        {
            problem = "is not a URL such as http://0.0.0.0:8080 or https://*:8443";
            return false;
        }

        string scheme = text[..separator].ToLowerInvariant();
        if (scheme is "https" or "wss")
        {
            secure = true;
        }
        else if (scheme is not ("http" or "ws"))
        {
            problem = $"has the scheme '{scheme}': it must be http or https (ws and wss mean the same)";
            return false;
        }

        string authority = text[(separator + 3)..];
        if (authority.EndsWith('/'))
        {
            authority = authority[..^1];
        }

        if (authority.IndexOfAny(['/', '?', '#']) >= 0)
        {
            problem = "has a path: the server serves the paths it maps on every address it listens on, so a listen URL is scheme://host:port";
            return false;
        }

        string host;
        string? portText = null;
        if (authority.StartsWith('['))
        {
            int close = authority.IndexOf(']');
            if (close < 0 || (close + 1 < authority.Length && authority[close + 1] != ':'))
            {
                problem = "has an IPv6 address without its closing bracket, e.g. http://[::1]:8080";
                return false;
            }

            host = authority[..(close + 1)];
            portText = close + 1 < authority.Length ? authority[(close + 2)..] : null;
        }
        else
        {
            int colon = authority.IndexOf(':');
            if (colon >= 0 && authority.IndexOf(':', colon + 1) >= 0)
            {
                problem = "has an IPv6 address without brackets: write it as http://[::1]:8080";
                return false;
            }

            host = colon < 0 ? authority : authority[..colon];
            portText = colon < 0 ? null : authority[(colon + 1)..];
        }

        int port = secure ? 443 : 80;
        if (portText is not null && (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out port) || port > 65535))
        {
            problem = $"has the port '{portText}': a port is a number from 0 (any free port) to 65535";
            return false;
        }

        IPAddress[] addresses;
        if (host is "*" or "+")
        {
            addresses = Socket.OSSupportsIPv6 ? [IPAddress.Any, IPAddress.IPv6Any] : [IPAddress.Any];
        }
        else if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase))
        {
            addresses = Socket.OSSupportsIPv6 ? [IPAddress.Loopback, IPAddress.IPv6Loopback] : [IPAddress.Loopback];
        }
        else if (IPAddress.TryParse(host, out IPAddress? address) && (host.StartsWith('[') || address.AddressFamily == AddressFamily.InterNetwork))
        {
            addresses = [address];
        }
        else
        {
            problem = host.Length == 0
                ? "has no host: use * (every address), localhost, or an IP address"
                : $"has the host '{host}': a server listens on addresses, so the host is *, localhost or an IP address (host names to answer to go in AllowedHosts)";
            return false;
        }

        if (port == 0 && addresses.Length > 1)
        {
            problem = $"has port 0 on '{host}', which is {addresses.Length} addresses: each would pick a different port; give a port, or one address such as {(host == "localhost" ? "127.0.0.1" : "0.0.0.0")}";
            return false;
        }

        endPoints = new IPEndPoint[addresses.Length];
        for (int i = 0; i < addresses.Length; i++)
        {
            endPoints[i] = new IPEndPoint(addresses[i], port);
        }

        problem = null;
        return true;
    }

    /// <summary>
    /// The addresses to listen on without and with TLS: <see cref="WsFastServerOptions.Endpoints"/> and
    /// <see cref="TlsOptions.Endpoints"/>, then those of the URLs. Without any, 127.0.0.1:8080 without TLS, unless
    /// TLS is configured. Call it on validated options: a URL that does not parse is skipped.
    /// </summary>
    public static (IPEndPoint[] Plain, IPEndPoint[] Secure) Resolve(WsFastServerOptions options)
    {
        var plain = new List<IPEndPoint>(options.Endpoints);
        var secure = new List<IPEndPoint>();
        if (options.Tls is { } tls)
        {
            secure.AddRange(tls.Endpoints);
        }

        foreach (string url in options.Urls)
        {
            if (TryParse(url, out bool isSecure, out IPEndPoint[] endPoints, out _))
            {
                (isSecure ? secure : plain).AddRange(endPoints);
            }
        }

        if (plain.Count == 0 && secure.Count == 0 && options.Tls is null)
        {
            plain.Add(new IPEndPoint(IPAddress.Loopback, 8080));
        }

        return ([.. plain], [.. secure]);
    }
}
