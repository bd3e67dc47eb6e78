using System.Net;
using WsFast.Protocol;
using WsFast.Protocol.Deflate;
using WsFast.Transport;
using WsFast.Server;

namespace WsFast;

/// <summary>
/// One upgraded client connection: what it asked for in its handshake, and the ways to send to it and close
/// it. Sends are safe from any thread and keep their order.
/// </summary>
/// <remarks>
/// <para>The session only: the HTTP connection that read the handshake (<c>Server/Http/HttpConnection</c>) hands
/// its transport over with the 101. The partial files follow the session's concerns: receiving frames and
/// handing messages to the handler (<c>.Receive</c>), sending within the outbound bounds (<c>.Send</c>), streaming
/// a message as fragments (<c>.Fragments</c>), heartbeats and deadlines (<c>.KeepAlive</c>), and the close
/// handshake and the end (<c>.Close</c>).</para>
/// <para>It lives in three states (<see cref="ConnectionState"/>): open, then closing from the first close frame
/// (ours or the peer's) after which nothing is sent, then closed once the close handshake completes or the close
/// timeout passes. Whichever way it ends, its transport goes back to its pool exactly once.</para>
/// </remarks>
public sealed partial class WebSocketConnection : IServerConnection
{
    private readonly WsFastServer _server;
    private readonly TransportLease _transport;
    private readonly int _serverSlot;
    private readonly ConnectionDeflate? _deflate; // when permessage-deflate was agreed
    private int _state; // ConnectionState
    private ConnectionAuthorization? _authorization; // what an authorizer granted; null for most connections
    private WebSocketHandler _handler; // the endpoint's, or this connection's own (Map<THandler>) once open
    private Hosting.HandlerLease? _handlerLease; // the scope of this connection's own handler

    internal WebSocketConnection(
        WsFastServer server,
        TransportLease transport,
        int serverSlot,
        EndPoint? remoteEndPoint,
        HandshakeRequest request,
        WebSocketEndpoint endpoint,
        string? subProtocol,
        Topic? topic,
        DeflateAgreement? deflate = null,
        ConnectionAuthorization? authorization = null)
    {
        _authorization = authorization;
        _server = server;
        _transport = transport;
        _serverSlot = serverSlot;
        Id = transport.Id;
        RemoteEndPoint = remoteEndPoint;
        Request = request;
        Endpoint = endpoint;
        _handler = endpoint.Handler;
        SubProtocol = subProtocol;
        Topic = topic;
        if (deflate is { } agreement)
        {
            _deflate = new ConnectionDeflate(agreement, endpoint.PerMessageDeflate!);
            Extensions = agreement.ToHeaderValue();
        }

        if (server.Options.PoisonReceiveBuffers)
        {
            _messageLifetime = new MessageLifetime();
            _assembler = new MessageAssembler(poison: true);
        }

        _maxQueuedBytes = server.Options.MaxQueuedOutboundBytes;
        _maxQueuedMessages = server.Options.MaxQueuedOutboundMessages;
        // Where clients send nothing, a connection that can refresh its authorization still sends that, and no more.
        long maxMessage = endpoint.TakesClientMessages || authorization?.Refreshable != true
            ? endpoint.MaxMessageSize
            : Math.Min(endpoint.MaxMessageSize, RequestAuthorizer.MaxRefreshMessageBytes);
        _frames = new FrameReader(new FrameReaderOptions
        {
            MaxFramePayload = maxMessage,
            MaxMessagePayload = maxMessage,
            AllowRsv1 = _deflate is not null,
        });
        long now = Environment.TickCount64;
        _lastReceived = now;
        _lastMessage = now;
    }

    /// <summary>permessage-deflate's state when it was agreed, for tests and diagnostics.</summary>
    internal ConnectionDeflate? Deflate => _deflate;

    /// <summary>A number unique to this connection within the process.</summary>
    public long Id { get; }

    /// <summary>The socket's peer address and port: the client's, or behind a proxy the proxy's.</summary>
    public EndPoint? RemoteEndPoint { get; }

    /// <summary>
    /// The client's address: the socket's peer, or behind a proxy listed in
    /// <see cref="WsFastServerOptions.TrustedProxies"/> the address it forwarded in the handshake; IPv4-mapped
    /// IPv6 as IPv4. The address the client limits counted and the log names.
    /// </summary>
    public IPAddress ClientAddress { get; internal init; } = IPAddress.None;

    /// <summary>The count of <see cref="ClientAddress"/>'s connections this connection is in, released at its end.</summary>
    internal AddressState? Address { get; init; }

    /// <summary>Who the log names: the socket's peer with its port, or the forwarded client's address.</summary>
    internal object? ClientForLog => ForwardedHeaders.ClientForLog(RemoteEndPoint, ClientAddress);

    /// <summary>
    /// Whether the client connected over TLS (<c>wss://</c>): to this server, or to a proxy listed in
    /// <see cref="WsFastServerOptions.TrustedProxies"/> as it forwarded (<c>X-Forwarded-Proto</c>, <c>proto=</c>).
    /// </summary>
    public bool IsSecure { get; internal init; }

    /// <summary>The handshake request: path, query, headers.</summary>
    public HandshakeRequest Request { get; }

    /// <summary>The request path the connection was opened on, e.g. <c>/echo</c>.</summary>
    public string Path => Request.Path;

    /// <summary>The query string the connection was opened with, without the <c>?</c>; empty when none.</summary>
    public string Query => Request.Query;

    /// <summary>The subprotocol agreed in the handshake, or null.</summary>
    public string? SubProtocol { get; }

    /// <summary>
    /// The extensions agreed in the 101 response (its <c>Sec-WebSocket-Extensions</c>), such as
    /// <c>permessage-deflate; server_no_context_takeover</c>; null when none.
    /// </summary>
    public string? Extensions { get; }

