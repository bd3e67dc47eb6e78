namespace WsFast.Server;

/// <summary>
/// The entries of an origin allow-list (<see cref="WsFastServerOptions.AllowedOrigins"/>,
/// <see cref="WebSocketEndpoint.AllowedOrigins"/>): an exact origin, <c>https://example.com</c>, or every subdomain
/// of a name, <c>https://*.example.com</c>; each with the port when it is not the scheme's default.
/// </summary>
/// <remarks>
/// A browser sends an origin serialized as RFC 6454 section 6.2 says: <c>scheme://host</c>, then <c>:port</c>
/// only when it is not the scheme's default, in lower case, with no path and no trailing slash. An entry is
/// checked against that form when the server starts, so that a mistake that could never match (a trailing slash,
/// a path, a wildcard inside a label) is an error there rather than a silent 403 for every visitor.
/// </remarks>
internal static class OriginAllowList
{
    /// <summary>Whether <paramref name="origin"/> is allowed by <paramref name="entry"/>, both compared ignoring ASCII case.</summary>
    public static bool Matches(string entry, string origin)
    {
        int wildcard = entry.IndexOf("://*.", StringComparison.Ordinal);
        if (wildcard < 0)
        {
            return string.Equals(entry, origin, StringComparison.OrdinalIgnoreCase);
        }

        // "https://*.example.com:8443" is the prefix "https://" and the suffix ".example.com:8443": the origin must
        // have both and, between them, one or more whole labels. "https://example.com" itself does not match (no
        // label), nor "https://evilexample.com" (the dot is part of the suffix), nor another port (part of it too).
        ReadOnlySpan<char> prefix = entry.AsSpan(0, wildcard + 3);
        ReadOnlySpan<char> suffix = entry.AsSpan(wildcard + 4);
        if (origin.Length <= prefix.Length + suffix.Length
            || !origin.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)
            || !origin.EndsWith(suffix, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        ReadOnlySpan<char> labels = origin.AsSpan(prefix.Length, origin.Length - prefix.Length - suffix.Length);
        return IsHostLabels(labels);
    }

    /// <summary>Null if <paramref name="entry"/> is a valid entry, otherwise why not.</summary>
    public static string? Problem(string entry)
    {
        if (entry == "null")
        {
            return null; // the opaque origin of sandboxed frames and files, allowed only when listed exactly
        }

        if (entry == "*")
        {
            return "'*' is not an origin: leave the list empty to allow any origin";
        }

        int separator = entry.IndexOf("://", StringComparison.Ordinal);
        if (separator <= 0 || !IsScheme(entry.AsSpan(0, separator)))
        {
            return "an origin starts with a scheme and '://', e.g. https://example.com";
        }

        ReadOnlySpan<char> authority = entry.AsSpan(separator + 3);
        if (authority.IndexOfAny('/', '?', '#') >= 0)
        {
            return "an origin has no path, query or trailing slash (browsers send e.g. https://example.com)";
        }

        ReadOnlySpan<char> host = authority;
        int colon = authority.LastIndexOf(':');
        if (colon >= 0 && !authority.EndsWith("]"))
        {
            ReadOnlySpan<char> port = authority[(colon + 1)..];
            if (port.IsEmpty || port.Length > 5 || port.ContainsAnyExceptInRange('0', '9'))
            {
                return "the port after ':' must be a number";
            }

            host = authority[..colon];
        }

        if (host.StartsWith("*."))
        {
            host = host[2..];
        }

        if (host.Contains('*'))
        {
            return "a wildcard stands only for whole labels at the start of the name, as in https://*.example.com";
        }

        return host.IsEmpty || (!IsHostLabels(host) && !(host.StartsWith("[") && host.EndsWith("]")))
            ? "the host must be a name, an IPv4 address or an [IPv6] address"
            : null;
    }

    /// <summary>Throws if an entry of <paramref name="entries"/> cannot match any origin.</summary>
    /// <summary>Records every entry that could never match.</summary>
    public static void Check(List<string> entries, string setting, OptionsCheck check)
    {
        foreach (string entry in entries)
        {
            if (Problem(entry) is { } problem)
            {
                check.Fail(setting, $"has '{entry}': {problem}");
            }
        }
    }

    public static void Validate(List<string> entries, string setting)
    {
        foreach (string entry in entries)
        {
            if (Problem(entry) is { } problem)
            {
                throw new ArgumentException($"{setting}: '{entry}': {problem}.", setting);
            }
        }
    }

    private static bool IsScheme(ReadOnlySpan<char> scheme)
    {
        // RFC 3986 section 3.1: a letter, then letters, digits, '+', '-' and '.'.
        if (scheme.IsEmpty || !char.IsAsciiLetter(scheme[0]))
        {
            return false;
        }

        foreach (char c in scheme)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('+' or '-' or '.'))
            {
                return false;
            }
        }

        return true;
    }

    // One or more dot-separated labels of letters, digits and '-': what a host name (or IPv4 address) is made of.
    private static bool IsHostLabels(ReadOnlySpan<char> labels)
    {
        if (labels.IsEmpty || labels[0] == '.' || labels[^1] == '.')
        {
            return false;
        }

        char previous = '\0';
        foreach (char c in labels)
        {
            if (c == '.' ? previous == '.' : !char.IsAsciiLetterOrDigit(c) && c != '-')
            {
                return false;
            }

            previous = c;
        }

        return true;
    }
}
