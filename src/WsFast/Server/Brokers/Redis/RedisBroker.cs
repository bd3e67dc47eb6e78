using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Text;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace WsFast.Server;

/// <summary>
/// Topics shared by every server on one Redis (<see cref="BrokerKind.Redis"/>), in the manner of Centrifugo's Redis
/// engine and the SignalR Redis backplane: a publish is one script (<see cref="RedisScripts.Publish"/>) that numbers
/// the message, keeps it in the topic's history and publishes it on the topic's channel; each server subscribes to
/// the channels of the topics it has subscribers for, so that a message crosses the network once per server, and
/// frames it there once for all of them. Sharded pub/sub (<c>SSUBSCRIBE</c>, Redis 7) when the server offers it, so
/// that it runs on Redis Cluster too.
/// </summary>
/// <remarks>
/// A channel message is <c>epoch sequence type except\n</c> then the payload: <c>type</c> is <c>t</c> or <c>b</c>,
/// <c>except</c> <c>-</c> or <c>server/connection</c> (the connection of the publishing server that must not get it).
/// </remarks>
internal sealed class RedisBroker : SharedBroker
{
    /// <summary>
    /// Messages of one topic the client may hold for this server beyond the one being applied; past it each is
    /// skipped unread (so that the queue drains at once) and the topic is read again from its history.
    /// </summary>
    internal const int MaxBacklog = 1000;

    private readonly ConcurrentDictionary<TopicFeed, ChannelMessageQueue> _subscriptions = new();
    private readonly LogLimiter _publishFailureLog = new();
    private readonly byte[] _nodePrefix;
    private ConnectionMultiplexer? _redis;
    private string _publishCommand = "publish";
    private volatile bool _sharded;
    private volatile bool _shardingKnown;
    private volatile bool _connected;

    public RedisBroker(TopicRegistry registry, BrokerOptions options, ILogger logger)
        : base(registry, options, logger)
    {
        _nodePrefix = Encoding.ASCII.GetBytes(NodeId + "/");
    }

    public override string Name => "redis";

    public override bool IsConnected => _connected && _redis is { IsConnected: true };

    /// <summary>Whether channels are sharded (<c>SPUBLISH</c>/<c>SSUBSCRIBE</c>).</summary>
    public bool IsSharded => _sharded;

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        ConfigurationOptions configuration;
        try
        {
            configuration = ConfigurationOptions.Parse(Options.Redis!);
        }
        catch (ArgumentException e)
        {
            throw new InvalidOperationException($"Broker:Redis '{Options.Redis}' is not a StackExchange.Redis configuration string: {e.Message}", e);
        }

        // Start even while Redis is away (the server serves what it can and catches up once it is back), and refuse a
        // publish at once rather than queueing it behind a dead connection: the publisher gets 503 and retries.
        configuration.AbortOnConnectFail = false;
        configuration.BacklogPolicy = BacklogPolicy.FailFast;
        configuration.ClientName ??= "wsfast-" + NodeId;
        // Back within a second or two of Redis: the client's default backoff grew to several seconds over repeated
        // cuts (2.8-6.5 s measured), which a busy topic's history may not cover. A configuration string cannot set it.
        configuration.ReconnectRetryPolicy = new ExponentialRetry(deltaBackOffMilliseconds: 250, maxDeltaBackOffMilliseconds: 2000);
        _redis = await ConnectionMultiplexer.ConnectAsync(configuration).ConfigureAwait(false);
        _redis.ConnectionFailed += OnConnectionFailed;
        _redis.ConnectionRestored += OnConnectionRestored;
        _connected = _redis.IsConnected;
        if (_connected)
        {
            EnsureSharding();
        }

