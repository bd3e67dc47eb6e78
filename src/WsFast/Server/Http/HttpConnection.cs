using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using WsFast.Protocol;
using WsFast.Protocol.Deflate;
using WsFast.Transport;

namespace WsFast.Server;

/// <summary>
/// A TCP connection from its accept until it upgrades or ends: reads HTTP/1.1 requests one at a time, answers
/// plain ones through the <see cref="HttpRouter"/> while the client keeps the connection alive, streams events
/// or holds a long poll when a route asks, and on a valid upgrade hands its transport to a new
/// <see cref="WebSocketConnection"/> with the 101 (or, for a draft-76 request to an endpoint that speaks it, to a
/// <see cref="Hixie76Connection"/>, through <see cref="Hixie76Upgrade"/>).
/// </summary>
/// <remarks>
/// <para>Deadlines. A request, head and body, must arrive within <see cref="WsFastServerOptions.HandshakeTimeout"/>
/// of the moment the connection is ready for it (the accept, or the previous response), so a client that
/// trickles its request (slowloris) or idles between requests is dropped.</para>
/// <para>Backpressure. Responses are queued without waiting, but the next request is not read while this
/// connection's queue is at <see cref="WsFastServerOptions.MaxQueuedOutboundBytes"/> or
/// <see cref="WsFastServerOptions.MaxQueuedOutboundMessages"/> (the idea of Kestrel's <c>MaxResponseBufferSize</c>):
/// a client that pipelines requests and never reads gets at most the bound plus one response queued, its further
/// requests wait unread in the transport (which stops receiving at its input bound, as Kestrel's
/// <c>MaxRequestBufferSize</c>), and the send-stall deadline ends it.</para>
/// </remarks>
internal sealed partial class HttpConnection : IServerConnection
{
    private readonly WsFastServer _server;
    private readonly TransportLease _transport;
    private long _deadline;            // Environment.TickCount64 by which the expected request must have arrived
    private bool _ending;
    private bool _stopping;
    private long _bodyBytes;           // a request body held while it arrives
    private int _closedOverBudget;
    private EventStreamSubscriber? _eventStream;
    private LongPollWaiter? _longPoll;
    private AddressState? _address;    // the count of ClientAddress's connections this connection is in

    public HttpConnection(WsFastServer server, TransportLease transport)
    {
        _server = server;
        _transport = transport;
        RemoteEndPoint = transport.RemoteEndPoint;
        ClientAddress = AddressKey.Normalize((RemoteEndPoint as IPEndPoint)?.Address ?? IPAddress.None);
        IsSecure = transport.IsSecure;
        _deadline = DeadlineAfter(server.Options.HandshakeTimeout);
    }

    /// <summary>The socket's peer: the client, or the proxy in front of it.</summary>
    public EndPoint? RemoteEndPoint { get; }

    /// <summary>
    /// The client's address for the current request: the socket's peer, or behind a trusted proxy
    /// (<see cref="WsFastServerOptions.TrustedProxies"/>) the address it forwards; IPv4-mapped IPv6 as IPv4. Set
    /// once a request's head is read (<see cref="IdentifyClient"/>), before anything else looks at the request:
    /// the client limits, the log and the upgrade use it.
    /// </summary>
    public IPAddress ClientAddress { get; private set; }

    /// <summary>
    /// Whether the client's request came over TLS: to this server, or to a trusted proxy as it says
    /// (<c>X-Forwarded-Proto</c>, <c>proto=</c>); set with <see cref="ClientAddress"/>.
    /// </summary>
    public bool IsSecure { get; private set; }

    /// <summary>Who the log names: the socket's peer with its port, or the forwarded client's address.</summary>
    internal object? ClientForLog => ForwardedHeaders.ClientForLog(RemoteEndPoint, ClientAddress);

    /// <summary>Whether it came to the admin port: only <c>/metrics</c> and <c>/healthz</c> are served, nothing upgrades.</summary>
    public bool IsAdmin { get; init; }

    /// <summary>The connection's slot in the server's set, taken over by the WebSocket on upgrade.</summary>
    public int Slot { get; set; } = -1;

