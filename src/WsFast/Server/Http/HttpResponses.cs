using System.Text;
using WsFast.Protocol;
using WsFast.Transport;

namespace WsFast.Server;

/// <summary>HTTP responses rendered into pooled buffers, ready to queue on a connection.</summary>
internal static class HttpResponses
{
    private static readonly KeyValuePair<string, string>[] CloseHeaders =
    [
        new("Content-Type", "text/plain; charset=utf-8"),
        new("Connection", "close"),
    ];

    public static SharedBuffer SwitchingProtocols(string key, string? subProtocol, string? extensions)
    {
        SharedBuffer buffer = SharedBufferPool.Shared.Rent(256 + (subProtocol?.Length ?? 0) + (extensions?.Length ?? 0));
        if (!HandshakeResponse.TryWriteAccept(key, subProtocol, extensions, buffer.Span, out int written))
        {
            buffer.Release();
            throw new InvalidOperationException("The 101 response did not fit its buffer.");
        }

        buffer.Length = written;
        return buffer;
    }

    public static SharedBuffer Error(HandshakeError error)
    {
        SharedBuffer buffer = SharedBufferPool.Shared.Rent(1024);
        HandshakeResponse.TryWriteRefusal(error, buffer.Span, out int written);
        buffer.Length = written;
        return buffer;
    }

    /// <summary>A status with a one-line plain-text reason, closing the connection.</summary>
    public static SharedBuffer Status(int status, string reason, params KeyValuePair<string, string>[] extraHeaders)
    {
        KeyValuePair<string, string>[] headers = extraHeaders.Length == 0 ? CloseHeaders : [.. CloseHeaders, .. extraHeaders];
        return Render(status, headers, Encoding.UTF8.GetBytes(reason + "\n"));
    }

    /// <summary>A response with a body, keeping the connection open or closing it.</summary>
    public static SharedBuffer Content(int status, string contentType, ReadOnlySpan<byte> body, bool keepAlive) =>
        Render(status, ContentHeaders(contentType, keepAlive), body);

    /// <summary>The headers of a response with content.</summary>
    public static KeyValuePair<string, string>[] ContentHeaders(string contentType, bool keepAlive) =>
        [new("Content-Type", contentType), new("Cache-Control", "no-store"), new("Connection", keepAlive ? "keep-alive" : "close")];

    private static SharedBuffer Render(int status, ReadOnlySpan<KeyValuePair<string, string>> headers, ReadOnlySpan<byte> body)
    {
        int size = 512 + body.Length;
        foreach (KeyValuePair<string, string> header in headers)
        {
            size += header.Key.Length + header.Value.Length + 4;
        }

        SharedBuffer buffer = SharedBufferPool.Shared.Rent(size);
        if (!HandshakeResponse.TryWriteHttp(status, headers, body, buffer.Span, out int written))
        {
            buffer.Release();
            throw new InvalidOperationException("The HTTP response did not fit its buffer.");
        }

        buffer.Length = written;
        return buffer;
    }
}
