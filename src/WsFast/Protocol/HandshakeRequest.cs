using WsFast.Protocol;

namespace WsFast;

/// <summary>
/// A complete, valid HTTP/1.1 request head as read by <see cref="HandshakeReader"/>: either a WebSocket
/// opening handshake (<see cref="IsWebSocketUpgrade"/>) or a plain request the server may serve itself.
/// Immutable.
/// </summary>
/// <remarks>
/// Strings are made from the bytes as received: the path and query are not percent-decoded, and header
/// bytes above 0x7F become the Latin-1 characters of the same value (so the original bytes can be recovered).
/// </remarks>
public sealed class HandshakeRequest
{
    private readonly KeyValuePair<string, string>[] _headers;
    private IReadOnlyList<ExtensionOffer>? _extensions;

    internal HandshakeRequest(
        string method,
        string path,
        string query,
        KeyValuePair<string, string>[] headers,
        string host,
        string? origin,
        string key,
        IReadOnlyList<string> subprotocols,
        long? contentLength,
        HandshakeError nonUpgradeReason,
        string? hixie76Key1 = null,
        string? hixie76Key2 = null)
    {
        Hixie76Key1 = hixie76Key1;
        Hixie76Key2 = hixie76Key2;
        Method = method;
        Path = path;
        Query = query;
        _headers = headers;
        Host = host;
        Origin = origin;
        Key = key;
        Subprotocols = subprotocols;
        ContentLength = contentLength;
        NonUpgradeReason = nonUpgradeReason;
    }

    /// <summary>The request method, case-sensitive as HTTP defines it (e.g. <c>GET</c>, <c>POST</c>).</summary>
    public string Method { get; }

    /// <summary>The request-target up to, and without, the first <c>?</c>. Always starts with <c>/</c>.</summary>
    public string Path { get; }

    /// <summary>The request-target after the first <c>?</c>, without it; empty when there is none.</summary>
    public string Query { get; }

    /// <summary>The <c>Host</c> header value (possibly empty, RFC 7230 section 5.4).</summary>
    public string Host { get; }

    /// <summary>The first <c>Origin</c> header value; null when absent (non-browser clients).</summary>
    public string? Origin { get; }

    /// <summary>The <c>Sec-WebSocket-Key</c> of an upgrade (24 base64 characters); empty for a plain request.</summary>
    public string Key { get; }

    /// <summary>
    /// The subprotocols offered in <c>Sec-WebSocket-Protocol</c>, across repeated headers, in the order sent.
    /// Empty for a plain request.
    /// </summary>
    public IReadOnlyList<string> Subprotocols { get; }

    /// <summary>
    /// The extensions offered in <c>Sec-WebSocket-Extensions</c>, across repeated headers, in the order sent.
    /// Empty for a plain request.
    /// </summary>
    /// <remarks>
    /// Parsed from the headers the first time it is read, and kept from then on: the server's own negotiation
    /// uses <see cref="ParseExtensions"/>, so that a connection kept open does not carry the parsed offers unless
    /// its handler asked for them (~0.5 KiB per connection when a browser offers permessage-deflate).
    /// </remarks>
    public IReadOnlyList<ExtensionOffer> Extensions => _extensions ??= ParseExtensions();

    /// <summary>
    /// Parses every <c>Sec-WebSocket-Extensions</c> header afresh, in order, without keeping the result. Their
    /// syntax was checked when the upgrade was read (a bad one is refused with 400), so this cannot fail; empty
    /// for a plain request.
    /// </summary>
    internal IReadOnlyList<ExtensionOffer> ParseExtensions()
    {
        List<ExtensionOffer>? offers = null;
        if (NonUpgradeReason != HandshakeError.None)
        {
            return Array.Empty<ExtensionOffer>(); // only an upgrade's were checked, and only an upgrade has any use for them
        }

        foreach (KeyValuePair<string, string> header in _headers)
        {
            if (string.Equals(header.Key, "Sec-WebSocket-Extensions", StringComparison.OrdinalIgnoreCase))
            {
                // The value was made from its bytes as Latin-1: the same encoding gives them back.
                byte[] value = System.Text.Encoding.Latin1.GetBytes(header.Value);
                ExtensionOffer.TryParse(value, offers ??= new List<ExtensionOffer>(2));
            }
        }

        return offers is null ? Array.Empty<ExtensionOffer>() : offers.AsReadOnly();
    }

    /// <summary>
    /// The <c>Content-Length</c>; null when absent. The body is not part of the head: it follows it, unread.
    /// </summary>
    public long? ContentLength { get; }

    /// <summary>Whether this is a valid RFC 6455 opening handshake.</summary>
    public bool IsWebSocketUpgrade => NonUpgradeReason == HandshakeError.None && Hixie76Key1 is null;

    /// <summary>
    /// Whether this is a draft-76 opening handshake (read only by a reader told to recognize one): its keys are
    /// <see cref="Hixie76Key1"/> and <see cref="Hixie76Key2"/>, and its 8-byte key3 follows the head, unread.
    /// </summary>
    internal bool IsHixie76Upgrade => NonUpgradeReason == HandshakeError.None && Hixie76Key1 is not null;

    /// <summary>The draft-76 <c>Sec-WebSocket-Key1</c>, as sent but trimmed; null for any other request.</summary>
    internal string? Hixie76Key1 { get; }

    /// <summary>The draft-76 <c>Sec-WebSocket-Key2</c>; null for any other request.</summary>
    internal string? Hixie76Key2 { get; }

    /// <summary>
    /// For a plain request, why it is no upgrade: <see cref="HandshakeError.MissingUpgrade"/> or
    /// <see cref="HandshakeError.MissingConnectionUpgrade"/>, to answer with 426 on a WebSocket-only path.
    /// <see cref="HandshakeError.None"/> for an upgrade.
    /// </summary>
    internal HandshakeError NonUpgradeReason { get; }

    /// <summary>Every header as a name/value pair, names as sent, values trimmed, in the order received.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Headers => Array.AsReadOnly(_headers);

    /// <summary>
    /// The value of the header named <paramref name="name"/> (ASCII case ignored); null when absent. Repeated
    /// headers are combined with <c>", "</c>, as RFC 7230 section 3.2.2 allows for list headers.
    /// </summary>
    public string? GetHeader(string name)
    {
        string? found = null;
        foreach (KeyValuePair<string, string> header in _headers)
        {
            if (string.Equals(header.Key, name, StringComparison.OrdinalIgnoreCase))
            {
                found = found is null ? header.Value : found + ", " + header.Value;
            }
        }

        return found;
    }
}
