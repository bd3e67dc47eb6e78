using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using WsFast.Protocol;
using WsFast.Tests.Support;

namespace WsFast.Tests.Server;

/// <summary>How the server ended a TCP connection, as the client saw it.</summary>
internal enum TcpEnd
{
    /// <summary>An orderly close: a read returned 0 bytes (the server's FIN).</summary>
    Fin,
    /// <summary>A reset: a read failed with ConnectionReset (the server's RST), which may destroy unread data.</summary>
    Reset,
}

/// <summary>A frame as the server sent it, parsed by <see cref="RawClient"/>.</summary>
internal sealed record ServerFrame(bool Fin, int Rsv, Opcode Opcode, byte[] Payload)
{
    /// <summary>The status code of a close frame, or null when it carried none.</summary>
    public ushort? CloseCode => Opcode == Opcode.Close && Payload.Length >= 2 ? BinaryPrimitives.ReadUInt16BigEndian(Payload) : null;

    /// <summary>The reason of a close frame (empty when none).</summary>
    public string CloseReason => Opcode == Opcode.Close && Payload.Length > 2 ? Encoding.UTF8.GetString(Payload, 2, Payload.Length - 2) : "";

    /// <summary>The payload as UTF-8 text.</summary>
    public string Text => Encoding.UTF8.GetString(Payload);

    /// <inheritdoc/>
    public override string ToString() => Opcode == Opcode.Close
        ? $"Close {CloseCode} \"{CloseReason}\""
        : $"{Opcode} fin={Fin} rsv={Rsv} {Payload.Length} bytes";
}

/// <summary>The status line and header fields of an HTTP response.</summary>
internal sealed record HttpHead(int Status, string StatusLine, IReadOnlyList<KeyValuePair<string, string>> Headers)
{
    /// <summary>The value of the first header field named <paramref name="name"/> (case-insensitive), or null.</summary>
    public string? Header(string name) =>
        Headers.FirstOrDefault(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value;
}

/// <summary>
/// A client on a plain TCP socket that says exactly what a test tells it to, including what no real client
/// would: bytes instead of a request, unmasked frames, half frames, a reset instead of a close. It reads
/// server frames with its own strict parser (server frames are unmasked, without RSV bits) and tells a FIN
/// from an RST. Every read waits at most <see cref="Timeout"/> (or the timeout given) and then throws
/// <see cref="TimeoutException"/>, so a test never hangs on a server that stays silent.
/// </summary>
internal sealed class RawClient : IAsyncDisposable
{
    /// <summary>How long a read waits unless told otherwise.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How much earlier than a test's Stopwatch the server's deadlines may fall due: they are kept in
    /// Environment.TickCount64, a coarse clock (a few milliseconds per step on Linux).
    /// </summary>
    public static readonly TimeSpan ClockSlack = TimeSpan.FromMilliseconds(20);

    private readonly Socket _socket;

    // Bytes received and not yet parsed: _pending[_start.._end].
    private byte[] _pending = new byte[64 * 1024];
    private int _start;
    private int _end;
    private bool _ended;

    private RawClient(Socket socket) => _socket = socket;

    /// <summary>The client's address and port, as the server logs it.</summary>
    public EndPoint LocalEndPoint => _socket.LocalEndPoint!;

