using System.Buffers;
using System.Text.Json;
using WsFast.Load.Client;
using WsFast.Load.Client.Http;

namespace WsFast.Load.Scenarios.Soak;

/// <summary>
/// An event stream reader of <c>/sse/{topic}</c>: every <c>message</c> event's sequence number is checked, and after
/// each reconnect it sends the last event's id as <c>Last-Event-ID</c>, so that the check runs on across the
/// reconnect: the history must give it what went past while it was away. Any other event (a <c>gap</c>) fails the run.
/// </summary>
internal sealed class EventStreamSoakClient : SoakClient
{
    private readonly string _path;
    private readonly List<ServerSentEvent> _events = [];
    private readonly ArrayBufferWriter<byte> _body = new(4096);
    private string? _lastEventId;

    public EventStreamSoakClient(int index, SoakShared shared)
        : base(index, shared) => _path = $"/sse/{shared.Settings.TopicOf(index)}";

    public override SoakRole Role => SoakRole.EventStream;

    protected override async Task<DisconnectKind?> ConnectionAsync(CancellationToken stopping)
    {
        HttpConnection? connection = await ConnectHttpAsync(stopping).ConfigureAwait(false);
        if (connection is null)
        {
            return null;
        }

        using (connection)
        {
            byte[] request = Shared.Get(_path, "text/event-stream", _lastEventId is null ? "" : $"Last-Event-ID: {_lastEventId}\r\n");
            await connection.SendAsync(request).ConfigureAwait(false);
            HttpResponseHead head = await connection.ReadHeadAsync(stopping).ConfigureAwait(false);
            if (head.Status != 200)
            {
                Tally.Unexpect($"HTTP {head.Status} to GET /sse", $"client {Index}: {head.Reason}");
                return null;
            }

            MarkConnected();
            var parser = new EventStreamParser();
            HttpBodyDecoder decoder = HttpBodyDecoder.For(head);
            while (true)
            {
                if (ChurnRequested)
                {
                    return await HttpLeave.LeaveAsync(connection, TakeChurn(), request, Tally).ConfigureAwait(false);
                }

                _body.ResetWrittenCount();
                bool more = await connection.ReadBodyAsync(decoder, _body, stopping).ConfigureAwait(false);
                parser.Feed(_body.WrittenSpan, _events);
                foreach (ServerSentEvent e in _events)
                {
                    if (e.Type == "message")
                    {
                        Deliver(e.Data);
                        _lastEventId = e.Id;
                    }
                    else
                    {
                        Tally.Unexpect($"event: {e.Type} on an event stream", $"client {Index}: {System.Text.Encoding.UTF8.GetString(e.Data)}");
                    }
                }

                _events.Clear();
                if (!more)
                {
                    Tally.Unexpect("event stream ended by the server", $"client {Index}");
                    return null;
                }
            }
        }
    }
}

/// <summary>
/// A long poller of <c>/poll/{topic}?after=N</c> over keep-alive connections: every message's sequence number is
/// checked, and its cursor carries over each reconnect, so that nothing may go missing across one either.
/// </summary>
internal sealed class PollSoakClient : SoakClient
{
    private readonly string _path;
    private readonly ArrayBufferWriter<byte> _body = new(4096);
    private byte[] _scratch = new byte[1024];
    private long _cursor = -1; // -1: none yet, start from the topic's latest

    public PollSoakClient(int index, SoakShared shared)
        : base(index, shared) => _path = $"/poll/{shared.Settings.TopicOf(index)}";

    public override SoakRole Role => SoakRole.Poll;

