using System.Text;
using WsFast.Transport;

namespace WsFast.Server;

/// <summary>
/// <c>GET /sse/{topic}</c>: a Server-Sent Events stream of the topic. Each event's id is the topic's epoch and
/// the message's sequence number (<c>E:N</c>), so a client that reconnects with <c>Last-Event-ID</c> (or
/// <c>?after=E:N</c>) first gets what it missed from the history, and an <c>event: gap</c> naming what the
/// history no longer holds, or that its epoch is gone. A bare <c>N</c> still resumes within the current epoch.
/// </summary>
internal static class EventStreamRoute
{
    // No Content-Length: the stream ends when the connection does (RFC 7230 section 3.3.3, item 7).
    private static readonly byte[] Head = Encoding.ASCII.GetBytes(
        "HTTP/1.1 200 OK\r\n" +
        "Content-Type: text/event-stream\r\n" +
        "Cache-Control: no-store\r\n" +
        "X-Accel-Buffering: no\r\n" +
        "Connection: close\r\n" +
        "\r\n" +
        "retry: 2000\n\n");

    public static async ValueTask<bool> ServeAsync(WsFastServer server, HttpConnection connection, HandshakeRequest request, string topicName)
    {
        if (Check(request, topicName, out TopicCursor? cursor) is { } refusal)
        {
            refusal.Send(connection);
            return false;
        }

        if (!await connection.IsAllowedAsync(AuthorizationRequestKind.EventStream, request, topicName).ConfigureAwait(false))
        {
            return false;
        }

        // A subscriber may wait on a topic before its first publish: the stream holds it while it lasts.
        // A shared broker's topic may not be read from the broker yet: a cursor then waits in it for that read, and a
        // stream without one starts with what arrives after it.
        Topic topic = server.Topics.Acquire(topicName);
        TopicCursor? from = cursor ?? (topic.IsMirror ? null : new TopicCursor(0, topic.LastSequence));
        await connection.StreamEventsAsync(topic, from, SharedBufferPool.Shared.Rent(Head)).ConfigureAwait(false);
        return false;
    }

    /// <summary>
    /// 400 for a name that is no topic (<see cref="TopicRegistry.NameRule"/>) or a resume point that is no cursor;
    /// otherwise null, with <paramref name="cursor"/> from <c>Last-Event-ID</c>, else <c>?after=</c>, else null.
    /// </summary>
    internal static HttpRefusal? Check(HandshakeRequest request, string topicName, out TopicCursor? cursor)
    {
        cursor = null;
        if (!TopicRegistry.IsValidName(topicName))
        {
            return HttpRefusal.InvalidTopicName;
        }

        string? text = request.GetHeader("Last-Event-ID") ?? HttpRouter.QueryValue(request.Query, "after");
        if (text is null)
        {
            return null;
        }

        if (!TopicCursor.TryParse(text, out TopicCursor after))
        {
            return new HttpRefusal(400, "Last-Event-ID and after are cursors: epoch:sequence, or a sequence number");
        }

        cursor = after;
        return null;
    }
}
