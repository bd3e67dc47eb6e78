using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using WsFast.Protocol;

namespace WsFast.Server;

/// <summary>
/// Answers plain HTTP requests that arrive on the WebSocket port: registered content, <c>/healthz</c>,
/// <c>/metrics</c>, and once a broadcast endpoint is mapped, publishing, event streams and polling. A plain GET
/// on a WebSocket path gets 426, anything else 404. On the admin port, only <c>/healthz</c> (with its details)
/// and <c>/metrics</c>.
/// </summary>
/// <remarks>
/// <c>/healthz</c> tells a load balancer whether to send traffic here: 200 with <c>{"status":"ok"}</c> (or
/// <c>"degraded"</c> over the memory budget), 503 with <c>{"status":"stopping"}</c> while the server drains, and
/// nothing more. Its details (connections, counters, buffered and allocated bytes) are an operator's, served
/// where <c>/metrics</c> is: <c>/healthz</c> on the admin port; without one, <c>/healthz?details</c> on the
/// public port, under the same rule as <c>/metrics</c> (the publish token with
/// <see cref="WsFastServerOptions.MetricsRequireToken"/>).
/// </remarks>
internal sealed class HttpRouter(WsFastServer server)
{
    // GCMemoryInfo.GenerationInfo: gen0, gen1, gen2, the large object heap, the pinned object heap.
    private const int PinnedObjectHeap = 4;

    private readonly Dictionary<string, (string ContentType, byte[] Body)> _content = new(StringComparer.Ordinal);

    public void Map(string path, string contentType, byte[] body) => _content[path] = (contentType, body);

    /// <summary>Answers <paramref name="request"/>; true when the connection stays open for another request.</summary>
    public ValueTask<bool> ServeAsync(HttpConnection connection, HandshakeRequest request)
    {
        // HTTP/1.1 connections persist unless the client says otherwise (RFC 7230 section 6.3).
        bool keepAlive = !HasToken(request.GetHeader("Connection"), "close");
        if (connection.IsAdmin)
        {
            return ServeAdmin(connection, request, keepAlive);
        }

        BroadcastOptions broadcast = server.Options.Broadcast;

        if (server.HasBroadcast && TopicOf(request.Path, broadcast.PublishPath) is { } publishTopic)
        {
            return PublishRoute.ServeAsync(server, connection, request, publishTopic, keepAlive);
        }

        if (RefuseUnlessPlainGet(connection, request))
        {
            return new ValueTask<bool>(false);
        }

        if (server.HasBroadcast && TopicOf(request.Path, broadcast.EventStreamPath) is { } streamTopic)
        {
            // An event stream and a poll are how a client without WebSocket subscribes: handshakes, as upgrades are.
            if (!connection.TryStartHandshake())
            {
                return new ValueTask<bool>(false);
            }

            return EventStreamRoute.ServeAsync(server, connection, request, streamTopic);
        }

        if (server.HasBroadcast && TopicOf(request.Path, broadcast.PollPath) is { } pollTopic)
        {
            if (!connection.TryStartHandshake())
            {
                return new ValueTask<bool>(false);
            }

            return PollRoute.ServeAsync(server, connection, request, pollTopic, keepAlive);
        }

        if (server.HasBroadcast && !server.HasAdminEndpoints && TopicOf(request.Path, broadcast.TopicInfoPath) is { } infoTopic)
        {
            // Where /metrics is, under its rule (on the admin port instead when there is one).
            return server.Options.MetricsRequireToken && !IsAuthorized(connection, request, broadcast.PublishToken)
                ? new ValueTask<bool>(false)
                : TopicInfoRoute.ServeAsync(server, connection, infoTopic, keepAlive);
        }

        switch (request.Path)
        {
            case "/healthz" when QueryValue(request.Query, "details") is null:
                return SendHealth(connection, details: false, keepAlive);
            case "/healthz" or "/metrics" when server.HasAdminEndpoints:
                // Served on the admin port only.
                break;
            case "/healthz":
                return server.Options.MetricsRequireToken && !IsAuthorized(connection, request, server.Options.Broadcast.PublishToken)
                    ? new ValueTask<bool>(false)
                    : SendHealth(connection, details: true, keepAlive);
            case "/metrics":
                return server.Options.MetricsRequireToken && !IsAuthorized(connection, request, server.Options.Broadcast.PublishToken)
                    ? new ValueTask<bool>(false)
                    : SendMetrics(connection, keepAlive);
        }

        if (_content.TryGetValue(request.Path, out (string ContentType, byte[] Body) content))
        {
            return Send(connection, 200, content.ContentType, content.Body, keepAlive);
        }

        if (server.FindEndpoint(request.Path, out _) is not null)
        {
            // 426 with Upgrade, Connection: Upgrade and the version to use (RFC 7231 section 6.5.15).
            connection.Refuse(426, HandshakeError.MissingUpgrade.ToReason(), HttpResponses.Error(HandshakeError.MissingUpgrade));
            return new ValueTask<bool>(false);
        }

        connection.Finish(404, "not found");
        return new ValueTask<bool>(false);
    }

