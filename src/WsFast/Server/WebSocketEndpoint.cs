using WsFast.Server;

namespace WsFast;

/// <summary>
/// A path that accepts WebSocket connections, the handler that serves them, and what they may negotiate.
/// Obtained from <see cref="WsFastServer.Map"/> or <see cref="WsFastServer.MapBroadcast"/>.
/// </summary>
/// <remarks>
/// Every open connection of the endpoint is subscribed to the endpoint's own topic (no history, no name in the
/// registry): <see cref="Broadcast(MessageType, ReadOnlySpan{byte})"/> is a publish to it, so the
/// endpoint and the topics share one fan-out, framed once.
/// </remarks>
public sealed class WebSocketEndpoint
{
    internal WebSocketEndpoint(string path, WebSocketHandler handler, ServerCounters counters, long maxMessageSize, string? defaultTopic = null, bool relaysClientMessages = false)
    {
        Path = path;
        Handler = handler;
        DefaultTopic = defaultTopic;
        RelaysClientMessages = relaysClientMessages;
        MaxMessageSize = maxMessageSize;
        Everyone = new Topic(path, registry: null, budget: null, counters);
    }

    /// <summary>
    /// permessage-deflate here (RFC 7692): null, not negotiated. Starts as
    /// <see cref="WsFastServerOptions.PerMessageDeflate"/>; set it before the server starts.
    /// </summary>
    public PerMessageDeflateOptions? PerMessageDeflate
    {
        get;
        set
        {
            value?.Validate();
            field = value;
        }
    }

    /// <summary>
    /// For a broadcast endpoint (<see cref="WsFastServer.MapBroadcast"/>), the topic of its plain path; it also
    /// serves <c>{Path}/{topic}</c> for every other topic. Null for other endpoints.
    /// </summary>
    public string? DefaultTopic { get; }

    /// <summary>True for an endpoint made by <see cref="WsFastServer.MapBroadcast"/>.</summary>
    public bool IsBroadcast => DefaultTopic is not null;

    /// <summary>For a broadcast endpoint, whether what a client sends is published to its topic.</summary>
    public bool RelaysClientMessages { get; }

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

    /// <summary>
    /// The first subprotocol the client offers that this endpoint speaks, or null (RFC 6455 section 4.2.2). Every
    /// endpoint speaks <c>wsfast.v1</c> (topic messages in envelopes, <see cref="TopicEnvelope"/>) to clients that
    /// can have <paramref name="envelopes"/>.
    /// </summary>
    internal string? ChooseSubProtocol(IReadOnlyList<string> offered, bool envelopes = true)
    {
        foreach (string protocol in offered)
        {
            if (envelopes && protocol == TopicEnvelope.SubProtocol)
            {
                return TopicEnvelope.SubProtocol; // the constant itself: each publish compares the connection's by reference
            }

            if (SubProtocols.Contains(protocol))
            {
                return protocol;
            }
        }

        return null;
    }

    /// <summary>
    /// Decides on each upgrade to this endpoint before its 101 (see <see cref="RequestAuthorizer"/>); null, the
    /// default: <see cref="WsFastServerOptions.Authorizer"/> decides, and without that every upgrade goes on. Set
    /// it before the server starts.
    /// </summary>
    public RequestAuthorizer? Authorizer { get; set; }

    /// <summary>Origins allowed here (see <see cref="WsFastServerOptions.AllowedOrigins"/>); empty: the server's list applies.</summary>
    public List<string> AllowedOrigins { get; } = [];

