namespace WsFast.Server;

/// <summary>
/// What carries topics between servers. The <see cref="MemoryBroker"/> has this process for its whole world: a
/// topic's sequence numbers, epoch and history are the local <see cref="Topic"/>'s own. A shared broker
/// (<see cref="SharedBroker"/>, such as <see cref="RedisBroker"/>) owns them for every server: a publish goes to
/// it, and each server mirrors the topics its clients subscribe to (<see cref="Follow"/>).
/// </summary>
internal interface ITopicBroker : IAsyncDisposable
{
    /// <summary><c>memory</c> or <c>redis</c>, for logs, health and metrics.</summary>
    string Name { get; }

    /// <summary>Whether other servers share the topics; false for the memory broker.</summary>
    bool IsShared { get; }

    /// <summary>Whether the broker can be reached now (always true for memory).</summary>
    bool IsConnected { get; }

    /// <summary>Connects; a broker that cannot be reached yet goes on trying in the background.</summary>
    /// <exception cref="InvalidOperationException">The broker's configuration cannot be used (the message says why).</exception>
    Task StartAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Publishes to the topic named <paramref name="topic"/> (a valid name) for every subscriber of every server but
    /// <paramref name="except"/>. A memory publish completes at once; a shared one when the broker has numbered it.
    /// </summary>
    /// <exception cref="BrokerUnavailableException">The broker cannot be reached: the message was not published.</exception>
    /// <exception cref="InvalidOperationException">A new topic would exceed <see cref="BroadcastOptions.MaxTopics"/> (memory).</exception>
    ValueTask<PublishResult> PublishAsync(string topic, MessageType type, ReadOnlyMemory<byte> payload, WebSocketConnection? except, CancellationToken cancellationToken);

    /// <summary>
    /// Starts mirroring <paramref name="topic"/>, a topic of this server that just came into being, until the returned
    /// object is disposed (when it retires). Null for the memory broker, whose topics need no mirroring.
    /// </summary>
    IDisposable? Follow(Topic topic);

    /// <summary>Subscribers of <paramref name="topic"/> summed over every server, how many servers have some, its epoch and last sequence number.</summary>
    /// <exception cref="BrokerUnavailableException">The broker cannot be reached.</exception>
    ValueTask<TopicPresence> GetPresenceAsync(string topic, CancellationToken cancellationToken);

    /// <summary>Called about once a second by the server's timer: a shared broker reports presence at its interval.</summary>
    void OnTick(long now);
}

/// <summary>A topic's subscribers over every server sharing it, and where its numbering stands.</summary>
/// <param name="Subscribers">Subscribers summed over the servers.</param>
/// <param name="Servers">Servers with at least one subscriber.</param>
/// <param name="Epoch">The topic's epoch; 0 when it has none (never published to, or expired).</param>
/// <param name="LastSequence">The last sequence number given in that epoch.</param>
internal readonly record struct TopicPresence(long Subscribers, int Servers, long Epoch, long LastSequence);
