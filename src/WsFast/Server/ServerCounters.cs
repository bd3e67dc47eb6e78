using WsFast.Server;

namespace WsFast;

/// <summary>Running totals of what the server has done since it started, read by the <c>WsFast</c> meter, <c>/healthz</c> and tests.</summary>
public sealed class ServerCounters
{
    private long _accepted;
    private long _opened;
    private long _closed;
    private long _refused;
    private long _protocolErrors;
    private long _messagesIn;
    private long _bytesIn;
    private long _messagesOut;
    private long _bytesOut;
    private long _abnormalClosures;
    private long _dropped;
    private long _slowConsumerDisconnects;
    private long _publishes;
    private long _fanout;
    private long _brokerPublishes;
    private long _brokerPublishFailures;
    private long _brokerReceived;
    private long _sendStalls;
    private long _overBudgetCloses;
    private long _compressedIn;
    private long _compressedOut;
    private long _deflateBytesSaved;
    private long _tlsHandshakeFailures;
    private readonly long[] _closeCodes = new long[CloseCodeSlots];
    private readonly long[] _limitRefusals = new long[LimitRefusals.Count];

    // Close codes 1000-1015 each have a slot; registered and private codes (3000-4999) share the last one.
    private const int CloseCodeSlots = 17;

    /// <summary>TCP connections accepted.</summary>
    public long Accepted => Interlocked.Read(ref _accepted);

    /// <summary>WebSocket connections opened (handshakes accepted).</summary>
    public long Opened => Interlocked.Read(ref _opened);

    /// <summary>WebSocket connections that ended.</summary>
    public long Closed => Interlocked.Read(ref _closed);

    /// <summary>Connections that ended without a close frame (1006).</summary>
    public long AbnormalClosures => Interlocked.Read(ref _abnormalClosures);

    /// <summary>Requests refused before the upgrade (4xx, 5xx).</summary>
    public long Refused => Interlocked.Read(ref _refused);

    /// <summary>Connections failed for breaking RFC 6455.</summary>
    public long ProtocolErrors => Interlocked.Read(ref _protocolErrors);

    /// <summary>Messages received.</summary>
    public long MessagesIn => Interlocked.Read(ref _messagesIn);

    /// <summary>Payload bytes received.</summary>
    public long BytesIn => Interlocked.Read(ref _bytesIn);

    /// <summary>Messages queued to send (a broadcast counts once per connection).</summary>
    public long MessagesOut => Interlocked.Read(ref _messagesOut);

    /// <summary>Frame bytes queued to send.</summary>
    public long BytesOut => Interlocked.Read(ref _bytesOut);

    /// <summary>Broadcast messages skipped by subscribers that could not keep up.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Subscribers disconnected for not keeping up.</summary>
    public long SlowConsumerDisconnects => Interlocked.Read(ref _slowConsumerDisconnects);

    /// <summary>Messages published to topics.</summary>
    public long Publishes => Interlocked.Read(ref _publishes);

    /// <summary>Deliveries queued by publishes (one per subscriber reached).</summary>
    public long Fanout => Interlocked.Read(ref _fanout);

    /// <summary>Publishes the shared broker took.</summary>
    public long BrokerPublishes => Interlocked.Read(ref _brokerPublishes);

    /// <summary>Publishes the shared broker could not take (503).</summary>
    public long BrokerPublishFailures => Interlocked.Read(ref _brokerPublishFailures);

    /// <summary>Messages this server received from the shared broker's channels (one per publish per server following its topic).</summary>
    public long BrokerReceived => Interlocked.Read(ref _brokerReceived);

    /// <summary>Connections aborted because their output did not move for the send-stall timeout.</summary>
    public long SendStalls => Interlocked.Read(ref _sendStalls);

    /// <summary>Connections closed because the process was over its memory budget.</summary>
    public long OverBudgetCloses => Interlocked.Read(ref _overBudgetCloses);

    /// <summary>The close codes the metrics report one by one; 3000-4999 are reported together.</summary>
    internal static readonly int[] ReportedCloseCodes = [1000, 1001, 1002, 1003, 1006, 1007, 1008, 1009, 1010, 1011, 1013];

    /// <summary>Connections ended with <paramref name="code"/> (1000-1015), or with any 3000-4999 code when given 3000.</summary>
    public long ClosedWith(int code) => Interlocked.Read(ref _closeCodes[CloseCodeSlot(code)]);

    private static int CloseCodeSlot(int code) => code is >= 1000 and <= 1015 ? code - 1000 : CloseCodeSlots - 1;

    /// <summary>Messages received compressed with permessage-deflate (also counted in <see cref="MessagesIn"/>).</summary>
    public long CompressedMessagesIn => Interlocked.Read(ref _compressedIn);

    /// <summary>Messages queued compressed with permessage-deflate, one per connection (also in <see cref="MessagesOut"/>).</summary>
    public long CompressedMessagesOut => Interlocked.Read(ref _compressedOut);

    /// <summary>Payload bytes permessage-deflate kept off the wire, over both directions: inflated less compressed size.</summary>
    public long DeflateBytesSaved => Interlocked.Read(ref _deflateBytesSaved);

