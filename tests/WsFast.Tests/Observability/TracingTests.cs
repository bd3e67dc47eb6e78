using System.Collections.Concurrent;
using System.Diagnostics;
using WsFast.Tests.Server;
using WsFast.Tests.Support;

namespace WsFast.Tests.Observability;

/// <summary>
/// The <c>WsFast</c> activity source: the handshake as a child of the upgrade request's W3C <c>traceparent</c>
/// (Trace Context, section 3.2), the connection as a root of its own linked to it, a publish as a child of
/// what was current (a handler's connection). A listener hears the activities of every server in the process:
/// each test finds its own by trace id or path.
/// </summary>
public sealed class TracingTests : IDisposable
{
    private const string ParentTrace = "0af7651916cd43dd8448eb211c80319c";
    private const string ParentSpan = "b7ad6b7169203331";

    private readonly ConcurrentQueue<Activity> _stopped = new();
    private readonly ActivityListener _listener;

    public TracingTests()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "WsFast",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = _stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(_listener);
    }

    public void Dispose() => _listener.Dispose();

    [Fact]
    public async Task The_upgrade_requests_traceparent_is_the_parent_of_the_handshake()
    {
        await using ObservedServer server = await ObservedServer.StartAsync();
        string trace = NewTraceId();
        await using RawClient client = await UpgradeAsync(server, "/echo", $"00-{trace}-{ParentSpan}-01", "vendor=opaque");

        Activity handshake = await StoppedAsync(a => a.OperationName == "WsFast.Handshake" && a.TraceId.ToHexString() == trace);

        Assert.Equal(ParentSpan, handshake.ParentSpanId.ToHexString());
        Assert.True(handshake.HasRemoteParent);
        Assert.Equal("vendor=opaque", handshake.TraceStateString);
        Assert.Equal(ActivityKind.Server, handshake.Kind);
        Assert.Equal(101, handshake.GetTagItem("http.response.status_code"));
        Assert.Equal("/echo", handshake.GetTagItem("url.path"));
    }

    [Fact]
    public async Task The_connection_is_a_root_linked_to_its_handshake_and_a_handlers_publish_is_its_child()
    {
        string path = $"/traced{Guid.NewGuid():N}";
        await using ObservedServer server = await ObservedServer.StartAsync(map: s => s.Map(path, new PublishingHandler(s)));
        string trace = NewTraceId();
        await using (RawClient client = await UpgradeAsync(server, path, $"00-{trace}-{ParentSpan}-01"))
        {
            await client.SendFramesAsync(ClientFrames.Text("publish this"), ClientFrames.Close(1000));
            Assert.Equal((ushort)1000, (await client.ReadFrameAsync()).CloseCode);
        }

        Activity handshake = await StoppedAsync(a => a.OperationName == "WsFast.Handshake" && a.TraceId.ToHexString() == trace);
        Activity connection = await StoppedAsync(a => a.OperationName == "WsFast.Connection" && Equals(a.GetTagItem("wsfast.endpoint"), path));
        Activity publish = await StoppedAsync(a => a.OperationName == "WsFast.Publish" && a.ParentSpanId == connection.SpanId);

        Assert.Equal(default, connection.ParentSpanId);
        Assert.NotEqual(trace, connection.TraceId.ToHexString());
        ActivityLink link = Assert.Single(connection.Links);
        Assert.Equal(handshake.SpanId, link.Context.SpanId);
        Assert.Equal(handshake.TraceId, link.Context.TraceId);
        Assert.Equal(1000, connection.GetTagItem("wsfast.close.code"));
        Assert.True(connection.StartTimeUtc >= handshake.StartTimeUtc);

        Assert.Equal(connection.TraceId, publish.TraceId);
        Assert.Equal(ActivityKind.Producer, publish.Kind);
        Assert.Equal("handled", publish.GetTagItem("messaging.destination.name"));
        Assert.Equal(12, publish.GetTagItem("messaging.message.body.size"));
    }

    [Fact]
    public async Task A_refused_upgrade_ends_its_handshake_with_the_status_as_an_error()
    {
        await using ObservedServer server = await ObservedServer.StartAsync();
        string trace = NewTraceId();
        await using RawClient client = await RawClient.ConnectAsync(server.Port);
        await client.SendAsync(ClientSupport.UpgradeRequest("/nowhere", $"traceparent: 00-{trace}-{ParentSpan}-01\r\n"));
        Assert.Equal(404, (await client.ReadHeadAsync()).Status);

        Activity handshake = await StoppedAsync(a => a.OperationName == "WsFast.Handshake" && a.TraceId.ToHexString() == trace);

        Assert.Equal(404, handshake.GetTagItem("http.response.status_code"));
        Assert.Equal(ActivityStatusCode.Error, handshake.Status);
    }

    [Fact]
    public async Task A_malformed_traceparent_is_ignored_and_the_handshake_starts_a_trace()
    {
        string path = $"/untraced{Guid.NewGuid():N}";
        await using ObservedServer server = await ObservedServer.StartAsync(map: s => s.Map(path, new TestServer.Echo()));
        await using RawClient client = await UpgradeAsync(server, path, $"00-{ParentTrace}-{ParentSpan}-zz");

        Activity handshake = await StoppedAsync(a => a.OperationName == "WsFast.Handshake" && Equals(a.GetTagItem("url.path"), path));

        Assert.Equal(default, handshake.ParentSpanId);
        Assert.NotEqual(ParentTrace, handshake.TraceId.ToHexString());
    }

    private static string NewTraceId() => ActivityTraceId.CreateRandom().ToHexString();

    private static async Task<RawClient> UpgradeAsync(ObservedServer server, string path, string traceparent, string? tracestate = null)
    {
        RawClient client = await RawClient.ConnectAsync(server.Port);
        string headers = $"traceparent: {traceparent}\r\n" + (tracestate is null ? "" : $"tracestate: {tracestate}\r\n");
        await client.SendAsync(ClientSupport.UpgradeRequest(path, headers));
        Assert.Equal(101, (await client.ReadHeadAsync()).Status);
        return client;
    }

    private async Task<Activity> StoppedAsync(Func<Activity, bool> match)
    {
        DateTime until = DateTime.UtcNow + ObservedServer.Timeout;
        while (true)
        {
            if (_stopped.FirstOrDefault(match) is { } found)
            {
                return found;
            }

            Assert.True(DateTime.UtcNow < until, "the activity never stopped");
            await Task.Delay(10);
        }
    }

    /// <summary>Publishes every message it receives to the topic <c>handled</c>.</summary>
    private sealed class PublishingHandler(WsFastServer server) : WebSocketHandler
    {
        public override ValueTask OnMessageAsync(WebSocketConnection connection, WebSocketMessage message)
        {
            server.Topics.Publish("handled", message.GetText());
            return default;
        }
    }
}
