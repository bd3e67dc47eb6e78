namespace WsFast.Server;

/// <summary>
/// A long poll waiting for the next message of a topic: a one-shot subscriber that holds no bytes. The poll
/// answers from the history once woken.
/// </summary>
internal sealed class LongPollWaiter : ITopicSubscriber
{
    private readonly TaskCompletionSource _arrived = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when a message was published, or on <see cref="Wake"/>.</summary>
    public Task Arrived => _arrived.Task;

    public EnqueueResult Offer(TopicMessage message)
    {
        _arrived.TrySetResult();
        return EnqueueResult.Queued;
    }

    /// <summary>Ends the wait now (shutdown).</summary>
    public void Wake() => _arrived.TrySetResult();
}
