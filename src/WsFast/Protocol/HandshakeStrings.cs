using System.Text;

namespace WsFast.Protocol;

/// <summary>
/// Turns request bytes into strings, handing out shared instances for the methods and header names nearly
/// every request carries, so that a request allocates little more than its values.
/// </summary>
internal static class HandshakeStrings
{
    private static readonly string[] Methods = ["GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "PATCH"];

    private static readonly string[] HeaderNames =
    [
        "Host", "Upgrade", "Connection", "Origin", "Sec-WebSocket-Key", "Sec-WebSocket-Version",
        "Sec-WebSocket-Protocol", "Sec-WebSocket-Extensions", "User-Agent", "Accept", "Accept-Encoding",
        "Accept-Language", "Cache-Control", "Pragma", "Cookie", "Authorization", "Content-Length",
        "Content-Type", "Referer", "X-Forwarded-For", "X-Forwarded-Proto",
        "connection", "upgrade", "host", "origin", "sec-websocket-key", "sec-websocket-version",
        "sec-websocket-protocol", "sec-websocket-extensions", "user-agent", "accept-encoding",
        "accept-language", "cache-control", "pragma", "content-length", "content-type",
    ];

    /// <summary>The method as a string; methods are case-sensitive, so only an exact match is shared.</summary>
    public static string Method(ReadOnlySpan<byte> method) => Find(Methods, method) ?? Encoding.ASCII.GetString(method);

    /// <summary>The header name as sent (a token, so ASCII), shared when it is a common one in a common spelling.</summary>
    public static string HeaderName(ReadOnlySpan<byte> name) => Find(HeaderNames, name) ?? Encoding.ASCII.GetString(name);

    private static string? Find(string[] known, ReadOnlySpan<byte> bytes)
    {
        foreach (string candidate in known)
        {
            if (candidate.Length == bytes.Length && Ascii.Equals(bytes, candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}
