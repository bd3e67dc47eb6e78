using System.Buffers;
using WsFast.Load.Client;
using WsFast.Load.Client.Http;
using WsFast.Load.Engine;

namespace WsFast.Load.Scenarios.Feed;

/// <summary>
/// <c>sse</c>: each client opens <c>GET /sse/{topic}</c> and reads the event stream (chunked from Kestrel,
/// until close from WsFast) while the scenario publishes. Every byte of the response counts as wire bytes
/// (head, chunk framing, <c>id:</c>/<c>data:</c> lines); every <c>message</c> event as a delivery.
/// </summary>
public sealed class EventStreamScenario : IPublishingScenario
{
    private readonly FeedSettings _settings;
    private readonly FeedPublisher _publisher;
    private readonly byte[] _request;

    /// <summary>Creates the scenario.</summary>
    public EventStreamScenario(FeedSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        _settings = settings;
        _publisher = new FeedPublisher(settings);
        _request = HttpFeedClient.Get(settings, $"/sse/{settings.Topic}", "text/event-stream", eventSource: true);
    }

    /// <inheritdoc/>
    public string Name => "sse";

    /// <inheritdoc/>
    public Task RunClientAsync(ClientContext context) =>
        HttpFeedClient.RunAsync(context, _settings, connection => StreamAsync(connection, context));

    /// <inheritdoc/>
    public Task StartFeedAsync(RunClock clock) => _publisher.StartAsync(clock);

    /// <inheritdoc/>
    public Task<WorkerStats> StopFeedAsync() => _publisher.StopAsync();

    private async Task StreamAsync(HttpConnection connection, ClientContext context)
    {
        WorkerStats stats = context.Stats;
        stats.RecordBytesSent(await connection.SendAsync(_request).ConfigureAwait(false));
        HttpResponseHead head = await connection.ReadHeadAsync(context.Stopping).ConfigureAwait(false);
        if (head.Status != 200)
        {
            throw new WsClientException(ErrorKind.HttpFailed, $"GET /sse answered {head.Status} {head.Reason}.");
        }

        context.MarkReady();
        var feed = new FeedTracker(stats);
        var parser = new EventStreamParser();
        var events = new List<ServerSentEvent>();
        var body = new ArrayBufferWriter<byte>(4096);
        HttpBodyDecoder decoder = HttpBodyDecoder.For(head);
        while (await connection.ReadBodyAsync(decoder, body, context.Stopping).ConfigureAwait(false))
        {
            parser.Feed(body.WrittenSpan, events);
            body.ResetWrittenCount();
            foreach (ServerSentEvent e in events)
            {
                if (e.Type == "message")
                {
                    feed.Receive(e.Data);
                }
            }

            events.Clear();
        }

        throw new WsClientException(ErrorKind.ClosedByServer, "The server ended the event stream.");
    }
}
