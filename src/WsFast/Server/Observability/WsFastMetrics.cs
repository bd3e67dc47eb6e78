using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace WsFast.Server;

/// <summary>
/// The server's figures as <see cref="System.Diagnostics.Metrics"/> instruments of a <see cref="Meter"/> named
/// <c>WsFast</c>, readable with <c>dotnet-counters monitor --counters WsFast</c>, any OpenTelemetry exporter, and
/// <c>GET /metrics</c> (<see cref="PrometheusScrape"/>, which listens to these same instruments). The meter comes
/// from the host's <see cref="IMeterFactory"/> when there is one.
/// </summary>
/// <remarks>
/// The totals are observable instruments over <see cref="ServerCounters"/>: nothing per message. The histograms
/// are recorded per message, connection or publish, and cost one flag check while nothing listens to them
/// (<see cref="Instrument.Enabled"/>): the timestamps are taken only when something does. Tags are the endpoint's
/// path, which the server maps (bounded), never a client's topic name; a tag is a struct of two references, so
/// recording allocates nothing.
/// </remarks>
internal sealed class WsFastMetrics : IDisposable
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "WsFast";

    /// <summary>The tag naming the endpoint a measurement is of (its path).</summary>
    public const string EndpointTag = "endpoint";

    // Seconds: a handler or a queue is fast (tens of microseconds) until it is not; a fan-out to thousands takes ms.
    private static readonly double[] ShortDurations = [0.00001, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    // Seconds: a connection lasts from a refused login (ms) to days.
    private static readonly double[] ConnectionDurations = [0.01, 0.1, 1, 10, 60, 300, 900, 1800, 3600, 7200, 21600, 43200, 86400];

    // Bytes: powers of four from a tiny message to the default message limit.
    private static readonly long[] Sizes = [16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216];

    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private readonly List<Instrument> _instruments = [];

    public WsFastMetrics(WsFastServer server, IMeterFactory? meterFactory)
    {
        // A factory's meter is the factory's to dispose; ours we dispose with the server.
        _ownsMeter = meterFactory is null;
        _meter = meterFactory?.Create(new MeterOptions(MeterName)) ?? new Meter(MeterName);

        ServerCounters c = server.Counters;
        Add(_meter.CreateObservableUpDownCounter("wsfast.connections.open", () => server.ConnectionCount, "{connection}", "Connections held now"));
        Add(_meter.CreateObservableCounter("wsfast.connections.accepted", () => c.Accepted, "{connection}", "TCP connections accepted"));
        Add(_meter.CreateObservableCounter("wsfast.connections.refused", () => c.Refused, "{connection}", "Requests refused before the upgrade"));
        Add(_meter.CreateObservableCounter("wsfast.messages.received", () => c.MessagesIn, "{message}", "Messages received"));
        Add(_meter.CreateObservableCounter("wsfast.messages.sent", () => c.MessagesOut, "{message}", "Messages queued to send, one per connection"));
        Add(_meter.CreateObservableCounter("wsfast.bytes.received", () => c.BytesIn, "By", "Payload bytes received"));
        Add(_meter.CreateObservableCounter("wsfast.bytes.sent", () => c.BytesOut, "By", "Frame bytes queued to send"));
        Add(_meter.CreateObservableCounter("wsfast.protocol_errors", () => c.ProtocolErrors, "{connection}", "Connections failed for breaking RFC 6455"));
        Add(_meter.CreateObservableCounter("wsfast.broadcast.dropped", () => c.Dropped, "{message}", "Broadcast messages skipped by slow subscribers"));
        Add(_meter.CreateObservableCounter("wsfast.broadcast.slow_consumer_disconnects", () => c.SlowConsumerDisconnects, "{connection}", "Subscribers disconnected for not keeping up"));
        Add(_meter.CreateObservableCounter("wsfast.tls.handshake_failures", () => c.TlsHandshakeFailures, "{connection}", "TLS handshakes the client broke (not TLS, nothing in common, an alert, a close)"));
        Add(_meter.CreateObservableCounter("wsfast.send_stalls", () => c.SendStalls, "{connection}", "Connections aborted because their output did not move for the send-stall timeout"));
        Add(_meter.CreateObservableCounter("wsfast.over_budget_closes", () => c.OverBudgetCloses, "{connection}", "Connections closed because the process was over its memory budget"));
        Add(_meter.CreateObservableUpDownCounter("wsfast.buffered", () => server.BufferedBytes, "By", "Bytes held for peers (queued output, input being assembled), at the last timer tick"));
        Add(_meter.CreateObservableCounter("wsfast.deflate.messages.received", () => c.CompressedMessagesIn, "{message}", "Messages received compressed (permessage-deflate)"));
        Add(_meter.CreateObservableCounter("wsfast.deflate.messages.sent", () => c.CompressedMessagesOut, "{message}", "Messages queued compressed (permessage-deflate), one per connection"));
        Add(_meter.CreateObservableCounter("wsfast.deflate.bytes_saved", () => c.DeflateBytesSaved, "By", "Payload bytes permessage-deflate kept off the wire, both directions"));
        Add(_meter.CreateObservableUpDownCounter("wsfast.deflate.state", () => Protocol.Deflate.ZLib.AllocatedBytes, "By", "Bytes zlib holds now for compressors and decompressors"));
        Add(_meter.CreateObservableCounter("wsfast.publish.messages", () => c.Publishes, "{message}", "Messages published to topics"));
        Add(_meter.CreateObservableCounter("wsfast.publish.fanout", () => c.Fanout, "{delivery}", "Deliveries queued by publishes"));
        Add(_meter.CreateObservableUpDownCounter("wsfast.topics", () => server.Topics.All.Count, "{topic}", "Topics that exist now"));
        Add(_meter.CreateObservableUpDownCounter("wsfast.topic.history", () => server.Topics.HistoryBytes, "By", "Bytes the topics' histories hold together"));
        Add(_meter.CreateObservableCounter("wsfast.closes", ObserveCloses, "{connection}", "Connections ended, by close code"));
        Add(_meter.CreateObservableCounter("wsfast.limit.refusals", ObserveLimitRefusals, "{refusal}", "Clients refused (429, 503, 400) or closed (1008) by the per-address and per-connection limits and the proxy rules, by reason"));
        Add(_meter.CreateObservableUpDownCounter("wsfast.limit.tracked_addresses", () => server.Addresses?.Count ?? 0, "{address}", "Client addresses (IPv6: /64 prefixes) the per-address limits keep counts for"));
        if (server.Topics.Broker is SharedBroker broker)
        {
            Add(_meter.CreateObservableUpDownCounter("wsfast.broker.connected", () => broker.IsConnected ? 1 : 0, null, "1 while the broker that shares topics can be reached, 0 otherwise"));
            Add(_meter.CreateObservableUpDownCounter("wsfast.broker.topics", () => broker.FollowedTopics, "{topic}", "Topics this server follows on the broker (subscribed to their channels)"));
            Add(_meter.CreateObservableCounter("wsfast.broker.published", () => c.BrokerPublishes, "{message}", "Publishes the broker took from this server"));
            Add(_meter.CreateObservableCounter("wsfast.broker.publish_failures", () => c.BrokerPublishFailures, "{message}", "Publishes the broker could not take (answered 503)"));
            Add(_meter.CreateObservableCounter("wsfast.broker.received", () => c.BrokerReceived, "{message}", "Messages this server received from the broker's channels"));
            Add(_meter.CreateObservableCounter("wsfast.broker.out_of_order", () => broker.OutOfOrderMessages, "{message}", "Messages that came out of order (missed ones, a new epoch) and made this server read the topic's history again"));
            Add(_meter.CreateObservableCounter("wsfast.broker.read_failures", () => broker.ReadFailures, "{failure}", "Subscriptions and history reads the broker failed (each tried again with backoff)"));
        }

        if (server.Options.MetricsIncludeTopics)
        {
            // Topic names are the clients' choice: listed only when the operator asks (the same for every reader).
            Add(_meter.CreateObservableUpDownCounter("wsfast.topic.subscribers", () => ObserveTopics(static topic => topic.SubscriberCount), "{subscriber}", "Subscribers of each topic"));
            Add(_meter.CreateObservableUpDownCounter("wsfast.topic.last_sequence", () => ObserveTopics(static topic => topic.LastSequence), null, "Sequence number of each topic's last message"));
            if (server.Topics.Broker.IsShared)
            {
                Add(_meter.CreateObservableUpDownCounter("wsfast.topic.subscribers_everywhere", () => ObserveTopics(static topic => topic.ClusterSubscribers), "{subscriber}", "Subscribers of each topic summed over every server sharing it, as last reported to the broker"));
            }
        }

        ConnectionDuration = Add(_meter.CreateHistogram("wsfast.connection.duration", "s", "How long WebSocket connections lasted, from the 101 to the end, by endpoint", null, Buckets(ConnectionDurations)));
        MessageReceivedSize = Add(_meter.CreateHistogram("wsfast.message.received.size", "By", "Size of each message received (its payload, inflated), by endpoint", null, Buckets(Sizes)));
        MessageSentSize = Add(_meter.CreateHistogram("wsfast.message.sent.size", "By", "Size of each message sent to one connection (its frame, as wsfast.bytes.sent counts it), by endpoint; a publish's deliveries are counted by wsfast.publish.fanout instead", null, Buckets(Sizes)));
        HandlerDuration = Add(_meter.CreateHistogram("wsfast.handler.duration", "s", "Time a handler's OnMessageAsync took, to the completion of the task it returned, by endpoint", null, Buckets(ShortDurations)));
        PublishDuration = Add(_meter.CreateHistogram("wsfast.publish.duration", "s", "Time a publish took to offer its message to every subscriber (the fan-out, under the topic's lock)", null, Buckets(ShortDurations)));
        QueueDelay = Add(_meter.CreateHistogram("wsfast.send.queue_delay", "s", "Time a message waited in its connection's queue, from being queued to the start of the send that carried it, by endpoint", null, Buckets(ShortDurations)));

        IEnumerable<Measurement<long>> ObserveCloses()
        {
            foreach (int code in ServerCounters.ReportedCloseCodes)
            {
                yield return new Measurement<long>(c.ClosedWith(code), new KeyValuePair<string, object?>("code", code));
            }

            yield return new Measurement<long>(c.ClosedWith(3000), new KeyValuePair<string, object?>("code", "3000-4999"));
        }

        IEnumerable<Measurement<long>> ObserveLimitRefusals()
        {
            for (int kind = 0; kind < LimitRefusals.Count; kind++)
            {
                yield return new Measurement<long>(c.LimitRefused((LimitRefusal)kind), new KeyValuePair<string, object?>("reason", LimitRefusals.Name((LimitRefusal)kind)));
            }
        }

        IEnumerable<Measurement<long>> ObserveTopics(Func<Topic, long> value)
        {
            foreach (Topic topic in server.Topics.All)
            {
                yield return new Measurement<long>(value(topic), new KeyValuePair<string, object?>("topic", topic.Name));
            }
        }
    }

    /// <summary>The meter the instruments belong to (the factory's may be shared by several servers).</summary>
    public Meter Meter => _meter;

    /// <summary>This server's instruments, in the order they were made.</summary>
    public IReadOnlyList<Instrument> Instruments => _instruments;

    public Histogram<double> ConnectionDuration { get; }

    public Histogram<long> MessageReceivedSize { get; }

    public Histogram<long> MessageSentSize { get; }

    public Histogram<double> HandlerDuration { get; }

    public Histogram<double> PublishDuration { get; }

    public Histogram<double> QueueDelay { get; }

    /// <summary>Whether <paramref name="instrument"/> is one of this server's.</summary>
    public bool Owns(Instrument instrument) => instrument.Meter == _meter && _instruments.Contains(instrument);

    /// <summary>A timestamp to time a handler call with; 0 (and no clock read) while nothing listens.</summary>
    public long HandlerStarted() => HandlerDuration.Enabled ? Stopwatch.GetTimestamp() : 0;

    /// <summary>A handler call of <paramref name="endpoint"/> started at <paramref name="started"/> ended.</summary>
    public void HandlerEnded(long started, WebSocketEndpoint endpoint)
    {
        if (started != 0)
        {
            HandlerDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, Tag(endpoint));
        }
    }

    /// <summary>A message of <paramref name="bytes"/> arrived on a connection of <paramref name="endpoint"/>.</summary>
    public void MessageReceived(long bytes, WebSocketEndpoint endpoint)
    {
        if (MessageReceivedSize.Enabled)
        {
            MessageReceivedSize.Record(bytes, Tag(endpoint));
        }
    }

    /// <summary>A frame of <paramref name="bytes"/> was queued to a connection of <paramref name="endpoint"/>.</summary>
    public void MessageSent(long bytes, WebSocketEndpoint endpoint)
    {
        if (MessageSentSize.Enabled)
        {
            MessageSentSize.Record(bytes, Tag(endpoint));
        }
    }

    /// <summary>A connection of <paramref name="endpoint"/> opened at <paramref name="opened"/> (a <see cref="Stopwatch"/> timestamp) ended.</summary>
    public void ConnectionEnded(long opened, WebSocketEndpoint endpoint)
    {
        if (ConnectionDuration.Enabled)
        {
            ConnectionDuration.Record(Stopwatch.GetElapsedTime(opened).TotalSeconds, Tag(endpoint));
        }
    }

    /// <summary>A timestamp to time a publish's fan-out with; 0 while nothing listens.</summary>
    public long PublishStarted() => PublishDuration.Enabled ? Stopwatch.GetTimestamp() : 0;

    /// <summary>A publish's fan-out started at <paramref name="started"/> ended.</summary>
    public void PublishEnded(long started)
    {
        if (started != 0)
        {
            PublishDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
    }

    /// <summary>
    /// The time-in-queue recorder of <paramref name="endpoint"/>'s connections: one per endpoint, made at its first
    /// connection (it holds only the histogram and the endpoint's tag; two made by a race are alike).
    /// </summary>
    public Transport.QueueDelayRecorder QueueDelayOf(WebSocketEndpoint endpoint) =>
        endpoint.QueueDelay ??= new EndpointQueueDelay(QueueDelay, Tag(endpoint));

    public void Dispose()
    {
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }

    // A struct of two references: no boxing, nothing allocated.
    private static KeyValuePair<string, object?> Tag(WebSocketEndpoint endpoint) => new(EndpointTag, endpoint.Path);

    private static InstrumentAdvice<T> Buckets<T>(T[] bounds) where T : struct => new() { HistogramBucketBoundaries = bounds };

    private T Add<T>(T instrument) where T : Instrument
    {
        _instruments.Add(instrument);
        return instrument;
    }

    private sealed class EndpointQueueDelay(Histogram<double> histogram, KeyValuePair<string, object?> tag) : Transport.QueueDelayRecorder
    {
        public override bool Enabled => histogram.Enabled;

        public override void Record(long queuedAt, long now) => histogram.Record(Stopwatch.GetElapsedTime(queuedAt, now).TotalSeconds, tag);
    }
}
