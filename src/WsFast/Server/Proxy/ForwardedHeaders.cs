using System.Net;
using WsFast.Protocol;

namespace WsFast.Server;

/// <summary>
/// Who the client is behind trusted proxies (<see cref="WsFastServerOptions.TrustedProxies"/>): its address from
/// <c>Forwarded</c> (RFC 7239) or else <c>X-Forwarded-For</c>, and its scheme from the same element's
/// <c>proto=</c> or else <c>X-Forwarded-Proto</c>. The headers are read only when the socket's peer is trusted: a
/// client talking to the server directly could write anything in them.
/// </summary>
/// <remarks>
/// <para>Each proxy appends the address it received the request from, so the list is walked from the right: an
/// address that is itself a trusted proxy passes the question on to the element at its left, the first that is
/// not is the client; the leftmost stands when all are trusted. Addresses further left are the client's own
/// claims, which anyone can forge, and are never used.</para>
/// <para>A node a proxy could not name (<c>unknown</c>, an obfuscated <c>_name</c>, an element without
/// <c>for=</c>) ends the walk at the proxy that wrote it: the client is counted as that proxy's address.</para>
/// <para>A malformed header from a trusted proxy makes the request fail with 400 rather than be guessed at: the
/// proxy is broken or misconfigured; falling back to its address would count every client it carries as one, and
/// picking some part of the header would believe what may be a client's forgery. The fault shows at once in the
/// responses and the log instead.</para>
/// </remarks>
internal static class ForwardedHeaders
{
    /// <summary>
    /// Who a log line names: the socket's peer with its port, or, when a trusted proxy forwarded another address,
    /// that client's address.
    /// </summary>
    public static object? ClientForLog(EndPoint? peer, IPAddress client) =>
        peer is IPEndPoint socket && !AddressKey.Normalize(socket.Address).Equals(client) ? client : peer;

    /// <summary>
    /// The client's address and whether it spoke HTTPS to the first proxy (null when no proxy said) for a request
    /// that came from <paramref name="peer"/>; false when a trusted proxy sent a malformed forwarding header.
    /// </summary>
    public static bool TryResolve(IPAddress peer, HandshakeRequest request, List<IPNetwork> trusted, out IPAddress client, out bool? https)
    {
        client = AddressKey.Normalize(peer);
        https = null;
        if (trusted.Count == 0 || !IsTrusted(client, trusted))
        {
            return true;
        }

        if (request.GetHeader("Forwarded") is { } forwarded)
        {
            return TryWalkForwarded(forwarded, trusted, ref client, out https);
        }

        string? proto = request.GetHeader("X-Forwarded-Proto");
        if (request.GetHeader("X-Forwarded-For") is { } forwardedFor)
        {
            return TryWalkForwardedFor(forwardedFor, proto, trusted, ref client, out https);
        }

        // A proxy that says only the scheme (the client is the proxy itself, or it does not tell).
        return proto is null || TryParseScheme(LastItem(proto), out https);
    }

    /// <summary>Whether <paramref name="address"/> (normalized) is one of <paramref name="trusted"/>.</summary>
    public static bool IsTrusted(IPAddress address, List<IPNetwork> trusted)
    {
        foreach (IPNetwork network in trusted)
        {
            if (network.Contains(address))
            {
                return true;
            }
        }

        return false;
    }

    // RFC 7239 section 4: Forwarded = 1#forwarded-element; forwarded-element = [pair] *(";" [pair]);
    // pair = token "=" value; value = token / quoted-string. Elements are split here respecting quotes.
    private static bool TryWalkForwarded(string header, List<IPNetwork> trusted, ref IPAddress client, out bool? https)
    {
        https = null;
        List<(IPAddress? For, string? Proto)> elements = [];
        if (!TryParseElements(header, elements))
        {
            return false;
        }

        for (int i = elements.Count - 1; i >= 0; i--)
        {
            (IPAddress? node, string? proto) = elements[i];
            if (proto is not null && !TryParseScheme(proto, out https))
            {
                return false;
            }

            if (proto is null)
            {
                https = null;
            }

            if (node is null)
            {
                return true; // the proxy that wrote it could not name its client: it stands for it
            }

            client = node;
            if (!IsTrusted(node, trusted))
            {
                return true;
            }
        }

        return true;
    }

    private static bool TryParseElements(string header, List<(IPAddress? For, string? Proto)> elements)
    {
        IPAddress? node = null;
        string? proto = null;
        bool hasFor = false;
        int i = 0;
        while (true)
        {
            // One pair (or an empty one) at a time; "," ends an element, ";" a pair.
            SkipSpaces(header, ref i);
            if (i < header.Length && header[i] is not (',' or ';'))
            {
                int nameStart = i;
                while (i < header.Length && IsTokenChar(header[i]))
                {
                    i++;
                }

                if (i == nameStart || i >= header.Length || header[i] != '=')
                {
                    return false;
                }

                string name = header[nameStart..i];
                i++;
                if (!TryReadValue(header, ref i, out string value))
                {
                    return false;
                }

                if (name.Equals("for", StringComparison.OrdinalIgnoreCase))
                {
                    if (hasFor || !TryParseNode(value, out node))
                    {
                        return false; // RFC 7239 section 4: each parameter at most once per element
                    }

                    hasFor = true;
                }
                else if (name.Equals("proto", StringComparison.OrdinalIgnoreCase))
                {
                    if (proto is not null)
                    {
                        return false;
                    }

                    proto = value;
                }

                SkipSpaces(header, ref i);
            }

            if (i >= header.Length || header[i] == ',')
            {
                if (hasFor || proto is not null)
                {
                    elements.Add((node, proto));
                }

                if (i >= header.Length)
                {
                    return elements.Count > 0;
                }

                node = null;
                proto = null;
                hasFor = false;
            }
            else if (header[i] != ';')
            {
                return false;
            }

            i++;
        }
    }

