using WsFast.Protocol;
using WsFast.Transport;
using WsFast.Server;

namespace WsFast;

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
/// <para>Publishes to one topic are serialized by its lock, so every subscriber sees the topic's messages in
/// sequence order. The lock covers framing-free work only: appending a reference to each subscriber's queue.
/// The sends themselves run on the I/O threads, and a subscriber that cannot keep up costs the others nothing.</para>
/// <para>A topic of the registry exists while something holds it (a WebSocket, event stream or waiting long poll
/// subscribed to it) or its history holds messages; then it is retired, and a later use of the name makes a new
/// topic whose sequence starts again at 1, under a new <see cref="Epoch"/>.</para>
/// </remarks>
public sealed class Topic
{
    // Epochs count up from a random start, so that they differ between the topics of one process and, but for
    // a chance of about one in 2^52, from those of an earlier process.
    private static long s_lastEpoch = Random.Shared.NextInt64(1, 1L << 52);

    private readonly object _lock = new();
    private readonly ConnectionSet<ITopicSubscriber> _subscribers = new();
    private readonly TopicHistory _history;
    private readonly HistoryBudget? _budget;
    private readonly TopicRegistry? _registry;
    private readonly ServerCounters _counters;
    private long _sequence;
    private long _dropped;
    private int _holders;   // guarded by _lock
    private bool _retired;  // guarded by _lock

    /// <summary>A topic of <paramref name="registry"/>, or with none an endpoint's own: no history, never retired.</summary>
    internal Topic(string name, TopicRegistry? registry, HistoryBudget? budget, ServerCounters counters)
    {
        Name = name;
        _registry = registry;
        _budget = budget;
        _history = new TopicHistory(budget);
        _counters = counters;
        Epoch = Interlocked.Increment(ref s_lastEpoch);
    }

    /// <summary>The topic's name, as in <c>/broadcast/{name}</c>.</summary>
    public string Name { get; }

    /// <summary>
    /// Which run of sequence numbers this topic's are: a number that changes whenever a topic of this name loses
    /// its history (it expired and was made again, or the server restarted), so that a cursor
    /// (<c>epoch:sequence</c>) from before is recognised and its client told of the gap. At most 2^53, so that it
    /// stays exact as a JavaScript number.
    /// </summary>
    public long Epoch { get; }

    /// <summary>The sequence number of the last message published, 0 before the first.</summary>
    public long LastSequence => Interlocked.Read(ref _sequence);

    /// <summary>Current subscribers of every kind.</summary>
    public int SubscriberCount => _subscribers.Count;

    /// <summary>Messages skipped by subscribers that could not keep up, since the topic was created.</summary>
    public long DroppedMessages => Interlocked.Read(ref _dropped);

    /// <summary>Messages the history holds now.</summary>
    public int HistoryCount
    {
        get
        {
            lock (_lock)
            {
                return _history.Count;
            }
        }
    }

    /// <summary>Publishes a message to every subscriber; see <see cref="Topic"/>.</summary>
    /// <exception cref="InvalidOperationException">
    /// The topic has no history yet and <see cref="BroadcastOptions.MaxTopics"/> other topics hold history.
    /// </exception>
    public PublishResult Publish(MessageType type, ReadOnlySpan<byte> payload) => Publish(type, payload, null);

    /// <summary>
    /// Publishes a message to every subscriber but <paramref name="except"/> (typically the connection whose
    /// message this is). The message still takes the next sequence number and its place in the history.
    /// </summary>
    /// <inheritdoc cref="Publish(MessageType, ReadOnlySpan{byte})"/>
    public PublishResult Publish(MessageType type, ReadOnlySpan<byte> payload, WebSocketConnection? except)
    {
        switch (TryPublish(type, FrameWriting.Frame((Opcode)type, payload), except, out PublishResult result))
        {
            case PublishStatus.Published:
                return result;
            case PublishStatus.Retired:
                // Published through a reference kept after the topic was retired: the name lives on.
                return _registry!.Publish(Name, type, payload, except);
            default:
                throw new InvalidOperationException(TopicRegistry.TopicLimitMessage);
        }
    }

