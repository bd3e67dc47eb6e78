using WsFast.Server;
using WsFast.Transport;

namespace WsFast;

/// <summary>
/// Server-side groups: the topics server code joins a connection to, beside its path's. A chat with rooms is a
/// topic per room: a connection subscribes to the rooms it enters, and a message is published to the room,
/// framed once for every member however many rooms and members there are.
/// </summary>
public sealed partial class WebSocketConnection
{
    private ConnectionTopics? _topics; // made at the first Subscribe

    /// <summary>Whether the client asked for topic messages in envelopes (the <c>wsfast.v1</c> subprotocol).</summary>
    internal bool UsesEnvelopes => SubProtocol == TopicEnvelope.SubProtocol;

    /// <summary>Where the client asked to resume its path's topic (<c>?after=</c> on the upgrade); null: from now on.</summary>
    internal TopicCursor? ResumeFrom { get; init; }

    /// <summary>
    /// Subscribes this connection to the topic named <paramref name="topic"/> (created if needed): what is
    /// published there from now on is sent to it, framed once for every subscriber, within this endpoint's
    /// outbound bounds and <see cref="WebSocketEndpoint.SlowConsumerPolicy"/>. Safe from any thread and any
    /// handler event; the subscription ends with <see cref="Unsubscribe(string)"/> or with the connection.
    /// </summary>
    /// <returns>
    /// True if it joined now; false if it already was a subscriber (joined here, at its path or by its
    /// authorizer) or the connection is closing or closed.
    /// </returns>
    /// <exception cref="ArgumentException"><paramref name="topic"/> is not a valid topic name (<see cref="TopicRegistry.IsValidName"/>).</exception>
    /// <exception cref="InvalidOperationException">
    /// The connection has joined <see cref="BroadcastOptions.MaxTopicsPerConnection"/> topics already.
    /// </exception>
    public bool Subscribe(string topic) => Join(topic, null);

    /// <summary>
    /// Subscribes this connection to <paramref name="topic"/> from a client's cursor (<c>epoch:sequence</c>, as
    /// envelopes, event ids and polls give it): the messages after it still in the history are sent first, then
    /// the live ones, none twice and none missed. A client with envelopes is told of a gap (a cursor older than
    /// the history, or of another epoch) before the catch-up.
    /// </summary>
    /// <exception cref="ArgumentException">
    /// <paramref name="topic"/> is not a valid topic name, or <paramref name="after"/> is not a cursor.
    /// </exception>
    /// <inheritdoc cref="Subscribe(string)"/>
    public bool Subscribe(string topic, string after)
    {
        if (!TopicCursor.TryParse(after, out TopicCursor cursor))
        {
            throw new ArgumentException("A cursor is epoch:sequence (or a sequence number), as envelopes give it.", nameof(after));
        }

        return Join(topic, cursor);
    }

    /// <summary>Subscribes this connection to <paramref name="topic"/>, a topic of this server's <see cref="WsFastServer.Topics"/>.</summary>
    /// <inheritdoc cref="Subscribe(string)"/>
    public bool Subscribe(Topic topic) => Subscribe(NameOf(topic));

    /// <summary>
    /// Ends a subscription made with <see cref="Subscribe(string)"/>: nothing more published to
    /// <paramref name="topic"/> is queued for this connection (what is queued already still goes out). Safe from
    /// any thread. The topics joined at the upgrade (its path's, an authorizer's) last as long as the connection.
    /// </summary>
    /// <returns>True if it left now; false if it was not subscribed with <see cref="Subscribe(string)"/>.</returns>
    public bool Unsubscribe(string topic)
    {
        ArgumentNullException.ThrowIfNull(topic);
        return Volatile.Read(ref _topics)?.Leave(topic) ?? false;
    }

    /// <summary>Ends a subscription made with <see cref="Subscribe(Topic)"/>.</summary>
    /// <inheritdoc cref="Unsubscribe(string)"/>
    public bool Unsubscribe(Topic topic) => Unsubscribe(NameOf(topic));

    /// <summary>Whether this connection receives <paramref name="topic"/>'s messages: its path's, an authorizer's or a subscribed one.</summary>
    public bool IsSubscribed(string topic)
    {
        ArgumentNullException.ThrowIfNull(topic);
        return JoinedAtUpgrade(topic) || (Volatile.Read(ref _topics)?.Contains(topic) ?? false);
    }

    private bool Join(string topic, TopicCursor? resumeFrom)
    {
        if (!TopicRegistry.IsValidName(topic))
        {
            throw new ArgumentException($"'{topic}' is not a topic name: {TopicRegistry.NameRule}.", nameof(topic));
        }

        if (State != ConnectionState.Open || JoinedAtUpgrade(topic))
        {
            return false;
        }

        ConnectionTopics topics = LazyInitializer.EnsureInitialized(ref _topics);
        return topics.Join(this, _server.Topics, topic, resumeFrom, _server.Options.Broadcast.MaxTopicsPerConnection);
    }

    private bool JoinedAtUpgrade(string topic) => Topic?.Name == topic || (_authorization?.Joined(topic) ?? false);

    private string NameOf(Topic topic)
    {
        ArgumentNullException.ThrowIfNull(topic);
        if (topic.Registry != _server.Topics)
        {
            throw new ArgumentException("Not a topic of this connection's server (WsFastServer.Topics).", nameof(topic));
        }

        return topic.Name;
    }

    /// <summary>The connection opened: server code can find it by id.</summary>
    private void OnOpenedForGroups() => _server.Connections.Add(this);

    /// <summary>A slow consumer's close: it receives nothing more from the topics joined here.</summary>
    private void StopReceivingGroups() => Volatile.Read(ref _topics)?.StopReceiving();

    /// <summary>The connection ended: it leaves the topics joined here, and cannot be found any more.</summary>
    private void OnEndedForGroups()
    {
        Volatile.Read(ref _topics)?.LeaveAll();
        _server.Connections.Remove(this);
    }

    /// <summary>
    /// A message of the history while resuming: at the queue's bound the catch-up stops and the client is told of
    /// the gap, rather than the policy dropping or closing a connection whose 101 may still be queued.
    /// </summary>
    EnqueueResult ITopicSubscriber.OfferFromHistory(TopicMessage message) =>
        IsQueueFull ? EnqueueResult.Full : ((ITopicSubscriber)this).Offer(message);

    /// <summary>
    /// An enveloped client is told of a gap: resuming from a cursor older than the history (or of another epoch),
    /// or live, under the bounds and the policy a message meets.
    /// </summary>
    void ITopicSubscriber.OnGap(Topic topic, long first, long last, bool reset, bool live)
    {
        if (UsesEnvelopes && State == ConnectionState.Open && topic.Registry is not null)
        {
            if (live && IsQueueFull)
            {
                OnBroadcastDropped();
                return;
            }

            SharedBuffer frame = TopicEnvelope.Gap(topic, first, last, reset);
            if (!_transport.EnqueueDispatched(frame))
            {
                return;
            }

            _server.Counters.OnMessageSent(frame.Length);
        }
    }
}
