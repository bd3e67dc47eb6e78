using System.Globalization;
using System.Security.Claims;
using System.Text;

namespace WsFast;

/// <summary>
/// What a <see cref="RequestAuthorizer"/> decided: an acceptance, with what the connection is granted, or a
/// rejection, with the response the client gets. Immutable; made by the static methods, which check their
/// arguments (an authorizer that passes a bad one throws, and its client gets 500).
/// </summary>
public sealed class AuthorizationResult
{
    /// <summary>The longest rejection body, in bytes of UTF-8: a reason, not a page.</summary>
    public const int MaxBodyBytes = 1024;

    /// <summary>The most headers a rejection may carry.</summary>
    public const int MaxHeaders = 8;

    private static readonly AuthorizationResult Plain = new(0, null, []);

    private AuthorizationResult(int statusCode, string? body, KeyValuePair<string, string>[] headers)
    {
        StatusCode = statusCode;
        Body = body;
        Headers = headers;
    }

    /// <summary>Whether the request may go on.</summary>
    public bool IsAccepted => StatusCode == 0;

    /// <summary>A rejection's HTTP status (400 to 599); 0 for an acceptance.</summary>
    public int StatusCode { get; }

    /// <summary>A rejection's plain-text body; null for none.</summary>
    public string? Body { get; }

    /// <summary>A rejection's extra response headers, such as <c>WWW-Authenticate</c> or <c>Retry-After</c>.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; }

    /// <summary>Who the client is, for <see cref="WebSocketConnection.User"/>; null: anonymous.</summary>
    public ClaimsPrincipal? User { get; private init; }

    /// <summary>What <see cref="WebSocketConnection.UserState"/> starts as.</summary>
    public object? UserState { get; private init; }

    /// <summary>The subprotocol to agree, one the client offered; null: the endpoint's choice.</summary>
    public string? SubProtocol { get; private init; }

    /// <summary>Topics the connection joins besides its endpoint and the topic of its path; empty: none.</summary>
    public IReadOnlyList<string> JoinTopics { get; private init; } = [];

    /// <summary>
    /// When the authorization ends: the server closes the connection with 1008 "token expired" then (at its
    /// timer's next tick: within a quarter of the shortest timeout, at most a second), unless it was extended
    /// (<see cref="WebSocketConnection.ExtendAuthorization"/>). Null: it does not end.
    /// </summary>
    public DateTimeOffset? ExpiresAt { get; private init; }

    /// <summary>On a relaying broadcast endpoint, whether this client's messages may be published to its topic.</summary>
    public bool RelayAllowed { get; private init; } = true;

    /// <summary>
    /// Accepts the request. For a WebSocket upgrade, the other arguments say what the connection gets; for the
    /// HTTP routes only the acceptance counts.
    /// </summary>
    /// <param name="user">Who the client is (<see cref="WebSocketConnection.User"/>).</param>
    /// <param name="userState">What <see cref="WebSocketConnection.UserState"/> starts as.</param>
    /// <param name="subProtocol">A subprotocol the client offered, to agree; null: the endpoint's choice.</param>
    /// <param name="joinTopics">Topics to join besides the endpoint and the topic of the path (valid names).</param>
    /// <param name="expiresAt">When the authorization ends (see <see cref="ExpiresAt"/>).</param>
    /// <param name="relayAllowed">On a relaying broadcast endpoint, whether the client may publish through it.</param>
    /// <exception cref="ArgumentException">A topic name is not valid.</exception>
    public static AuthorizationResult Accept(
        ClaimsPrincipal? user = null,
        object? userState = null,
        string? subProtocol = null,
        IReadOnlyList<string>? joinTopics = null,
        DateTimeOffset? expiresAt = null,
        bool relayAllowed = true)
    {
        if (user is null && userState is null && subProtocol is null && joinTopics is null && expiresAt is null && relayAllowed)
        {
            return Plain;
        }

        string[] topics = joinTopics is null ? [] : [.. joinTopics];
        foreach (string topic in topics)
        {
            if (topic is null || !TopicRegistry.IsValidName(topic))
            {
                throw new ArgumentException($"'{topic}' is not a topic name.", nameof(joinTopics));
            }
        }

        return new AuthorizationResult(0, null, [])
        {
            User = user,
            UserState = userState,
            SubProtocol = subProtocol,
            JoinTopics = topics,
            ExpiresAt = expiresAt,
            RelayAllowed = relayAllowed,
        };
    }