    /// <summary>
    /// Refuses what is not a GET (405 with <c>Allow</c>) and a GET with a body (400): nobody reads that body, so
    /// the connection is answered and closed rather than the body misread as the next request.
    /// </summary>
    private static bool RefuseUnlessPlainGet(HttpConnection connection, HandshakeRequest request)
    {
        if (PlainGetRefusal(request) is { } refusal)
        {
            refusal.Send(connection);
            return true;
        }

        return false;
    }

    /// <summary>405 for what is not a GET, 400 for a GET with a body, null for a plain GET.</summary>
    internal static HttpRefusal? PlainGetRefusal(HandshakeRequest request)
    {
        if (request.Method != "GET")
        {
            return new HttpRefusal(405, "method not allowed", KeyValuePair.Create("Allow", "GET"));
        }

        if (request.ContentLength is > 0)
        {
            return new HttpRefusal(400, "unexpected request body");
        }

        return null;
    }

    /// <summary>The admin port: <c>/healthz</c> with its details and <c>/metrics</c>, to anyone who reaches it.</summary>
    private ValueTask<bool> ServeAdmin(HttpConnection connection, HandshakeRequest request, bool keepAlive)
    {
        if (RefuseUnlessPlainGet(connection, request))
        {
            return new ValueTask<bool>(false);
        }

        // While draining, each answer ends its connection, so that a probe does not hold the drain up.
        keepAlive &= !server.IsStopping;
        if (server.HasBroadcast && TopicOf(request.Path, server.Options.Broadcast.TopicInfoPath) is { } infoTopic)
        {
            return TopicInfoRoute.ServeAsync(server, connection, infoTopic, keepAlive);
        }

        switch (request.Path)
        {
            case "/healthz":
                return SendHealth(connection, details: true, keepAlive);
            case "/metrics":
                return SendMetrics(connection, keepAlive);
            default:
                connection.Finish(404, "not found");
                return new ValueTask<bool>(false);
        }
    }

    private ValueTask<bool> SendMetrics(HttpConnection connection, bool keepAlive) =>
        Send(connection, 200, "text/plain; version=0.0.4; charset=utf-8", server.Scrape.Render(), keepAlive);

    // 503 while draining, so that a load balancer sends no new clients; 200 otherwise.
    private ValueTask<bool> SendHealth(HttpConnection connection, bool details, bool keepAlive) =>
        Send(connection, server.IsStopping ? 503 : 200, "application/json", HealthJson(details), keepAlive);

    /// <summary>503 with <c>Retry-After</c>: what was asked needs the shared broker, which cannot be reached now.</summary>
    internal static void RefuseBrokerUnavailable(HttpConnection connection) =>
        connection.Refuse(503, "the broker that shares topics is unreachable: try again", KeyValuePair.Create("Retry-After", "1"));

    /// <summary>Sends a response; true when the connection stays open.</summary>
    internal static ValueTask<bool> Send(HttpConnection connection, int status, string contentType, ReadOnlySpan<byte> body, bool keepAlive)
    {
        connection.Respond(HttpResponses.Content(status, contentType, body, keepAlive), keepAlive);
        return new ValueTask<bool>(keepAlive);
    }

    /// <summary>
    /// Checks <c>Authorization: Bearer</c> against <paramref name="token"/> (none needed when null); refuses with
    /// 401 (no bearer token) or 403 (another one) and returns false otherwise.
    /// </summary>
    internal static bool IsAuthorized(HttpConnection connection, HandshakeRequest request, string? token)
    {
        if (TokenRefusal(request, token) is { } refusal)
        {
            refusal.Send(connection);
            return false;
        }

        return true;
    }

    /// <summary>
    /// 401 (no bearer token) or 403 (another one) when <paramref name="token"/> is required and
    /// <c>Authorization: Bearer</c> does not carry it; null when it does, or when none is needed.
    /// </summary>
    internal static HttpRefusal? TokenRefusal(HandshakeRequest request, string? token)
    {
        if (token is null)
        {
            return null;
        }

        if (BearerToken(request) is not { } given)
        {
            return new HttpRefusal(401, "a bearer token is required", KeyValuePair.Create("WWW-Authenticate", "Bearer"));
        }

        return SameToken(token, given) ? null : new HttpRefusal(403, "wrong token");
    }

    /// <summary>Whether <c>Authorization: Bearer</c> carries exactly <paramref name="token"/> (never, when it is null).</summary>
    internal static bool CarriesToken(HandshakeRequest request, string? token) =>
        token is not null && BearerToken(request) is { } given && SameToken(token, given);

