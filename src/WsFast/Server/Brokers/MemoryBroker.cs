namespace WsFast.Server;

/// <summary>
/// The embedded broker: this server's topics are the only ones, numbered and kept by the local <see cref="Topic"/>
/// objects, with nothing else to run. The default.
/// </summary>
internal sealed class MemoryBroker(TopicRegistry registry) : ITopicBroker
{
    public string Name => "memory";

    public bool IsShared => false;

    public bool IsConnected => true;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public ValueTask<PublishResult> PublishAsync(string topic, MessageType type, ReadOnlyMemory<byte> payload, WebSocketConnection? except, CancellationToken cancellationToken) =>
        registry.TryPublishHere(topic, type, payload.Span, except, out PublishResult result) == PublishStatus.Published
            ? new ValueTask<PublishResult>(result)
            : ValueTask.FromException<PublishResult>(new InvalidOperationException(TopicRegistry.TopicLimitMessage));

    public IDisposable? Follow(Topic topic) => null;

    public ValueTask<TopicPresence> GetPresenceAsync(string topic, CancellationToken cancellationToken)
    {
        Topic? found = registry.Find(topic);
        int subscribers = found?.SubscriberCount ?? 0;
        return new ValueTask<TopicPresence>(new TopicPresence(subscribers, subscribers > 0 ? 1 : 0, found?.Epoch ?? 0, found?.LastSequence ?? 0));
    }

    public void OnTick(long now)
    {
    }

    public ValueTask DisposeAsync() => default;
}
