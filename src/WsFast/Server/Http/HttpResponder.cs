using System.Text.Json;
using WsFast.Protocol;

namespace WsFast.Server;

/// <summary>
/// Answers plain HTTP requests that arrive on the WebSocket port: registered content, <c>/healthz</c>,
/// <c>/metrics</c>, and once a broadcast endpoint is mapped, publishing, event streams and polling. A plain GET
/// on a WebSocket path gets 426, anything else 404.
/// </summary>
internal sealed class HttpResponder
{
    private readonly WsFastServer _server;
    private readonly Dictionary<string, (string ContentType, byte[] Body)> _content = new(StringComparer.Ordinal);

    public HttpResponder(WsFastServer server) => _server = server;

    public void Map(string path, string contentType, byte[] body) => _content[path] = (contentType, body);

    /// <summary>Answers <paramref name="request"/>; true when the connection stays open for another request.</summary>
    public ValueTask<bool> RespondAsync(WebSocketConnection connection, HandshakeRequest request)
    {
        // HTTP/1.1 connections persist unless the client says otherwise (RFC 7230 section 6.3).
        bool keepAlive = !HasToken(request.GetHeader("Connection"), "close");
        BroadcastOptions broadcast = _server.Options.Broadcast;

        if (_server.HasBroadcast && TopicOf(request.Path, broadcast.PublishPath) is { } publishTopic)
        {
            return PublishRoute.RespondAsync(_server, connection, request, publishTopic, keepAlive);
        }

        if (request.Method != "GET")
        {
            return Finish(connection, 405, "method not allowed", KeyValuePair.Create("Allow", "GET"));
        }

        if (request.ContentLength is > 0)
        {
            // A GET with a body nobody reads: answer and close rather than misread it as the next request.
            return Finish(connection, 400, "unexpected request body");
        }

        if (_server.HasBroadcast && TopicOf(request.Path, broadcast.EventStreamPath) is { } streamTopic)
        {
            return EventStreamRoute.RespondAsync(_server, connection, request, streamTopic);
        }

        if (_server.HasBroadcast && TopicOf(request.Path, broadcast.PollPath) is { } pollTopic)
        {
            return PollRoute.RespondAsync(_server, connection, request, pollTopic, keepAlive);
        }

        switch (request.Path)
        {
            case "/healthz":
                return Send(connection, 200, "application/json", HealthJson(), keepAlive);
            case "/metrics":
                return Send(connection, 200, "text/plain; version=0.0.4; charset=utf-8", MetricsRoute.Render(_server), keepAlive);
        }

        if (_content.TryGetValue(request.Path, out (string ContentType, byte[] Body) content))
        {
            return Send(connection, 200, content.ContentType, content.Body, keepAlive);
        }

        if (_server.FindEndpoint(request.Path) is not null)
        {
            // 426 with Upgrade, Connection: Upgrade and the version to use (RFC 7231 section 6.5.15).
            connection.RespondAndClose(HttpResponses.Error(HandshakeError.MissingUpgrade));
            return new ValueTask<bool>(false);
        }

        return Finish(connection, 404, "not found");
    }

    /// <summary>Sends a response; true when the connection stays open.</summary>
    internal static ValueTask<bool> Send(WebSocketConnection connection, int status, string contentType, ReadOnlySpan<byte> body, bool keepAlive)
    {
        var response = HttpResponses.Content(status, contentType, body, keepAlive);
        if (keepAlive)
        {
            connection.Respond(response);
        }
        else
        {
            connection.RespondAndClose(response);
        }

        return new ValueTask<bool>(keepAlive);
    }

    /// <summary>Sends a plain-text status and closes the connection.</summary>
    internal static ValueTask<bool> Finish(WebSocketConnection connection, int status, string reason, params KeyValuePair<string, string>[] headers)
    {
        connection.RespondAndClose(HttpResponses.Status(status, reason, headers));
        return new ValueTask<bool>(false);
    }

    /// <summary>The topic of <c>{prefix}/{topic}</c>, or null when the path is not under <paramref name="prefix"/>.</summary>
    private static string? TopicOf(string path, string prefix) =>
        path.Length > prefix.Length + 1 && path.StartsWith(prefix, StringComparison.Ordinal) && path[prefix.Length] == '/'
            ? path[(prefix.Length + 1)..]
            : null;

    private byte[] HealthJson()
    {
        ServerCounters counters = _server.Counters;
        var json = new Dictionary<string, object>
        {
            ["status"] = _server.IsStopping ? "stopping" : "ok",
            ["connections"] = _server.ConnectionCount,
            ["uptimeSeconds"] = Math.Round(_server.Uptime.TotalSeconds, 1),
            ["messagesIn"] = counters.MessagesIn,
            ["messagesOut"] = counters.MessagesOut,
            ["dropped"] = counters.Dropped,
            ["slowConsumerDisconnects"] = counters.SlowConsumerDisconnects,
            ["allocatedBytes"] = GC.GetTotalAllocatedBytes(precise: false),
        };
        return JsonSerializer.SerializeToUtf8Bytes(json);
    }

    internal static bool HasToken(string? list, string token)
    {
        if (list is null)
        {
            return false;
        }

        foreach (string part in list.Split(','))
        {
            if (part.Trim().Equals(token, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The value of <paramref name="name"/> in a query string like <c>a=1&amp;b=2</c>, or null.</summary>
    internal static string? QueryValue(string query, string name)
    {
        foreach (string pair in query.Split('&'))
        {
            int equals = pair.IndexOf('=');
            string key = equals < 0 ? pair : pair[..equals];
            if (key == name)
            {
                return equals < 0 ? "" : Uri.UnescapeDataString(pair[(equals + 1)..]);
            }
        }

        return null;
    }
}
