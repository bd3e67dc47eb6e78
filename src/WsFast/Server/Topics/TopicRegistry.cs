using System.Collections.Concurrent;
using WsFast.Server;

namespace WsFast;

/// <summary>
/// The server's topics. Publish here from a backend, a handler or a timer; clients receive over WebSocket
/// (<c>/broadcast/{topic}</c>), Server-Sent Events (<c>/sse/{topic}</c>) or polling (<c>/poll/{topic}</c>).
/// </summary>
/// <remarks>
/// A topic exists while a subscriber holds it or its history holds messages (see <see cref="Topic"/>), so
/// requests that come and go leave nothing behind. Only topics holding history count against
/// <see cref="BroadcastOptions.MaxTopics"/>: a subscriber-only topic is bounded by the connection holding it,
/// and anonymous subscribers can never use up the topics a publisher needs. History expires after
/// <see cref="BroadcastOptions.TopicTimeToLive"/>.
/// </remarks>
public sealed class TopicRegistry
{
    /// <summary>The most characters a topic name has.</summary>
    public const int MaxNameLength = 64;

    internal const string TopicLimitMessage = "The topic limit is reached: no new topic may hold history.";

    private readonly ConcurrentDictionary<string, Topic> _topics = new(StringComparer.Ordinal);
    private readonly BroadcastOptions _options;
    private readonly ServerCounters _counters;

    internal TopicRegistry(BroadcastOptions options, ServerCounters counters)
    {
        _options = options;
        _counters = counters;
        Budget = new HistoryBudget(options);
        Broker = new MemoryBroker(this);
        ExceptSubscriber = id => Connections is { } connections && connections.TryGet(id, out WebSocketConnection? connection) ? connection : null;
    }

    /// <summary>Where the topics live: this process (the default), or a broker shared with other servers.</summary>
    internal ITopicBroker Broker { get; set; }

    /// <summary>The server's connections, so that a message from the broker can skip the one of this server that published it.</summary>
    internal WebSocketConnections? Connections { get; set; }

    /// <summary>The subscriber a connection id of this server names, or null.</summary>
    internal Func<long, ITopicSubscriber?> ExceptSubscriber { get; }

    internal BroadcastOptions Options => _options;

    /// <summary>Topics that exist now (without copying them, as <see cref="All"/> does).</summary>
    internal int Count => _topics.Count;

    /// <summary>How long a shared broker's topic stays after its last holder here (<see cref="BrokerOptions.UnsubscribeDelay"/>).</summary>
    internal long MirrorLingerMilliseconds { get; set; } = 30_000;

    internal ServerCounters Counters => _counters;

    /// <summary>The topics that exist now.</summary>
    public ICollection<Topic> All => _topics.Values;

    /// <summary>Bytes the histories of every topic hold together.</summary>
    public long HistoryBytes => Budget.Bytes;

    internal HistoryBudget Budget { get; }

    /// <summary>What a topic name is made of, for refusals and errors.</summary>
    internal const string NameRule = "1-64 characters of letters, digits, '-', '_', '.' and ':'";