    /// <summary>The token of <c>Authorization: Bearer</c>, or null when the request carries none.</summary>
    private static string? BearerToken(HandshakeRequest request) =>
        request.GetHeader("Authorization") is { } authorization && authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
            ? authorization["Bearer ".Length..].Trim()
            : null;

    // Constant time, so that the comparison does not reveal how much of a guess was right.
    private static bool SameToken(string expected, string given) =>
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(expected), Encoding.UTF8.GetBytes(given));

    /// <summary>The topic of <c>{prefix}/{topic}</c>, or null when the path is not under <paramref name="prefix"/>.</summary>
    internal static string? TopicOf(string path, string prefix) =>
        path.Length > prefix.Length + 1 && path.StartsWith(prefix, StringComparison.Ordinal) && path[prefix.Length] == '/'
            ? path[(prefix.Length + 1)..]
            : null;

    private byte[] HealthJson(bool details)
    {
        // Degraded without the shared broker: subscribers are served, publishes are refused until it is back.
        string status = server.IsStopping ? "stopping" : server.IsOverBudget || !server.Topics.Broker.IsConnected ? "degraded" : "ok";
        if (!details)
        {
            return JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string> { ["status"] = status });
        }

        ServerCounters counters = server.Counters;
        var json = new Dictionary<string, object>
        {
            ["status"] = status,
            ["connections"] = server.ConnectionCount,
            ["uptimeSeconds"] = Math.Round(server.Uptime.TotalSeconds, 1),
            ["messagesIn"] = counters.MessagesIn,
            ["messagesOut"] = counters.MessagesOut,
            ["dropped"] = counters.Dropped,
            ["slowConsumerDisconnects"] = counters.SlowConsumerDisconnects,
            ["bufferedBytes"] = server.BufferedBytes,
            ["allocatedBytes"] = GC.GetTotalAllocatedBytes(precise: false),
        };
        AddGcHeap(json);
        if (server.Topics.Broker is SharedBroker broker)
        {
            json["broker"] = new Dictionary<string, object>
            {
                ["name"] = broker.Name,
                ["connected"] = broker.IsConnected,
                ["server"] = broker.NodeId,
                ["followedTopics"] = broker.FollowedTopics,
                ["published"] = counters.BrokerPublishes,
                ["publishFailures"] = counters.BrokerPublishFailures,
                ["received"] = counters.BrokerReceived,
                ["outOfOrder"] = broker.OutOfOrderMessages,
                ["readFailures"] = broker.ReadFailures,
            };
        }

        return JsonSerializer.SerializeToUtf8Bytes(json);
    }

    // The managed heap as the last collection left it, for a soak's trend test (a leak of managed objects grows
    // gcHeapBytes; one of pinned buffers grows pinnedBytes). Both are figures of the last GC, not of this moment:
    // reading the heap now would mean walking it. pinnedBytes is the pinned object heap (generation index 4 of
    // GCMemoryInfo): every receive and coalescing block of PinnedBlockMemoryPool is an array of its own there
    // (GC.AllocateArray pinned), so it is the memory the server keeps pinned for its sockets. What GCMemoryInfo
    // offers besides, PinnedObjectsCount, counts handles and fixed statements that were pinning something during
    // that GC: a count of transient pins, not bytes, and zero whenever the collection fell between two I/Os.
    private static void AddGcHeap(Dictionary<string, object> json)
    {
        GCMemoryInfo gc = GC.GetGCMemoryInfo(GCKind.Any);
        ReadOnlySpan<GCGenerationInfo> generations = gc.GenerationInfo;
        json["gcHeapBytes"] = gc.HeapSizeBytes;
        json["pinnedBytes"] = generations.Length > PinnedObjectHeap ? generations[PinnedObjectHeap].SizeAfterBytes : 0L;

        // Objects that live a while (a connection's) die in generation 2 and stay in gcHeapBytes until a full
        // collection: between two, the heap climbs with no leak. Counting them lets a reader compare the heap
        // over whole cycles, from one full collection to another.
        json["gcFullCollections"] = GC.CollectionCount(2);
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

    /// <summary>The value of <paramref name="name"/> in a query string like <c>a=1&amp;b=2</c>, or null; undecodable: empty.</summary>
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

    /// <summary>A sequence number or cursor: decimal digits only (no sign, spaces or exponent), at most 18 of them.</summary>
    internal static bool TryParseSequence(string? text, out long value)
    {
        value = 0;
        return text is { Length: > 0 and <= 18 } && !text.AsSpan().ContainsAnyExceptInRange('0', '9')
            && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }

    /// <summary>A number of seconds: digits with an optional fraction (no sign, exponent, NaN or infinity).</summary>
    internal static bool TryParseSeconds(string? text, out double seconds)
    {
        seconds = 0;
        return text is { Length: > 0 and <= 12 } && !text.AsSpan().ContainsAnyExcept("0123456789.")
            && double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out seconds)
            && double.IsFinite(seconds);
    }
}
