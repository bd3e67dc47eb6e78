using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace WsFast.Tests.Broadcast;

/// <summary>A response read off a raw socket: status, headers (names case-insensitive) and body.</summary>
internal sealed record RawResponse(int Status, Dictionary<string, string> Headers, byte[] Body)
{
    public string Text => Encoding.UTF8.GetString(Body);

    public string? Header(string name) => Headers.GetValueOrDefault(name);
}

/// <summary>
/// A TCP connection that speaks HTTP/1.1 byte by byte, for what HttpClient will not do: several requests on a
/// connection the test controls, a request without Content-Length, a WebSocket client that never reads.
/// </summary>
internal sealed class RawConnection : IDisposable
{
    private readonly byte[] _buffer = new byte[64 * 1024];
    private int _start;
    private int _end;

    private RawConnection(Socket socket) => Socket = socket;

    public Socket Socket { get; }

    /// <summary>
    /// Connects to the server on loopback. A small <paramref name="receiveBufferSize"/>, set before the
    /// connection exists so that the kernel does not grow it, makes a client that does not read fill up fast.
    /// </summary>
    public static async Task<RawConnection> ConnectAsync(int port, int? receiveBufferSize = null)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        if (receiveBufferSize is { } size)
        {
            socket.ReceiveBufferSize = size;
        }

        using var cancel = new CancellationTokenSource(BroadcastKit.Timeout);
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), cancel.Token);
        return new RawConnection(socket);
    }

    /// <summary>
    /// A client that completed the WebSocket handshake on <paramref name="path"/> (status 101), offering
    /// <paramref name="subProtocol"/> if given, or was refused.
    /// </summary>
    public static async Task<(RawConnection Connection, RawResponse Response)> UpgradeAsync(int port, string path, int? receiveBufferSize = null, string? subProtocol = null)
    {
        RawConnection connection = await ConnectAsync(port, receiveBufferSize);
        string offer = subProtocol is null ? "" : $"Sec-WebSocket-Protocol: {subProtocol}\r\n";
        await connection.SendAsync(
            $"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
            $"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n{offer}\r\n");
        return (connection, await connection.ReadResponseAsync(bodyless: true));
    }

    public async Task SendAsync(string ascii)
    {
        using var cancel = new CancellationTokenSource(BroadcastKit.Timeout);
        await Socket.SendAsync(Encoding.ASCII.GetBytes(ascii), SocketFlags.None, cancel.Token);
    }

    public async Task SendAsync(byte[] bytes)
    {
        using var cancel = new CancellationTokenSource(BroadcastKit.Timeout);
        await Socket.SendAsync(bytes, SocketFlags.None, cancel.Token);
    }

    /// <summary>
    /// Reads one response: the head, then a Content-Length body, or with <c>Connection: close</c> and no
    /// length everything up to the end of the connection. <paramref name="bodyless"/> reads the head only (101).
    /// </summary>
    public async Task<RawResponse> ReadResponseAsync(bool bodyless = false, TimeSpan? timeout = null)
    {
        using var cancel = new CancellationTokenSource(timeout ?? BroadcastKit.Timeout);
        int headEnd;
        while ((headEnd = _buffer.AsSpan(_start, _end - _start).IndexOf("\r\n\r\n"u8)) < 0)
        {
            Assert.True(await FillAsync(cancel.Token), "The connection ended before a whole response head.");
        }

        string head = Encoding.ASCII.GetString(_buffer, _start, headEnd);
        _start += headEnd + 4;
        string[] lines = head.Split("\r\n");
        int status = int.Parse(lines[0].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (string line in lines.Skip(1))
        {
            int colon = line.IndexOf(':');
            headers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
        }

        if (bodyless)
        {
            return new RawResponse(status, headers, []);
        }

        var body = new MemoryStream();
        if (headers.TryGetValue("Content-Length", out string? lengthText))
        {
            int length = int.Parse(lengthText, System.Globalization.CultureInfo.InvariantCulture);
            while (body.Length < length)
            {
                if (_start == _end)
                {
                    Assert.True(await FillAsync(cancel.Token), "The connection ended inside a response body.");
                }

                int take = (int)Math.Min(_end - _start, length - body.Length);
                body.Write(_buffer, _start, take);
                _start += take;
            }
        }
        else
        {
            Assert.Equal("close", headers.GetValueOrDefault("Connection"));
            do
            {
                body.Write(_buffer, _start, _end - _start);
                _start = _end;
            }
            while (await FillAsync(cancel.Token));
        }

        return new RawResponse(status, headers, body.ToArray());
    }

    /// <summary>Reads the bytes as sent, up to and including the first <paramref name="end"/> (an event stream's blank line, say).</summary>
    public async Task<byte[]> ReadUntilAsync(ReadOnlyMemory<byte> end, TimeSpan? timeout = null)
    {
        using var cancel = new CancellationTokenSource(timeout ?? BroadcastKit.Timeout);
        int at;
        while ((at = _buffer.AsSpan(_start, _end - _start).IndexOf(end.Span)) < 0)
        {
            Assert.True(await FillAsync(cancel.Token), $"The connection ended before the expected bytes; it sent: \"{Encoding.UTF8.GetString(_buffer, _start, _end - _start)}\"");
        }

        byte[] bytes = _buffer.AsSpan(_start, at + end.Length).ToArray();
        _start += at + end.Length;
        return bytes;
    }

    /// <summary>Reads one server frame (unmasked, RFC 6455 section 5.2): its opcode and payload.</summary>
    public async Task<(int Opcode, byte[] Payload)> ReadFrameAsync(CancellationToken cancel)
    {
        byte[] head = await ReadExactlyAsync(2, cancel);
        int opcode = head[0] & 0x0F;
        long length = head[1] & 0x7F;
        if (length == 126)
        {
            length = BinaryPrimitives.ReadUInt16BigEndian(await ReadExactlyAsync(2, cancel));
        }
        else if (length == 127)
        {
            length = (long)BinaryPrimitives.ReadUInt64BigEndian(await ReadExactlyAsync(8, cancel));
        }

        return (opcode, await ReadExactlyAsync(checked((int)length), cancel));
    }

    /// <summary>True when the peer ends the connection (FIN or reset) within <paramref name="timeout"/>; reads and discards until then.</summary>
    public async Task<bool> EndsWithinAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            while (await FillAsync(cancel.Token))
            {
                _start = _end;
            }

            return true;
        }
        catch (SocketException)
        {
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public void Dispose() => Socket.Dispose();

    /// <summary>Reads exactly <paramref name="count"/> bytes (a draft-76 answer, say).</summary>
    public async Task<byte[]> ReadExactlyAsync(int count, CancellationToken cancel)
    {
        byte[] bytes = new byte[count];
        int read = 0;
        while (read < count)
        {
            if (_start == _end)
            {
                Assert.True(await FillAsync(cancel), "The connection ended inside a frame.");
            }

            int take = Math.Min(_end - _start, count - read);
            Array.Copy(_buffer, _start, bytes, read, take);
            _start += take;
            read += take;
        }

        return bytes;
    }

    // Appends what the socket has to the buffer; false at the end of the connection.
    private async Task<bool> FillAsync(CancellationToken cancel)
    {
        if (_start > 0)
        {
            Array.Copy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }

        Assert.True(_end < _buffer.Length, "A response head larger than the test's buffer.");
        int received = await Socket.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None, cancel);
        _end += received;
        return received > 0;
    }
}

