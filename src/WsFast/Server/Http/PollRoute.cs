using System.Text.Encodings.Web;
using System.Text.Json;

namespace WsFast.Server;

/// <summary>
/// <c>GET /poll/{topic}?after=E:N&amp;wait=S</c>: the topic's messages after sequence N of epoch E as JSON
/// (a bare <c>N</c> means the current epoch), with the <c>cursor</c> to poll from next. With none yet,
/// a long poll waits up to S seconds (at most <see cref="BroadcastOptions.LongPollTimeout"/>, the default) for
/// one; <c>wait=0</c> is a short poll. Without <c>after</c>, the cursor is the latest message. A cursor older
/// than the history is answered with what remains and <c>"truncated": true</c>, and a cursor of another epoch
/// (the topic was made again, or the server restarted) with the whole history, <c>"truncated": true</c> and
/// <c>"reset": true</c>; an answer holds up to
/// <see cref="BroadcastOptions.MaxPublishBytes"/> of payload (always one message) and says <c>"more": true</c>
/// when the rest waits for the next poll.
/// </summary>
/// <remarks>
/// A topic that does not exist (or no longer) answers like an empty one. A short poll creates nothing; a long
/// poll holds the topic while it waits, so that the message it waits for cannot go to a later topic of the same
/// name. With a shared broker every poll holds the topic, whose history this server reads from the broker first
/// (503 with <c>Retry-After</c> when it cannot within <see cref="BrokerOptions.SyncTimeout"/>).
/// </remarks>
internal static class PollRoute
{
    private static readonly JsonWriterOptions JsonOptions = new()
    {
        // Text goes out as the UTF-8 it came in; only what JSON requires is escaped.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        SkipValidation = true,
    };

    public static async ValueTask<bool> ServeAsync(WsFastServer server, HttpConnection connection, HandshakeRequest request, string topicName, bool keepAlive)
    {
        BroadcastOptions options = server.Options.Broadcast;
        if (Check(request, topicName, options.LongPollTimeout, out TopicCursor? after, out TimeSpan wait) is { } refusal)
        {
            refusal.Send(connection);
            return false;
        }

        if (!await connection.IsAllowedAsync(AuthorizationRequestKind.Poll, request, topicName).ConfigureAwait(false))
        {
            return false;
        }

        if (wait <= TimeSpan.Zero && !server.Topics.Broker.IsShared)
        {
            Topic? existing = server.Topics.Find(topicName);
            if (existing is null)
            {
                // No topic, so no epoch: a cursor that had one has lost what followed it.
                bool lost = after is { Epoch: not 0 };
                return Answer(connection, topicName, new PollBatch(truncated: lost, oldest: 1, last: 0) { Reset = lost }, keepAlive);
            }

            return Answer(connection, topicName, existing.Poll(after ?? new TopicCursor(0, existing.LastSequence), options.MaxPublishBytes, waiter: null), keepAlive);
        }

        Topic topic = server.Topics.Acquire(topicName);
        try
        {
            // A shared broker's topic answers from its history once this server has read it from the broker.
            if (!await topic.WaitSyncedAsync(server.Options.Broker.SyncTimeout).ConfigureAwait(false))
            {
                HttpRouter.RefuseBrokerUnavailable(connection);
                return false;
            }

            TopicCursor cursor = after ?? new TopicCursor(0, topic.LastSequence);
            if (wait <= TimeSpan.Zero)
            {
                return Answer(connection, topicName, topic.Poll(cursor, options.MaxPublishBytes, waiter: null), keepAlive);
            }

            var waiter = new LongPollWaiter();
            PollBatch batch = topic.Poll(cursor, options.MaxPublishBytes, waiter);
            if (batch.WaiterSlot >= 0)
            {
                bool stayed;
                try
                {
                    stayed = await connection.WaitForPollAsync(waiter, wait).ConfigureAwait(false);
                }
                finally
                {
                    topic.Unsubscribe(batch.WaiterSlot);
                }

                if (!stayed)
                {
                    return false; // the client left while it waited
                }

                batch = topic.Poll(cursor, options.MaxPublishBytes, waiter: null);
            }

            return Answer(connection, topicName, batch, keepAlive);
        }
        finally
        {
            TopicRegistry.Release(topic);
        }
    }