    /// <summary>Publishes a message whose payload is a sequence, such as a received message.</summary>
    /// <inheritdoc cref="Publish(MessageType, ReadOnlySpan{byte})"/>
    public PublishResult Publish(MessageType type, in System.Buffers.ReadOnlySequence<byte> payload) => Publish(type, payload, null);

    /// <summary>Publishes a message whose payload is a sequence to every subscriber but <paramref name="except"/>.</summary>
    /// <inheritdoc cref="Publish(MessageType, ReadOnlySpan{byte}, WebSocketConnection)"/>
    public PublishResult Publish(MessageType type, in System.Buffers.ReadOnlySequence<byte> payload, WebSocketConnection? except)
    {
        switch (TryPublish(type, FrameWriting.Frame((Opcode)type, payload), except, out PublishResult result))
        {
            case PublishStatus.Published:
                return result;
            case PublishStatus.Retired:
                return _registry!.Publish(Name, type, System.Buffers.BuffersExtensions.ToArray(payload), except);
            default:
                throw new InvalidOperationException(TopicRegistry.TopicLimitMessage);
        }
    }

    /// <summary>Publishes a received message to every subscriber but <paramref name="except"/> (the sender, say).</summary>
    /// <inheritdoc cref="Publish(MessageType, ReadOnlySpan{byte}, WebSocketConnection)"/>
    public PublishResult Publish(in WebSocketMessage message, WebSocketConnection? except) => Publish(message.Type, message.Payload, except);

    /// <summary>Publishes a text message.</summary>
    /// <inheritdoc cref="Publish(MessageType, ReadOnlySpan{byte})"/>
    public PublishResult Publish(string text) => Publish(MessageType.Text, System.Text.Encoding.UTF8.GetBytes(text), null);

    /// <summary>Publishes a text message to every subscriber but <paramref name="except"/>.</summary>
    /// <inheritdoc cref="Publish(MessageType, ReadOnlySpan{byte}, WebSocketConnection)"/>
    public PublishResult Publish(string text, WebSocketConnection? except) => Publish(MessageType.Text, System.Text.Encoding.UTF8.GetBytes(text), except);