    /// <summary>The endpoint serving this connection.</summary>
    public WebSocketEndpoint Endpoint { get; }

    /// <summary>The topic this connection is subscribed to (a broadcast endpoint's connection), or null.</summary>
    public Topic? Topic { get; }

    /// <summary>Where the connection is in its life.</summary>
    public ConnectionState State => (ConnectionState)Volatile.Read(ref _state);

    /// <summary>
    /// Anything the handler wants to keep with this connection; starts as what the endpoint's
    /// <see cref="RequestAuthorizer"/> attached (<see cref="AuthorizationResult.UserState"/>).
    /// </summary>
    public object? UserState { get; set; }

    /// <summary>Who the client is, as the endpoint's <see cref="RequestAuthorizer"/> said on accepting it; null: anonymous.</summary>
    public System.Security.Claims.ClaimsPrincipal? User => _authorization?.User;

    /// <summary>When the connection's authorization ends (it is then closed with 1008 "token expired"); null: never.</summary>
    public DateTimeOffset? AuthorizationExpiresAt => _authorization?.ExpiresAt;

    /// <summary>
    /// On a relaying broadcast endpoint, whether this client's messages are published to its topic; when false, a
    /// message closes the connection with 1008. Starts as <see cref="AuthorizationResult.RelayAllowed"/> (true
    /// without an authorizer).
    /// </summary>
    public bool RelayAllowed
    {
        get => _authorization?.RelayAllowed ?? true;
        set => Authorization.RelayAllowed = value;
    }

    /// <summary>
    /// Moves the end of the connection's authorization to <paramref name="expiresAt"/> (for example on a refreshed
    /// token), or sets one on a connection that had none. The server's timer closes the connection with 1008
    /// "token expired" once it passes.
    /// </summary>
    public void ExtendAuthorization(DateTimeOffset expiresAt) => Authorization.SetExpiry(expiresAt);

    /// <summary>Outbound bytes queued and not yet sent.</summary>
    public long QueuedBytes => _transport.QueuedBytes;

    /// <summary>The connection's authorization, made when first needed.</summary>
    private ConnectionAuthorization Authorization
    {
        get
        {
            ConnectionAuthorization? current = Volatile.Read(ref _authorization);
            if (current is not null)
            {
                return current;
            }

            Interlocked.CompareExchange(ref _authorization, new ConnectionAuthorization(null, null, [], relayAllowed: true), null);
            return _authorization!;
        }
    }

    /// <summary>The server this connection belongs to.</summary>
    internal WsFastServer Server => _server;

    /// <summary>What this client may still relay to its topic (<see cref="TopicHandler"/>); used by its receive loop only.</summary>
    internal TokenBucket RelayAllowance;

    /// <summary>What this client may still send (<see cref="ClientLimitOptions"/>); used by its receive loop only.</summary>
    private ReceiveRate _receiveRate;

    /// <summary>
    /// Queues a text message. Completes at once unless the connection's outbound queue is at its bound
    /// (<see cref="WsFastServerOptions.MaxQueuedOutboundBytes"/> or
    /// <see cref="WsFastServerOptions.MaxQueuedOutboundMessages"/>), in which case it completes when the queue
    /// has drained below it.
    /// </summary>
    /// <returns>True if queued; false if the connection is closing or closed.</returns>
    public ValueTask<bool> SendTextAsync(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        int max = System.Text.Encoding.UTF8.GetMaxByteCount(text.Length);
        if (max <= 512)
        {
            Span<byte> utf8 = stackalloc byte[max];
            int length = System.Text.Encoding.UTF8.GetBytes(text, utf8);
            return SendAsync(Opcode.Text, utf8.Slice(0, length));
        }

        return SendAsync(Opcode.Text, System.Text.Encoding.UTF8.GetBytes(text));
    }

    /// <summary>Queues a text message from UTF-8 bytes, which must be valid UTF-8.</summary>
    /// <inheritdoc cref="SendTextAsync(string)"/>
    public ValueTask<bool> SendTextAsync(ReadOnlySpan<byte> utf8) => SendAsync(Opcode.Text, utf8);

    /// <summary>Queues a binary message.</summary>
    /// <inheritdoc cref="SendTextAsync(string)"/>
    public ValueTask<bool> SendBinaryAsync(ReadOnlySpan<byte> payload) => SendAsync(Opcode.Binary, payload);

    /// <summary>Queues a message of the given type, for example a received one sent back.</summary>
    /// <inheritdoc cref="SendTextAsync(string)"/>
    public ValueTask<bool> SendAsync(in WebSocketMessage message) => SendAsync((Opcode)message.Type, message.Payload);

    /// <summary>
    /// Starts the closing handshake: sends a close frame with <paramref name="code"/> and
    /// <paramref name="reason"/> (at most 123 bytes of UTF-8), after which nothing more is sent. The TCP
    /// connection closes when the client answers, or after the close timeout.
    /// </summary>
    public void Close(CloseCode code = CloseCode.NormalClosure, string reason = "")
    {
        if (!CloseCodes.IsValidOnWire((ushort)code))
        {
            throw new ArgumentOutOfRangeException(nameof(code), code, "This close code may not be sent (RFC 6455 section 7.4).");
        }

        if (System.Text.Encoding.UTF8.GetByteCount(reason) > FrameWriter.MaxCloseReasonLength)
        {
            throw new ArgumentException("A close reason is at most 123 bytes of UTF-8.", nameof(reason));
        }

        SendClose(code, reason);
    }

    /// <inheritdoc/>
    public override string ToString() => $"WebSocket {Id} {RemoteEndPoint} {Request.Path} {State}";
}
