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
    }

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
    public PublishResult Publish(string name, MessageType type, ReadOnlySpan<byte> payload, WebSocketConnection? except)
    {
        if (!IsValidName(name))
        {
            throw new ArgumentException($"'{name}' is not a topic name: {NameRule}.", nameof(name));
        }

        return TryPublish(name, type, payload, except, out PublishResult result) == PublishStatus.Published
            ? result
            : throw new InvalidOperationException(TopicLimitMessage);
    }

    /// <summary>Publishes a text message to <paramref name="name"/>, creating the topic if needed.</summary>
    /// <inheritdoc cref="Publish(string, MessageType, ReadOnlySpan{byte})"/>
    public PublishResult Publish(string name, string text) =>
        Publish(name, MessageType.Text, System.Text.Encoding.UTF8.GetBytes(text), null);

    /// <summary>Publishes a text message to <paramref name="name"/> for every subscriber but <paramref name="except"/>.</summary>
    /// <inheritdoc cref="Publish(string, MessageType, ReadOnlySpan{byte}, WebSocketConnection)"/>
    public PublishResult Publish(string name, string text, WebSocketConnection? except) =>
        Publish(name, MessageType.Text, System.Text.Encoding.UTF8.GetBytes(text), except);

    /// <summary>Publishes to a valid name; <see cref="PublishStatus.TopicLimit"/> when a new topic would exceed the limit.</summary>
    internal PublishStatus TryPublish(string name, MessageType type, ReadOnlySpan<byte> payload, out PublishResult result) =>
        TryPublish(name, type, payload, null, out result);

    private PublishStatus TryPublish(string name, MessageType type, ReadOnlySpan<byte> payload, ITopicSubscriber? except, out PublishResult result)
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
        if (_options.TopicTimeToLive <= TimeSpan.Zero)
        {
            return;
        }

        long cutoff = now - (long)_options.TopicTimeToLive.TotalMilliseconds;
        foreach (KeyValuePair<string, Topic> entry in _topics)
        {
            entry.Value.Expire(cutoff);
        }
    }

    /// <summary>Called by a topic as it retires: the name is free for a new topic.</summary>
    internal void Remove(Topic topic) => _topics.TryRemove(KeyValuePair.Create(topic.Name, topic));

    private Topic GetOrCreate(string name) =>
        _topics.GetOrAdd(name, static (n, registry) => new Topic(n, registry, registry.Budget, registry._counters), this);
}
