using System.Buffers;
using System.Text.Json;
using WsFast.Protocol;

namespace WsFast.Server;

/// <summary>
/// <c>GET /poll/{topic}?after=N&amp;wait=S</c>: the topic's messages after sequence N as JSON. With none yet,
/// a long poll waits up to S seconds (at most <see cref="BroadcastOptions.LongPollTimeout"/>, the default) for
/// one; <c>wait=0</c> is a short poll. Without <c>after</c>, the cursor is the latest message. A cursor older
/// than the history is answered with what remains and <c>"truncated": true</c>.
/// </summary>
internal static class PollRoute
{
    public static async ValueTask<bool> RespondAsync(WsFastServer server, WebSocketConnection connection, HandshakeRequest request, string topicName, bool keepAlive)
    {
        Topic? topic = server.Topics.GetOrCreate(topicName);
        if (topic is null)
        {
            return await HttpResponder.Finish(connection, 404, "no such topic: invalid name, or the topic limit is reached");
        }

        TimeSpan longest = server.Options.Broadcast.LongPollTimeout;
        string? afterText = HttpResponder.QueryValue(request.Query, "after");
        string? waitText = HttpResponder.QueryValue(request.Query, "wait");
        long after = topic.LastSequence;
        double waitSeconds = longest.TotalSeconds;
        if ((afterText is not null && (!long.TryParse(afterText, out after) || after < 0))
            || (waitText is not null && (!double.TryParse(waitText, System.Globalization.CultureInfo.InvariantCulture, out waitSeconds) || waitSeconds < 0)))
        {
            return await HttpResponder.Finish(connection, 400, "after is a sequence number and wait a number of seconds");
        }

        TimeSpan wait = TimeSpan.FromSeconds(Math.Min(waitSeconds, longest.TotalSeconds));
        PollWaiter? waiter = wait > TimeSpan.Zero ? new PollWaiter() : null;
        List<PolledMessage> messages = topic.Poll(after, waiter, out bool truncated, out long oldest, out int slot);
        if (slot >= 0)
        {
            connection.SuspendDeadline();
            try
            {
                await waiter!.WaitAsync(wait);
            }
            finally
            {
                topic.Unsubscribe(slot);
                connection.RestoreDeadline();
            }

            messages = topic.Poll(after, null, out truncated, out oldest, out _);
        }

        return await HttpResponder.Send(connection, 200, "application/json", Json(topic, messages, truncated, oldest), keepAlive);
    }

    private static byte[] Json(Topic topic, List<PolledMessage> messages, bool truncated, long oldest)
    {
        var output = new ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(output))
        {
            json.WriteStartObject();
            json.WriteString("topic", topic.Name);
            json.WriteNumber("last", messages.Count > 0 ? messages[^1].Sequence : topic.LastSequence);
            json.WriteBoolean("truncated", truncated);
            if (truncated)
            {
                json.WriteNumber("oldest", oldest);
            }

            json.WriteStartArray("messages");
            foreach (PolledMessage message in messages)
            {
                json.WriteStartObject();
                json.WriteNumber("sequence", message.Sequence);
                json.WriteString("type", message.Type == WebSocketMessageType.Text ? "text" : "binary");
                if (message.Type == WebSocketMessageType.Text)
                {
                    json.WriteString("data", System.Text.Encoding.UTF8.GetString(message.Payload));
                }
                else
                {
                    json.WriteBase64String("data", message.Payload);
                }

                json.WriteString("time", message.PublishedUtc);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return output.WrittenSpan.ToArray();
    }

    /// <summary>A long poll waiting for the next message: a one-shot subscriber.</summary>
    private sealed class PollWaiter : ITopicSubscriber
    {
        private readonly TaskCompletionSource _arrived = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public EnqueueResult Offer(TopicMessage message)
        {
            _arrived.TrySetResult();
            return EnqueueResult.Queued;
        }

        public async Task WaitAsync(TimeSpan timeout)
        {
            try
            {
                await _arrived.Task.WaitAsync(timeout);
            }
            catch (TimeoutException)
            {
            }
        }
    }
}