    /// <summary>
    /// 400 for a name that is no topic (<see cref="TopicRegistry.NameRule"/>), an <c>after</c> that is no cursor or a
    /// <c>wait</c> that is no number of seconds; otherwise null, with <paramref name="after"/> (null without one) and
    /// <paramref name="wait"/>, at most <paramref name="longPollTimeout"/> (its default).
    /// </summary>
    internal static HttpRefusal? Check(HandshakeRequest request, string topicName, TimeSpan longPollTimeout, out TopicCursor? after, out TimeSpan wait)
    {
        after = null;
        wait = TimeSpan.Zero;
        if (!TopicRegistry.IsValidName(topicName))
        {
            return HttpRefusal.InvalidTopicName;
        }

        string? afterText = HttpRouter.QueryValue(request.Query, "after");
        string? waitText = HttpRouter.QueryValue(request.Query, "wait");
        TopicCursor cursor = default;
        double waitSeconds = longPollTimeout.TotalSeconds;
        if ((afterText is not null && !TopicCursor.TryParse(afterText, out cursor))
            || (waitText is not null && !HttpRouter.TryParseSeconds(waitText, out waitSeconds)))
        {
            return new HttpRefusal(400, "after is a cursor (epoch:sequence, or a sequence number) and wait a number of seconds");
        }

        after = afterText is null ? null : cursor;
        wait = TimeSpan.FromSeconds(Math.Min(waitSeconds, longPollTimeout.TotalSeconds));
        return null;
    }

    private static bool Answer(HttpConnection connection, string topicName, PollBatch batch, bool keepAlive)
    {
        var body = new ResponseBodyWriter(256 + EstimateSize(batch));
        try
        {
            using (var json = new Utf8JsonWriter(body, JsonOptions))
            {
                json.WriteStartObject();
                long last = batch.Messages.Count > 0 ? batch.Messages[^1].Message.Sequence : batch.Last;
                json.WriteString("topic", topicName);
                json.WriteNumber("last", last);
                if (batch.Epoch != 0)
                {
                    json.WriteNumber("epoch", batch.Epoch);
                    json.WriteString("cursor", new TopicCursor(batch.Epoch, last).ToString());
                }

                json.WriteBoolean("truncated", batch.Truncated);
                if (batch.Reset)
                {
                    json.WriteBoolean("reset", true);
                }

                if (batch.Truncated)
                {
                    json.WriteNumber("oldest", batch.Oldest);
                }

                if (batch.More)
                {
                    json.WriteBoolean("more", true);
                }

                json.WriteStartArray("messages");
                foreach (PolledMessage polled in batch.Messages)
                {
                    TopicMessage message = polled.Message;
                    json.WriteStartObject();
                    json.WriteNumber("sequence", message.Sequence);
                    if (message.Type == MessageType.Text)
                    {
                        json.WriteString("type", "text");
                        json.WriteString("data", message.Payload);
                    }
                    else
                    {
                        json.WriteString("type", "binary");
                        json.WriteBase64String("data", message.Payload);
                    }

                    json.WriteString("time", message.PublishedUtc);
                    json.WriteEndObject();
                }

                json.WriteEndArray();
                json.WriteEndObject();
            }

            return body.Send(connection, 200, "application/json", keepAlive);
        }
        finally
        {
            body.Dispose();
            batch.Release();
        }
    }

    // Base64 takes 4/3 of binary; text usually goes as it is.
    private static int EstimateSize(PollBatch batch)
    {
        long size = 0;
        foreach (PolledMessage polled in batch.Messages)
        {
            size += 96 + (polled.Message.Payload.Length * 4 / 3);
        }

        return (int)Math.Min(size, 4 * 1024 * 1024);
    }
}