    long IServerConnection.BufferedBytes => _transport.QueuedBytes + Volatile.Read(ref _bodyBytes);

    /// <summary>Answers a client the server will not serve at all (503 at accept), then lets it go.</summary>
    public static async Task RefuseAsync(TransportLease transport, SharedBuffer response)
    {
        transport.EnqueueLast(response);
        await transport.Input.CompleteAsync().ConfigureAwait(false);
        await transport.Closed.ConfigureAwait(false);
        transport.Dispose();
    }

    /// <summary>The connection's life until it upgrades or ends.</summary>
    public async Task RunAsync()
    {
        bool handedOver = false;
        try
        {
            handedOver = await ServeRequestsAsync().ConfigureAwait(false);
        }
        catch (Exception e)
        {
            OnFailure(e);
        }

        if (!handedOver)
        {
            await EndAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Queues a response: the connection stays open for the next request with <paramref name="keepAlive"/>, and ends once it is out otherwise.</summary>
    public void Respond(SharedBuffer response, bool keepAlive) => Respond(response, 0, response.Length, keepAlive);

    /// <summary>Queues <paramref name="count"/> bytes of <paramref name="response"/> from <paramref name="offset"/> as a response.</summary>
    public void Respond(SharedBuffer response, int offset, int count, bool keepAlive)
    {
        if (keepAlive)
        {
            _transport.Enqueue(response, offset, count);
        }
        else
        {
            _transport.EnqueueLast(response, offset, count);
        }
    }

    /// <summary>Answers with a status and a one-line reason, and ends the connection: an ordinary outcome, not logged.</summary>
    public void Finish(int status, string reason, params KeyValuePair<string, string>[] headers) =>
        Respond(HttpResponses.Status(status, reason, headers), keepAlive: false);

    /// <summary>Answers with an error status and ends the connection; logged (rate-limited) and counted as refused.</summary>
    public void Refuse(int status, string reason, params KeyValuePair<string, string>[] headers) =>
        Refuse(status, reason, HttpResponses.Status(status, reason, headers));

    /// <summary>Like <see cref="Refuse(int, string, KeyValuePair{string, string}[])"/> with a response already rendered.</summary>
    public void Refuse(int status, string reason, SharedBuffer response)
    {
        _server.BadInput.RequestRefused(ClientForLog, status, reason);
        _server.Counters.OnRefused();
        WsFastTracing.Refused(status);
        Respond(response, keepAlive: false);
    }

    /// <summary>
    /// Takes a handshake (a WebSocket upgrade, an event stream, a poll) from the client address's allowance
    /// (<see cref="ClientLimitOptions.HandshakesPerSecond"/>); when none is left, answers 429 with the seconds
    /// until one is, and returns false.
    /// </summary>
    public bool TryStartHandshake()
    {
        if (_address is null || _server.Addresses!.TryHandshake(_address, Environment.TickCount64, out int retryAfter))
        {
            return true;
        }

        RefuseOverLimit(LimitRefusal.HandshakeRate, 429, "too many handshakes from this address",
            KeyValuePair.Create("Retry-After", retryAfter.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        return false;
    }

    /// <summary>Hands the count of the client's connections over to the connection that takes over the transport.</summary>
    internal AddressState? TakeAddress()
    {
        AddressState? address = _address;
        _address = null;
        return address;
    }

    /// <summary>
    /// Reads a request body of <paramref name="length"/> bytes as it arrives, under the request's deadline, into
    /// pooled memory that grows with what has come (a <c>Content-Length</c> alone reserves nothing). Null if the
    /// client left first. The caller returns the body with <see cref="RequestBody.Dispose"/>.
    /// </summary>
    public async ValueTask<RequestBody?> ReadBodyAsync(int length)
    {
        PipeReader input = _transport.Input;
        var body = new RequestBody();
        try
        {
            while (body.Length < length)
            {
                ReadResult result = await input.ReadAsync().ConfigureAwait(false);
                ReadOnlySequence<byte> buffer = result.Buffer;
                long take = Math.Min(buffer.Length, length - body.Length);
                body.Append(buffer.Slice(0, take), length);
                Volatile.Write(ref _bodyBytes, body.Capacity);
                input.AdvanceTo(buffer.GetPosition(take));
                if (body.Length < length && result.IsCompleted)
                {
                    body.Dispose();
                    return null;
                }
            }

            return body;
        }
        catch
        {
            body.Dispose();
            throw;
        }
        finally
        {
            Volatile.Write(ref _bodyBytes, 0);
        }
    }

    /// <summary>
    /// Serves an event stream on this connection: the response head, the history after <paramref name="cursor"/> (none: from now on),
    /// then every message published to <paramref name="topic"/> (held by the caller, released here) until the
    /// client leaves or falls behind.
    /// </summary>
    public async ValueTask StreamEventsAsync(Topic topic, TopicCursor? cursor, SharedBuffer head)
    {
        _deadline = long.MaxValue;
        var subscriber = new EventStreamSubscriber(_server, _transport);
        _transport.Enqueue(head);
        Volatile.Write(ref _eventStream, subscriber);
        int slot = topic.Subscribe(subscriber, cursor);
        try
        {
            if (_stopping)
            {
                subscriber.End();
            }

            await DiscardInputUntilClosedAsync().ConfigureAwait(false);
        }
        finally
        {
            topic.Unsubscribe(slot);
            TopicRegistry.Release(topic);
        }
    }

    /// <summary>
    /// Holds the connection while a long poll waits: true when <paramref name="waiter"/> was offered a message, or
    /// the wait ended by <paramref name="timeout"/>, shutdown or a request pipelined behind the poll (left unread for
    /// the request loop); false when the client left meanwhile.
    /// </summary>
    public async ValueTask<bool> WaitForPollAsync(LongPollWaiter waiter, TimeSpan timeout)
    {
        _deadline = long.MaxValue;
        Volatile.Write(ref _longPoll, waiter);
        if (_stopping)
        {
            waiter.Wake();
        }

        PipeReader input = _transport.Input;
        using var stopTimer = new CancellationTokenSource();
        Task timedOut = Task.Delay(timeout, stopTimer.Token);
        try
        {
            Task<ReadResult> reading = input.ReadAsync().AsTask();
            Task won = await Task.WhenAny(waiter.Arrived, reading, timedOut).ConfigureAwait(false);
            if (won == reading)
            {
                ReadResult result = await reading.ConfigureAwait(false);
                if (result.IsCompleted)
                {
                    input.AdvanceTo(result.Buffer.Start, result.Buffer.End);
                    return false;
                }

                // The next request, pipelined: the wait ends now, and the request is left unread and unexamined
                // for the request loop. Watching the input any longer would mean examining what follows, and a pipe
                // counts examined bytes as read for its input bound: requests would pile up without limit.
                input.AdvanceTo(result.Buffer.Start);
                return true;
            }

            input.CancelPendingRead();
            ReadResult cancelled = await reading.ConfigureAwait(false);
            input.AdvanceTo(cancelled.Buffer.Start);
            return true;
        }
        finally
        {
            stopTimer.Cancel();
            Volatile.Write(ref _longPoll, null);
        }
    }

    void IServerConnection.OnTick(long now)
    {
        if (_transport.StalledFor(now) >= (long)_server.Options.SendStallTimeout.TotalMilliseconds)
        {
            _server.BadInput.SendStalled(_transport.Id, ClientForLog, _transport.QueuedBytes);
            _server.Counters.OnSendStalled();
            _transport.Abort();
            return;
        }

        if (Volatile.Read(ref _ending))
        {
            if (now >= _deadline)
            {
                _transport.Abort();
            }

            return;
        }

        Volatile.Read(ref _eventStream)?.OnTick(now);
        if (now >= Volatile.Read(ref _deadline) && Volatile.Read(ref _authorizing) is not null)
        {
            // An authorizer still running at the request's deadline: the request's own task answers 503.
            StopAuthorizing();
        }
        else if (now >= Volatile.Read(ref _deadline))
        {
            _server.BadInput.RequestTimedOut(ClientForLog);
            _transport.Abort();
        }
    }

    /// <summary>
    /// Graceful shutdown: an event stream ends (its client resumes elsewhere by Last-Event-ID), a long poll is
    /// answered now, and a connection between or inside requests is dropped.
    /// </summary>
    void IServerConnection.Shutdown()
    {
        _stopping = true;
        if (Volatile.Read(ref _eventStream) is { } stream)
        {
            stream.End();
        }
        else if (Volatile.Read(ref _longPoll) is { } poll)
        {
            poll.Wake();
        }
        else
        {
            StopAuthorizing();
            _transport.Abort();
        }
    }

    void IServerConnection.Abort()
    {
        StopAuthorizing();
        _transport.Abort();
    }

    bool IServerConnection.IsClosing => Volatile.Read(ref _ending) || Volatile.Read(ref _closedOverBudget) != 0;

    bool IServerConnection.CloseOverBudget()
    {
        if (Interlocked.Exchange(ref _closedOverBudget, 1) != 0)
        {
            return false;
        }

        _server.BadInput.OverBudget(_transport.Id, ClientForLog, 0, "HTTP connection aborted");
        StopAuthorizing();
        _transport.Abort();
        return true;
    }

    /// <summary>Whether an exception only says that the connection broke.</summary>
    internal static bool IsConnectionLoss(Exception e) =>
        e is System.Net.Sockets.SocketException or IOException or ObjectDisposedException or OperationCanceledException;

    private static long DeadlineAfter(TimeSpan timeout) => Environment.TickCount64 + (long)timeout.TotalMilliseconds;

    /// <summary>
    /// Reads requests until one upgrades the connection (true: the WebSocket owns the transport now) or the
    /// connection should end (false).
    /// </summary>
    private async ValueTask<bool> ServeRequestsAsync()
    {
        PipeReader input = _transport.Input;
        WsFastServerOptions options = _server.Options;
        var reader = new HandshakeReader(options.MaxHeaderBytes, options.MaxHeaderCount, recognizeHixie76: _server.AcceptsHixie76);
        while (true)
        {
            ReadResult result = await input.ReadAsync().ConfigureAwait(false);
            ReadOnlySequence<byte> buffer = result.Buffer;
            HandshakeStatus status = reader.TryRead(buffer, out SequencePosition consumed, out SequencePosition examined,
                out HandshakeRequest? request, out HandshakeError error);
            switch (status)
            {
                case HandshakeStatus.Incomplete:
                    input.AdvanceTo(consumed, examined);
                    if (result.IsCompleted)
                    {
                        return false; // the client left before finishing its request
                    }

                    continue;

                case HandshakeStatus.Refused:
                    input.AdvanceTo(buffer.End);
                    Refuse(error.ToStatusCode(), error.ToReason(), HttpResponses.Error(error));
                    return false;
            }

            input.AdvanceTo(consumed);
            if (!IdentifyClient(request!))
            {
                return false;
            }

            if (!_server.IsHostAllowed(request!.Host))
            {
                // Kestrel's host filtering answers the same: a name this server does not serve (DNS rebinding).
                Refuse(400, "host not allowed");
                return false;
            }

            if (status == HandshakeStatus.Upgrade && !IsAdmin)
            {
                return await UpgradeAsync(request).ConfigureAwait(false);
            }

            if (status == HandshakeStatus.Hixie76Upgrade && !IsAdmin)
            {
                if (!TryStartHandshake())
                {
                    return false;
                }

                return await Hixie76Upgrade.TryAsync(this, _server, _transport, request).ConfigureAwait(false);
            }

            if (!await _server.Router.ServeAsync(this, request).ConfigureAwait(false) || _stopping)
            {
                return false;
            }

            // One request at a time: the next one stays unread until the responses queued for this client are
            // below the bound again. A client that never reads them is ended by the send-stall deadline.
            _deadline = long.MaxValue;
            if (_transport.QueuedBytes >= options.MaxQueuedOutboundBytes || _transport.QueuedCount >= options.MaxQueuedOutboundMessages)
            {
                await _transport.WaitForDrainAsync(options.MaxQueuedOutboundBytes - 1, options.MaxQueuedOutboundMessages - 1).ConfigureAwait(false);
                if (!_transport.CanSend)
                {
                    return false; // aborted meanwhile (the send-stall deadline): the requests behind are not read
                }
            }

            _deadline = DeadlineAfter(options.HandshakeTimeout);
        }
    }

    /// <summary>
    /// Sets <see cref="ClientAddress"/> and <see cref="IsSecure"/> for the request just read, and counts this
    /// connection against that address (<see cref="ClientLimitOptions.MaxConnectionsPerAddress"/>); false when
    /// the request was refused: 400 for a malformed forwarding header from a trusted proxy, 429 at the address's
    /// bound, 503 when the address table is full. Each request is looked at, as a proxy may carry one client's
    /// request after another's on the same connection.
    /// </summary>
    private bool IdentifyClient(HandshakeRequest request)
    {
        IPAddress peer = (RemoteEndPoint as IPEndPoint)?.Address ?? IPAddress.None;
        if (!ForwardedHeaders.TryResolve(peer, request, _server.Options.TrustedProxies, out IPAddress client, out bool? https))
        {
            RefuseOverLimit(LimitRefusal.ForwardedHeader, 400, "malformed forwarding header from a trusted proxy");
            return false;
        }

        ClientAddress = client;
        IsSecure = https ?? _transport.IsSecure;
        if (_server.Addresses is not { } addresses)
        {
            return true;
        }

        UInt128 key = AddressKey.Of(client);
        if (_address is not null)
        {
            if (_address.Key == key)
            {
                return true;
            }

            addresses.Close(TakeAddress()!);
        }

        switch (addresses.TryOpen(key, out _address))
        {
            case AddressRefusal.TooManyConnections:
                // No telling when one of the address's connections ends: a second is a polite first guess.
                RefuseOverLimit(LimitRefusal.ConnectionsPerAddress, 429, "too many connections from this address", KeyValuePair.Create("Retry-After", "1"));
                return false;
            case AddressRefusal.TableFull:
                RefuseOverLimit(LimitRefusal.AddressTableFull, 503, "server busy: too many client addresses", KeyValuePair.Create("Retry-After", "1"));
                return false;
            default:
                return true;
        }
    }

    /// <summary>Answers a client refused by its limits or the proxy rules and ends the connection; counted and logged by kind.</summary>
    private void RefuseOverLimit(LimitRefusal kind, int status, string reason, params KeyValuePair<string, string>[] headers)
    {
        _server.BadInput.LimitRefused(kind, ClientForLog, status, reason);
        _server.Counters.OnRefused();
        _server.Counters.OnLimitRefused(kind);
        WsFastTracing.Refused(status);
        Respond(HttpResponses.Status(status, reason, headers), keepAlive: false);
    }

    /// <summary>Routes an upgrade request and answers it; within the handshake's activity while something listens (<see cref="WsFastTracing"/>).</summary>
    private ValueTask<bool> UpgradeAsync(HandshakeRequest request) =>
        WsFastTracing.HasListeners ? TracedUpgradeAsync(request) : TryUpgradeAsync(request);

    private async ValueTask<bool> TracedUpgradeAsync(HandshakeRequest request)
    {
        System.Diagnostics.Activity? handshake = WsFastTracing.StartHandshake(request, ClientAddress);
        bool upgraded = false;
        try
        {
            upgraded = await TryUpgradeAsync(request).ConfigureAwait(false);
            return upgraded;
        }
        finally
        {
            WsFastTracing.EndHandshake(handshake, upgraded);
        }
    }

    /// <summary>Routes an upgrade request and answers it: 101 and hand over, or a refusal and close.</summary>
    private async ValueTask<bool> TryUpgradeAsync(HandshakeRequest request)
    {
        if (_server.IsStopping)
        {
            // Shutdown has already sent its 1001s: a connection opened now would miss them.
            Refuse(503, "server shutting down");
            return false;
        }

        if (!TryStartHandshake())
        {
            return false;
        }

        WebSocketEndpoint? endpoint = _server.FindEndpoint(request.Path, out string? topicName);
        if (endpoint is null)
        {
            Refuse(404, "no WebSocket endpoint at this path");
            return false;
        }

        if (topicName is not null && !TopicRegistry.IsValidName(topicName))
        {
            HttpRefusal.InvalidTopicName.Send(this);
            return false;
        }

        // A broadcast connection may resume its topic from a cursor, as an event stream does (TopicEnvelope).
        TopicCursor? resumeFrom = null;
        if (topicName is not null && HttpRouter.QueryValue(request.Query, "after") is { } afterText)
        {
            if (!TopicCursor.TryParse(afterText, out TopicCursor cursor))
            {
                Refuse(400, "after is a cursor: epoch:sequence, or a sequence number");
                return false;
            }

            resumeFrom = cursor;
        }

        if (!_server.IsOriginAllowed(endpoint, request.Origin))
        {
            Refuse(403, "origin not allowed");
            return false;
        }

        AuthorizationResult? granted = null;
        RequestAuthorizer? authorizer = endpoint.Authorizer ?? _server.Options.Authorizer;
        if (authorizer is not null)
        {
            granted = await AuthorizeAsync(authorizer, AuthorizationRequestKind.WebSocket, request, endpoint, topicName).ConfigureAwait(false);
            if (granted is null)
            {
                return false;
            }

            if (_server.IsStopping || !_transport.CanSend)
            {
                Refuse(503, "server shutting down");
                return false;
            }
        }

        string? subProtocol = endpoint.ChooseSubProtocol(request.Subprotocols);
        if (granted?.SubProtocol is { } chosen)
        {
            if (!request.Subprotocols.Contains(chosen))
            {
                AuthorizerFailed(new InvalidOperationException($"The authorizer chose the subprotocol '{chosen}', which the client did not offer."), request);
                return false;
            }

            subProtocol = chosen;
        }

        // Only an accepted upgrade holds a topic: a refused one leaves nothing behind.
        Topic? topic = topicName is null ? null : _server.Topics.Acquire(topicName);
        ConnectionAuthorization? authorization = granted is null ? null : Grant(granted, authorizer, topicName);
        // RFC 7692: the first acceptable permessage-deflate offer, if the endpoint takes any; otherwise none.
        DeflateAgreement? deflate = null;
        if (endpoint.PerMessageDeflate is { } deflateOptions && ZLib.IsAvailable
            && DeflateNegotiation.TryAccept(request.ParseExtensions(), deflateOptions.Policy, out DeflateAgreement agreement))
        {
            deflate = agreement;
        }

        var connection = new WebSocketConnection(_server, _transport, Slot, RemoteEndPoint, request, endpoint, subProtocol, topic, deflate, authorization)
        {
            ClientAddress = ClientAddress,
            IsSecure = IsSecure,
            Address = TakeAddress(),
            ResumeFrom = resumeFrom,
        };
        if (granted?.UserState is { } state)
        {
            connection.UserState = state;
        }

        _transport.Enqueue(HttpResponses.SwitchingProtocols(request.Key, subProtocol, connection.Extensions));
        _server.HandOver(Slot, connection);
        _ = connection.RunAsync();
        return true;
    }

    private void OnFailure(Exception e)
    {
        if (IsConnectionLoss(e))
        {
            Log.Aborted(_server.Logger, _transport.Id, e.Message);
        }
        else
        {
            _server.BadInput.Unexpected(e, _transport.Id);
            _transport.Abort();
        }
    }

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

    private async ValueTask EndAsync()
    {
        // Reading is over: the transport discards whatever else arrives until the peer closes its side. What is
        // still queued gets the close timeout to go out, so a peer that stops reading cannot hold us forever.
        await _transport.Input.CompleteAsync().ConfigureAwait(false);
        _deadline = DeadlineAfter(_server.Options.CloseTimeout);
        Volatile.Write(ref _ending, true);
        _transport.CompleteOutput();
        await _transport.Closed.ConfigureAwait(false);
        _server.ReleaseAddress(TakeAddress());
        _server.Unregister(Slot);
        _transport.Dispose();
    }
}
