using System.Buffers;
using System.Text;

namespace WsFast.Protocol;

/// <summary>
/// Writes the server's side of the handshake: the <c>101 Switching Protocols</c> that accepts it
/// (RFC 6455 section 4.2.2), the refusal for each <see cref="HandshakeError"/>, and any other small HTTP/1.1
/// response the server decides to send. Nothing is allocated.
/// </summary>
/// <remarks>
/// Each response comes in two forms: <c>TryWrite...</c> into a span, which returns false and writes nothing
/// useful when the span is too small, and <c>Write...</c> into an <see cref="IBufferWriter{T}"/>, which asks
/// the writer for exactly the room needed.
/// </remarks>
internal static class HandshakeResponse
{
    /// <summary>
    /// Writes the 101 response accepting a handshake whose <c>Sec-WebSocket-Key</c> is <paramref name="key"/>.
    /// </summary>
    /// <param name="key">The key as read (<see cref="HandshakeRequest.Key"/>).</param>
    /// <param name="subprotocol">The one offered subprotocol the server chose, or null for none.</param>
    /// <param name="extensions">The <c>Sec-WebSocket-Extensions</c> value the server accepts, or null for none.</param>
    /// <param name="destination">Where to write the response.</param>
    /// <param name="bytesWritten">The response length, when it fitted.</param>
    /// <returns>False when <paramref name="destination"/> is too small.</returns>
    /// <exception cref="ArgumentException">
    /// The key is not ASCII, the subprotocol is not a token, or the extensions value has characters a header
    /// value cannot carry.
    /// </exception>
    public static bool TryWriteAccept(
        ReadOnlySpan<char> key, string? subprotocol, string? extensions, Span<byte> destination, out int bytesWritten)
    {
        Span<byte> accept = stackalloc byte[AcceptKey.Length];
        ComputeAccept(key, subprotocol, extensions, accept);
        var text = new HttpTextWriter(destination);
        WriteAccept(ref text, accept, subprotocol, extensions);
        return Finish(in text, out bytesWritten);
    }

    /// <summary>Writes the 101 response of <see cref="TryWriteAccept"/> into <paramref name="writer"/>.</summary>
    /// <exception cref="ArgumentException">As for <see cref="TryWriteAccept"/>.</exception>
    public static void WriteAccept(
        IBufferWriter<byte> writer, ReadOnlySpan<char> key, string? subprotocol = null, string? extensions = null)
    {
        ArgumentNullException.ThrowIfNull(writer);
        Span<byte> accept = stackalloc byte[AcceptKey.Length];
        ComputeAccept(key, subprotocol, extensions, accept);
        var measure = new HttpTextWriter(default);
        WriteAccept(ref measure, accept, subprotocol, extensions);
        var text = new HttpTextWriter(writer.GetSpan(measure.Length));
        WriteAccept(ref text, accept, subprotocol, extensions);
        writer.Advance(text.Length);
    }

    /// <summary>
    /// Writes the response refusing a request for <paramref name="error"/>: its status, a plain-text reason
    /// and <c>Connection: close</c>, plus what the status calls for: <c>Allow: GET</c> with 405
    /// (RFC 7231 section 6.5.5), and with 426 <c>Upgrade: websocket</c> (RFC 7231 section 6.5.15), the
    /// <c>Upgrade</c> option in <c>Connection</c> that must accompany it (RFC 7230 section 6.7), and
    /// <c>Sec-WebSocket-Version: 13</c> (RFC 6455 section 4.2.2) so that a client knows what to retry with.
    /// </summary>
    /// <returns>False when <paramref name="destination"/> is too small.</returns>
    /// <exception cref="ArgumentException"><paramref name="error"/> is <see cref="HandshakeError.None"/>.</exception>
    public static bool TryWriteRefusal(HandshakeError error, Span<byte> destination, out int bytesWritten)
    {
        CheckRefusal(error);
        var text = new HttpTextWriter(destination);
        WriteRefusal(ref text, error);
        return Finish(in text, out bytesWritten);
    }

    /// <summary>Writes the refusal of <see cref="TryWriteRefusal"/> into <paramref name="writer"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="error"/> is <see cref="HandshakeError.None"/>.</exception>
    public static void WriteRefusal(IBufferWriter<byte> writer, HandshakeError error)
    {
        ArgumentNullException.ThrowIfNull(writer);
        CheckRefusal(error);
        var measure = new HttpTextWriter(default);
        WriteRefusal(ref measure, error);
        var text = new HttpTextWriter(writer.GetSpan(measure.Length));
        WriteRefusal(ref text, error);
        writer.Advance(text.Length);
    }