    /// <summary>Requests refused with 429 because their client address held <see cref="ClientLimitOptions.MaxConnectionsPerAddress"/> connections.</summary>
    public long ConnectionsPerAddressRefusals => LimitRefused(LimitRefusal.ConnectionsPerAddress);

    /// <summary>Upgrades, event streams and polls refused with 429 because their client address was over <see cref="ClientLimitOptions.HandshakesPerSecond"/>.</summary>
    public long HandshakeRateRefusals => LimitRefused(LimitRefusal.HandshakeRate);

    /// <summary>WebSockets closed with 1008 for sending over <see cref="ClientLimitOptions.MessagesPerSecond"/>.</summary>
    public long MessageRateCloses => LimitRefused(LimitRefusal.MessageRate);

    /// <summary>WebSockets closed with 1008 for sending over <see cref="ClientLimitOptions.BytesPerSecond"/>.</summary>
    public long ByteRateCloses => LimitRefused(LimitRefusal.ByteRate);

    /// <summary>Requests refused with 503 because <see cref="ClientLimitOptions.MaxTrackedAddresses"/> addresses all held connections.</summary>
    public long AddressTableFullRefusals => LimitRefused(LimitRefusal.AddressTableFull);

    /// <summary>Requests refused with 400 for a malformed forwarding header from a trusted proxy.</summary>
    public long ForwardedHeaderRefusals => LimitRefused(LimitRefusal.ForwardedHeader);

    internal long LimitRefused(LimitRefusal kind) => Interlocked.Read(ref _limitRefusals[(int)kind]);

    internal void OnLimitRefused(LimitRefusal kind) => Interlocked.Increment(ref _limitRefusals[(int)kind]);

    internal void OnCompressedReceived(long compressedBytes, long inflatedBytes)
    {
        Interlocked.Increment(ref _compressedIn);
        Interlocked.Add(ref _deflateBytesSaved, inflatedBytes - compressedBytes);
    }

    internal void OnCompressedSent(long payloadBytes, long frameBytes)
    {
        Interlocked.Increment(ref _compressedOut);
        Interlocked.Add(ref _deflateBytesSaved, payloadBytes - frameBytes);
    }

    /// <summary>
    /// TLS handshakes the client broke: bytes that are not TLS, no version or cipher in common, an alert (a client
    /// that does not trust the certificate sends one), or a close before the end. A handshake that ran past the
    /// handshake timeout is not counted here: it ends as a request that timed out.
    /// </summary>
    public long TlsHandshakeFailures => Interlocked.Read(ref _tlsHandshakeFailures);

    internal void OnTlsHandshakeFailed() => Interlocked.Increment(ref _tlsHandshakeFailures);

    internal void OnDropped() => Interlocked.Increment(ref _dropped);

    internal void OnSendStalled() => Interlocked.Increment(ref _sendStalls);

    internal void OnOverBudgetClose() => Interlocked.Increment(ref _overBudgetCloses);

    internal void OnSlowConsumerDisconnected() => Interlocked.Increment(ref _slowConsumerDisconnects);

    /// <summary>The server's instruments, for what a total cannot tell (the histograms); null for counters of no server.</summary>
    internal WsFastMetrics? Metrics { get; set; }

    /// <summary>A publish starts its fan-out: a timestamp for <see cref="OnPublished"/>, 0 while nothing measures it.</summary>
    internal long OnPublishing() => Metrics?.PublishStarted() ?? 0;

    internal void OnPublished(int reached, long started = 0)
    {
        Interlocked.Increment(ref _publishes);
        Interlocked.Add(ref _fanout, reached);
        Metrics?.PublishEnded(started);
    }

    /// <summary>A publish the shared broker took (numbered, kept, sent to every server).</summary>
    internal void OnBrokerPublished() => Interlocked.Increment(ref _brokerPublishes);

    /// <summary>A publish the shared broker could not take.</summary>
    internal void OnBrokerPublishFailed() => Interlocked.Increment(ref _brokerPublishFailures);

    /// <summary>A message that came from the shared broker's channel to this server.</summary>
    internal void OnBrokerReceived() => Interlocked.Increment(ref _brokerReceived);

    internal void OnAccepted() => Interlocked.Increment(ref _accepted);

    internal void OnOpened() => Interlocked.Increment(ref _opened);

    internal void OnClosed(CloseCode code)
    {
        Interlocked.Increment(ref _closed);
        Interlocked.Increment(ref _closeCodes[CloseCodeSlot((int)code)]);
        if (code == CloseCode.AbnormalClosure)
        {
            Interlocked.Increment(ref _abnormalClosures);
        }
    }

    internal void OnRefused() => Interlocked.Increment(ref _refused);

    internal void OnProtocolError() => Interlocked.Increment(ref _protocolErrors);

    internal void OnMessageReceived(long bytes)
    {
        Interlocked.Increment(ref _messagesIn);
        Interlocked.Add(ref _bytesIn, bytes);
    }

    internal void OnMessageSent(long bytes)
    {
        Interlocked.Increment(ref _messagesOut);
        Interlocked.Add(ref _bytesOut, bytes);
    }
}
