using WsFast.Protocol;
using WsFast.Transport;

namespace WsFast.Server;

/// <summary>The outcome of a publish: the message's sequence number and how many subscribers it reached.</summary>
/// <param name="Sequence">The topic's sequence number given to the message.</param>
/// <param name="Subscribers">Subscribers whose queues took it (those that could not keep up are not counted).</param>
public readonly record struct PublishResult(long Sequence, int Subscribers);

/// <summary>
/// A named stream of messages. Publishing frames a message once, gives it the next sequence number, offers it
/// to every subscriber and keeps it in a bounded history for clients that catch up by cursor (Server-Sent
/// Events' <c>Last-Event-ID</c>, long polling's <c>after</c>).
/// </summary>
/// <remarks>
/// Publishes to one topic are serialized by its lock, so every subscriber sees the topic's messages in
/// sequence order. The lock covers framing-free work only: appending a reference to each subscriber's queue.
/// The sends themselves run on the I/O threads, and a subscriber that cannot keep up costs the others nothing.
/// </remarks>
public sealed class Topic
{
    private readonly object _lock = new();
    private readonly ConnectionSet<ITopicSubscriber> _subscribers = new();
    private readonly TopicHistory _history;
    private long _sequence;
    private long _dropped;

    private readonly ServerCounters _counters;

    internal Topic(string name, int historySize, ServerCounters counters)
    {
        Name = name;
        _history = new TopicHistory(historySize);
        _counters = counters;
    }

    /// <summary>The topic's name, as in <c>/broadcast/{name}</c>.</summary>
    public string Name { get; }

    /// <summary>The sequence number of the last message published, 0 before the first.</summary>
    public long LastSequence => Interlocked.Read(ref _sequence);

    /// <summary>Current subscribers of every kind.</summary>
    public int SubscriberCount => _subscribers.Count;

    /// <summary>Messages skipped by subscribers that could not keep up, since the topic was created.</summary>
    public long DroppedMessages => Interlocked.Read(ref _dropped);

    /// <summary>Publishes a message to every subscriber; see <see cref="Topic"/>.</summary>
    public PublishResult Publish(WebSocketMessageType type, ReadOnlySpan<byte> payload)
    {
        // Framing copies the payload: done before taking the lock.
        SharedBuffer frame = FrameWriting.Frame((Opcode)type, payload);
        int headerSize = FrameWriter.HeaderSize(payload.Length);
        lock (_lock)
        {
            var message = new TopicMessage(_sequence + 1, type, frame, headerSize, DateTime.UtcNow);
            Interlocked.Exchange(ref _sequence, message.Sequence);
            int reached = 0;
            foreach (ITopicSubscriber? subscriber in _subscribers.Snapshot())
            {
                switch (subscriber?.Offer(message))
                {
                    case EnqueueResult.Queued:
                        reached++;
                        break;
                    case EnqueueResult.Full:
                        Interlocked.Increment(ref _dropped);
                        break;
                }
            }

            _history.Add(message);
            _counters.OnPublished(reached);
            return new PublishResult(message.Sequence, reached);
        }
    }

    /// <summary>Publishes a message whose payload is a sequence, such as a received message.</summary>
    public PublishResult Publish(WebSocketMessageType type, in System.Buffers.ReadOnlySequence<byte> payload)
    {
        if (payload.IsSingleSegment)
        {
            return Publish(type, payload.FirstSpan);
        }

        return Publish(type, System.Buffers.BuffersExtensions.ToArray(payload));
    }

    /// <summary>Publishes a text message.</summary>
    public PublishResult Publish(string text) => Publish(WebSocketMessageType.Text, System.Text.Encoding.UTF8.GetBytes(text));

    /// <summary>Adds a subscriber that wants only what is published from now on; returns its slot.</summary>
    internal int Subscribe(ITopicSubscriber subscriber) => _subscribers.Add(subscriber);

    /// <summary>
    /// Adds a subscriber after offering it the history after <paramref name="after"/>, atomically with respect
    /// to publishes, so that it sees every message once, in order. Returns its slot.
    /// </summary>
    internal int Subscribe(ITopicSubscriber subscriber, long after, out bool truncated)
    {
        lock (_lock)
        {
            truncated = IsTruncated(after);
            if (truncated)
            {
                long oldest = _history.Count == 0 ? _sequence + 1 : _history.OldestSequence;
                subscriber.OnGap(after + 1, oldest - 1);
            }

            foreach (TopicMessage message in _history.After(after))
            {
                subscriber.Offer(message);
            }

            return _subscribers.Add(subscriber);
        }
    }

    internal void Unsubscribe(int slot) => _subscribers.Remove(slot);

    /// <summary>Returns the history's buffers to their pool: the server is done with the topic.</summary>
    internal void ReleaseHistory()
    {
        lock (_lock)
        {
            _history.Clear();
        }
    }

    /// <summary>
    /// Copies the messages after <paramref name="after"/> for a poll; when there are none, adds
    /// <paramref name="waiter"/> (if given) as a subscriber, in the same step, and returns its slot.
    /// </summary>
    internal List<PolledMessage> Poll(long after, ITopicSubscriber? waiter, out bool truncated, out long oldest, out int waiterSlot)
    {
        lock (_lock)
        {
            truncated = IsTruncated(after);
            oldest = _history.Count == 0 ? _sequence + 1 : _history.OldestSequence;
            var messages = new List<PolledMessage>();
            foreach (TopicMessage message in _history.After(after))
            {
                messages.Add(PolledMessage.From(message));
            }

            waiterSlot = messages.Count == 0 && waiter is not null && after >= _sequence ? _subscribers.Add(waiter) : -1;
            return messages;
        }
    }

    // A cursor is older than the history when messages after it have already left the ring.
    private bool IsTruncated(long after) =>
        after < _sequence && (_history.Count == 0 ? true : _history.OldestSequence > after + 1);
}

/// <summary>A copy of a topic message, made for an HTTP poll response.</summary>
internal readonly record struct PolledMessage(long Sequence, WebSocketMessageType Type, byte[] Payload, DateTime PublishedUtc)
{
    public static PolledMessage From(TopicMessage message) =>
        new(message.Sequence, message.Type, message.Payload.ToArray(), message.PublishedUtc);
}