    /// <summary>
    /// Writes a simple HTTP/1.1 response: the status line with the standard reason phrase, the given headers,
    /// a <c>Content-Length</c> (left out for 1xx and 204, which have no body) and the body.
    /// </summary>
    /// <param name="statusCode">A status code from 100 to 999.</param>
    /// <param name="headers">Headers other than <c>Content-Length</c>, e.g. <c>Content-Type</c> and <c>Connection</c>.</param>
    /// <param name="body">The body.</param>
    /// <param name="destination">Where to write the response.</param>
    /// <param name="bytesWritten">The response length, when it fitted.</param>
    /// <returns>False when <paramref name="destination"/> is too small.</returns>
    /// <exception cref="ArgumentException">
    /// A header name is not a token or is <c>Content-Length</c>, a value holds characters other than visible
    /// ASCII, space and tab, or a 1xx or 204 response has a body.
    /// </exception>
    public static bool TryWriteHttp(
        int statusCode,
        ReadOnlySpan<KeyValuePair<string, string>> headers,
        ReadOnlySpan<byte> body,
        Span<byte> destination,
        out int bytesWritten)
    {
        CheckHttp(statusCode, headers, body);
        var text = new HttpTextWriter(destination);
        WriteHttp(ref text, statusCode, headers, body);
        return Finish(in text, out bytesWritten);
    }

    /// <summary>
    /// Writes the head of the response <see cref="TryWriteHttp"/> would write, for a body of
    /// <paramref name="contentLength"/> bytes that the caller sends right after it (a body built in place).
    /// </summary>
    /// <returns>False when <paramref name="destination"/> is too small.</returns>
    /// <exception cref="ArgumentException">As for <see cref="TryWriteHttp"/>.</exception>
    public static bool TryWriteHttpHead(
        int statusCode,
        ReadOnlySpan<KeyValuePair<string, string>> headers,
        int contentLength,
        Span<byte> destination,
        out int bytesWritten)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(contentLength);
        CheckHttp(statusCode, headers, default);
        if (!HasContentLength(statusCode) && contentLength > 0)
        {
            throw new ArgumentException("1xx and 204 responses have no body (RFC 7230 section 3.3).", nameof(contentLength));
        }