    /// <summary>
    /// Whether this endpoint also accepts clients of the WebSocket protocol's draft 76
    /// (draft-hixie-thewebsocketprotocol-76, "hixie-76"), which embedded clients and old gateways still speak.
    /// Default false: such a request gets the 426 that asks for version 13, as any other upgrade without it.
    /// </summary>
    /// <remarks>
    /// <para>A draft-76 client is served by the endpoint, not by its <see cref="Handler"/>, whose events take a
    /// <see cref="WebSocketConnection"/> that speaks RFC 6455: on a broadcast endpoint
    /// (<see cref="WsFastServer.MapBroadcast"/>) it is a subscriber of its topic, and what it sends is published
    /// there when the endpoint relays; on an endpoint whose handler is <see cref="EchoHandler"/>, its messages come
    /// back to it; on any endpoint it receives <see cref="Broadcast(string)"/>. Elsewhere, and on a broadcast
    /// endpoint that does not relay, a message from it closes it. It receives text only: draft 76 has no binary
    /// frame a browser reads, so binary broadcasts skip it.</para>
    /// <para>The same checks and bounds as for RFC 6455 clients apply: allowed origins and hosts, the message size
    /// (beyond it, and on invalid UTF-8, the TCP connection closes: draft 76 has no close codes), the outbound
    /// bounds and <see cref="SlowConsumerPolicy"/>, the idle timeout. Draft 76 has no ping: dead peers are found by
    /// the idle timeout and the send-stall timeout only.</para>
    /// </remarks>
    public bool LegacyHixie76 { get; set; }

    /// <summary>What a broadcast or publish does to a connection of this endpoint that cannot keep up.</summary>
    public SlowConsumerPolicy SlowConsumerPolicy { get; set; } = SlowConsumerPolicy.Drop;

    /// <summary>Connections open on this endpoint now.</summary>
    public int ConnectionCount => Everyone.SubscriberCount;

    /// <summary>Broadcast messages skipped by connections that could not keep up, since start.</summary>
    public long DroppedMessages => Everyone.DroppedMessages;

    /// <summary>Whether clients may send messages here: every endpoint but a broadcast endpoint without relaying.</summary>
    internal bool TakesClientMessages => !IsBroadcast || RelaysClientMessages;

    /// <summary>The largest message a client may send here; larger closes the connection with 1009.</summary>
    internal long MaxMessageSize { get; }

    /// <summary>The endpoint's own topic: every open connection of the endpoint.</summary>
    internal Topic Everyone { get; }

    /// <summary>The time-in-queue recorder its connections share (made by the server's metrics at the first open).</summary>
    internal Transport.QueueDelayRecorder? QueueDelay { get; set; }

    /// <summary>
    /// Sends one message to every open connection of this endpoint. The message is framed once into one
    /// pooled buffer, and every connection's queue references those same bytes; nothing is copied per
    /// connection and nothing waits for a slow one (see <see cref="SlowConsumerPolicy"/>).
    /// </summary>
    /// <returns>How many connections the message was queued to.</returns>
    public int Broadcast(MessageType type, ReadOnlySpan<byte> payload) => Everyone.Publish(type, payload, null).Subscribers;

    /// <summary>Sends <paramref name="text"/> to every open connection of this endpoint.</summary>
    /// <inheritdoc cref="Broadcast(MessageType, ReadOnlySpan{byte})"/>
    public int Broadcast(string text) => Everyone.Publish(text, null).Subscribers;

    /// <summary>Sends a received message on to every open connection of this endpoint.</summary>
    /// <inheritdoc cref="Broadcast(MessageType, ReadOnlySpan{byte})"/>
    public int Broadcast(in WebSocketMessage message) => Everyone.Publish(message.Type, message.Payload, null).Subscribers;

    /// <summary>Sends one message to every open connection of this endpoint but <paramref name="except"/> (the sender, say).</summary>
    /// <inheritdoc cref="Broadcast(MessageType, ReadOnlySpan{byte})"/>
    public int Broadcast(MessageType type, ReadOnlySpan<byte> payload, WebSocketConnection? except) => Everyone.Publish(type, payload, except).Subscribers;

    /// <summary>Sends <paramref name="text"/> to every open connection of this endpoint but <paramref name="except"/>.</summary>
    /// <inheritdoc cref="Broadcast(MessageType, ReadOnlySpan{byte})"/>
    public int Broadcast(string text, WebSocketConnection? except) => Everyone.Publish(text, except).Subscribers;

    /// <summary>Sends a received message on to every open connection of this endpoint but <paramref name="except"/>.</summary>
    /// <inheritdoc cref="Broadcast(MessageType, ReadOnlySpan{byte})"/>
    public int Broadcast(in WebSocketMessage message, WebSocketConnection? except) => Everyone.Publish(message.Type, message.Payload, except).Subscribers;

    /// <summary>The open connections, for tests and diagnostics (allocates).</summary>
    internal IEnumerable<WebSocketConnection> Connections => Everyone.Subscribers.OfType<WebSocketConnection>();
}