    protected override async Task<DisconnectKind?> ConnectionAsync(CancellationToken stopping)
    {
        HttpConnection? connection = await ConnectHttpAsync(stopping).ConfigureAwait(false);
        if (connection is null)
        {
            return null;
        }

        using (connection)
        {
            if (_cursor < 0)
            {
                if (!await PollAsync(connection, Shared.Get($"{_path}?wait=0", "application/json"), closing: false, stopping).ConfigureAwait(false))
                {
                    return null;
                }
            }

            MarkConnected();
            while (true)
            {
                byte[] next = Shared.Get($"{_path}?after={_cursor}", "application/json");
                if (ChurnRequested)
                {
                    DisconnectKind kind = TakeChurn();
                    if (kind == DisconnectKind.CloseHandshake)
                    {
                        // HTTP's own close: the last request says Connection: close, its answer ends the connection.
                        byte[] last = Shared.Get($"{_path}?after={_cursor}&wait=0", "application/json", "Connection: close\r\n");
                        if (!await PollAsync(connection, last, closing: true, stopping).ConfigureAwait(false))
                        {
                            return null;
                        }

                        connection.Close(reset: false);
                        Tally.Expected("HTTP connection closed after Connection: close");
                        return kind;
                    }

                    return await HttpLeave.LeaveAsync(connection, kind, next, Tally).ConfigureAwait(false);
                }

                if (!await PollAsync(connection, next, closing: false, stopping).ConfigureAwait(false))
                {
                    return null;
                }
            }
        }
    }

    // One poll, its messages checked and its "last" the next cursor; false (tallied) when the answer was not a 200
    // that keeps the connection open (or, when closing, one that ends it).
    private async Task<bool> PollAsync(HttpConnection connection, byte[] request, bool closing, CancellationToken stopping)
    {
        await connection.SendAsync(request).ConfigureAwait(false);
        _body.ResetWrittenCount();
        HttpResponseHead head = await connection.ReadResponseAsync(_body, stopping).ConfigureAwait(false);
        if (head.Status != 200)
        {
            Tally.Unexpect($"HTTP {head.Status} to GET /poll", $"client {Index}: {head.Reason}");
            return false;
        }

        if (head.KeepAlive == closing)
        {
            Tally.Unexpect(closing ? "poll connection kept open after Connection: close" : "poll connection closed by the server", $"client {Index}");
            return false;
        }

        return Read(_body.WrittenSpan);
    }

    // {"topic":..,"last":N,"truncated":..,"messages":[{"sequence":..,"type":"text","data":"..","time":".."}],..}
    private bool Read(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        while (reader.Read())
        {
            if (reader.TokenType != JsonTokenType.PropertyName)
            {
                continue;
            }

            if (reader.CurrentDepth == 1 && reader.ValueTextEquals("last"u8))
            {
                reader.Read();
                _cursor = reader.GetInt64();
            }
            else if (reader.CurrentDepth == 1 && (reader.ValueTextEquals("truncated"u8) || reader.ValueTextEquals("reset"u8)))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.True)
                {
                    Tally.Unexpect("poll answer truncated or reset", $"client {Index} after {_cursor}");
                }
            }
            else if (reader.CurrentDepth == 3 && reader.ValueTextEquals("data"u8))
            {
                reader.Read();
                if (_scratch.Length < reader.ValueSpan.Length)
                {
                    _scratch = new byte[reader.ValueSpan.Length * 2];
                }

                int length = reader.CopyString(_scratch);
                Deliver(_scratch.AsSpan(0, length));
            }
        }

        return true;
    }
}

/// <summary>How an HTTP client leaves when churned (the close handshake aside, which each does its own way).</summary>
internal static class HttpLeave
{
    /// <summary>
    /// Abrupt: a FIN between requests. Reset: <paramref name="next"/> sent (a long poll the server now holds, or a
    /// request on a stream) and the connection reset under it. Mid-message: half of <paramref name="next"/>'s head
    /// sent, then a reset. The close handshake of an event stream is its FIN: the stream has no other end.
    /// </summary>
    public static async Task<DisconnectKind> LeaveAsync(HttpConnection connection, DisconnectKind kind, byte[] next, SoakTally tally)
    {
        switch (kind)
        {
            case DisconnectKind.Reset:
                await connection.SendAsync(next).ConfigureAwait(false);
                connection.Close(reset: true);
                break;
            case DisconnectKind.MidMessage:
                await connection.SendAsync(next.AsMemory(0, next.Length / 2)).ConfigureAwait(false);
                connection.Close(reset: true);
                break;
            case DisconnectKind.CloseHandshake:
                connection.Close(reset: false);
                tally.Expected("event stream closed by the client (FIN)");
                break;
            default:
                connection.Close(reset: false);
                break;
        }

        return kind;
    }
}