/// <summary>One Server-Sent Event: its id, its type (null for the default, message) and its data lines joined with '\n'.</summary>
internal sealed record ServerSentEvent(string? Id, string? Type, string Data);

/// <summary>A <c>text/event-stream</c> response read event by event.</summary>
internal sealed class EventStream : IDisposable
{
    private readonly HttpResponseMessage _response;
    private readonly StreamReader _reader;

    private EventStream(HttpResponseMessage response, Stream body)
    {
        _response = response;
        _reader = new StreamReader(body, Encoding.UTF8);
    }

    public HttpResponseMessage Response => _response;

    /// <summary>Opens <paramref name="path"/> (e.g. <c>/sse/news</c>), optionally resuming after <paramref name="lastEventId"/>.</summary>
    public static async Task<EventStream> OpenAsync(HttpClient http, string path, string? lastEventId = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (lastEventId is not null)
        {
            request.Headers.Add("Last-Event-ID", lastEventId);
        }

        using var cancel = new CancellationTokenSource(BroadcastKit.Timeout);
        HttpResponseMessage response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancel.Token);
        return new EventStream(response, await response.Content.ReadAsStreamAsync(cancel.Token));
    }

    /// <summary>The next event with data or a type; the <c>retry</c> field and comment lines are skipped.</summary>
    public async Task<ServerSentEvent> ReadAsync(TimeSpan? timeout = null)
    {
        using var cancel = new CancellationTokenSource(timeout ?? BroadcastKit.Timeout);
        string? id = null;
        string? type = null;
        List<string>? data = null;
        while (true)
        {
            string? line = await _reader.ReadLineAsync(cancel.Token);
            Assert.NotNull(line); // the stream must not end
            if (line.Length == 0)
            {
                if (data is not null || type is not null)
                {
                    return new ServerSentEvent(id, type, string.Join('\n', data ?? []));
                }

                continue;
            }

            if (line.StartsWith(':'))
            {
                continue;
            }

            int colon = line.IndexOf(':');
            string field = colon < 0 ? line : line[..colon];
            string value = colon < 0 ? "" : line[(colon + 1)..];
            if (value.StartsWith(' '))
            {
                value = value[1..];
            }

            switch (field)
            {
                case "id":
                    id = value;
                    break;
                case "event":
                    type = value;
                    break;
                case "data":
                    (data ??= []).Add(value);
                    break;
            }
        }
    }

    public void Dispose()
    {
        _reader.Dispose();
        _response.Dispose();
    }
}

/// <summary>A <c>GET /poll/{topic}</c> answer.</summary>
internal sealed record PollAnswer(string Topic, long Last, bool Truncated, long? Oldest, List<PolledItem> Messages)
{
    public static PollAnswer Parse(string json)
    {
        using JsonDocument document = JsonDocument.Parse(json);
        JsonElement root = document.RootElement;
        var messages = root.GetProperty("messages").EnumerateArray()
            .Select(m => new PolledItem(
                m.GetProperty("sequence").GetInt64(),
                m.GetProperty("type").GetString()!,
                m.GetProperty("data").GetString()!,
                m.GetProperty("time").GetDateTime()))
            .ToList();
        return new PollAnswer(
            root.GetProperty("topic").GetString()!,
            root.GetProperty("last").GetInt64(),
            root.GetProperty("truncated").GetBoolean(),
            root.TryGetProperty("oldest", out JsonElement oldest) ? oldest.GetInt64() : null,
            messages);
    }

    public static async Task<PollAnswer> GetAsync(HttpClient http, string pathAndQuery)
    {
        using HttpResponseMessage response = await http.GetAsync(pathAndQuery);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return Parse(await response.Content.ReadAsStringAsync());
    }
}

/// <summary>One message of a poll answer.</summary>
internal sealed record PolledItem(long Sequence, string Type, string Data, DateTime Time);