    /// <summary>
    /// Connects to 127.0.0.1:<paramref name="port"/> without sending anything, from <paramref name="from"/> when
    /// given (any loopback address, 127.0.0.2 and so on: a client of another address for the per-address limits).
    /// </summary>
    public static async Task<RawClient> ConnectAsync(int port, IPAddress? from = null)
    {
        // IPv4 only, so that the address the server logs is the plain 127.0.0.1:port this client reports.
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            if (from is not null)
            {
                socket.Bind(new IPEndPoint(from, 0));
            }

            using var timeout = new CancellationTokenSource(Timeout);
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), timeout.Token);
            return new RawClient(socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Connects and completes a valid upgrade to <paramref name="path"/>.</summary>
    public static async Task<RawClient> OpenAsync(int port, string path = "/echo")
    {
        RawClient client = await ConnectAsync(port);
        try
        {
            await client.UpgradeAsync(path);
            return client;
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }
    }

    /// <summary>A valid RFC 6455 section 4.1 upgrade request for <paramref name="path"/>.</summary>
    public static string UpgradeRequest(string path = "/echo", string key = "dGhlIHNhbXBsZSBub25jZQ==") =>
        $"GET {path} HTTP/1.1\r\n" +
        "Host: 127.0.0.1\r\n" +
        "Upgrade: websocket\r\n" +
        "Connection: Upgrade\r\n" +
        $"Sec-WebSocket-Key: {key}\r\n" +
        "Sec-WebSocket-Version: 13\r\n" +
        "\r\n";

    /// <summary>Sends a valid upgrade request and checks the 101 and its accept key (section 4.2.2).</summary>
    public async Task UpgradeAsync(string path = "/echo")
    {
        await SendAsync(UpgradeRequest(path));
        HttpHead head = await ReadHeadAsync();
        Assert.True(head.Status == 101, $"expected 101, got: {head.StatusLine}");
        Assert.Equal("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", head.Header("Sec-WebSocket-Accept"));
    }

    /// <summary>Sends raw bytes in one write.</summary>
    public async Task SendAsync(ReadOnlyMemory<byte> bytes)
    {
        using var timeout = new CancellationTokenSource(Timeout);
        while (!bytes.IsEmpty)
        {
            int sent = await _socket.SendAsync(bytes, SocketFlags.None, timeout.Token);
            bytes = bytes[sent..];
        }
    }

    /// <summary>Sends ASCII text (an HTTP request or a piece of one).</summary>
    public Task SendAsync(string ascii) => SendAsync(Encoding.ASCII.GetBytes(ascii));

    /// <summary>Sends several frames in one write, so that the server receives them together.</summary>
    public Task SendFramesAsync(params byte[][] frames) => SendAsync(ClientFrames.Concat(frames));

    /// <summary>Half-closes: the server reads EOF, and this client can still read.</summary>
    public void ShutdownSend() => _socket.Shutdown(SocketShutdown.Send);

    /// <summary>Drops the connection with an RST instead of a FIN (SO_LINGER with a zero timeout).</summary>
    public void Reset()
    {
        _socket.LingerState = new LingerOption(true, 0);
        _socket.Close();
    }

    /// <summary>Reads an HTTP response head up to and including its empty line.</summary>
    public async Task<HttpHead> ReadHeadAsync(TimeSpan? timeout = null)
    {
        using var cancel = new CancellationTokenSource(timeout ?? Timeout);
        int end;
        while ((end = _pending.AsSpan(_start, _end - _start).IndexOf("\r\n\r\n"u8)) < 0)
        {
            if (!await FillAsync(cancel.Token))
            {
                throw new IOException($"the connection ended before the response head was complete: \"{Encoding.ASCII.GetString(_pending, _start, _end - _start)}\"");
            }
        }

        string text = Encoding.ASCII.GetString(_pending, _start, end);
        _start += end + 4;
        string[] lines = text.Split("\r\n");
        string[] status = lines[0].Split(' ', 3);
        Assert.Equal("HTTP/1.1", status[0]);
        var headers = new List<KeyValuePair<string, string>>();
        foreach (string line in lines.Skip(1))
        {
            int colon = line.IndexOf(':');
            Assert.True(colon > 0, $"malformed response header line: {line}");
            headers.Add(KeyValuePair.Create(line[..colon], line[(colon + 1)..].Trim()));
        }

        return new HttpHead(int.Parse(status[1], System.Globalization.CultureInfo.InvariantCulture), lines[0], headers);
    }

    /// <summary>Reads exactly <paramref name="count"/> bytes, such as a response body after its head.</summary>
    public async Task<byte[]> ReadBodyAsync(int count, TimeSpan? timeout = null)
    {
        using var cancel = new CancellationTokenSource(timeout ?? Timeout);
        while (_end - _start < count)
        {
            if (!await FillAsync(cancel.Token))
            {
                throw new IOException($"the connection ended with {_end - _start} of {count} body bytes");
            }
        }

        byte[] body = _pending.AsSpan(_start, count).ToArray();
        _start += count;
        return body;
    }

    /// <summary>Reads the next frame the server sends.</summary>
    public async Task<ServerFrame> ReadFrameAsync(TimeSpan? timeout = null)
    {
        using var cancel = new CancellationTokenSource(timeout ?? Timeout);
        while (true)
        {
            ServerFrame? frame = TryParseFrame();
            if (frame is not null)
            {
                return frame;
            }

            if (!await FillAsync(cancel.Token))
            {
                throw new IOException($"the connection ended inside or before a frame ({_end - _start} bytes pending)");
            }
        }
    }

    /// <summary>Reads frames until one is not a ping, answering each ping with a pong as section 5.5.2 asks.</summary>
    public async Task<ServerFrame> ReadFrameAnsweringPingsAsync(TimeSpan? timeout = null)
    {
        while (true)
        {
            ServerFrame frame = await ReadFrameAsync(timeout);
            if (frame.Opcode != Opcode.Ping)
            {
                return frame;
            }

            await SendAsync(ClientFrames.Frame(Opcode.Pong, frame.Payload));
        }
    }

    /// <summary>
    /// Reads until the server ends the connection and returns the bytes that came before the end (normally
    /// none: a test asserts nothing follows a close frame) and how it ended.
    /// </summary>
    public async Task<(byte[] Bytes, TcpEnd End)> ReadToEndAsync(TimeSpan? timeout = null)
    {
        using var cancel = new CancellationTokenSource(timeout ?? Timeout);
        try
        {
            while (await FillAsync(cancel.Token))
            {
            }
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
            return (TakePending(), TcpEnd.Reset);
        }

        return (TakePending(), TcpEnd.Fin);
    }

    /// <summary>Asserts that the server closes the TCP connection (FIN, not RST) with nothing more sent.</summary>
    public async Task AssertEndsCleanlyAsync(TimeSpan? timeout = null)
    {
        (byte[] rest, TcpEnd end) = await ReadToEndAsync(timeout);
        Assert.True(rest.Length == 0, $"{rest.Length} unexpected bytes after the last expected one: {Convert.ToHexString(rest.AsSpan(0, Math.Min(rest.Length, 32)))}");
        Assert.Equal(TcpEnd.Fin, end);
    }

    /// <summary>Sends a text message and asserts the echo endpoint sends it back.</summary>
    public async Task AssertEchoesAsync(string text)
    {
        await SendAsync(ClientFrames.Text(text));
        ServerFrame echo = await ReadFrameAsync();
        Assert.Equal(Opcode.Text, echo.Opcode);
        Assert.Equal(text, echo.Text);
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync()
    {
        _socket.Dispose();
        return default;
    }

    // Reads once into the pending buffer; false at EOF. Throws TimeoutException when the token fires first.
    private async Task<bool> FillAsync(CancellationToken cancel)
    {
        if (_ended)
        {
            return false;
        }

        if (_start > 0 && _start == _end)
        {
            _start = _end = 0;
        }

        if (_end == _pending.Length)
        {
            Array.Resize(ref _pending, _pending.Length * 2);
        }

        int received;
        try
        {
            received = await _socket.ReceiveAsync(_pending.AsMemory(_end), SocketFlags.None, cancel);
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            throw new TimeoutException($"the server sent nothing more in time ({_end - _start} bytes pending)");
        }

        if (received == 0)
        {
            _ended = true;
            return false;
        }

        _end += received;
        return true;
    }

    private byte[] TakePending()
    {
        byte[] rest = _pending[_start.._end];
        _start = _end = 0;
        return rest;
    }

    // Parses one whole frame from the pending bytes, or returns null when more are needed.
    private ServerFrame? TryParseFrame()
    {
        ReadOnlySpan<byte> bytes = _pending.AsSpan(_start, _end - _start);
        if (bytes.Length < 2)
        {
            return null;
        }

        bool fin = (bytes[0] & 0x80) != 0;
        int rsv = (bytes[0] >> 4) & 0x07;
        var opcode = (Opcode)(bytes[0] & 0x0F);
        Assert.True((bytes[1] & 0x80) == 0, "a server frame must not be masked (section 5.1)");
        int length7 = bytes[1] & 0x7F;
        int headerSize = length7 switch { 126 => 4, 127 => 10, _ => 2 };
        if (bytes.Length < headerSize)
        {
            return null;
        }

        long length = length7 switch
        {
            126 => BinaryPrimitives.ReadUInt16BigEndian(bytes[2..]),
            127 => (long)BinaryPrimitives.ReadUInt64BigEndian(bytes[2..]),
            _ => length7,
        };
        Assert.InRange(length, 0, 64L * 1024 * 1024);
        if (bytes.Length < headerSize + length)
        {
            return null;
        }

        byte[] payload = bytes.Slice(headerSize, (int)length).ToArray();
        _start += headerSize + (int)length;
        return new ServerFrame(fin, rsv, opcode, payload);
    }
}