    /// <summary>Rejects the request with <paramref name="statusCode"/>, a short body and headers.</summary>
    /// <exception cref="ArgumentException">
    /// The status is not 400-599, the body is over <see cref="MaxBodyBytes"/>, there are more than
    /// <see cref="MaxHeaders"/> headers, a header name is not an HTTP token, a value holds CR, LF or NUL, or a
    /// header is one the server writes itself (<c>Content-Length</c>, <c>Content-Type</c>, <c>Connection</c>,
    /// <c>Transfer-Encoding</c>).
    /// </exception>
    public static AuthorizationResult Reject(int statusCode, string? body = null, params KeyValuePair<string, string>[] headers)
    {
        ArgumentNullException.ThrowIfNull(headers);
        if (statusCode is < 400 or > 599)
        {
            throw new ArgumentOutOfRangeException(nameof(statusCode), statusCode, "A rejection is a 4xx or 5xx status.");
        }

        if (body is not null && Encoding.UTF8.GetByteCount(body) > MaxBodyBytes)
        {
            throw new ArgumentException($"A rejection body is at most {MaxBodyBytes} bytes.", nameof(body));
        }

        if (headers.Length > MaxHeaders)
        {
            throw new ArgumentException($"A rejection carries at most {MaxHeaders} headers.", nameof(headers));
        }

        foreach (KeyValuePair<string, string> header in headers)
        {
            CheckHeader(header.Key, header.Value);
        }

        return new AuthorizationResult(statusCode, body, [.. headers]);
    }

    /// <summary>
    /// 401 with <c>WWW-Authenticate: <paramref name="challenge"/></c> (RFC 9110 section 11.6.1), e.g. <c>Bearer</c>
    /// or <c>Bearer error="invalid_token"</c> (RFC 6750 section 3).
    /// </summary>
    /// <inheritdoc cref="Reject" path="/exception"/>
    public static AuthorizationResult Unauthorized(string challenge = "Bearer", string? body = null) =>
        Reject(401, body ?? "authentication required", KeyValuePair.Create("WWW-Authenticate", challenge));

    /// <summary>403: the client is known but may not do this.</summary>
    /// <inheritdoc cref="Reject" path="/exception"/>
    public static AuthorizationResult Forbidden(string? body = null) => Reject(403, body ?? "forbidden");

    /// <summary>429 with <c>Retry-After</c> in whole seconds (at least 1) (RFC 6585 section 4).</summary>
    /// <inheritdoc cref="Reject" path="/exception"/>
    public static AuthorizationResult TooManyRequests(TimeSpan retryAfter, string? body = null)
    {
        long seconds = Math.Max(1, (long)Math.Ceiling(retryAfter.TotalSeconds));
        return Reject(429, body ?? "too many requests", KeyValuePair.Create("Retry-After", seconds.ToString(CultureInfo.InvariantCulture)));
    }

    // The server writes these itself; a second one would make the response ambiguous (request smuggling).
    private static readonly string[] ReservedHeaders = ["Content-Length", "Content-Type", "Connection", "Transfer-Encoding"];

    private static void CheckHeader(string name, string value)
    {
        if (string.IsNullOrEmpty(name) || name.Length > 64)
        {
            throw new ArgumentException("A header name is 1-64 characters.", nameof(name));
        }

        foreach (char c in name)
        {
            // RFC 9110 section 5.6.2: tchar.
            if (!(char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c)))
            {
                throw new ArgumentException($"'{name}' is not a header name.", nameof(name));
            }
        }

        foreach (string reserved in ReservedHeaders)
        {
            if (string.Equals(name, reserved, StringComparison.OrdinalIgnoreCase))
            {
                throw new ArgumentException($"{reserved} is written by the server.", nameof(name));
            }
        }

        ArgumentNullException.ThrowIfNull(value);
        // Visible ASCII and spaces only: no CR or LF to end the header early (response splitting), no NUL.
        if (value.Length > MaxBodyBytes || value.AsSpan().ContainsAnyExceptInRange(' ', '~'))
        {
            throw new ArgumentException($"The value of {name} is over {MaxBodyBytes} characters or holds a character other than visible ASCII and space (CR and LF among them).", nameof(value));
        }
    }
}
