namespace WsFast.Server;

/// <summary>Something that receives a topic's messages: a WebSocket, an event stream, a waiting long poll.</summary>
internal interface ITopicSubscriber
{
    /// <summary>
    /// Takes a reference to the message's bytes if there is room, under the topic's lock. Never waits: a
    /// subscriber that cannot keep up answers <see cref="EnqueueResult.Full"/> and applies its policy.
    /// </summary>
    EnqueueResult Offer(TopicMessage message);

    /// <summary>
    /// Offered a message of the history while catching up from a cursor, under the topic's lock. A subscriber may
    /// answer <see cref="EnqueueResult.Full"/> without applying its slow-consumer policy: the catch-up then stops
    /// there and the rest is reported to it as a gap (<see cref="OnGap"/>). By default, as <see cref="Offer"/>.
    /// </summary>
    EnqueueResult OfferFromHistory(TopicMessage message) => Offer(message);

    /// <summary>
    /// Told that messages <paramref name="first"/> to <paramref name="last"/> of <paramref name="topic"/> will not
    /// reach it: before catching up from a cursor older than the history, or <paramref name="live"/>, when a topic
    /// shared through a broker found a gap or a new epoch while delivering. With <paramref name="reset"/>, the
    /// cursor was of another epoch: what followed it there is lost as well, and <paramref name="first"/> is 1.
    /// </summary>
    /// <remarks>
    /// A live notice is a message like the others: a subscriber at its queue's bound skips it and applies its
    /// slow-consumer policy, so that a subscriber that never reads holds no more through repeated resyncs. A
    /// catch-up's notices (at most two per subscription: before, and where the queue filled) are queued even
    /// past the bound, since the catch-up stops there.
    /// </remarks>
    void OnGap(Topic topic, long first, long last, bool reset, bool live)
    {
    }
}

/// <summary>What happened to a message offered to one subscriber.</summary>
internal enum EnqueueResult : byte
{
    /// <summary>Queued to be sent.</summary>
    Queued,
    /// <summary>The subscriber's queue is at its bound: it skips the message (and applies its policy).</summary>
    Full,
    /// <summary>The subscriber is closing or gone.</summary>
    Closed,
    /// <summary>
    /// The subscriber cannot carry this kind of message and skips it, by design rather than for being slow (a
    /// binary message for a draft-76 client): neither reached nor dropped.
    /// </summary>
    Skipped,
}
