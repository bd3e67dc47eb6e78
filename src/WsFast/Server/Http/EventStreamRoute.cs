using System.Text;
using WsFast.Protocol;
using WsFast.Transport;

namespace WsFast.Server;

/// <summary>
/// <c>GET /sse/{topic}</c>: a Server-Sent Events stream of the topic. Each event's id is the message's
/// sequence number, so a client that reconnects with <c>Last-Event-ID</c> (or <c>?after=N</c>) first gets
/// what it missed from the history, and an <c>event: gap</c> naming what the history no longer holds.
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

    public static async ValueTask<bool> RespondAsync(WsFastServer server, WebSocketConnection connection, HandshakeRequest request, string topicName)
    {
        Topic? topic = server.Topics.GetOrCreate(topicName);
        if (topic is null)
        {
            return await HttpResponder.Finish(connection, 404, "no such topic: invalid name, or the topic limit is reached");
        }

        string? cursor = request.GetHeader("Last-Event-ID") ?? HttpResponder.QueryValue(request.Query, "after");
        long after = topic.LastSequence;
        if (cursor is not null && !long.TryParse(cursor, out after))
        {
            return await HttpResponder.Finish(connection, 400, "Last-Event-ID and after are sequence numbers");
        }

        await connection.StreamEventsAsync(topic, after, SharedBufferPool.Shared.Rent(Head));
        return false;
    }
}
