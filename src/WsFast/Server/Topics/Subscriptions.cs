namespace WsFast.Server;

/// <summary>
/// A connection's places in its endpoint's own topic and in the topic of its path: taken when it opens, given
/// back exactly once when it closes or ends, whichever comes first (both may race to it). Two slot numbers, not
/// the topics: the connection knows those already, and an idle connection should carry no more than it needs.
/// </summary>
internal struct Subscriptions
{
    // Stored plus one, so that the default 0 means none.
    private int _endpointSlot;
    private int _topicSlot;

    /// <summary>
    /// Subscribes <paramref name="subscriber"/> to <paramref name="endpoint"/>'s topic and to <paramref name="topic"/>,
    /// if any: from <paramref name="resumeFrom"/> in its history when given, from now on otherwise.
    /// </summary>
    public void Subscribe(ITopicSubscriber subscriber, WebSocketEndpoint endpoint, Topic? topic, TopicCursor? resumeFrom = null)
    {
        _endpointSlot = endpoint.Everyone.Subscribe(subscriber) + 1;
        _topicSlot = topic is null ? 0 : topic.Subscribe(subscriber, resumeFrom) + 1;
    }

    /// <summary>Leaves both topics (the same ones given to <see cref="Subscribe"/>); a second call does nothing.</summary>
    public void Unsubscribe(WebSocketEndpoint endpoint, Topic? topic)
    {
        int slot = Interlocked.Exchange(ref _endpointSlot, 0);
        if (slot > 0)
        {
            endpoint.Everyone.Unsubscribe(slot - 1);
        }

        slot = Interlocked.Exchange(ref _topicSlot, 0);
        if (slot > 0)
        {
            topic!.Unsubscribe(slot - 1);
        }
    }
}
