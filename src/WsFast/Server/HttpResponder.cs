using System.Text;
using System.Text.Json;
using WsFast.Protocol;

namespace WsFast.Server;

/// <summary>
/// Answers plain HTTP requests that arrive on the WebSocket port: content registered with
/// <see cref="WsFastServer.MapContent"/>, <c>/healthz</c>, 426 for a plain GET on a WebSocket path, 404 for
/// anything else.
/// </summary>
internal sealed class HttpResponder
{
    private readonly WsFastServer _server;
    private readonly Dictionary<string, (string ContentType, byte[] Body)> _content = new(StringComparer.Ordinal);

    public HttpResponder(WsFastServer server) => _server = server;

    public void Map(string path, string contentType, byte[] body) => _content[path] = (contentType, body);

    /// <summary>Answers <paramref name="request"/>; true when the connection stays open for another request.</summary>
    public bool Respond(WebSocketConnection connection, HandshakeRequest request)
    {
        // A request body is not read here: answer and close rather than misread it as the next request.
        bool keepAlive = request.ContentLength is null or 0
            && !HasToken(request.GetHeader("Connection"), "close");

        if (request.Method != "GET")
        {
            connection.RespondAndClose(HttpResponses.Status(405, "method not allowed", KeyValuePair.Create("Allow", "GET")));
            return false;
        }

        if (request.Path == "/healthz")
        {
            return Send(connection, 200, "application/json", HealthJson(), keepAlive);
        }

        if (_content.TryGetValue(request.Path, out (string ContentType, byte[] Body) content))
        {
            return Send(connection, 200, content.ContentType, content.Body, keepAlive);
        }

        if (_server.FindEndpoint(request.Path) is not null)
        {
            // 426 with Upgrade, Connection: Upgrade and the version to use (RFC 7231 section 6.5.15).
            connection.RespondAndClose(HttpResponses.Error(HandshakeError.MissingUpgrade));
            return false;
        }

        connection.RespondAndClose(HttpResponses.Status(404, "not found"));
        return false;
    }

    private static bool Send(WebSocketConnection connection, int status, string contentType, ReadOnlySpan<byte> body, bool keepAlive)
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

        return keepAlive;
    }

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
            ["allocatedBytes"] = GC.GetTotalAllocatedBytes(precise: false),
        };
        return JsonSerializer.SerializeToUtf8Bytes(json);
    }

    private static bool HasToken(string? list, string token)
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
}
