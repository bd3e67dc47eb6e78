using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace WsFast.Server;

/// <summary>
/// What every broker shared by several servers does the same way, whatever carries the bytes: each topic with a
/// subscriber here is followed by a <see cref="TopicFeed"/> that keeps it in step (in order, once each, recovering
/// from the history after a cut), presence is reported at its interval, and every followed topic is read again
/// when the connection comes back. A broker adds how to publish, subscribe, read a topic's history and count
/// presence (<see cref="RedisBroker"/>; a NATS JetStream one would add the same four).
/// </summary>
internal abstract class SharedBroker : ITopicBroker
{
    private readonly ConcurrentDictionary<Topic, TopicFeed> _feeds = new();
    private long _lastPresenceReport;
    private int _reportingPresence;
    private long _outOfOrder;
    private long _readFailures;

    protected SharedBroker(TopicRegistry registry, BrokerOptions options, ILogger logger)
    {
        Registry = registry;
        Options = options;
        Logger = logger;
    }

    public abstract string Name { get; }

    public bool IsShared => true;

    public abstract bool IsConnected { get; }

    /// <summary>
    /// This server's name among those sharing the topics: random, new at every start, so that a message this server
    /// published can say which of its connections must not get it.
    /// </summary>
    public string NodeId { get; } = Convert.ToHexStringLower(BitConverter.GetBytes(Random.Shared.NextInt64()));

    public TopicRegistry Registry { get; }

    public BrokerOptions Options { get; }

    protected ILogger Logger { get; }

    private readonly LogLimiter _failureLog = new();

    /// <summary>Live messages that came out of order (a gap to fill from the history, an epoch change).</summary>
    public long OutOfOrderMessages => Interlocked.Read(ref _outOfOrder);

    /// <summary>Reads of a topic's history, and subscriptions, that failed (each is tried again with backoff).</summary>
    public long ReadFailures => Interlocked.Read(ref _readFailures);

    /// <summary>Topics this server follows now.</summary>
    public int FollowedTopics => _feeds.Count;

    public abstract Task StartAsync(CancellationToken cancellationToken);

    public abstract ValueTask<PublishResult> PublishAsync(string topic, MessageType type, ReadOnlyMemory<byte> payload, WebSocketConnection? except, CancellationToken cancellationToken);

    public abstract ValueTask<TopicPresence> GetPresenceAsync(string topic, CancellationToken cancellationToken);

    public abstract ValueTask DisposeAsync();

    public IDisposable? Follow(Topic topic)
    {
        var feed = new TopicFeed(this, topic, Math.Max(Registry.Budget.BytesPerTopic, 1024 * 1024));
        _feeds[topic] = feed;
        _ = feed.StartAsync();
        return feed;
    }

    /// <summary>A topic retired here: its channel is left, and its presence entry removed.</summary>
    internal void Unfollow(TopicFeed feed)
    {
        _feeds.TryRemove(KeyValuePair.Create(feed.Topic, feed));
        _ = LeaveAsync(feed);
    }

    /// <summary>Subscribes to the channel of <paramref name="feed"/>'s topic; the broker then calls <see cref="TopicFeed.OnMessageAsync"/> in order.</summary>
    internal abstract Task SubscribeAsync(TopicFeed feed);

    /// <summary>Leaves the channel of <paramref name="feed"/>'s topic.</summary>
    protected abstract Task UnsubscribeAsync(TopicFeed feed);

    /// <summary>
    /// The topic's epoch, last sequence number and the history after <paramref name="after"/> (all of it with no
    /// cursor, or with one of another epoch). Makes the topic's epoch if the broker has none yet.
    /// </summary>
    internal abstract Task<BrokerSnapshot> ReadAsync(string topic, TopicCursor? after);

    /// <summary>Reports this server's subscriber count of each topic; returns each one's presence over every server, and its numbering, in the same order.</summary>
    protected abstract Task<TopicPresence[]> ReportPresenceAsync(IReadOnlyList<(string Topic, int Subscribers)> counts, TimeSpan timeToLive);

    public void OnTick(long now)
    {
        if (now - _lastPresenceReport < (long)Options.PresenceInterval.TotalMilliseconds || !IsConnected
            || Interlocked.Exchange(ref _reportingPresence, 1) != 0)
        {
            return;
        }

        _lastPresenceReport = now;
        _ = ReportAllPresenceAsync();
    }

    /// <summary>The connection to the broker came back: every topic followed is read again, to recover what was published meanwhile.</summary>
    protected void OnReconnected()
    {
        foreach (TopicFeed feed in _feeds.Values)
        {
            _ = feed.ReadAgainAsync();
        }
    }

    /// <summary>The broker is going away with the server: every feed stops where it is.</summary>
    protected void StopFollowing()
    {
        foreach (TopicFeed feed in _feeds.Values)
        {
            feed.Close();
        }

        _feeds.Clear();
    }

    internal void OutOfOrder() => Interlocked.Increment(ref _outOfOrder);

    internal void FeedFailed(string topic, Exception exception)
    {
        Interlocked.Increment(ref _readFailures);
        if (Logger.IsEnabled(LogLevel.Warning) && _failureLog.TryWrite(Environment.TickCount64, out int held))
        {
            Log.BrokerFeedFailed(Logger, Name, topic, exception.Message, held > 0 ? $" ({held} more like it since the last such line)" : "");
        }
    }

    private async Task LeaveAsync(TopicFeed feed)
    {
        try
        {
            await UnsubscribeAsync(feed).ConfigureAwait(false);
            await ReportPresenceAsync([(feed.Topic.Name, 0)], Options.PresenceInterval * 3).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // The broker is away: the subscription is gone with the connection, the presence entry expires.
            FeedFailed(feed.Topic.Name, e);
        }
    }

    private async Task ReportAllPresenceAsync()
    {
        try
        {
            var counts = new List<(string, int)>(_feeds.Count);
            var topics = new List<Topic>(_feeds.Count);
            foreach (Topic topic in _feeds.Keys)
            {
                counts.Add((topic.Name, topic.SubscriberCount));
                topics.Add(topic);
            }

            if (counts.Count == 0)
            {
                return;
            }

            TopicPresence[] everywhere = await ReportPresenceAsync(counts, Options.PresenceInterval * 3).ConfigureAwait(false);
            for (int i = 0; i < topics.Count; i++)
            {
                Topic topic = topics[i];
                TopicPresence presence = everywhere[i];
                topic.ClusterSubscribers = presence.Subscribers;

                // A mirror behind the broker with nothing on the way to tell it so: a message went past while the
                // channel was being subscribed again after a reconnection (the client reports the connection back
                // before its subscriptions are). Read again, so that such a loss lasts at most one interval. A
                // message still on its way makes a read that finds nothing new: reads are idempotent.
                if (topic.IsSynced && presence.Epoch != 0 && (presence.Epoch != topic.Epoch || presence.LastSequence > topic.LastSequence)
                    && _feeds.TryGetValue(topic, out TopicFeed? feed))
                {
                    _ = feed.ReadAgainAsync();
                }
            }
        }
        catch (Exception e)
        {
            FeedFailed("(presence)", e);
        }
        finally
        {
            Volatile.Write(ref _reportingPresence, 0);
        }
    }
}
