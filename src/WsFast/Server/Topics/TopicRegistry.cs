using System.Collections.Concurrent;

namespace WsFast.Server;

/// <summary>
/// The server's topics, created on first use (a subscription or a publish) up to a bound. Publish here from a
/// backend, a handler or a timer; clients receive over WebSocket (<c>/broadcast/{topic}</c>), Server-Sent
/// Events (<c>/sse/{topic}</c>) or polling (<c>/poll/{topic}</c>).
/// </summary>
public sealed class TopicRegistry
{
    private const int MaxNameLength = 64;

    private readonly ConcurrentDictionary<string, Topic> _topics = new(StringComparer.Ordinal);
    private readonly BroadcastOptions _options;
    private readonly ServerCounters _counters;

    internal TopicRegistry(BroadcastOptions options, ServerCounters counters)
    {
        _options = options;
        _counters = counters;
    }

    /// <summary>The topics that exist now.</summary>
    public ICollection<Topic> All => _topics.Values;

    /// <summary>
    /// Whether <paramref name="name"/> can name a topic: 1 to 64 characters of ASCII letters, digits,
    /// <c>-</c>, <c>_</c> and <c>.</c>, so that it is the same in a path, a log line and a metric label; not
    /// only dots, which a browser would resolve away as a path segment.
    /// </summary>
    public static bool IsValidName(ReadOnlySpan<char> name)
    {
        if (name.Length is 0 or > MaxNameLength || !name.ContainsAnyExcept('.'))
        {
            return false;
        }

        foreach (char c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
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
    /// <exception cref="ArgumentException">The name is not valid, or the topic limit is reached.</exception>
    public PublishResult Publish(string name, WebSocketMessageType type, ReadOnlySpan<byte> payload) =>
        (GetOrCreate(name) ?? throw new ArgumentException($"No topic '{name}': invalid name or too many topics.", nameof(name)))
            .Publish(type, payload);

    /// <summary>Publishes a text message to <paramref name="name"/>, creating the topic if needed.</summary>
    /// <inheritdoc cref="Publish(string, WebSocketMessageType, ReadOnlySpan{byte})"/>
    public PublishResult Publish(string name, string text) =>
        Publish(name, WebSocketMessageType.Text, System.Text.Encoding.UTF8.GetBytes(text));

    /// <summary>The topic, created if needed; null for an invalid name or when <see cref="BroadcastOptions.MaxTopics"/> exist.</summary>
    internal Topic? GetOrCreate(string name)
    {
        if (_topics.TryGetValue(name, out Topic? topic))
        {
            return topic;
        }

        if (!IsValidName(name) || _topics.Count >= _options.MaxTopics)
        {
            return null;
        }

        return _topics.GetOrAdd(name, static (n, registry) => new Topic(n, registry._options.HistorySize, registry._counters), this);
    }
}
