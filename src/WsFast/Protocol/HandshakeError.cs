namespace WsFast.Protocol;

/// <summary>
/// Why an HTTP request was refused, or why a valid request is not a WebSocket upgrade. Each maps to the HTTP
/// status the server answers with (<see cref="HandshakeErrors.ToStatusCode"/>) and to a short reason for the
/// response body and the log.
/// </summary>
internal enum HandshakeError : byte
{
    /// <summary>No error.</summary>
    None = 0,
    /// <summary>The request line is not <c>method SP request-target SP HTTP-version</c> (RFC 7230 section 3.1.1).</summary>
    MalformedRequestLine,
    /// <summary>An HTTP/1.0 request: RFC 6455 section 4.1 requires HTTP/1.1 or higher.</summary>
    ObsoleteHttpVersion,
    /// <summary>A major HTTP version other than 1 (RFC 7231 section 6.6.6).</summary>
    UnsupportedHttpVersion,
    /// <summary>A request-target that is not in origin-form (<c>/path?query</c>, RFC 7230 section 5.3.1).</summary>
    InvalidRequestTarget,
    /// <summary>A header line without a colon, with an invalid name, whitespace before the colon, or control characters (RFC 7230 section 3.2).</summary>
    MalformedHeader,
    /// <summary>A header continued on the next line by leading whitespace (obs-fold, RFC 7230 section 3.2.4).</summary>
    ObsoleteLineFolding,
    /// <summary>The request head exceeds the configured number of bytes (RFC 6585 section 5).</summary>
    HeaderTooLarge,
    /// <summary>The request head has more header lines than configured (RFC 6585 section 5).</summary>
    TooManyHeaders,
    /// <summary>No <c>Host</c> header (RFC 7230 section 5.4).</summary>
    MissingHost,
    /// <summary>More than one <c>Host</c> header (RFC 7230 section 5.4).</summary>
    DuplicateHost,
    /// <summary>A <c>Content-Length</c> that is not a single decimal number (RFC 7230 section 3.3.2).</summary>
    InvalidContentLength,
    /// <summary>A <c>Transfer-Encoding</c> header: request bodies are only delimited by <c>Content-Length</c> (RFC 7230 section 3.3.1).</summary>
    UnsupportedTransferEncoding,
    /// <summary>Not an upgrade: no <c>Upgrade</c> header with the <c>websocket</c> token (RFC 6455 section 4.2.1, item 3).</summary>
    MissingUpgrade,
    /// <summary>Not an upgrade: no <c>Connection</c> header with the <c>Upgrade</c> token (RFC 6455 section 4.2.1, item 4).</summary>
    MissingConnectionUpgrade,
    /// <summary>An upgrade request whose method is not <c>GET</c> (RFC 6455 section 4.2.1, item 1).</summary>
    MethodNotAllowed,
    /// <summary>A <c>Sec-WebSocket-Version</c> missing, repeated or other than 13 (RFC 6455 sections 4.2.1 item 6 and 4.4).</summary>
    UnsupportedVersion,
    /// <summary>No <c>Sec-WebSocket-Key</c> header (RFC 6455 section 4.2.1, item 5).</summary>
    MissingKey,
    /// <summary>More than one <c>Sec-WebSocket-Key</c> header (RFC 6455 section 11.3.1).</summary>
    DuplicateKey,
    /// <summary>A <c>Sec-WebSocket-Key</c> that is not the base64 encoding of 16 bytes (RFC 6455 section 4.2.1, item 5).</summary>
    InvalidKey,
    /// <summary>A <c>Sec-WebSocket-Protocol</c> that is not a list of tokens (RFC 6455 section 4.1).</summary>
    InvalidSubprotocol,
    /// <summary>A <c>Sec-WebSocket-Extensions</c> that does not follow the grammar of RFC 6455 section 9.1.</summary>
    InvalidExtensions,
}

/// <summary>Maps <see cref="HandshakeError"/> to HTTP status codes and reasons.</summary>
internal static class HandshakeErrors
{
    /// <summary>The HTTP status code a request is answered with for <paramref name="error"/>.</summary>
    public static int ToStatusCode(this HandshakeError error) => error switch
    {
        HandshakeError.None => 200,
        HandshakeError.MethodNotAllowed => 405,
        HandshakeError.MissingUpgrade or HandshakeError.MissingConnectionUpgrade or HandshakeError.UnsupportedVersion => 426,
        HandshakeError.HeaderTooLarge or HandshakeError.TooManyHeaders => 431,
        HandshakeError.UnsupportedTransferEncoding => 501,
        HandshakeError.UnsupportedHttpVersion => 505,
        _ => 400,
    };

    /// <summary>A short, stable reason for the response body and the log.</summary>
    public static string ToReason(this HandshakeError error) => error switch
    {
        HandshakeError.None => "",
        HandshakeError.MalformedRequestLine => "malformed request line",
        HandshakeError.ObsoleteHttpVersion => "HTTP/1.1 or higher is required",
        HandshakeError.UnsupportedHttpVersion => "only HTTP/1.x is supported",
        HandshakeError.InvalidRequestTarget => "request target must be an absolute path",
        HandshakeError.MalformedHeader => "malformed header field",
        HandshakeError.ObsoleteLineFolding => "folded header lines are not accepted",
        HandshakeError.HeaderTooLarge => "request header block too large",
        HandshakeError.TooManyHeaders => "too many header fields",
        HandshakeError.MissingHost => "missing Host header",
        HandshakeError.DuplicateHost => "more than one Host header",
        HandshakeError.InvalidContentLength => "invalid Content-Length",
        HandshakeError.UnsupportedTransferEncoding => "Transfer-Encoding is not supported",
        HandshakeError.MissingUpgrade => "WebSocket upgrade required",
        HandshakeError.MissingConnectionUpgrade => "Connection: Upgrade required",
        HandshakeError.MethodNotAllowed => "WebSocket upgrade requires GET",
        HandshakeError.UnsupportedVersion => "Sec-WebSocket-Version 13 required",
        HandshakeError.MissingKey => "missing Sec-WebSocket-Key",
        HandshakeError.DuplicateKey => "more than one Sec-WebSocket-Key",
        HandshakeError.InvalidKey => "Sec-WebSocket-Key must be base64 of 16 bytes",
        HandshakeError.InvalidSubprotocol => "malformed Sec-WebSocket-Protocol",
        HandshakeError.InvalidExtensions => "malformed Sec-WebSocket-Extensions",
        _ => "bad request",
    };
}