    /// <summary>
    /// Publishes <paramref name="frame"/> (a message framed by <see cref="FrameWriting"/>, whose reference this
    /// takes over) to every subscriber but <paramref name="except"/>, unless the topic was retired or a first
    /// message would exceed the topic limit. Framing copies the payload: callers do it before, outside the lock.
    /// </summary>
    internal PublishStatus TryPublish(MessageType type, SharedBuffer frame, ITopicSubscriber? except, out PublishResult result)
    {
        int headerSize = FrameWriting.HeaderSizeOf(frame);
        using System.Diagnostics.Activity? publishActivity = WsFastTracing.StartPublish(Name, frame.Length - headerSize);
        lock (_lock)
        {
            result = default;
            if (_retired)
            {
                frame.Release();
                return PublishStatus.Retired;
            }

            bool keep = _history.KeepsMessages;
            if (keep && _history.Count == 0 && !_budget!.TryStartTopic())
            {
                frame.Release();
                RetireIfUnusedLocked();
                return PublishStatus.TopicLimit;
            }

            var message = new TopicMessage(this, _sequence + 1, type, frame, headerSize, DateTime.UtcNow);
            Interlocked.Exchange(ref _sequence, message.Sequence);
            long fanoutStarted = _counters.OnPublishing();
            message.QueuedAt = fanoutStarted;
            int reached = 0;
            foreach (ITopicSubscriber? subscriber in _subscribers.Snapshot())
            {
                if (ReferenceEquals(subscriber, except))
                {
                    continue;
                }

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

            message.QueuedAt = 0;
            if (keep)
            {
                _history.Add(message);
            }
            else
            {
                message.Release();
            }

            _counters.OnPublished(reached, fanoutStarted);
            RetireIfUnusedLocked();
            result = new PublishResult(message.Sequence, reached);
            WsFastTracing.Published(publishActivity, result);
            return PublishStatus.Published;
        }
    }

    /// <summary>Keeps the topic from being retired until <see cref="Unhold"/>; false if it already was.</summary>
    internal bool TryHold()
    {
        lock (_lock)
        {
            if (_retired)
            {
                return false;
            }

            _holders++;
            return true;
        }
    }

    /// <summary>Lets go of a hold taken with <see cref="TryHold"/>.</summary>
    internal void Unhold()
    {
        lock (_lock)
        {
            _holders--;
            RetireIfUnusedLocked();
        }
    }

    /// <summary>Adds a subscriber that wants only what is published from now on; returns its slot.</summary>
    internal int Subscribe(ITopicSubscriber subscriber) => _subscribers.Add(subscriber);

    /// <summary>Adds a subscriber from <paramref name="resumeFrom"/> in the history when given, else from now on; returns its slot.</summary>
    internal int Subscribe(ITopicSubscriber subscriber, TopicCursor? resumeFrom) =>
        resumeFrom is { } cursor ? Subscribe(subscriber, cursor) : Subscribe(subscriber);

    /// <summary>
    /// Adds a subscriber after offering it the history after <paramref name="cursor"/>, atomically with respect
    /// to publishes, so that it sees every message once, in order. Returns its slot. A cursor of another epoch
    /// (or of this epoch but beyond its last sequence number, which this topic never gave) comes from an earlier
    /// topic of the same name: the subscriber is told of the gap, then gets this topic's whole history. A bare
    /// sequence number (no epoch, the form before epochs) is taken as this epoch's, and beyond the last one it
    /// gets the whole history without a gap, as before.
    /// </summary>
    internal int Subscribe(ITopicSubscriber subscriber, TopicCursor cursor)
    {
        lock (_lock)
        {
            long after = Resolve(cursor, out bool reset);
            if (reset || IsTruncated(after))
            {
                subscriber.OnGap(this, after + 1, OldestHeld - 1, reset);
            }

            for (int i = 0; i < _history.Count; i++)
            {
                if (_history[i].Sequence > after && subscriber.OfferFromHistory(_history[i]) == EnqueueResult.Full)
                {
                    // A catch-up larger than the subscriber's queue: it is told what it did not get, then goes on live.
                    subscriber.OnGap(this, _history[i].Sequence, _sequence, reset: false);
                    break;
                }
            }

            return _subscribers.Add(subscriber);
        }
    }

    internal void Unsubscribe(int slot) => _subscribers.Remove(slot);

    /// <summary>The subscribers now, for tests and diagnostics (allocates).</summary>
    internal List<ITopicSubscriber> Subscribers
    {
        get
        {
            var list = new List<ITopicSubscriber>();
            foreach (ITopicSubscriber? subscriber in _subscribers.Snapshot())
            {
                if (subscriber is not null)
                {
                    list.Add(subscriber);
                }
            }

            return list;
        }
    }

    /// <summary>
    /// The messages after <paramref name="cursor"/> for a poll, as references the caller releases, up to
    /// <paramref name="maxBytes"/> of payload (always at least one message); when there are none, adds
    /// <paramref name="waiter"/> (if given) as a subscriber in the same step and returns its slot.
    /// </summary>
    internal PollBatch Poll(TopicCursor cursor, long maxBytes, ITopicSubscriber? waiter)
    {
        lock (_lock)
        {
            long after = Resolve(cursor, out bool reset);
            var batch = new PollBatch(reset || IsTruncated(after), OldestHeld, _sequence) { Epoch = Epoch, Reset = reset };
            long bytes = 0;
            for (int i = 0; i < _history.Count; i++)
            {
                TopicMessage message = _history[i];
                if (message.Sequence <= after)
                {
                    continue;
                }

                if (batch.Messages.Count > 0 && bytes + message.Payload.Length > maxBytes)
                {
                    batch.More = true;
                    break;
                }

                bytes += message.Payload.Length;
                batch.Messages.Add(new PolledMessage(message, message.TakeReference()));
            }

            // A reset is news in itself: answered at once, not after a wait.
            if (batch.Messages.Count == 0 && waiter is not null && after >= _sequence && !reset)
            {
                batch.WaiterSlot = _subscribers.Add(waiter);
            }

            return batch;
        }
    }

    /// <summary>Lets go of history older than <paramref name="cutoffTicks"/>, and retires the topic if nothing is left of it.</summary>
    internal void Expire(long cutoffTicks)
    {
        lock (_lock)
        {
            _history.Expire(cutoffTicks);
            RetireIfUnusedLocked();
        }
    }

    /// <summary>Returns the history's buffers to their pool: the server is done with the topic.</summary>
    internal void ReleaseHistory()
    {
        lock (_lock)
        {
            _history.Clear();
        }
    }

    /// <summary>The registry this topic belongs to; null for an endpoint's own topic.</summary>
    internal TopicRegistry? Registry => _registry;

    /// <summary>The cursor's place in this topic's sequence; <paramref name="reset"/> when it is of another epoch.</summary>
    private long Resolve(TopicCursor cursor, out bool reset)
    {
        reset = cursor.Epoch != 0 && (cursor.Epoch != Epoch || cursor.Sequence > _sequence);
        return reset || cursor.Sequence > _sequence ? 0 : cursor.Sequence;
    }

    // The oldest sequence number still held, or the next one when nothing is.
    private long OldestHeld => _history.Count == 0 ? _sequence + 1 : _history.OldestSequence;

    // A cursor is older than the history when messages after it have already left it.
    private bool IsTruncated(long after) => after < _sequence && OldestHeld > after + 1;

    private void RetireIfUnusedLocked()
    {
        if (_registry is not null && _holders == 0 && _history.Count == 0 && !_retired)
        {
            _retired = true;
            _registry.Remove(this);
        }
    }
}

/// <summary>Why <see cref="Topic.TryPublish"/> did not publish, or that it did.</summary>
internal enum PublishStatus : byte
{
    Published,
    /// <summary>The topic holds no history and <see cref="BroadcastOptions.MaxTopics"/> others do.</summary>
    TopicLimit,
    /// <summary>The topic was retired; publish to the name again.</summary>
    Retired,
}

/// <summary>What a poll found: the messages after its cursor, and what the history no longer holds.</summary>
internal sealed class PollBatch(bool truncated, long oldest, long last)
{
    public bool Truncated { get; } = truncated;

    /// <summary>The topic's epoch; 0 when there was no topic.</summary>
    public long Epoch { get; init; }

    /// <summary>The cursor was of another epoch: what came after it is unknown, and the batch starts this epoch's history.</summary>
    public bool Reset { get; init; }

    /// <summary>The oldest sequence number the history held (or the next one, when it held none).</summary>
    public long Oldest { get; } = oldest;

    /// <summary>The topic's last sequence number when polled.</summary>
    public long Last { get; } = last;

    /// <summary>More messages follow those in <see cref="Messages"/>: they were left for the next poll.</summary>
    public bool More { get; set; }

    public List<PolledMessage> Messages { get; } = [];

    /// <summary>The waiter's subscriber slot when it was added; -1 otherwise.</summary>
    public int WaiterSlot { get; set; } = -1;

    /// <summary>Releases the references the batch holds.</summary>
    public void Release()
    {
        foreach (PolledMessage message in Messages)
        {
            message.Reference.Release();
        }

        Messages.Clear();
    }
}

/// <summary>A message of a poll, with a reference that keeps its bytes readable until released.</summary>
internal readonly record struct PolledMessage(TopicMessage Message, SharedBuffer Reference);
