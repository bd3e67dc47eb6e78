using System.Globalization;
using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using WsFast.Tests.Server;

namespace WsFast.Tests.Scaleout;

/// <summary>A WebSocket client of <c>/broadcast/{topic}</c>, with <c>wsfast.v1</c> envelopes (epoch, sequence, gaps) or without (the text alone).</summary>
internal sealed class SocketClient : Subscriber
{
    private const string Envelopes = "wsfast.v1";

    private readonly ClientWebSocket _socket;
    private readonly bool _enveloped;

    private SocketClient(ClientWebSocket socket, bool enveloped, string name)
        : base(name)
    {
        _socket = socket;
        _enveloped = enveloped;
    }

    /// <summary>A client that asks for envelopes, resuming after <paramref name="after"/> (<c>E:N</c>) when given.</summary>
    public static Task<SocketClient> EnvelopedAsync(TestServer node, string topic, string? after = null) =>
        ConnectAsync(node, topic, after, enveloped: true);

    /// <summary>A client that gets each message's text as it was published.</summary>
    public static Task<SocketClient> PlainAsync(TestServer node, string topic) =>
        ConnectAsync(node, topic, after: null, enveloped: false);

    private static async Task<SocketClient> ConnectAsync(TestServer node, string topic, string? after, bool enveloped)
    {
        string path = after is null ? $"/broadcast/{topic}" : $"/broadcast/{topic}?after={after}";
        ClientWebSocket socket = await node.ConnectAsync(path, options =>
        {
            if (enveloped)
            {
                options.AddSubProtocol(Envelopes);
            }
        });
        Assert.Equal(enveloped ? Envelopes : null, socket.SubProtocol);
        var client = new SocketClient(socket, enveloped, $"{(enveloped ? "wsfast.v1 WebSocket" : "WebSocket")} on port {node.Port}");
        client.Start(client.ReceiveAsync);
        return client;
    }

    /// <summary>Whether the WebSocket is still open.</summary>
    public bool IsOpen => _socket.State == WebSocketState.Open;

    protected override void Close() => _socket.Abort();

    private async Task ReceiveAsync(CancellationToken stop)
    {
        byte[] buffer = new byte[64 * 1024];
        var message = new MemoryStream();
        while (true)
        {
            ValueWebSocketReceiveResult result = await _socket.ReceiveAsync(buffer.AsMemory(), stop);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return;
            }

            message.Write(buffer, 0, result.Count);
            if (!result.EndOfMessage)
            {
                continue;
            }

            string text = Encoding.UTF8.GetString(message.GetBuffer(), 0, (int)message.Length);
            message.SetLength(0);
            Add(_enveloped ? Parse(text) : new Message(0, 0, text));
        }
    }

    // {"topic":"t","epoch":E,"seq":N,"data":"..."} or {"topic":"t","epoch":E,"gap":true,"first":F,"last":L[,"reset":true]}
    private static Delivery Parse(string envelope)
    {
        using JsonDocument document = JsonDocument.Parse(envelope);
        JsonElement json = document.RootElement;
        long epoch = json.GetProperty("epoch").GetInt64();
        return json.TryGetProperty("gap", out _)
            ? new Gap(epoch, json.GetProperty("first").GetInt64(), json.GetProperty("last").GetInt64(), json.TryGetProperty("reset", out JsonElement reset) && reset.GetBoolean())
            : new Message(epoch, json.GetProperty("seq").GetInt64(), json.GetProperty("data").GetString()!);
    }
}

/// <summary>A Server-Sent Events client of <c>/sse/{topic}</c>: event ids <c>E:N</c>, <c>event: gap</c>.</summary>
internal sealed class EventStreamClient : Subscriber
{
    private readonly HttpClient _http;
    private readonly HttpResponseMessage _response;
    private readonly StreamReader _reader;

    private EventStreamClient(HttpClient http, HttpResponseMessage response, StreamReader reader, string name)
        : base(name)
    {
        _http = http;
        _response = response;
        _reader = reader;
    }

    /// <summary>Opens the stream, resuming after <paramref name="lastEventId"/> (sent as <c>Last-Event-ID</c>) when given.</summary>
    public static async Task<EventStreamClient> OpenAsync(TestServer node, string topic, string? lastEventId = null) =>
        await OpenAsync(node.Http($"/sse/{topic}"), lastEventId, $"event stream on port {node.Port}");

    /// <summary>Opens the stream at <paramref name="address"/> (a node in another process, say).</summary>
    public static async Task<EventStreamClient> OpenAsync(Uri address, string? lastEventId, string name)
    {
        // No overall timeout: the stream lasts the test; each wait of the test has its own deadline.
        var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        using var request = new HttpRequestMessage(HttpMethod.Get, address);
        if (lastEventId is not null)
        {
            request.Headers.Add("Last-Event-ID", lastEventId);
        }

        using var opening = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        HttpResponseMessage response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, opening.Token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var reader = new StreamReader(await response.Content.ReadAsStreamAsync(opening.Token), Encoding.UTF8);
        var client = new EventStreamClient(http, response, reader, name);
        client.Start(client.ReceiveAsync);
        return client;
    }

