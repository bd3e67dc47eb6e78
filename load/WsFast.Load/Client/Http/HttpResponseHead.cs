using System.Globalization;
using System.Text;
using WsFast.Load.Engine;

namespace WsFast.Load.Client.Http;

/// <summary>The status line and headers of an HTTP/1.1 response, and what they say about the body.</summary>
public sealed class HttpResponseHead
{
    private HttpResponseHead(int status, string reason, IReadOnlyList<KeyValuePair<string, string>> headers, int length)
    {
        Status = status;
        Reason = reason;
        Headers = headers;
        Length = length;
    }

    /// <summary>The status code.</summary>
    public int Status { get; }

    /// <summary>The reason phrase.</summary>
    public string Reason { get; }

    /// <summary>The header fields in order, names as sent.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; }

    /// <summary>Bytes the head took on the wire, through the blank line.</summary>
    public int Length { get; }

    /// <summary>The declared body length, or null without a (valid) Content-Length.</summary>
    public long? ContentLength =>
        Header("Content-Length") is { } value && long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out long length) ? length : null;

    /// <summary>True when the body comes in chunks (Transfer-Encoding ends with chunked, RFC 9112 section 6.1).</summary>
    public bool IsChunked =>
        Header("Transfer-Encoding") is { } value && value.Split(',')[^1].Trim().Equals("chunked", StringComparison.OrdinalIgnoreCase);

    /// <summary>True unless the server said <c>Connection: close</c>.</summary>
    public bool KeepAlive => !(Header("Connection") is { } value && value.Split(',').Any(t => t.Trim().Equals("close", StringComparison.OrdinalIgnoreCase)));

    /// <summary>The first value of header <paramref name="name"/> (case-insensitive), or null.</summary>
    public string? Header(string name)
    {
        foreach (KeyValuePair<string, string> header in Headers)
        {
            if (header.Key.Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                return header.Value;
            }
        }

        return null;
    }

    /// <summary>
    /// Parses the head at the start of <paramref name="received"/>, or returns null when its blank line has not
    /// arrived yet.
    /// </summary>
    /// <exception cref="WsClientException">The head is complete and malformed.</exception>
    public static HttpResponseHead? TryParse(ReadOnlySpan<byte> received)
    {
        int end = received.IndexOf("\r\n\r\n"u8);
        if (end < 0)
        {
            return null;
        }

        string[] lines = Encoding.ASCII.GetString(received.Slice(0, end)).Split("\r\n");
        // "HTTP/1.1 200 OK": version, a space, three digits, a space, a reason (possibly empty).
        string[] status = lines[0].Split(' ', 3);
        if (status.Length < 2 || !status[0].StartsWith("HTTP/1.", StringComparison.Ordinal) || status[1].Length != 3
            || !int.TryParse(status[1], NumberStyles.None, CultureInfo.InvariantCulture, out int code))
        {
            throw new WsClientException(ErrorKind.HttpFailed, $"Malformed status line '{lines[0]}'.");
        }

        var headers = new List<KeyValuePair<string, string>>(lines.Length - 1);
        foreach (string line in lines.AsSpan(1))
        {
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                throw new WsClientException(ErrorKind.HttpFailed, $"Malformed header line '{line}'.");
            }

            headers.Add(KeyValuePair.Create(line.Substring(0, colon), line.Substring(colon + 1).Trim()));
        }

        return new HttpResponseHead(code, status.Length > 2 ? status[2] : "", headers, end + 4);
    }
}
