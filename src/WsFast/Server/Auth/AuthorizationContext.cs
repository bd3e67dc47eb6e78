using System.Net;
using WsFast.Server;

namespace WsFast;

/// <summary>
/// What a <see cref="RequestAuthorizer"/> knows of a request: its kind, path, decoded query, headers and
/// cookies, the client's address, whether it came over TLS, and for an upgrade its endpoint, topic and offered
/// subprotocols. Made by the server for each request it asks about.
/// </summary>
public sealed class AuthorizationContext
{
    private IReadOnlyDictionary<string, IReadOnlyList<string>>? _query;
    private IReadOnlyDictionary<string, string>? _cookies;

    internal AuthorizationContext(
        AuthorizationRequestKind kind,
        HandshakeRequest request,
        IPAddress clientAddress,
        bool isSecure,
        WebSocketEndpoint? endpoint,
        string? topic,
        CancellationToken aborted)
    {
        Kind = kind;
        Request = request;
        ClientAddress = clientAddress;
        IsSecure = isSecure;
        Endpoint = endpoint;
        Topic = topic;
        Aborted = aborted;
    }

    /// <summary>Which kind of request this is.</summary>
    public AuthorizationRequestKind Kind { get; }

    /// <summary>The request as read: method, path, raw query, every header.</summary>
    public HandshakeRequest Request { get; }

    /// <summary>The request path, e.g. <c>/broadcast/news</c>.</summary>
    public string Path => Request.Path;

    /// <summary>
    /// The query, decoded: each name with its values in order (<c>+</c> is a space, <c>%XX</c> a byte of UTF-8;
    /// a malformed escape stays as it is). Empty when there is none.
    /// </summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Query => _query ??= AuthorizationParsing.ParseQuery(Request.Query);

    /// <summary>The cookies of the <c>Cookie</c> header (RFC 6265 section 5.4), by name; the first of a name wins.</summary>
    public IReadOnlyDictionary<string, string> Cookies => _cookies ??= AuthorizationParsing.ParseCookies(Request.Headers);

    /// <summary>The value of the header <paramref name="name"/> (case ignored; repeated ones joined by <c>", "</c>), or null.</summary>
    public string? GetHeader(string name) => Request.GetHeader(name);

    /// <summary>
    /// The client's address: the peer's, or the one a trusted proxy in front of the server reports for it.
    /// </summary>
    public IPAddress ClientAddress { get; }

    /// <summary>Whether the request came over TLS.</summary>
    public bool IsSecure { get; }

    /// <summary>The WebSocket endpoint of an upgrade; null for the HTTP routes.</summary>
    public WebSocketEndpoint? Endpoint { get; }

    /// <summary>
    /// The topic the request is for: of the path on a broadcast endpoint, or of the event stream, poll or publish
    /// route; null for an upgrade to an endpoint without topics.
    /// </summary>
    public string? Topic { get; }

    /// <summary>The subprotocols the client offered (<c>Sec-WebSocket-Protocol</c>), in order; empty for the HTTP routes.</summary>
    public IReadOnlyList<string> OfferedSubProtocols => Request.Subprotocols;

    /// <summary>
    /// Cancelled when the server stops waiting for the authorizer: the request's deadline passed, or the
    /// connection ended (shutdown, memory budget).
    /// </summary>
    public CancellationToken Aborted { get; }
}
