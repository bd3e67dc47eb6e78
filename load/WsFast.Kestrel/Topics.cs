using System.Buffers;
using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Net.WebSockets;

namespace WsFast.Kestrel;

/// <summary>
/// One message published to a topic. Immutable, so every subscriber's queue, the history and poll answers
/// share the one instance instead of copying the payload.
/// </summary>
public sealed class TopicMessage(long sequence, WebSocketMessageType type, byte[] payload, DateTime publishedUtc)
{
    private byte[]? _event;

    /// <summary>The topic's sequence number of this message: 1 for the first one published.</summary>
    public long Sequence => sequence;

    public WebSocketMessageType Type => type;

    public byte[] Payload => payload;

    public DateTime PublishedUtc => publishedUtc;

    /// <summary>
    /// The message as a Server-Sent Event, built the first time an event stream needs it and then shared by all
    /// of them. Two threads may both build it; they build the same bytes, and either copy will do.
    /// </summary>
    public byte[] EventBytes => _event ??= BuildEvent();

    // "id: N\n", then "data: line\n" per line of the text (or "event: binary\ndata: <base64>\n"), then a blank
    // line: the wire format of src/WsFast's TopicMessage, byte for byte.
    private byte[] BuildEvent()
    {
        var output = new ArrayBufferWriter<byte>(payload.Length + 64);
        output.Write("id: "u8);
        sequence.TryFormat(output.GetSpan(20), out int written);
        output.Advance(written);
        output.Write("\n"u8);
        if (type == WebSocketMessageType.Binary)
        {
            output.Write("event: binary\ndata: "u8);
            Span<byte> base64 = output.GetSpan(Base64.GetMaxEncodedToUtf8Length(payload.Length));
            Base64.EncodeToUtf8(payload, base64, out _, out written);
            output.Advance(written);
            output.Write("\n"u8);
        }
        else
        {
            // A line break inside the text starts a new data line; the client joins them back with '\n'.
            ReadOnlySpan<byte> text = payload;
            foreach (Range range in text.Split((byte)'\n'))
            {
                ReadOnlySpan<byte> line = text[range];
                if (line.Length > 0 && line[^1] == (byte)'\r')
                {
                    line = line[..^1];
                }

                output.Write("data: "u8);
                output.Write(line);
                output.Write("\n"u8);
            }
        }

        output.Write("\n"u8);
        return output.WrittenSpan.ToArray();
    }
}

/// <summary>Something that receives a topic's messages: a WebSocket or an event stream.</summary>
public interface ITopicSubscriber
{
    /// <summary>
    /// Queues <paramref name="message"/> if there is room. Called under the topic's lock, so it never waits and
    /// never calls back into the topic: false means the subscriber could not keep up.
    /// </summary>
    bool TryOffer(TopicMessage message);

    /// <summary>Told, before catching up from history, that messages <paramref name="first"/> to <paramref name="last"/> are gone.</summary>
    void OnGap(long first, long last)
    {
    }
}

/// <summary>The outcome of a publish: the sequence number given, and the subscribers that took the message.</summary>
public readonly record struct PublishResult(long Sequence, int Subscribers);

/// <summary>What a poll found: the messages after its cursor, and whether the history still reached back to it.</summary>
public readonly record struct PollResult(List<TopicMessage> Messages, long LastSequence, bool Truncated, long Oldest);

/// <summary>
/// A named stream of messages with sequence numbers, subscribers, and a bounded history for clients that catch
/// up by cursor (Server-Sent Events' <c>Last-Event-ID</c>, polling's <c>after</c>).
/// </summary>
/// <remarks>
/// One lock serializes publishes, subscriptions and history reads, so every subscriber sees the messages once
/// and in sequence order. Under it, a publish only offers a reference to each subscriber's bounded queue; the
/// sends happen on each connection's own send loop, so a slow client costs the publisher nothing.
/// </remarks>
public sealed class Topic(string name, int historySize)
{
    private readonly Lock _lock = new();
    private readonly HashSet<ITopicSubscriber> _subscribers = [];
    private readonly Queue<TopicMessage> _history = new(historySize);
    private long _sequence;

    // Long polls waiting for the next message share one completion, made when the first of them waits and
    // completed (then dropped) by the next publish: a publish with no poll waiting allocates nothing for them.
    private TaskCompletionSource? _next;
    private int _waitingPolls;

    public string Name => name;

    /// <summary>The sequence number of the last message published, 0 before the first.</summary>
    public long LastSequence => Volatile.Read(ref _sequence);

    public int SubscriberCount
    {
        get
        {
            lock (_lock)
            {
                return _subscribers.Count;
            }
        }
    }

