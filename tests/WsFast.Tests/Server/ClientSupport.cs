using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;

namespace WsFast.Tests.Server;

/// <summary>
/// What the integration tests do as a client: receive whole messages, expect the close handshake, and speak
/// raw HTTP where <see cref="ClientWebSocket"/> hides the status line.
/// </summary>
internal static class ClientSupport
{
    /// <summary>A request head that is a valid upgrade to <paramref name="path"/>, ending with the empty line.</summary>
    public static string UpgradeRequest(string path, string extraHeaders = "") =>
        $"GET {path} HTTP/1.1\r\n" +
        "Host: 127.0.0.1\r\n" +
        "Upgrade: websocket\r\n" +
        "Connection: Upgrade\r\n" +
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
        "Sec-WebSocket-Version: 13\r\n" +
        extraHeaders +
        "\r\n";

    /// <summary>
    /// Connects a <see cref="ClientWebSocket"/> whose socket has a 64 KiB receive buffer. A fixed buffer turns off
    /// the kernel's autotuning (up to 32 MiB here), so that the kernel holds only a little of what the client has
    /// not read and a client that stops reading makes the server's queue for it fill up.
    /// </summary>
    public static async Task<ClientWebSocket> ConnectWithSmallReceiveBufferAsync(Uri uri, CancellationToken cancellationToken)
    {
        using var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, token) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 64 * 1024 };
                await socket.ConnectAsync(context.DnsEndPoint, token);
                return new NetworkStream(socket, ownsSocket: true);
            },
        };
        using var invoker = new HttpMessageInvoker(handler);
        var client = new ClientWebSocket();
        client.Options.KeepAliveInterval = TimeSpan.Zero;
        await client.ConnectAsync(uri, invoker, cancellationToken);
        return client;
    }

    /// <summary>Receives one whole message, however many reads it takes; a close frame gives (Close, empty).</summary>
    public static async Task<(WebSocketMessageType Type, byte[] Payload)> ReceiveMessageAsync(
        this WebSocket socket, CancellationToken cancellationToken)
    {
        byte[] buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        while (true)
        {
            ValueWebSocketReceiveResult result = await socket.ReceiveAsync(buffer.AsMemory(), cancellationToken);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return (WebSocketMessageType.Close, []);
            }

            message.Write(buffer, 0, result.Count);
            if (result.EndOfMessage)
            {
                return (result.MessageType, message.ToArray());
            }
        }
    }

    /// <summary>Receives one message and checks that it is text.</summary>
    public static async Task<string> ReceiveTextAsync(this WebSocket socket, CancellationToken cancellationToken)
    {
        (WebSocketMessageType type, byte[] payload) = await socket.ReceiveMessageAsync(cancellationToken);
        Assert.Equal(WebSocketMessageType.Text, type);
        return Encoding.UTF8.GetString(payload);
    }

    /// <summary>Sends <paramref name="text"/> as one text message.</summary>
    public static Task SendTextAsync(this WebSocket socket, string text, CancellationToken cancellationToken) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, endOfMessage: true, cancellationToken);

    /// <summary>
    /// Expects the next frame to be the server's close, answers it with the same code as RFC 6455 section 5.5.1
    /// asks, and returns the code and reason the server sent.
    /// </summary>
    public static async Task<(WebSocketCloseStatus? Status, string? Reason)> ExpectCloseAsync(
        this WebSocket socket, CancellationToken cancellationToken)
    {
        (WebSocketMessageType type, byte[] payload) = await socket.ReceiveMessageAsync(cancellationToken);
        Assert.True(type == WebSocketMessageType.Close,
            $"Expected the server's close, got a {type} message of {payload.Length} bytes.");
        (WebSocketCloseStatus? status, string? reason) = (socket.CloseStatus, socket.CloseStatusDescription);
        if (socket.State == System.Net.WebSockets.WebSocketState.CloseReceived)
        {
            await socket.CloseOutputAsync(status ?? WebSocketCloseStatus.NormalClosure, "", cancellationToken);
        }

        return (status, reason);
    }

    /// <summary>
    /// Connects a <see cref="ClientWebSocket"/> that the server is expected to refuse, and returns the HTTP status
    /// of the refusal.
    /// </summary>
    public static async Task<HttpStatusCode> ConnectExpectingRefusalAsync(
        TestServer server, string path, Action<ClientWebSocketOptions>? configure = null)
    {
        using var client = new ClientWebSocket();
        client.Options.CollectHttpResponseDetails = true;
        configure?.Invoke(client.Options);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await Assert.ThrowsAsync<WebSocketException>(() => client.ConnectAsync(server.Ws(path), timeout.Token));
        return client.HttpStatusCode;
    }

    /// <summary>A TCP connection to the server on 127.0.0.1.</summary>
    public static async Task<Socket> ConnectRawAsync(int port, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), cancellationToken);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Sends <paramref name="request"/> on a new TCP connection and returns the response head.</summary>
    public static async Task<string> RawRequestAsync(int port, string request, CancellationToken cancellationToken)
    {
        using Socket socket = await ConnectRawAsync(port, cancellationToken);
        await socket.SendAsync(Encoding.ASCII.GetBytes(request), SocketFlags.None, cancellationToken);
        return await ReadResponseHeadAsync(socket, cancellationToken);
    }

    /// <summary>
    /// Reads up to the empty line that ends an HTTP response head (or to the end of the stream), and returns
    /// it as text.
    /// </summary>
    public static async Task<string> ReadResponseHeadAsync(Socket socket, CancellationToken cancellationToken)
    {
        var received = new List<byte>();
        var buffer = new byte[1];
        while (!EndsWithEmptyLine(received))
        {
            // One byte at a time, so that nothing after the head (a body, the first frames) is consumed.
            int read = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
            if (read == 0)
            {
                break;
            }

            received.Add(buffer[0]);
        }

        return Encoding.ASCII.GetString(received.ToArray());
    }

    /// <summary>The status code of a response head, e.g. 503 for "HTTP/1.1 503 Service Unavailable".</summary>
    public static int StatusOf(string responseHead)
    {
        Assert.StartsWith("HTTP/1.1 ", responseHead);
        return int.Parse(responseHead.AsSpan(9, 3), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Reads until the peer ends the connection and returns how many bytes came; a reset counts as an end,
    /// since a server that drops a connection may close it either way.
    /// </summary>
    public static async Task<int> ReadUntilClosedAsync(Socket socket, CancellationToken cancellationToken)
    {
        var buffer = new byte[4096];
        int total = 0;
        try
        {
            while (true)
            {
                int read = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
                if (read == 0)
                {
                    return total;
                }

                total += read;
            }
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
            return total;
        }
    }

    /// <summary>Polls <paramref name="condition"/> until it holds or <paramref name="cancellationToken"/> fires.</summary>
    public static async Task WaitUntilAsync(Func<bool> condition, CancellationToken cancellationToken)
    {
        while (!condition())
        {
            await Task.Delay(10, cancellationToken);
        }
    }

    private static bool EndsWithEmptyLine(List<byte> bytes) =>
        bytes.Count >= 4 && bytes[^4] == '\r' && bytes[^3] == '\n' && bytes[^2] == '\r' && bytes[^1] == '\n';
}
