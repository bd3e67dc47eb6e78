using System.Security.Cryptography;
using System.Text;
using WsFast.Load.Engine;
using WsFast.Protocol;

namespace WsFast.Load.Client;

/// <summary>
/// The client side of the opening handshake (RFC 6455 section 4.1): the GET request with a fresh
/// Sec-WebSocket-Key, and the checks on the server's answer (101, Upgrade, Connection and the accept key).
/// </summary>
internal static class UpgradeHandshake
{
    /// <summary>A fresh Sec-WebSocket-Key: 16 random bytes in base64.</summary>
    public static string NewKey() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));

    /// <summary>The upgrade request for <paramref name="uri"/>, offering permessage-deflate as Chromium does when asked.</summary>
    public static byte[] BuildRequest(Uri uri, string key, bool offerDeflate = false)
    {
        string request =
            $"GET {uri.PathAndQuery} HTTP/1.1\r\n" +
            $"Host: {uri.Authority}\r\n" +
            "Upgrade: websocket\r\n" +
            "Connection: Upgrade\r\n" +
            $"Sec-WebSocket-Key: {key}\r\n" +
            "Sec-WebSocket-Version: 13\r\n" +
            (offerDeflate ? $"Sec-WebSocket-Extensions: {DeflateResponse.ChromiumOffer}\r\n" : "") +
            "\r\n";
        return Encoding.ASCII.GetBytes(request);
    }

    /// <summary>
    /// Looks for a whole response head at the start of <paramref name="received"/>. Returns its length
    /// (the frames after it belong to the WebSocket), or 0 when the head is not complete yet.
    /// </summary>
    /// <exception cref="WsClientException">The head is complete and is not a valid 101 for <paramref name="key"/>.</exception>
    public static int ReadResponse(ReadOnlySpan<byte> received, string key) => ReadResponse(received, key, out _);

    /// <summary>
    /// <see cref="ReadResponse(ReadOnlySpan{byte}, string)"/>, with the response's <c>Sec-WebSocket-Extensions</c>
    /// (its lines joined by commas, as RFC 7230 section 3.2.2 reads them; null when absent).
    /// </summary>
    public static int ReadResponse(ReadOnlySpan<byte> received, string key, out string? extensions)
    {
        extensions = null;
        int end = received.IndexOf("\r\n\r\n"u8);
        if (end < 0)
        {
            return 0;
        }

        string head = Encoding.ASCII.GetString(received.Slice(0, end));
        string[] lines = head.Split("\r\n");
        string[] status = lines[0].Split(' ', 3);
        if (status.Length < 2 || !status[0].StartsWith("HTTP/1.1", StringComparison.Ordinal) || status[1] != "101")
        {
            throw Fail($"expected 101, got '{lines[0]}'");
        }

        string? upgrade = null;
        string? connection = null;
        string? accept = null;
        foreach (string line in lines.AsSpan(1))
        {
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                continue;
            }

            string name = line.Substring(0, colon).Trim();
            string value = line.Substring(colon + 1).Trim();
            if (name.Equals("Upgrade", StringComparison.OrdinalIgnoreCase))
            {
                upgrade = value;
            }
            else if (name.Equals("Connection", StringComparison.OrdinalIgnoreCase))
            {
                connection = value;
            }
            else if (name.Equals("Sec-WebSocket-Accept", StringComparison.OrdinalIgnoreCase))
            {
                accept = value;
            }
            else if (name.Equals("Sec-WebSocket-Extensions", StringComparison.OrdinalIgnoreCase))
            {
                extensions = extensions is null ? value : extensions + ", " + value;
            }
        }

        if (!"websocket".Equals(upgrade, StringComparison.OrdinalIgnoreCase))
        {
            throw Fail($"Upgrade is '{upgrade}', not websocket");
        }

        if (connection is null || !connection.Contains("upgrade", StringComparison.OrdinalIgnoreCase))
        {
            throw Fail($"Connection is '{connection}', not Upgrade");
        }

        string expected = AcceptKey.Compute(key);
        if (accept != expected)
        {
            throw Fail($"Sec-WebSocket-Accept is '{accept}', expected '{expected}'");
        }

        return end + 4;
    }

    private static WsClientException Fail(string reason) => new(ErrorKind.HandshakeFailed, $"Handshake refused: {reason}.");
}