    /// <summary>
    /// Gives the message the next sequence number, offers it to every subscriber, wakes waiting long polls and
    /// keeps it in the history. The topic takes ownership of <paramref name="payload"/>.
    /// </summary>
    public PublishResult Publish(WebSocketMessageType type, byte[] payload)
    {
        lock (_lock)
        {
            var message = new TopicMessage(_sequence + 1, type, payload, DateTime.UtcNow);
            Volatile.Write(ref _sequence, message.Sequence);
            int reached = 0;
            foreach (ITopicSubscriber subscriber in _subscribers)
            {
                if (subscriber.TryOffer(message))
                {
                    reached++;
                }
            }

            if (_next is { } next)
            {
                // Waiting polls count as subscribers reached, as in src/WsFast. The completion runs their
                // continuations on the thread pool, not here under the lock.
                reached += _waitingPolls;
                _waitingPolls = 0;
                _next = null;
                next.TrySetResult();
            }

            if (historySize > 0)
            {
                if (_history.Count == historySize)
                {
                    _history.Dequeue();
                }

                _history.Enqueue(message);
            }

            return new PublishResult(message.Sequence, reached);
        }
    }

    /// <summary>Adds a subscriber that wants what is published from now on.</summary>
    public void Subscribe(ITopicSubscriber subscriber)
    {
        lock (_lock)
        {
            _subscribers.Add(subscriber);
        }
    }

    /// <summary>
    /// Offers the subscriber the history after <paramref name="after"/> (announcing a gap first if the history
    /// no longer reaches back to it), then adds it: one step with respect to publishes, so nothing is missed
    /// or repeated between the two.
    /// </summary>
    public void Subscribe(ITopicSubscriber subscriber, long after)
    {
        lock (_lock)
        {
            if (IsTruncated(after))
            {
                subscriber.OnGap(after + 1, OldestHeld - 1);
            }

            foreach (TopicMessage message in _history)
            {
                if (message.Sequence > after)
                {
                    subscriber.TryOffer(message);
                }
            }

            _subscribers.Add(subscriber);
        }
    }

    public void Unsubscribe(ITopicSubscriber subscriber)
    {
        lock (_lock)
        {
            _subscribers.Remove(subscriber);
        }
    }

    /// <summary>
    /// The messages after <paramref name="after"/>. When there are none yet and <paramref name="wait"/> is set,
    /// also a task that completes with the next publish; the caller passes it to <see cref="StopWaiting"/> when done.
    /// </summary>
    public PollResult Poll(long after, bool wait, out Task? next)
    {
        lock (_lock)
        {
            var messages = new List<TopicMessage>();
            foreach (TopicMessage message in _history)
            {
                if (message.Sequence > after)
                {
                    messages.Add(message);
                }
            }

            next = null;
            if (wait && messages.Count == 0 && after >= _sequence)
            {
                _next ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _waitingPolls++;
                next = _next.Task;
            }

            return new PollResult(messages, _sequence, IsTruncated(after), OldestHeld);
        }
    }

    /// <summary>A long poll that stops waiting (timed out, or its client left) before a publish woke it.</summary>
    public void StopWaiting(Task next)
    {
        lock (_lock)
        {
            if (_next?.Task == next)
            {
                _waitingPolls--;
            }
        }
    }

    private long OldestHeld => _history.Count == 0 ? _sequence + 1 : _history.Peek().Sequence;

    // A cursor is older than the history when messages after it have already left it.
    private bool IsTruncated(long after) => after < _sequence && OldestHeld > after + 1;
}

/// <summary>The topics, created on first use (a subscription, a publish, a stream or a poll) up to a bound.</summary>
public sealed class TopicRegistry(ServerOptions options)
{
    private readonly ConcurrentDictionary<string, Topic> _topics = new(StringComparer.Ordinal);

    /// <summary>
    /// Whether <paramref name="name"/> can name a topic: 1 to 64 ASCII letters, digits, '-', '_' and '.', the
    /// rule of src/WsFast.
    /// </summary>
    public static bool IsValidName(ReadOnlySpan<char> name)
    {
        if (name.Length is 0 or > 64)
        {
            return false;
        }

        foreach (char c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The topic, created if needed; null for an invalid name or when the topic limit is reached.</summary>
    public Topic? GetOrCreate(string name)
    {
        if (_topics.TryGetValue(name, out Topic? topic))
        {
            return topic;
        }

        if (!IsValidName(name) || _topics.Count >= options.MaxTopics)
        {
            return null;
        }

        return _topics.GetOrAdd(name, static (n, size) => new Topic(n, size), options.HistorySize);
    }
}