    private static bool TryReadValue(string header, ref int i, out string value)
    {
        value = "";
        if (i < header.Length && header[i] == '"')
        {
            var text = new System.Text.StringBuilder();
            for (i++; i < header.Length; i++)
            {
                char c = header[i];
                if (c == '"')
                {
                    i++;
                    value = text.ToString();
                    return true;
                }

                if (c == '\\')
                {
                    if (++i >= header.Length)
                    {
                        return false;
                    }

                    c = header[i];
                }

                text.Append(c);
            }

            return false; // no closing quote
        }

        int start = i;
        while (i < header.Length && IsTokenChar(header[i]))
        {
            i++;
        }

        value = header[start..i];
        return i > start;
    }

    // node = nodename [ ":" node-port ]; nodename = IPv4address / "[" IPv6address "]" / "unknown" / obfnode.
    // An unnamed node is null; false when it is none of these.
    private static bool TryParseNode(string value, out IPAddress? address)
    {
        address = null;
        if (value.Equals("unknown", StringComparison.OrdinalIgnoreCase) || (value.StartsWith('_') && IsObfuscated(value)))
        {
            return true;
        }

        if (TryParseAddress(value, out IPAddress parsed))
        {
            address = parsed;
            return true;
        }

        return false;

        static bool IsObfuscated(string value)
        {
            int colon = value.IndexOf(':');
            foreach (char c in colon < 0 ? value : value[..colon])
            {
                if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
                {
                    return false;
                }
            }

            return true;
        }
    }

    // X-Forwarded-For: a comma-separated list of addresses, each proxy appending its peer's.
    private static bool TryWalkForwardedFor(string header, string? protoHeader, List<IPNetwork> trusted, ref IPAddress client, out bool? https)
    {
        https = null;
        string[] items = header.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (items.Length == 0)
        {
            return false;
        }

        int chosen = -1;
        for (int i = items.Length - 1; i >= 0; i--)
        {
            if (!TryParseAddress(items[i], out IPAddress address))
            {
                return false;
            }

            client = address;
            chosen = i;
            if (!IsTrusted(address, trusted))
            {
                break;
            }
        }

        if (protoHeader is null)
        {
            return true;
        }

        // Proxies that append to X-Forwarded-Proto as to X-Forwarded-For keep them aligned: the chosen hop's
        // scheme is at the same place. Otherwise the nearest proxy's (the rightmost) is the one to believe.
        string[] protos = protoHeader.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (protos.Length == 0)
        {
            return false;
        }

        return TryParseScheme(protos.Length == items.Length ? protos[chosen] : protos[^1], out https);
    }

    // An address as proxies write one: 192.0.2.1, 2001:db8::1, [2001:db8::1], with ":port" after IPv4 or "]".
    private static bool TryParseAddress(string text, out IPAddress address)
    {
        address = IPAddress.None;
        ReadOnlySpan<char> span = text;
        if (span.StartsWith('['))
        {
            int close = span.IndexOf(']');
            if (close < 0 || !IsPortOrNothing(span[(close + 1)..]))
            {
                return false;
            }

            span = span[1..close];
            if (!IPAddress.TryParse(span, out IPAddress? v6) || v6.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6)
            {
                return false;
            }

            address = AddressKey.Normalize(v6);
            return true;
        }

        int colon = span.IndexOf(':');
        if (colon >= 0 && span.LastIndexOf(':') == colon)
        {
            // One colon: IPv4 with a port.
            if (!IsPortOrNothing(span[colon..]))
            {
                return false;
            }

            span = span[..colon];
        }

        if (!IPAddress.TryParse(span, out IPAddress? parsed) || span.Contains('%') || (parsed.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && span.Count('.') != 3))
        {
            return false; // IPAddress.TryParse also takes "1", "0x7f.1" and scope ids: no proxy writes those
        }

        address = AddressKey.Normalize(parsed);
        return true;

        static bool IsPortOrNothing(ReadOnlySpan<char> rest) =>
            rest.IsEmpty || (rest.Length is >= 2 and <= 6 && rest[0] == ':' && !rest[1..].ContainsAnyExceptInRange('0', '9'));
    }

    // RFC 3986 section 3.1: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ).
    private static bool TryParseScheme(string scheme, out bool? https)
    {
        https = null;
        if (scheme.Length == 0 || !char.IsAsciiLetter(scheme[0]))
        {
            return false;
        }

        foreach (char c in scheme)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '+' or '-' or '.'))
            {
                return false;
            }
        }

        https = scheme.Equals("https", StringComparison.OrdinalIgnoreCase) || scheme.Equals("wss", StringComparison.OrdinalIgnoreCase);
        return true;
    }

    private static string LastItem(string list)
    {
        int comma = list.LastIndexOf(',');
        return comma < 0 ? list.Trim() : list[(comma + 1)..].Trim();
    }

    private static bool IsTokenChar(char c) => c < 0x80 && HandshakeSyntax.IsTokenChar((byte)c);

    private static void SkipSpaces(string text, ref int i)
    {
        while (i < text.Length && text[i] is ' ' or '\t')
        {
            i++;
        }
    }
}
