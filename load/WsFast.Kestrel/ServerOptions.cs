namespace WsFast.Kestrel;

/// <summary>
/// Settings, bound from the configuration section <c>WsFast</c> (<c>--WsFast:HistorySize=50</c> on the command
/// line, or <c>WsFast__HistorySize=50</c> in the environment). The defaults are those of src/WsFast.Server, so
/// that both servers hold the same limits when a load test compares them.
/// </summary>
public sealed class ServerOptions
{
    /// <summary>Messages each topic keeps for Server-Sent Events resumes and polling cursors.</summary>
    public int HistorySize { get; set; } = 100;

    /// <summary>Most topics at once; a subscription or publish to a new topic beyond it gets 404.</summary>
    public int MaxTopics { get; set; } = 10_000;

    /// <summary>Messages a subscriber may have queued; beyond it, a WebSocket skips messages and an event stream ends.</summary>
    public int MaxQueuedMessages { get; set; } = 1024;

    /// <summary>Largest <c>POST /publish</c> body; larger gets 413.</summary>
    public int MaxPublishBytes { get; set; } = 1024 * 1024;

    /// <summary>Largest WebSocket message, over all its fragments; larger closes the connection with 1009.</summary>
    public int MaxMessageSize { get; set; } = 16 * 1024 * 1024;

    /// <summary>Longest wait of a long poll, in seconds; also the wait when the request names none.</summary>
    public double LongPollTimeoutSeconds { get; set; } = 25;

    /// <summary>Seconds between WebSocket pings, and of silence before an event stream gets a comment line; 0 disables both.</summary>
    public double PingIntervalSeconds { get; set; } = 30;

    /// <summary>Seconds a ping may go unanswered before the WebSocket is dropped.</summary>
    public double PingTimeoutSeconds { get; set; } = 20;

    /// <summary>Seconds a close handshake the server started may take before the connection is dropped.</summary>
    public double CloseTimeoutSeconds { get; set; } = 5;

    /// <summary>
    /// The bearer token <c>POST /publish</c> requires; null: none. Falls back to the environment variable
    /// <c>WSFAST_PUBLISH_TOKEN</c>, as src/WsFast.Server reads it, so one setting serves both servers.
    /// </summary>
    public string? PublishToken { get; set; }

    /// <summary>
    /// Whether WebSockets agree to permessage-deflate when the client offers it
    /// (<c>WebSocketAcceptContext.DangerousEnableCompression</c>). Off by default, as in ASP.NET Core.
    /// </summary>
    public bool Deflate { get; set; }

    public TimeSpan LongPollTimeout => TimeSpan.FromSeconds(LongPollTimeoutSeconds);

    public TimeSpan PingInterval => TimeSpan.FromSeconds(PingIntervalSeconds);

    public TimeSpan PingTimeout => TimeSpan.FromSeconds(PingTimeoutSeconds);

    public TimeSpan CloseTimeout => TimeSpan.FromSeconds(CloseTimeoutSeconds);

    /// <summary>Why the settings cannot be used, or null when they can.</summary>
    public string? Validate() =>
        HistorySize < 0 ? "HistorySize must not be negative"
        : MaxTopics < 1 || MaxQueuedMessages < 1 || MaxPublishBytes < 1 || MaxMessageSize is < 1 or >= int.MaxValue ? "MaxTopics, MaxQueuedMessages, MaxPublishBytes and MaxMessageSize must be positive (and MaxMessageSize under 2 GiB)"
        : LongPollTimeoutSeconds < 0 || PingIntervalSeconds < 0 || PingTimeoutSeconds < 0 || CloseTimeoutSeconds <= 0 ? "timeouts must not be negative (CloseTimeoutSeconds must be positive)"
        : null;
}

/// <summary>
/// The counters <c>/healthz</c> reports. Interlocked adds on shared fields, as src/WsFast.Server counts: cheap
/// next to a send, and exact.
/// </summary>
public sealed class ServerStats
{
    private readonly System.Diagnostics.Stopwatch _uptime = System.Diagnostics.Stopwatch.StartNew();
    private int _connections;
    private long _messagesIn;
    private long _messagesOut;
    private long _dropped;
    private long _slowConsumerDisconnects;

    /// <summary>Open TCP connections (HTTP, WebSocket and event streams alike), counted by Kestrel connection middleware.</summary>
    public int Connections => Volatile.Read(ref _connections);

    public TimeSpan Uptime => _uptime.Elapsed;

    /// <summary>WebSocket messages received.</summary>
    public long MessagesIn => Interlocked.Read(ref _messagesIn);

    /// <summary>Echo replies sent, and deliveries queued by publishes: one per subscriber reached.</summary>
    public long MessagesOut => Interlocked.Read(ref _messagesOut);

    /// <summary>Messages skipped by WebSocket subscribers whose queue was full.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Event streams ended for not keeping up.</summary>
    public long SlowConsumerDisconnects => Interlocked.Read(ref _slowConsumerDisconnects);

    public void OnConnectionOpened() => Interlocked.Increment(ref _connections);

    public void OnConnectionClosed() => Interlocked.Decrement(ref _connections);

    public void OnReceived() => Interlocked.Increment(ref _messagesIn);

    public void OnSent(int count = 1) => Interlocked.Add(ref _messagesOut, count);

    public void OnDropped() => Interlocked.Increment(ref _dropped);

    public void OnSlowConsumerDisconnected() => Interlocked.Increment(ref _slowConsumerDisconnects);
}
