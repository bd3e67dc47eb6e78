using System.Text;
using WsFast.Transport;

namespace WsFast.Server;

/// <summary>
/// A Server-Sent Events client of one topic, on an HTTP connection that answered <c>GET /sse/{topic}</c>: every
/// message published is queued as its event (built once, shared by every stream), never waiting.
/// </summary>
/// <remarks>
/// A stream that cannot keep up (its queue at the connection's bounds) is ended at once, ahead of what waits
/// in its queue: the client reconnects with the <c>Last-Event-ID</c> of the last event it got whole and catches
/// up from the history, which costs it nothing the history still holds. An idle stream gets a comment line
/// every <see cref="WsFastServerOptions.PingInterval"/>, which keeps proxies from closing it and finds dead peers.
/// </remarks>
internal sealed class EventStreamSubscriber(WsFastServer server, TransportLease transport) : ITopicSubscriber
{
    private int _ended;
    private long _lastSent = Environment.TickCount64;

    /// <summary>Offered under the topic's lock, one at a time.</summary>
    public EnqueueResult Offer(TopicMessage message)
    {
        if (Volatile.Read(ref _ended) != 0)
        {
            return EnqueueResult.Closed;
        }

        if (IsQueueFull)
        {
            EndSlowConsumer();
            return EnqueueResult.Full;
        }

        SharedBuffer buffer = message.Event;
        buffer.AddReference();
        if (!transport.EnqueueDispatched(buffer))
        {
            return EnqueueResult.Closed;
        }

        Volatile.Write(ref _lastSent, Environment.TickCount64);
        server.Counters.OnMessageSent(buffer.Length);
        return EnqueueResult.Queued;
    }

    /// <summary>
    /// A stream resuming from a cursor older than the history is told which messages it missed; a live gap meets
    /// the bounds a message meets.
    /// </summary>
    /// <remarks>Its data: <c>{"first":F,"last":L,"epoch":E}</c>, with <c>"reset":true</c> when the cursor was of another epoch.</remarks>
    public void OnGap(Topic topic, long first, long last, bool reset, bool live)
    {
        if (Volatile.Read(ref _ended) != 0)
        {
            return;
        }

        if (live && IsQueueFull)
        {
            EndSlowConsumer();
            return;
        }

        string gap = $"event: gap\ndata: {{\"first\":{first},\"last\":{last},\"epoch\":{topic.Epoch}{(reset ? ",\"reset\":true" : "")}}}\n\n";
        transport.Enqueue(SharedBufferPool.Shared.Rent(Encoding.ASCII.GetBytes(gap)));
    }

    private bool IsQueueFull =>
        transport.QueuedBytes >= server.Options.MaxQueuedOutboundBytes || transport.QueuedCount >= server.Options.MaxQueuedOutboundMessages;

    private void EndSlowConsumer()
    {
        if (End(dropQueued: true))
        {
            server.Counters.OnSlowConsumerDisconnected();
        }
    }

    /// <summary>Called by the server's timer through the connection: a comment line on an idle stream.</summary>
    public void OnTick(long now)
    {
        TimeSpan interval = server.Options.PingInterval;
        if (interval > TimeSpan.Zero && now - Volatile.Read(ref _lastSent) >= (long)interval.TotalMilliseconds && transport.QueuedCount == 0)
        {
            Volatile.Write(ref _lastSent, now);
            transport.Enqueue(SharedBufferPool.Shared.Rent(": keep-alive\n\n"u8));
        }
    }

    /// <summary>Ends the stream once: what is queued goes out (or, with <paramref name="dropQueued"/>, is dropped), then FIN.</summary>
    public bool End(bool dropQueued = false)
    {
        if (Interlocked.Exchange(ref _ended, 1) != 0)
        {
            return false;
        }

        if (dropQueued)
        {
            transport.CompleteOutputDroppingQueued();
        }
        else
        {
            transport.CompleteOutput();
        }

        return true;
    }
}