    /// <summary>
    /// Whether <paramref name="name"/> can name a topic: 1 to 64 characters of ASCII letters, digits,
    /// <c>-</c>, <c>_</c>, <c>.</c> and <c>:</c> (<see cref="NameRule"/>), so that it is the same in a path, a
    /// log line and a metric label; not only dots, which a browser would resolve away as a path segment. The
    /// colon separates namespaces, as in Centrifugo's channel names (<c>news:sport</c>); RFC 3986 section 3.3
    /// allows it in a path segment.
    /// </summary>
    public static bool IsValidName(ReadOnlySpan<char> name)
    {
        if (name.Length is 0 or > MaxNameLength || !name.ContainsAnyExcept('.'))
        {
            return false;
        }

        foreach (char c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The topic named <paramref name="name"/>, or null if it does not exist.</summary>
    public Topic? Find(string name) => _topics.GetValueOrDefault(name);

    /// <summary>Subscribers of <paramref name="name"/> now (0 for a topic that does not exist).</summary>
    public int SubscriberCount(string name) => Find(name)?.SubscriberCount ?? 0;

    /// <summary>Publishes to <paramref name="name"/>, creating the topic if needed.</summary>
    /// <exception cref="ArgumentException">The name is not valid.</exception>
    /// <exception cref="InvalidOperationException">
    /// The topic holds no history and <see cref="BroadcastOptions.MaxTopics"/> others do.
    /// </exception>
    public PublishResult Publish(string name, MessageType type, ReadOnlySpan<byte> payload) => Publish(name, type, payload, null);

    /// <summary>
    /// Publishes to <paramref name="name"/> for every subscriber but <paramref name="except"/>, creating the topic
    /// if needed; the message still takes its sequence number and its place in the history.
    /// </summary>
    /// <inheritdoc cref="Publish(string, MessageType, ReadOnlySpan{byte})"/>
    /// <remarks>
    /// With a shared broker (<see cref="WsFastServerOptions.Broker"/>) the broker numbers the message: this hands it
    /// over in the order of the calls and returns at once with a <see cref="PublishResult"/> of zeros; a publish the
    /// broker cannot take is logged and counted, not thrown. Use
    /// <see cref="PublishAsync(string, MessageType, ReadOnlyMemory{byte}, WebSocketConnection?, CancellationToken)"/>
    /// to learn its sequence number or its failure.
    /// </remarks>
    public PublishResult Publish(string name, MessageType type, ReadOnlySpan<byte> payload, WebSocketConnection? except)
    {
        CheckName(name);
        if (Broker.IsShared)
        {
            _ = PublishInBackgroundAsync(name, type, payload.ToArray(), except);
            return default;
        }

        return TryPublishHere(name, type, payload, except, out PublishResult result) == PublishStatus.Published
            ? result
            : throw new InvalidOperationException(TopicLimitMessage);
    }

    /// <summary>
    /// Publishes to <paramref name="name"/> for every subscriber but <paramref name="except"/>, and completes when the
    /// message is numbered: at once with this server's own topics, when the broker took it with a shared one (then
    /// it reaches the subscribers of every server, this one's included, as the broker delivers it). The payload must
    /// stay unchanged until the returned task completes.
    /// </summary>
    /// <exception cref="ArgumentException">The name is not valid.</exception>
    /// <exception cref="BrokerUnavailableException">The shared broker cannot be reached: the message was not published.</exception>
    /// <exception cref="InvalidOperationException">
    /// The topic holds no history and <see cref="BroadcastOptions.MaxTopics"/> others do.
    /// </exception>
    public ValueTask<PublishResult> PublishAsync(string name, MessageType type, ReadOnlyMemory<byte> payload, WebSocketConnection? except, CancellationToken cancellationToken)
    {
        CheckName(name);
        return Broker.PublishAsync(name, type, payload, except, cancellationToken);
    }

    /// <summary>Publishes to <paramref name="name"/> and completes when the message is numbered.</summary>
    /// <inheritdoc cref="PublishAsync(string, MessageType, ReadOnlyMemory{byte}, WebSocketConnection?, CancellationToken)"/>
    public ValueTask<PublishResult> PublishAsync(string name, MessageType type, ReadOnlyMemory<byte> payload) =>
        PublishAsync(name, type, payload, null, CancellationToken.None);

    /// <summary>Publishes a text message to <paramref name="name"/> and completes when it is numbered.</summary>
    /// <inheritdoc cref="PublishAsync(string, MessageType, ReadOnlyMemory{byte}, WebSocketConnection?, CancellationToken)"/>
    public ValueTask<PublishResult> PublishAsync(string name, string text) =>
        PublishAsync(name, MessageType.Text, System.Text.Encoding.UTF8.GetBytes(text), null, CancellationToken.None);

    private static void CheckName(string name)
    {
        if (!IsValidName(name))
        {
            throw new ArgumentException($"'{name}' is not a topic name: {NameRule}.", nameof(name));
        }
    }

    private async Task PublishInBackgroundAsync(string name, MessageType type, byte[] payload, WebSocketConnection? except)
    {
        try
        {
            await Broker.PublishAsync(name, type, payload, except, CancellationToken.None).ConfigureAwait(false);
        }
        catch (BrokerUnavailableException)
        {
            // Logged (rate-limited) and counted by the broker.
        }
    }

    /// <summary>Publishes a text message to <paramref name="name"/>, creating the topic if needed.</summary>
    /// <inheritdoc cref="Publish(string, MessageType, ReadOnlySpan{byte})"/>
    public PublishResult Publish(string name, string text) =>
        Publish(name, MessageType.Text, System.Text.Encoding.UTF8.GetBytes(text), null);

    /// <summary>Publishes a text message to <paramref name="name"/> for every subscriber but <paramref name="except"/>.</summary>
    /// <inheritdoc cref="Publish(string, MessageType, ReadOnlySpan{byte}, WebSocketConnection)"/>
    public PublishResult Publish(string name, string text, WebSocketConnection? except) =>
        Publish(name, MessageType.Text, System.Text.Encoding.UTF8.GetBytes(text), except);

    /// <summary>
    /// Publishes to a valid name in this server's own topics (the memory broker's publish);
    /// <see cref="PublishStatus.TopicLimit"/> when a new topic would exceed the limit.
    /// </summary>
    internal PublishStatus TryPublishHere(string name, MessageType type, ReadOnlySpan<byte> payload, ITopicSubscriber? except, out PublishResult result)
    {
        while (true)
        {
            PublishStatus status = GetOrCreate(name).TryPublish(type, FrameWriting.Frame((Protocol.Opcode)type, payload), except, out result);
            if (status != PublishStatus.Retired)
            {
                return status;
            }
        }
    }

    /// <summary>
    /// The topic named <paramref name="name"/> (a valid name), created if needed, held until
    /// <see cref="Release"/>: a subscriber's claim, never refused.
    /// </summary>
    internal Topic Acquire(string name)
    {
        var spin = new SpinWait();
        while (true)
        {
            Topic topic = GetOrCreate(name);
            if (topic.TryHold())
            {
                topic.EnsureFollowing(Broker);
                return topic;
            }

            // Retired a moment ago and still leaving the dictionary.
            spin.SpinOnce();
        }
    }

    /// <summary>Lets go of a topic taken with <see cref="Acquire"/>.</summary>
    internal static void Release(Topic topic) => topic.Unhold();

    /// <summary>Lets go of history older than the time to live, and of the topics left with nothing.</summary>
    internal void Expire(long now)
    {
        // A shared broker's mirrors linger after their last holder: they are retired here even without a time to live.
        if (_options.TopicTimeToLive <= TimeSpan.Zero && !Broker.IsShared)
        {
            return;
        }

        long cutoff = _options.TopicTimeToLive <= TimeSpan.Zero ? long.MinValue : now - (long)_options.TopicTimeToLive.TotalMilliseconds;
        foreach (KeyValuePair<string, Topic> entry in _topics)
        {
            entry.Value.Expire(cutoff);
        }
    }

    /// <summary>Called by a topic as it retires: the name is free for a new topic.</summary>
    internal void Remove(Topic topic) => _topics.TryRemove(KeyValuePair.Create(topic.Name, topic));

    private Topic GetOrCreate(string name) =>
        _topics.GetOrAdd(name, static (n, registry) => new Topic(n, registry, registry.Budget, registry._counters, mirror: registry.Broker.IsShared), this);
}