    protected override void Close()
    {
        _response.Dispose();
        _http.Dispose();
    }

    private async Task ReceiveAsync(CancellationToken stop)
    {
        string? id = null;
        string? type = null;
        var data = new List<string>();
        while (await _reader.ReadLineAsync(stop) is { } line)
        {
            if (line.Length == 0)
            {
                if (data.Count > 0)
                {
                    Add(Parse(id, type, string.Join('\n', data)));
                }

                (id, type) = (null, null);
                data.Clear();
                continue;
            }

            int colon = line.IndexOf(':');
            if (colon == 0)
            {
                continue; // a comment (keep-alive)
            }

            string field = colon < 0 ? line : line[..colon];
            string value = colon < 0 ? "" : line[(colon + 1)..].TrimStart(' ');
            switch (field)
            {
                case "id":
                    id = value;
                    break;
                case "event":
                    type = value;
                    break;
                case "data":
                    data.Add(value);
                    break;
            }
        }
    }

    private static Delivery Parse(string? id, string? type, string data)
    {
        if (type == "gap")
        {
            // data: {"first":F,"last":L,"epoch":E[,"reset":true]}
            using JsonDocument document = JsonDocument.Parse(data);
            JsonElement gap = document.RootElement;
            return new Gap(gap.GetProperty("epoch").GetInt64(), gap.GetProperty("first").GetInt64(), gap.GetProperty("last").GetInt64(),
                gap.TryGetProperty("reset", out JsonElement reset) && reset.GetBoolean());
        }

        Assert.Null(type);
        Assert.NotNull(id);
        (long epoch, long sequence) = Cursor.Parse(id);
        return new Message(epoch, sequence, data);
    }
}

/// <summary>
/// A long-polling client of <c>/poll/{topic}</c>: polls again from the <c>cursor</c> of each answer, as a browser's
/// script would; a <c>"reset"</c> or <c>"truncated"</c> answer is a gap. A 503 (the node cannot read the topic from
/// Redis) is polled again shortly from the same cursor.
/// </summary>
internal sealed class PollClient : Subscriber
{
    private readonly HttpClient _http;
    private readonly string _topic;
    private string _cursor;

    private PollClient(TestServer node, string topic, string after)
        : base($"long poll on port {node.Port}")
    {
        _http = new HttpClient { BaseAddress = node.Http("/"), Timeout = TimeSpan.FromSeconds(10) };
        _topic = topic;
        _cursor = after;
    }

    /// <summary>Starts polling after <paramref name="after"/> (<c>E:N</c>; a bare <c>0</c> is the topic's first message).</summary>
    public static PollClient Start(TestServer node, string topic, string after = "0")
    {
        var client = new PollClient(node, topic, after);
        client.Start(client.PollAsync);
        return client;
    }

    /// <summary>The cursor it polls from now.</summary>
    public string Cursor => Volatile.Read(ref _cursor);

    protected override void Close() => _http.Dispose();

    private async Task PollAsync(CancellationToken stop)
    {
        while (true)
        {
            using HttpResponseMessage response = await _http.GetAsync($"/poll/{_topic}?after={_cursor}&wait=1", stop);
            if (response.StatusCode == HttpStatusCode.ServiceUnavailable)
            {
                Assert.NotNull(response.Headers.RetryAfter);
                await Task.Delay(100, stop);
                continue;
            }

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            using JsonDocument document = JsonDocument.Parse(await response.Content.ReadAsStringAsync(stop));
            JsonElement answer = document.RootElement;
            if (!answer.TryGetProperty("epoch", out JsonElement epochElement))
            {
                continue; // no epoch yet: nothing to read
            }

            long epoch = epochElement.GetInt64();
            bool reset = answer.TryGetProperty("reset", out JsonElement resetElement) && resetElement.GetBoolean();
            if (answer.GetProperty("truncated").GetBoolean())
            {
                long oldest = answer.GetProperty("oldest").GetInt64();
                Add(new Gap(epoch, reset ? 1 : global::WsFast.Tests.Scaleout.Cursor.Parse(_cursor).Sequence + 1, oldest - 1, reset));
            }

            foreach (JsonElement message in answer.GetProperty("messages").EnumerateArray())
            {
                Add(new Message(epoch, message.GetProperty("sequence").GetInt64(), message.GetProperty("data").GetString()!));
            }

            Volatile.Write(ref _cursor, answer.GetProperty("cursor").GetString()!);
        }
    }
}

/// <summary>Cursors as the transports give them: <c>E:N</c> (epoch, sequence number) or a bare <c>N</c>.</summary>
internal static class Cursor
{
    public static (long Epoch, long Sequence) Parse(string cursor)
    {
        int colon = cursor.IndexOf(':');
        return colon < 0
            ? (0, long.Parse(cursor, CultureInfo.InvariantCulture))
            : (long.Parse(cursor.AsSpan(0, colon), CultureInfo.InvariantCulture), long.Parse(cursor.AsSpan(colon + 1), CultureInfo.InvariantCulture));
    }

    public static string Of(long epoch, long sequence) => $"{epoch}:{sequence}";
}
