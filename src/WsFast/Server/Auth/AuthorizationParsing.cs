namespace WsFast.Server;

/// <summary>The query and cookies of an <see cref="AuthorizationContext"/>, parsed when first asked for.</summary>
internal static class AuthorizationParsing
{
    /// <summary>A query string like <c>a=1&amp;b=x+y&amp;a=2</c>, decoded as a form (<c>+</c> is a space).</summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<string>> ParseQuery(string query)
    {
        var values = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (string pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            int equals = pair.IndexOf('=');
            string name = Decode(equals < 0 ? pair : pair[..equals]);
            string value = equals < 0 ? "" : Decode(pair[(equals + 1)..]);
            if (!values.TryGetValue(name, out List<string>? list))
            {
                values[name] = list = new List<string>(1);
            }

            list.Add(value);
        }

        var result = new Dictionary<string, IReadOnlyList<string>>(values.Count, StringComparer.Ordinal);
        foreach (KeyValuePair<string, List<string>> entry in values)
        {
            result[entry.Key] = entry.Value.AsReadOnly();
        }

        return result;

        // Uri.UnescapeDataString leaves an escape that is not one (or not UTF-8) as it is, and never throws.
        static string Decode(string text) => Uri.UnescapeDataString(text.Replace('+', ' '));
    }

    /// <summary>
    /// The cookies of every <c>Cookie</c> header: <c>name=value</c> pairs split at <c>;</c> (RFC 6265 section 5.4),
    /// names and values trimmed, a value's surrounding double quotes removed (section 4.1.1), pairs without a
    /// name or an <c>=</c> skipped.
    /// </summary>
    public static IReadOnlyDictionary<string, string> ParseCookies(IReadOnlyList<KeyValuePair<string, string>> headers)
    {
        var cookies = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (KeyValuePair<string, string> header in headers)
        {
            if (!string.Equals(header.Key, "Cookie", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            foreach (string pair in header.Value.Split(';'))
            {
                int equals = pair.IndexOf('=');
                if (equals <= 0)
                {
                    continue;
                }

                string name = pair[..equals].Trim();
                string value = pair[(equals + 1)..].Trim();
                if (value.Length >= 2 && value[0] == '"' && value[^1] == '"')
                {
                    value = value[1..^1];
                }

                if (name.Length > 0)
                {
                    cookies.TryAdd(name, value);
                }
            }
        }

        return cookies;
    }
}
