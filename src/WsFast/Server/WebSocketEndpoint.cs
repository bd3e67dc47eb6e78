using WsFast.Protocol;
using WsFast.Transport;

namespace WsFast.Server;

/// <summary>
/// A path that accepts WebSocket connections, the handler that serves them, and what they may negotiate.
/// Obtained from <see cref="WsFastServer.Map"/>.
/// </summary>
public sealed class WebSocketEndpoint
{
    private readonly ConnectionSet<WebSocketConnection> _connections = new();
    private long _dropped;

    internal WebSocketEndpoint(string path, WebSocketHandler handler, string? defaultTopic = null)
    {
        Path = path;
        Handler = handler;
        DefaultTopic = defaultTopic;
    }

    /// <summary>
    /// For a broadcast endpoint (<see cref="WsFastServer.MapBroadcast"/>), the topic of its plain path; it also
    /// serves <c>{Path}/{topic}</c> for every other topic. Null for other endpoints.
    /// </summary>
    public string? DefaultTopic { get; }

    /// <summary>True for an endpoint made by <see cref="WsFastServer.MapBroadcast"/>.</summary>
    public bool IsBroadcast => DefaultTopic is not null;

    /// <summary>The request path, e.g. <c>/echo</c>; matched exactly, case-sensitively.</summary>
    public string Path { get; }

    /// <summary>The handler of every connection of this endpoint.</summary>
    public WebSocketHandler Handler { get; }

    /// <summary>
    /// Subprotocols this endpoint speaks, in no particular order. A client's offer is answered with the first
    /// protocol it offers that is in this list; a client that offers none of them is still accepted, with no
    /// subprotocol, and can tell from the response. Empty: no subprotocol is ever selected.
    /// </summary>
    public List<string> SubProtocols { get; } = [];

    /// <summary>Origins allowed here (see <see cref="WsFastServerOptions.AllowedOrigins"/>); empty: the server's list applies.</summary>
    public List<string> AllowedOrigins { get; } = [];

    /// <summary>What <see cref="Broadcast(WebSocketMessageType, ReadOnlySpan{byte})"/> does to a connection that cannot keep up.</summary>
    public SlowConsumerPolicy SlowConsumerPolicy { get; set; } = SlowConsumerPolicy.Drop;

    /// <summary>Connections open on this endpoint now.</summary>
    public int ConnectionCount => _connections.Count;

    /// <summary>Broadcast messages skipped by connections that could not keep up, since start.</summary>
    public long DroppedMessages => Interlocked.Read(ref _dropped);

    /// <summary>
    /// Sends one message to every open connection of this endpoint. The message is framed once into one
    /// pooled buffer, and every connection's queue references those same bytes; nothing is copied per
    /// connection and nothing waits for a slow one (see <see cref="SlowConsumerPolicy"/>).
    /// </summary>
    /// <returns>How many connections the message was queued to.</returns>
    public int Broadcast(WebSocketMessageType type, ReadOnlySpan<byte> payload) =>
        Fanout(FrameWriting.Frame((Opcode)type, payload));

    /// <summary>Sends <paramref name="text"/> to every open connection of this endpoint.</summary>
    /// <inheritdoc cref="Broadcast(WebSocketMessageType, ReadOnlySpan{byte})"/>
    public int Broadcast(string text) => Broadcast(WebSocketMessageType.Text, System.Text.Encoding.UTF8.GetBytes(text));

    /// <summary>Sends a received message on to every open connection of this endpoint.</summary>
    /// <inheritdoc cref="Broadcast(WebSocketMessageType, ReadOnlySpan{byte})"/>
    public int Broadcast(in WebSocketMessage message) =>
        Fanout(FrameWriting.Frame((Opcode)message.Type, message.Payload));

    internal int Add(WebSocketConnection connection) => _connections.Add(connection);

    internal void Remove(int slot) => _connections.Remove(slot);

    internal ReadOnlySpan<WebSocketConnection?> Connections => _connections.Snapshot();

    // Offers the frame to every connection, each taking a reference of its own, then drops the caller's.
    private int Fanout(SharedBuffer frame)
    {
        int reached = 0;
        try
        {
            foreach (WebSocketConnection? connection in _connections.Snapshot())
            {
                switch (connection?.TryEnqueueShared(frame))
                {
                    case EnqueueResult.Queued:
                        reached++;
                        break;
                    case EnqueueResult.Full:
                        Interlocked.Increment(ref _dropped);
                        connection.OnBroadcastDropped();
                        break;
                }
            }
        }
        finally
        {
            frame.Release();
        }

        return reached;
    }
}