        Log.BrokerStarted(Logger, Name, $"{string.Join(",", configuration.EndPoints)}, {(_connected ? (_sharded ? "sharded pub/sub" : "classic pub/sub") : "not reachable yet")}, key prefix {Options.KeyPrefix}", NodeId);
    }

    public override async ValueTask<PublishResult> PublishAsync(string topic, MessageType type, ReadOnlyMemory<byte> payload, WebSocketConnection? except, CancellationToken cancellationToken)
    {
        ConnectionMultiplexer redis = _redis ?? throw new InvalidOperationException("The broker is not started.");
        BroadcastOptions broadcast = Registry.Options;
        RedisResult result;
        try
        {
            EnsureSharding();
            result = await redis.GetDatabase().ScriptEvaluateAsync(
                RedisScripts.Publish,
                [SequenceKey(topic), HistoryKey(topic)],
                [
                    ChannelName(topic),
                    payload,
                    type == MessageType.Text ? "t" : "b",
                    except is null ? "-" : $"{NodeId}/{except.Id}",
                    broadcast.HistorySize,
                    broadcast.HistoryBytes,
                    (long)broadcast.TopicTimeToLive.TotalMilliseconds,
                    SequenceTimeToLive,
                    NewEpoch(),
                    _publishCommand,
                ]).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RedisException or TimeoutException or ObjectDisposedException or BrokerUnavailableException)
        {
            Registry.Counters.OnBrokerPublishFailed();
            if (Logger.IsEnabled(LogLevel.Warning) && _publishFailureLog.TryWrite(Environment.TickCount64, out int held))
            {
                Log.BrokerPublishFailed(Logger, Name, topic, e.Message, held > 0 ? $" ({held} more like it since the last such line)" : "");
            }

            throw new BrokerUnavailableException($"Redis could not take the publish to '{topic}': {e.Message}", e);
        }

        var values = (RedisResult[])result!;
        Registry.Counters.OnBrokerPublished();
        return new PublishResult((long)values[1], Subscribers: 0) { Epoch = (long)values[0] };
    }

    public override async ValueTask<TopicPresence> GetPresenceAsync(string topic, CancellationToken cancellationToken)
    {
        ConnectionMultiplexer redis = _redis ?? throw new InvalidOperationException("The broker is not started.");
        try
        {
            var values = (RedisResult[])(await redis.GetDatabase().ScriptEvaluateAsync(
                RedisScripts.Presence, [PresenceKey(topic), SequenceKey(topic)], [NodeId, -1, 0]).WaitAsync(cancellationToken).ConfigureAwait(false))!;
            return new TopicPresence((long)values[0], (int)values[1], (long)values[2], (long)values[3]);
        }
        catch (Exception e) when (e is RedisException or TimeoutException or ObjectDisposedException)
        {
            throw new BrokerUnavailableException($"Redis could not be asked about '{topic}': {e.Message}", e);
        }
    }

    public override async ValueTask DisposeAsync()
    {
        StopFollowing();
        if (_redis is { } redis)
        {
            _redis = null;
            _connected = false;
            redis.ConnectionFailed -= OnConnectionFailed;
            redis.ConnectionRestored -= OnConnectionRestored;
            await redis.CloseAsync(allowCommandsToComplete: false).ConfigureAwait(false);
            redis.Dispose();
        }
    }

    internal override async Task SubscribeAsync(TopicFeed feed)
    {
        ConnectionMultiplexer redis = _redis ?? throw new ObjectDisposedException(nameof(RedisBroker));
        string name = feed.Topic.Name;
        EnsureSharding();
        RedisChannel channel = _sharded ? RedisChannel.Sharded(ChannelName(name)) : RedisChannel.Literal(ChannelName(name));
        ChannelMessageQueue queue = await redis.GetSubscriber().SubscribeAsync(channel).ConfigureAwait(false);
        if (!_subscriptions.TryAdd(feed, queue) || feed.IsClosed)
        {
            _subscriptions.TryRemove(feed, out _);
            await queue.UnsubscribeAsync().ConfigureAwait(false);
            return;
        }

        // One message at a time, in the channel's order (the queue's async handler awaits each before the next).
        queue.OnMessage(message => OnChannelMessageAsync(feed, queue, message.Message));
    }

    protected override async Task UnsubscribeAsync(TopicFeed feed)
    {
        if (_subscriptions.TryRemove(feed, out ChannelMessageQueue? queue))
        {
            await queue.UnsubscribeAsync().ConfigureAwait(false);
        }
    }

    internal override async Task<BrokerSnapshot> ReadAsync(string topic, TopicCursor? after)
    {
        ConnectionMultiplexer redis = _redis ?? throw new ObjectDisposedException(nameof(RedisBroker));
        var values = (RedisResult[])(await redis.GetDatabase().ScriptEvaluateAsync(
            RedisScripts.Read,
            [SequenceKey(topic), HistoryKey(topic)],
            [after?.Epoch ?? 0, after?.Sequence ?? 0, NewEpoch(), SequenceTimeToLive]).ConfigureAwait(false))!;
        var entries = (RedisResult[])values[2]!;
        var list = new List<BrokerEntry>(entries.Length);
        foreach (RedisResult entry in entries)
        {
            // [ "sequence-0", [ "t", type, "x", except, "d", payload ] ]
            var parts = (RedisResult[])entry!;
            string id = (string)parts[0]!;
            var fields = (RedisResult[])parts[1]!;
            long sequence = long.Parse(id.AsSpan(0, id.IndexOf('-')), System.Globalization.CultureInfo.InvariantCulture);
            byte[] payload = (byte[])fields[5]!;
            list.Add(new BrokerEntry(sequence, TypeOf((string)fields[1]!), ExceptOf((byte[])fields[3]!), payload));
        }

        return new BrokerSnapshot((long)values[0], (long)values[1], list);
    }

    protected override async Task<TopicPresence[]> ReportPresenceAsync(IReadOnlyList<(string Topic, int Subscribers)> counts, TimeSpan timeToLive)
    {
        ConnectionMultiplexer redis = _redis ?? throw new ObjectDisposedException(nameof(RedisBroker));
        IDatabase database = redis.GetDatabase();
        long ttl = (long)timeToLive.TotalMilliseconds;
        var pending = new Task<RedisResult>[counts.Count];
        for (int i = 0; i < counts.Count; i++)
        {
            pending[i] = database.ScriptEvaluateAsync(RedisScripts.Presence, [PresenceKey(counts[i].Topic), SequenceKey(counts[i].Topic)], [NodeId, counts[i].Subscribers, ttl]);
        }

        var everywhere = new TopicPresence[counts.Count];
        for (int i = 0; i < pending.Length; i++)
        {
            var values = (RedisResult[])(await pending[i].ConfigureAwait(false))!;
            everywhere[i] = new TopicPresence((long)values[0], (int)values[1], (long)values[2], (long)values[3]);
        }

        return everywhere;
    }

    private Task OnChannelMessageAsync(TopicFeed feed, ChannelMessageQueue queue, RedisValue value)
    {
        Registry.Counters.OnBrokerReceived();
        if (queue.TryGetCount(out int backlog) && backlog > MaxBacklog)
        {
            // Publishers outpace this server: the queue the client fills for us must not grow without bound.
            feed.FellBehind();
            return Task.CompletedTask;
        }

        var bytes = (ReadOnlyMemory<byte>)value;
        return TryParse(bytes, out long epoch, out BrokerEntry entry)
            ? feed.OnMessageAsync(epoch, entry)
            : Task.CompletedTask; // not one of ours: a stranger published on the channel
    }

    /// <summary>Parses <c>epoch sequence type except\n</c> and the payload after it.</summary>
    internal bool TryParse(ReadOnlyMemory<byte> message, out long epoch, out BrokerEntry entry)
    {
        entry = default;
        epoch = 0;
        ReadOnlySpan<byte> span = message.Span;
        int end = span.IndexOf((byte)'\n');
        if (end < 0)
        {
            return false;
        }

        ReadOnlySpan<byte> head = span[..end];
        int first = head.IndexOf((byte)' ');
        if (first < 0 || !Utf8Parser.TryParse(head[..first], out epoch, out int used) || used != first)
        {
            return false;
        }

        head = head[(first + 1)..];
        int second = head.IndexOf((byte)' ');
        if (second < 0 || !Utf8Parser.TryParse(head[..second], out long sequence, out used) || used != second)
        {
            return false;
        }

        head = head[(second + 1)..];
        if (head.Length < 3 || head[1] != (byte)' ' || head[0] is not ((byte)'t' or (byte)'b'))
        {
            return false;
        }

        entry = new BrokerEntry(sequence, head[0] == (byte)'t' ? MessageType.Text : MessageType.Binary, ExceptOf(head[2..]), message[(end + 1)..]);
        return true;
    }

    // A connection of this server, or none (another server's, or none at all).
    private long ExceptOf(ReadOnlySpan<byte> except) =>
        except.StartsWith(_nodePrefix) && Utf8Parser.TryParse(except[_nodePrefix.Length..], out long id, out int used) && used == except.Length - _nodePrefix.Length
            ? id
            : 0;

    private static MessageType TypeOf(string type) => type == "t" ? MessageType.Text : MessageType.Binary;

    private long SequenceTimeToLive => (long)Math.Max(Options.SequenceTimeToLive.TotalMilliseconds, Registry.Options.TopicTimeToLive.TotalMilliseconds);

    // At most 2^52, so that epochs stay exact as JavaScript numbers.
    private static long NewEpoch() => Random.Shared.NextInt64(1, 1L << 52);

    private string ChannelName(string topic) => $"{Options.KeyPrefix}:{{{topic}}}";

    private RedisKey SequenceKey(string topic) => $"{Options.KeyPrefix}:{{{topic}}}:seq";

    private RedisKey HistoryKey(string topic) => $"{Options.KeyPrefix}:{{{topic}}}:history";

    private RedisKey PresenceKey(string topic) => $"{Options.KeyPrefix}:{{{topic}}}:presence";

    // Sharded channels where Redis offers them (7.0 and later). Every server on one Redis finds the same answer, so
    // that publishers and subscribers agree on the kind of channel; it is found at the first connection, before any
    // channel is used.
    private void EnsureSharding()
    {
        if (_shardingKnown)
        {
            return;
        }

        foreach (IServer server in _redis!.GetServers())
        {
            if (server.IsConnected)
            {
                _sharded = server.Features.ShardedPubSub;
                _publishCommand = _sharded ? "spublish" : "publish";
                _shardingKnown = true;
                return;
            }
        }

        throw new BrokerUnavailableException("No Redis server is reachable.");
    }

    private void OnConnectionFailed(object? sender, ConnectionFailedEventArgs e)
    {
        if (_connected)
        {
            _connected = false;
            Log.BrokerLost(Logger, Name, $"{e.FailureType}: {e.Exception?.Message}");
        }
    }

    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e)
    {
        if (!_connected && _redis is { IsConnected: true })
        {
            _connected = true;
            Log.BrokerRestored(Logger, Name);
        }

        // The client subscribes again by itself; what was published while the subscriptions were gone is in the
        // histories. Reading is idempotent (what a topic has already is skipped), so every restored connection reads.
        OnReconnected();
    }
}
