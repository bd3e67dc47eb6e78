using WsFast.Protocol;
using WsFast.Transport;
using WsFast.Server;

namespace WsFast;

/// <summary>The outcome of a publish: the message's sequence number and how many subscribers it reached.</summary>
/// <param name="Sequence">The topic's sequence number given to the message.</param>
/// <param name="Subscribers">
/// Subscribers whose queues took it (those that could not keep up are not counted); 0 with a shared broker, which
/// delivers on every server after the publish completes.
/// </param>
public readonly record struct PublishResult(long Sequence, int Subscribers)
{
    /// <summary>The topic's epoch the sequence number belongs to: with it, the message's cursor is <c>Epoch:Sequence</c>.</summary>
    public long Epoch { get; init; }
}

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
/// <para>With a shared broker (<see cref="WsFastServerOptions.Broker"/>) the broker numbers the messages of every
/// server: a topic here is this server's mirror of it, made when a client here subscribes, fed the broker's messages
/// in order, holding the same history, and retired a while after its last subscriber here left. Its
/// <c>Publish</c> methods then hand the message to the broker in the order of the calls and return a
/// <see cref="PublishResult"/> of zeros; <see cref="PublishAsync"/> completes with the broker's numbering, or throws
/// <see cref="BrokerUnavailableException"/>.</para>
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
    private readonly bool _mirror;
    private long _sequence;
    private long _epoch;
    private long _dropped;
    private int _holders;   // guarded by _lock
    private bool _retired;  // guarded by _lock
    private long _unheldAt; // guarded by _lock: when a mirror's last holder left
    private volatile bool _synced;
    private TaskCompletionSource? _syncedSignal;                       // guarded by _lock
    private List<(ITopicSubscriber Subscriber, TopicCursor Cursor, int Slot)>? _waitingForSync; // guarded by _lock
    private IDisposable? _feed;
    // Subscribers of a mirror that resumed from a cursor of its epoch beyond its last sequence number (they came from
    // a server that was ahead of this one), with that cursor: what they already have is not offered to them again.
    private Dictionary<ITopicSubscriber, long>? _ahead; // guarded by _lock


    /// <summary>A topic of <paramref name="registry"/>, or with none an endpoint's own: no history, never retired.</summary>
    /// <param name="name">The topic's name.</param>
    /// <param name="registry">The registry it belongs to; null for an endpoint's own topic.</param>
    /// <param name="budget">What its history may hold.</param>
    /// <param name="counters">The server's counters.</param>
    /// <param name="mirror">The topic is a shared broker's: its epoch, numbers and history come from it (<see cref="Synced"/>).</param>
    internal Topic(string name, TopicRegistry? registry, HistoryBudget? budget, ServerCounters counters, bool mirror = false)
    {
        Name = name;
        _registry = registry;
        _budget = budget;
        _history = new TopicHistory(budget);
        _counters = counters;
        _mirror = mirror;
        _synced = !mirror;
        _epoch = mirror ? 0 : Interlocked.Increment(ref s_lastEpoch);
    }

    /// <summary>The topic's name, as in <c>/broadcast/{name}</c>.</summary>
    public string Name { get; }

    /// <summary>
    /// Which run of sequence numbers this topic's are: a number that changes whenever a topic of this name loses
    /// its history (it expired and was made again, or the server restarted), so that a cursor
    /// (<c>epoch:sequence</c>) from before is recognised and its client told of the gap. At most 2^53, so that it
    /// stays exact as a JavaScript number.
    /// </summary>
    public long Epoch => Volatile.Read(ref _epoch);

    /// <summary>Subscribers over every server sharing the topic, as last reported to the broker; this server's own with none.</summary>
    internal long ClusterSubscribers
    {
        get => _mirror ? Volatile.Read(ref _clusterSubscribers) : SubscriberCount;
        set => Volatile.Write(ref _clusterSubscribers, value);
    }

    private long _clusterSubscribers;

    /// <summary>Whether a shared broker numbers this topic's messages (this is its mirror on this server).</summary>
    internal bool IsMirror => _mirror;

    /// <summary>Whether the topic holds what the broker holds (always, without a shared broker); a mirror is not until its first read.</summary>
    internal bool IsSynced => _synced;

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
        if (_mirror)
        {
            return _registry!.Publish(Name, type, payload, except);
        }

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
        if (_mirror)
        {
            return _registry!.Publish(Name, type, System.Buffers.BuffersExtensions.ToArray(payload), except);
        }

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
    /// Publishes a message and completes when it is numbered: at once without a shared broker, when the broker took
    /// it with one (see <see cref="TopicRegistry.PublishAsync(string, MessageType, ReadOnlyMemory{byte}, WebSocketConnection?, CancellationToken)"/>).
    /// </summary>
    /// <exception cref="BrokerUnavailableException">The shared broker cannot be reached: the message was not published.</exception>
    /// <exception cref="InvalidOperationException">
    /// The topic has no history yet and <see cref="BroadcastOptions.MaxTopics"/> other topics hold history.
    /// </exception>
    public ValueTask<PublishResult> PublishAsync(MessageType type, ReadOnlyMemory<byte> payload, WebSocketConnection? except = null, CancellationToken cancellationToken = default) =>
        _registry is null ? new ValueTask<PublishResult>(Publish(type, payload.Span, except)) : _registry.PublishAsync(Name, type, payload, except, cancellationToken);

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
            int reached = DeliverLocked(message, except, keep);
            RetireIfUnusedLocked();
            result = new PublishResult(message.Sequence, reached) { Epoch = Epoch };
            WsFastTracing.Published(publishActivity, result);
            return PublishStatus.Published;
        }
    }

    /// <summary>
    /// Gives <paramref name="message"/> (the next in sequence) to every subscriber but <paramref name="except"/>, then
    /// keeps it in the history (or, with <paramref name="keep"/> false, lets it go). Returns the subscribers reached.
    /// </summary>
    private int DeliverLocked(TopicMessage message, ITopicSubscriber? except, bool keep)
    {
        Interlocked.Exchange(ref _sequence, message.Sequence);
        long fanoutStarted = _counters.OnPublishing();
        message.QueuedAt = fanoutStarted;
        int reached = 0;
        foreach (ITopicSubscriber? subscriber in _subscribers.Snapshot())
        {
            if (ReferenceEquals(subscriber, except) || (_ahead is not null && HasAlreadyLocked(subscriber, message.Sequence)))
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
        return reached;
    }

    /// <summary>
    /// A live message of the shared broker, called by its feed one at a time: delivered if it is the next one of
    /// this epoch, dropped if it was delivered already, refused (<see cref="AppendResult.OutOfOrder"/>) if messages
    /// are missing before it or its epoch is another, for the feed to read the topic again.
    /// </summary>
    internal AppendResult TryAppend(long epoch, in BrokerEntry entry, Func<long, ITopicSubscriber?> exceptOf)
    {
        // Only the feed moves a mirror's epoch and sequence, one call at a time: read without the lock.
        long last = Interlocked.Read(ref _sequence);
        if (!_synced || epoch != Epoch || entry.Sequence > last + 1)
        {
            return AppendResult.OutOfOrder;
        }

        if (entry.Sequence <= last)
        {
            return AppendResult.Duplicate;
        }

        SharedBuffer frame = FrameWriting.Frame((Opcode)entry.Type, entry.Payload.Span);
        ITopicSubscriber? except = entry.ExceptConnection == 0 ? null : exceptOf(entry.ExceptConnection);
        lock (_lock)
        {
            if (_retired)
            {
                frame.Release();
                return AppendResult.Appended;
            }

            DeliverLocked(new TopicMessage(this, entry.Sequence, entry.Type, frame, FrameWriting.HeaderSizeOf(frame), DateTime.UtcNow), except, KeepsNextLocked());
            return AppendResult.Appended;
        }
    }

    /// <summary>
    /// What the shared broker holds of this topic after the cursor the feed read from: at the first read, the history
    /// (kept, given to nobody live) and the subscribers that waited to resume are caught up from it; after that, the
    /// messages this server missed are delivered, each once, and what the broker no longer holds is reported to every
    /// subscriber as a gap. A new epoch (the broker lost the topic) is a gap with <c>reset</c>, and the new epoch's
    /// history follows it.
    /// </summary>
    internal void Synced(BrokerSnapshot snapshot, Func<long, ITopicSubscriber?> exceptOf)
    {
        IReadOnlyList<BrokerEntry> entries = snapshot.Entries;
        lock (_lock)
        {
            if (_retired)
            {
                return;
            }

            bool first = !_synced;
            bool reset = !first && snapshot.Epoch != Epoch;
            if (first || reset)
            {
                _history.Clear();
                Volatile.Write(ref _epoch, snapshot.Epoch);
                Interlocked.Exchange(ref _sequence, 0);
            }

            long last = Interlocked.Read(ref _sequence);
            int next = 0;
            while (next < entries.Count && entries[next].Sequence <= last)
            {
                next++; // delivered already
            }

            long nextHeld = next < entries.Count ? entries[next].Sequence : snapshot.LastSequence + 1;
            if (reset)
            {
                _ahead = null; // their cursors are of the lost epoch: they are told of the reset as every subscriber is
            }

            if (!first && (reset || nextHeld > last + 1))
            {
                foreach (ITopicSubscriber? subscriber in _subscribers.Snapshot())
                {
                    long from = reset ? 1 : last + 1;
                    if (subscriber is not null && _ahead is not null && _ahead.TryGetValue(subscriber, out long has))
                    {
                        if (has >= nextHeld - 1)
                        {
                            continue; // it has what the gap is made of
                        }

                        from = Math.Max(from, has + 1);
                    }

                    subscriber?.OnGap(this, from, nextHeld - 1, reset, live: true);
                }
            }

            for (; next < entries.Count; next++)
            {
                BrokerEntry entry = entries[next];
                SharedBuffer frame = FrameWriting.Frame((Opcode)entry.Type, entry.Payload.Span);
                var message = new TopicMessage(this, entry.Sequence, entry.Type, frame, FrameWriting.HeaderSizeOf(frame), DateTime.UtcNow);
                if (first)
                {
                    Interlocked.Exchange(ref _sequence, message.Sequence);
                    KeepLocked(message);
                }
                else
                {
                    ITopicSubscriber? except = entry.ExceptConnection == 0 ? null : exceptOf(entry.ExceptConnection);
                    DeliverLocked(message, except, KeepsNextLocked());
                }
            }

            if (snapshot.LastSequence > Interlocked.Read(ref _sequence))
            {
                Interlocked.Exchange(ref _sequence, snapshot.LastSequence);
            }

            if (first)
            {
                _synced = true;
                if (_waitingForSync is { } waiting)
                {
                    _waitingForSync = null;
                    ReadOnlySpan<ITopicSubscriber?> now = _subscribers.Snapshot();
                    foreach ((ITopicSubscriber subscriber, TopicCursor cursor, int slot) in waiting)
                    {
                        if (slot < now.Length && ReferenceEquals(now[slot], subscriber))
                        {
                            CatchUpLocked(subscriber, cursor);
                        }
                    }
                }

                _syncedSignal?.TrySetResult();
            }
        }
    }

    /// <summary>Completes true once the topic holds what the broker holds (at once without a shared broker), false after <paramref name="timeout"/>.</summary>
    internal async ValueTask<bool> WaitSyncedAsync(TimeSpan timeout)
    {
        if (_synced)
        {
            return true;
        }

        Task signal;
        lock (_lock)
        {
            if (_synced)
            {
                return true;
            }

            signal = (_syncedSignal ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
        }

        return await Task.WhenAny(signal, Task.Delay(timeout)).ConfigureAwait(false) == signal && _synced;
    }

    // Whether the next message delivered is kept: a history that keeps messages and, for its first one, a place
    // within the topic limit (a mirror over the limit still delivers; it only keeps nothing to resume from).
    private bool KeepsNextLocked() => _history.KeepsMessages && (_history.Count > 0 || _budget!.TryStartTopic());

    private void KeepLocked(TopicMessage message)
    {
        if (KeepsNextLocked())
        {
            _history.Add(message);
        }
        else
        {
            message.Release();
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
            if (!_synced)
            {
                // A mirror not read from the broker yet: the subscriber catches up when it is (Synced), and gets
                // nothing live before that, since nothing is delivered before that.
                int slot = _subscribers.Add(subscriber);
                (_waitingForSync ??= []).Add((subscriber, cursor, slot));
                return slot;
            }

            CatchUpLocked(subscriber, cursor);
            return _subscribers.Add(subscriber);
        }
    }

    // Offers the history after the cursor, telling of a gap first if it is older than the history or of another epoch.
    private void CatchUpLocked(ITopicSubscriber subscriber, TopicCursor cursor)
    {
        {
            long after = Resolve(cursor, out bool reset);
            if (after > _sequence)
            {
                // A mirror behind the cursor: nothing to catch up, and what it gets before reaching it is skipped.
                (_ahead ??= new Dictionary<ITopicSubscriber, long>(ReferenceEqualityComparer.Instance))[subscriber] = after;
                return;
            }

            if (reset || IsTruncated(after))
            {
                subscriber.OnGap(this, after + 1, OldestHeld - 1, reset, live: false);
            }

            for (int i = 0; i < _history.Count; i++)
            {
                if (_history[i].Sequence > after && subscriber.OfferFromHistory(_history[i]) == EnqueueResult.Full)
                {
                    // A catch-up larger than the subscriber's queue: it is told what it did not get, then goes on live.
                    subscriber.OnGap(this, _history[i].Sequence, _sequence, reset: false, live: false);
                    break;
                }
            }
        }
    }

    internal void Unsubscribe(int slot)
    {
        if (Volatile.Read(ref _ahead) is not null)
        {
            lock (_lock)
            {
                ReadOnlySpan<ITopicSubscriber?> now = _subscribers.Snapshot();
                if (_ahead is not null && slot < now.Length && now[slot] is { } subscriber)
                {
                    ForgetAheadLocked(subscriber);
                }
            }
        }

        _subscribers.Remove(slot);
    }

    // Whether a subscriber that resumed ahead of this mirror has message <paramref name="sequence"/> already; once the
    // mirror passes its cursor it is like any other.
    private bool HasAlreadyLocked(ITopicSubscriber? subscriber, long sequence)
    {
        if (subscriber is null || !_ahead!.TryGetValue(subscriber, out long has))
        {
            return false;
        }

        if (sequence <= has)
        {
            return true;
        }

        ForgetAheadLocked(subscriber);
        return false;
    }

    private void ForgetAheadLocked(ITopicSubscriber subscriber)
    {
        if (_ahead!.Remove(subscriber) && _ahead.Count == 0)
        {
            _ahead = null;
        }
    }

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
            // A mirror behind the cursor answers the cursor as it came, never an earlier one.
            var batch = new PollBatch(reset || IsTruncated(after), OldestHeld, Math.Max(_sequence, after)) { Epoch = Epoch, Reset = reset };
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
            if (_mirror)
            {
                // The broker expires a mirror's history (in Redis, with its key); here the mirror only lingers.
                if (_holders == 0 && !_retired && Environment.TickCount64 - _unheldAt >= _registry!.MirrorLingerMilliseconds)
                {
                    Retire();
                }

                return;
            }

            _history.Expire(cutoffTicks);
            RetireIfUnusedLocked();
        }
    }

    /// <summary>Starts following the shared broker, once: called by the registry whenever it hands out a mirror.</summary>
    internal void EnsureFollowing(ITopicBroker broker)
    {
        if (_mirror && Volatile.Read(ref _feed) is null)
        {
            lock (_lock)
            {
                if (_feed is null && !_retired)
                {
                    _feed = broker.Follow(this);
                }
            }
        }
    }

    /// <summary>Returns the history's buffers to their pool: the server is done with the topic.</summary>
    internal void ReleaseHistory()
    {
        lock (_lock)
        {
            _history.Clear();
            _feed?.Dispose();
        }
    }

    /// <summary>The registry this topic belongs to; null for an endpoint's own topic.</summary>
    internal TopicRegistry? Registry => _registry;

    /// <summary>The cursor's place in this topic's sequence; <paramref name="reset"/> when it is of another epoch.</summary>
    /// <remarks>
    /// A mirror's epoch is the broker's, the same on every server: a cursor of it beyond the mirror's last sequence
    /// number comes from a server that is ahead of this one (this one is catching up), not from an earlier topic.
    /// It stays where it is, and the result is beyond <see cref="LastSequence"/>.
    /// </remarks>
    private long Resolve(TopicCursor cursor, out bool reset)
    {
        bool ahead = cursor.Sequence > _sequence;
        if (_mirror && ahead && cursor.Epoch != 0 && cursor.Epoch == Epoch)
        {
            reset = false;
            return cursor.Sequence;
        }

        reset = cursor.Epoch != 0 && (cursor.Epoch != Epoch || ahead);
        return reset || ahead ? 0 : cursor.Sequence;
    }

    // The oldest sequence number still held, or the next one when nothing is.
    private long OldestHeld => _history.Count == 0 ? _sequence + 1 : _history.OldestSequence;

    // A cursor is older than the history when messages after it have already left it.
    private bool IsTruncated(long after) => after < _sequence && OldestHeld > after + 1;

    private void RetireIfUnusedLocked()
    {
        if (_mirror)
        {
            if (_holders == 0 && !_retired)
            {
                // Retired by Expire once it has lingered, unless the lingering ones would pass the topic limit: a
                // client cycling through names must not keep the server subscribed to all of them.
                if (_registry!.Count > _budget!.MaxTopics)
                {
                    Retire();
                }
                else
                {
                    _unheldAt = Environment.TickCount64;
                }
            }

            return;
        }

        if (_registry is not null && _holders == 0 && _history.Count == 0 && !_retired)
        {
            Retire();
        }
    }

    private void Retire()
    {
        _retired = true;
        _registry!.Remove(this);
        if (_mirror)
        {
            _history.Clear();
            _feed?.Dispose();
            _syncedSignal?.TrySetResult(); // a poll waiting for the first read gives up; the name makes a new mirror
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