        var text = new HttpTextWriter(destination);
        WriteHead(ref text, statusCode, headers, contentLength);
        return Finish(in text, out bytesWritten);
    }

    /// <summary>Writes the response of <see cref="TryWriteHttp"/> into <paramref name="writer"/>.</summary>
    /// <exception cref="ArgumentException">As for <see cref="TryWriteHttp"/>.</exception>
    public static void WriteHttp(
        IBufferWriter<byte> writer, int statusCode, ReadOnlySpan<KeyValuePair<string, string>> headers, ReadOnlySpan<byte> body)
    {
        ArgumentNullException.ThrowIfNull(writer);
        CheckHttp(statusCode, headers, body);
        var measure = new HttpTextWriter(default);
        WriteHttp(ref measure, statusCode, headers, body);
        var text = new HttpTextWriter(writer.GetSpan(measure.Length));
        WriteHttp(ref text, statusCode, headers, body);
        writer.Advance(text.Length);
    }

    /// <summary>The standard reason phrase of <paramref name="statusCode"/>; empty for codes without a common one.</summary>
    public static string GetReasonPhrase(int statusCode) => statusCode switch
    {
        100 => "Continue",
        101 => "Switching Protocols",
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        304 => "Not Modified",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        413 => "Content Too Large",
        414 => "URI Too Long",
        426 => "Upgrade Required",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        505 => "HTTP Version Not Supported",
        _ => "",
    };

    private static void ComputeAccept(ReadOnlySpan<char> key, string? subprotocol, string? extensions, Span<byte> accept)
    {
        Span<byte> keyBytes = stackalloc byte[AcceptKey.MaxKeyLength];
        if (key.Length > AcceptKey.MaxKeyLength || Ascii.FromUtf16(key, keyBytes, out int keyLength) != OperationStatus.Done)
        {
            throw new ArgumentException("The key must be at most 128 ASCII characters.", nameof(key));
        }

        if (subprotocol is not null && !HandshakeSyntax.IsToken(subprotocol))
        {
            throw new ArgumentException("A subprotocol must be a token (RFC 6455 section 4.1).", nameof(subprotocol));
        }

        if (extensions is not null && (extensions.Length == 0 || !HandshakeSyntax.IsAsciiFieldValue(extensions)))
        {
            throw new ArgumentException("The extensions value must be non-empty visible ASCII.", nameof(extensions));
        }

        AcceptKey.Compute(keyBytes[..keyLength], accept);
    }

    private static void WriteAccept(ref HttpTextWriter text, scoped ReadOnlySpan<byte> accept, string? subprotocol, string? extensions)
    {
        text.Write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"u8);
        text.WriteHeader("Sec-WebSocket-Accept"u8, accept);
        if (subprotocol is not null)
        {
            text.WriteHeader("Sec-WebSocket-Protocol", subprotocol);
        }

        if (extensions is not null)
        {
            text.WriteHeader("Sec-WebSocket-Extensions", extensions);
        }

        text.Write("\r\n"u8);
    }

    private static void CheckRefusal(HandshakeError error)
    {
        if (error == HandshakeError.None)
        {
            throw new ArgumentException("None is not a reason to refuse a request.", nameof(error));
        }
    }

    private static void WriteRefusal(ref HttpTextWriter text, HandshakeError error)
    {
        int status = error.ToStatusCode();
        string reason = error.ToReason();
        WriteStatusLine(ref text, status);
        if (status == 426)
        {
            text.Write("Upgrade: websocket\r\nConnection: Upgrade, close\r\nSec-WebSocket-Version: 13\r\n"u8);
        }
        else
        {
            text.Write("Connection: close\r\n"u8);
        }

        if (status == 405)
        {
            text.Write("Allow: GET\r\n"u8);
        }

        text.Write("Content-Type: text/plain; charset=utf-8\r\nContent-Length: "u8);
        text.Write(reason.Length + 1);
        text.Write("\r\n\r\n"u8);
        text.Write(reason);
        text.Write("\n"u8);
    }

    private static void CheckHttp(int statusCode, ReadOnlySpan<KeyValuePair<string, string>> headers, ReadOnlySpan<byte> body)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(statusCode, 100);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(statusCode, 999);
        if (!HasContentLength(statusCode) && !body.IsEmpty)
        {
            throw new ArgumentException("1xx and 204 responses have no body (RFC 7230 section 3.3).", nameof(body));
        }

        foreach (KeyValuePair<string, string> header in headers)
        {
            if (header.Key is null || !HandshakeSyntax.IsToken(header.Key)
                || header.Key.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                throw new ArgumentException($"'{header.Key}' is not a header name this writer accepts.", nameof(headers));
            }

            if (header.Value is null || !HandshakeSyntax.IsAsciiFieldValue(header.Value))
            {
                throw new ArgumentException($"The value of '{header.Key}' is not a valid header value.", nameof(headers));
            }
        }
    }

    private static void WriteHttp(
        ref HttpTextWriter text, int statusCode, scoped ReadOnlySpan<KeyValuePair<string, string>> headers, scoped ReadOnlySpan<byte> body)
    {
        WriteHead(ref text, statusCode, headers, body.Length);
        text.Write(body);
    }

    private static void WriteHead(
        ref HttpTextWriter text, int statusCode, scoped ReadOnlySpan<KeyValuePair<string, string>> headers, int contentLength)
    {
        WriteStatusLine(ref text, statusCode);
        foreach (KeyValuePair<string, string> header in headers)
        {
            text.WriteHeader(header.Key, header.Value);
        }

        if (HasContentLength(statusCode))
        {
            text.Write("Content-Length: "u8);
            text.Write(contentLength);
            text.Write("\r\n"u8);
        }

        text.Write("\r\n"u8);
    }

    private static bool HasContentLength(int statusCode) => statusCode >= 200 && statusCode != 204;

    private static void WriteStatusLine(ref HttpTextWriter text, int statusCode)
    {
        text.Write("HTTP/1.1 "u8);
        text.Write(statusCode);
        text.Write(" "u8);
        text.Write(GetReasonPhrase(statusCode));
        text.Write("\r\n"u8);
    }

    private static bool Finish(in HttpTextWriter text, out int bytesWritten)
    {
        bytesWritten = text.Fits ? text.Length : 0;
        return text.Fits;
    }
}
