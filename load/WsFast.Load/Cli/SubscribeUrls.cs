namespace WsFast.Load.Cli;

/// <summary>
/// ws-broadcast's <c>--subscribe-urls</c>: the servers to spread the subscribers over, as a comma-separated list of
/// base URLs (<c>http://127.0.0.1:8081,http://127.0.0.1:8082</c>), each server once.
/// </summary>
internal static class SubscribeUrls
{
    /// <summary>The base URLs in <paramref name="text"/>, in order.</summary>
    /// <exception cref="FormatException">An entry is empty, not an http:// or ws:// URL, or names a server twice.</exception>
    public static IReadOnlyList<Uri> Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var urls = new List<Uri>();
        var servers = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (string entry in text.Split(','))
        {
            string trimmed = entry.Trim();
            if (trimmed.Length == 0)
            {
                throw new FormatException($"--subscribe-urls has an empty entry: '{text}'.");
            }

            // TLS would need each node's plain port for its /healthz, as --http-port gives for one server: not yet.
            if (!Uri.TryCreate(trimmed, UriKind.Absolute, out Uri? url) || url.Scheme is not ("http" or "ws"))
            {
                throw new FormatException($"--subscribe-urls takes http:// or ws:// URLs, not '{trimmed}'.");
            }

            // Two subscriber groups on one server would count its CPU twice.
            if (!servers.Add(url.Authority))
            {
                throw new FormatException($"--subscribe-urls names {url.Authority} twice.");
            }

            urls.Add(url);
        }

        return urls;
    }
}
