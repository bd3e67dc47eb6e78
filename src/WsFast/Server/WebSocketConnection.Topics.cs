using System.Buffers;
using System.IO.Pipelines;
using WsFast.Transport;

namespace WsFast.Server;

public sealed partial class WebSocketConnection : ITopicSubscriber
{
    private int _topicSlot = -1;
    private bool _isEventStream;
    private bool _eventStreamEnded;

    /// <summary>The topic this connection is subscribed to (a broadcast endpoint's connection), or null.</summary>
    public Topic? Topic { get; private set; }

    internal void SetTopic(Topic topic) => Topic = topic;

    internal void SubscribeToTopic() => _topicSlot = Topic!.Subscribe(this);

    /// <summary>Leaves the topic; safe to call more than once and from several threads.</summary>
    internal void UnsubscribeFromTopic()
    {
        int slot = Interlocked.Exchange(ref _topicSlot, -1);
        if (slot >= 0)
        {
            Topic!.Unsubscribe(slot);
        }
    }

    /// <summary>Queues a topic message: its WebSocket frame, or its event for an event stream. Never waits.</summary>
    EnqueueResult ITopicSubscriber.Offer(TopicMessage message)
    {
        if (_isEventStream)
        {
            // Offers come under the topic's lock, one at a time. A stream already ended is no subscriber that
            // could not keep up, though its queue may still be over the bound while its last bytes drain.
            if (_eventStreamEnded)
            {
                return EnqueueResult.Closed;
            }

            EnqueueResult result = TryEnqueueShared(message.Event, streaming: true);
            if (result == EnqueueResult.Full)
            {
                // An event stream that cannot keep up is ended, once: the client reconnects and resumes from
                // its Last-Event-ID, which costs it nothing that history still holds.
                _eventStreamEnded = true;
                _transport.CompleteOutput();
                _server.Counters.OnSlowConsumerDisconnected();
            }

            return result;
        }

        EnqueueResult queued = TryEnqueueShared(message.Frame, streaming: false);
        if (queued == EnqueueResult.Full)
        {
            OnBroadcastDropped();
        }

        return queued;
    }

    /// <summary>An event stream resuming from a cursor older than the history is told which messages it missed.</summary>
    void ITopicSubscriber.OnGap(long first, long last)
    {
        if (_isEventStream)
        {
            string gap = $"event: gap\ndata: {{\"first\":{first},\"last\":{last}}}\n\n";
            _transport.Enqueue(SharedBufferPool.Shared.Rent(System.Text.Encoding.ASCII.GetBytes(gap)));
        }
    }

    /// <summary>A broadcast found this connection's queue full: the endpoint's slow-consumer policy applies.</summary>
    internal void OnBroadcastDropped()
    {
        _server.Counters.OnDropped();
        if (Endpoint.SlowConsumerPolicy == SlowConsumerPolicy.Disconnect)
        {
            CloseSlowConsumer();
        }
    }

    /// <summary>
    /// Serves an event stream on this HTTP connection: the response head, the history after
    /// <paramref name="after"/>, then every message published to <paramref name="topic"/> until the client leaves.
    /// </summary>
    internal async ValueTask StreamEventsAsync(Topic topic, long after, SharedBuffer head)
    {
        _isEventStream = true;
        Topic = topic;
        _deadline = long.MaxValue;
        _transport.Enqueue(head);
        _topicSlot = topic.Subscribe(this, after, out _);
        try
        {
            await DiscardInputUntilClosedAsync().ConfigureAwait(false);
        }
        finally
        {
            UnsubscribeFromTopic();
        }
    }

    /// <summary>Reads the request body of <paramref name="length"/> bytes into a new array; null if the client left first.</summary>
    internal async ValueTask<byte[]?> ReadBodyAsync(int length)
    {
        PipeReader input = _transport.Input;
        var body = new byte[length];
        int read = 0;
        while (read < length)
        {
            ReadResult result = await input.ReadAsync().ConfigureAwait(false);
            ReadOnlySequence<byte> buffer = result.Buffer;
            long take = Math.Min(buffer.Length, length - read);
            buffer.Slice(0, take).CopyTo(body.AsSpan(read));
            read += (int)take;
            input.AdvanceTo(buffer.GetPosition(take));
            if (read < length && result.IsCompleted)
            {
                return null;
            }
        }

        return body;
    }

    /// <summary>Holds an HTTP connection while something else answers it (a long poll); the handshake deadline does not apply.</summary>
    internal void SuspendDeadline() => _deadline = long.MaxValue;

    /// <summary>The next request on this HTTP connection gets the handshake timeout afresh.</summary>
    internal void RestoreDeadline() => _deadline = DeadlineAfter(_server.Options.HandshakeTimeout);

    private async ValueTask DiscardInputUntilClosedAsync()
    {
        PipeReader input = _transport.Input;
        while (true)
        {
            ReadResult result = await input.ReadAsync().ConfigureAwait(false);
            input.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted || result.IsCanceled)
            {
                return;
            }
        }
    }
}
