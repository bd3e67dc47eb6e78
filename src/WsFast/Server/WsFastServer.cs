using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using WsFast.Hosting;
using WsFast.Transport;
using WsFast.Server;

namespace WsFast;

/// <summary>
/// A WebSocket server: listens, upgrades requests on mapped paths, and runs each connection through its
/// endpoint's <see cref="WebSocketHandler"/>. Plain HTTP requests on the same port get mapped content,
/// <c>/healthz</c>, <c>/metrics</c>, the broadcast routes, or a precise refusal.
/// </summary>
/// <example>
/// <code>
/// var server = new WsFastServer(new WsFastServerOptions());
/// server.Map("/echo", new EchoHandler());
/// await server.StartAsync();
/// </code>
/// </example>
public sealed class WsFastServer : IAsyncDisposable
{
    private readonly Dictionary<string, WebSocketEndpoint> _endpoints = new(StringComparer.Ordinal);
    private readonly ConnectionSet<IServerConnection> _connections = new();
    private readonly ILoggerFactory _loggerFactory;
    private readonly Stopwatch _uptime = new();
    private readonly WsFastMetrics _metrics;
    private readonly IServiceProvider? _services;
    private SocketListener? _listener;
    private SocketListener? _tlsListener;
    private SocketListener? _adminListener;
    private TlsCertificates? _certificates;
    private bool _started;
    private CancellationTokenSource? _timerStop;
    private Task _timer = Task.CompletedTask;
    private TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _connectionCount;
    private long _bufferedBytes;
    private volatile bool _overBudget;
    private long _lastHousekeeping;
    private volatile bool _stopping;
    private bool _brokerStarted;

    /// <summary>Creates a server with the given options; nothing listens until <see cref="StartAsync"/>.</summary>
    /// <param name="options">Addresses, limits, timeouts.</param>
    /// <param name="loggerFactory">Where the server logs, and whose scopes carry each connection's id to the handlers' loggers; none: no logging.</param>
    /// <param name="meterFactory">Makes the <c>WsFast</c> meter (in a host, the host's); none: the server makes its own.</param>
    /// <exception cref="ArgumentException">An option is out of its range (the message names it).</exception>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("ApiDesign", "RS0027:API with optional parameter(s) should have the most parameters amongst its public overloads", Justification = "The overload taking an IServiceProvider is not an extension of this one: its logger and meter factories come from the services.")]
    public WsFastServer(WsFastServerOptions options, ILoggerFactory? loggerFactory = null, IMeterFactory? meterFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        _loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        Logger = _loggerFactory.CreateLogger<WsFastServer>();
        BadInput = new BadInputLog(Logger);
        Router = new HttpRouter(this);
        Topics = new TopicRegistry(options.Broadcast, Counters) { Connections = Connections };
        if (options.Broker.Kind == BrokerKind.Redis)
        {
            Topics.Broker = new RedisBroker(Topics, options.Broker, _loggerFactory.CreateLogger("WsFast.Broker"));
            Topics.MirrorLingerMilliseconds = (long)options.Broker.UnsubscribeDelay.TotalMilliseconds;
        }
        _metrics = new WsFastMetrics(this, meterFactory);
        Counters.Metrics = _metrics;
        Scrape = new PrometheusScrape(_metrics);
        Addresses = options.ClientLimits.LimitsAddresses ? new AddressTable(options.ClientLimits) : null;
    }

    /// <summary>
    /// Creates a server whose handlers may come from <paramref name="services"/> (<see cref="Map{THandler}"/>),
    /// logging through its <see cref="ILoggerFactory"/> and measured by a meter of its <see cref="IMeterFactory"/>;
    /// <c>AddWsFast</c> makes servers this way.
    /// </summary>
    /// <exception cref="ArgumentException">An option is out of its range (the message names it).</exception>
    public WsFastServer(WsFastServerOptions options, IServiceProvider services)
        : this(options, (services ?? throw new ArgumentNullException(nameof(services))).GetService<ILoggerFactory>(), services.GetService<IMeterFactory>())
    {
        _services = services;
    }

    /// <summary>The options the server was created with. Do not change them once started.</summary>
    public WsFastServerOptions Options { get; }

    /// <summary>Running totals since start.</summary>
    public ServerCounters Counters { get; } = new();

    /// <summary>The addresses actually listened on without TLS (with the ports picked for port 0).</summary>
    public IReadOnlyList<IPEndPoint> EndPoints => _listener?.EndPoints ?? [];

    /// <summary>The addresses actually listened on with TLS (<see cref="WsFastServerOptions.Tls"/>); empty without.</summary>
    public IReadOnlyList<IPEndPoint> TlsEndPoints => _tlsListener?.EndPoints ?? [];

    /// <summary>
    /// The addresses actually listened on for <c>/metrics</c> and the detailed <c>/healthz</c>
    /// (<see cref="WsFastServerOptions.AdminEndpoints"/>); empty without.
    /// </summary>
    public IReadOnlyList<IPEndPoint> AdminEndPoints => _adminListener?.EndPoints ?? [];

    /// <summary>Connections held now, upgraded or still reading HTTP requests.</summary>
    public int ConnectionCount => Volatile.Read(ref _connectionCount);

    /// <summary>
    /// Bytes held for peers at the server's last timer tick: every connection's queued output and the message it
    /// is assembling, and the receive memory in use. Bounded by <see cref="WsFastServerOptions.MemoryBudget"/>.
    /// </summary>
    public long BufferedBytes => Interlocked.Read(ref _bufferedBytes);

    /// <summary>Time since <see cref="StartAsync"/>.</summary>
    public TimeSpan Uptime => _uptime.Elapsed;

    /// <summary>The topics: publish to them, count their subscribers.</summary>
    public TopicRegistry Topics { get; }

    /// <summary>The open WebSocket connections, to find one by its id.</summary>
    public WebSocketConnections Connections { get; } = new();

    /// <summary>True once a broadcast endpoint is mapped: the publish, event stream and poll routes answer.</summary>
    public bool HasBroadcast { get; private set; }

    /// <summary>The WebSocket endpoints, by path.</summary>
    public IReadOnlyDictionary<string, WebSocketEndpoint> Endpoints => _endpoints;

    internal ILogger Logger { get; }

    internal BadInputLog BadInput { get; }

    internal HttpRouter Router { get; }

    /// <summary>The per-address counts, when a per-address limit is on.</summary>
    internal AddressTable? Addresses { get; }

    internal bool IsStopping => _stopping;

    /// <summary>Whether the buffered bytes were over <see cref="WsFastServerOptions.MemoryBudget"/> at the last tick.</summary>
    internal bool IsOverBudget => _overBudget;

    /// <summary>Whether <see cref="StartAsync"/> has run.</summary>
    internal bool IsStarted => _started;

    /// <summary>Whether the logger factory may write anything (a scope per connection is pointless otherwise).</summary>
    internal bool Logs => _loggerFactory is not NullLoggerFactory;

    /// <summary>The server's instruments.</summary>
    internal WsFastMetrics Metrics => _metrics;

    /// <summary><c>/metrics</c>: the instruments in the Prometheus text format.</summary>
    internal PrometheusScrape Scrape { get; }

    /// <summary>Whether <c>/metrics</c> and the detailed <c>/healthz</c> are served on an admin port rather than the public ones.</summary>
    internal bool HasAdminEndpoints => Options.AdminEndpoints.Count > 0;

    /// <summary>The pools of the plain listener's connections, once started.</summary>
    internal SocketConnectionPool? ConnectionPool => _listener?.Pool;

    /// <summary>The pools of the TLS listener's connections, once started.</summary>
    internal SocketConnectionPool? TlsConnectionPool => _tlsListener?.Pool;

    /// <summary>Serves WebSocket connections on <paramref name="path"/> (exact match) with <paramref name="handler"/>.</summary>
    public WebSocketEndpoint Map(string path, WebSocketHandler handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        CheckPath(path);
        var endpoint = new WebSocketEndpoint(path, handler, Counters, Options.MaxMessageSize) { PerMessageDeflate = Options.PerMessageDeflate };
        _endpoints.Add(path, endpoint);
        return endpoint;
    }

    /// <summary>
    /// Serves WebSocket connections on <paramref name="path"/> with a <typeparamref name="THandler"/> of their own,
    /// made from the server's services in a service scope that lives as long as the connection (as ASP.NET Core
    /// SignalR does for hubs): registered services are resolved, an unregistered <typeparamref name="THandler"/> is
    /// constructed with its dependencies. The scope is disposed after the handler's
    /// <see cref="WebSocketHandler.OnDisconnectedAsync"/>. A connection whose handler cannot be made is closed with
    /// 1011, and the failure logged.
    /// </summary>
    /// <exception cref="InvalidOperationException">The server has no services: it was not made by <c>AddWsFast</c> or with an <see cref="IServiceProvider"/>.</exception>
    public WebSocketEndpoint Map<THandler>(string path)
        where THandler : WebSocketHandler
    {
        IServiceProvider services = _services ?? throw new InvalidOperationException(
            $"Map<{typeof(THandler).Name}>(\"{path}\") makes its handlers from services, and this server has none: make it with AddWsFast, or with the constructor that takes an IServiceProvider, or map an instance with Map(path, handler).");
        return Map(path, new ScopedHandler<THandler>(services, Logger));
    }

    /// <summary>
    /// Serves topics over WebSocket: <paramref name="path"/> subscribes to <paramref name="defaultTopic"/>, and
    /// <c>{path}/{topic}</c> to any other topic. Also turns on the HTTP routes of
    /// <see cref="WsFastServerOptions.Broadcast"/>: publishing, Server-Sent Events and polling.
    /// </summary>
    /// <param name="path">The endpoint's path.</param>
    /// <param name="relayClientMessages">
    /// Whether what a client sends is published to its topic (everyone subscribed gets it, the sender included),
    /// within <see cref="BroadcastOptions.MaxPublishBytes"/> and <see cref="BroadcastOptions.RelayRate"/>. Off,
    /// the default, clients only receive: publishing is for <c>POST /publish</c> (and its token) and server code,
    /// and a client that sends a message is closed with 1008.
    /// </param>
    /// <param name="defaultTopic">The topic of the plain path.</param>
    public WebSocketEndpoint MapBroadcast(string path, bool relayClientMessages = false, string defaultTopic = "default")
    {
        CheckPath(path);
        if (!TopicRegistry.IsValidName(defaultTopic))
        {
            throw new ArgumentException($"A topic name is {TopicRegistry.NameRule}.", nameof(defaultTopic));
        }

        // A relayed message becomes a publish: the publish bound applies as it arrives.
        long maxMessageSize = relayClientMessages ? Math.Min(Options.MaxMessageSize, Options.Broadcast.MaxPublishBytes) : Options.MaxMessageSize;
        var endpoint = new WebSocketEndpoint(path, new TopicHandler(Options.Broadcast), Counters, maxMessageSize, defaultTopic, relayClientMessages)
        {
            PerMessageDeflate = Options.PerMessageDeflate,
        };
        _endpoints.Add(path, endpoint);
        HasBroadcast = true;
        return endpoint;
    }

    /// <summary>Answers <c>GET <paramref name="path"/></c> with fixed content, such as a page.</summary>
    public void MapContent(string path, string contentType, byte[] body)
    {
        CheckPath(path);
        ArgumentException.ThrowIfNullOrWhiteSpace(contentType);
        ArgumentNullException.ThrowIfNull(body);
        Router.Map(path, contentType, body);
    }

    /// <summary>Reads the TLS certificates, if any, binds the endpoints and starts accepting connections.</summary>
    /// <exception cref="System.Net.Sockets.SocketException">An address could not be bound; nothing stays bound.</exception>
    /// <exception cref="InvalidOperationException">Already started, or a TLS certificate could not be read (the message says which and why).</exception>
    public Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (_started)
        {
            throw new InvalidOperationException("The server is already started.");
        }

        if (Topics.Broker.IsShared && !_brokerStarted)
        {
            return StartBrokerThenListenAsync(cancellationToken);
        }

        foreach (WebSocketEndpoint endpoint in _endpoints.Values)
        {
            OriginAllowList.Validate(endpoint.AllowedOrigins, $"{endpoint.Path}: {nameof(WebSocketEndpoint.AllowedOrigins)}");
        }

        TlsOptions? tls = Options.Tls;
        (IPEndPoint[] endpoints, IPEndPoint[] tlsEndpoints) = ListenUrls.Resolve(Options);
        _certificates = tls is null ? null : new TlsCertificates(tls, Logger);
        _started = true;
        try
        {
            if (endpoints.Length > 0)
            {
                _listener = new SocketListener(endpoints, OnAccepted, TransportOptions(), _loggerFactory.CreateLogger<SocketListener>());
                _listener.Start();
            }

            if (HasAdminEndpoints)
            {
                _adminListener = new SocketListener([.. Options.AdminEndpoints], OnAdminAccepted, TransportOptions(), _loggerFactory.CreateLogger<SocketListener>());
                _adminListener.Start();
            }

            if (tls is not null)
            {
                SocketTransportOptions transport = TransportOptions();
                transport.Tls = new Transport.Tls.TlsServerContext(_certificates!.SelectAsync, OnTlsHandshakeFailed);
                _tlsListener = new SocketListener(tlsEndpoints, OnAccepted, transport, _loggerFactory.CreateLogger<SocketListener>());
                _tlsListener.Start();
                if (tls.WatchCertificateFiles)
                {
                    _certificates.StartWatching();
                }
            }
        }
        catch
        {
            _listener?.Dispose();
            _tlsListener?.Dispose();
            _adminListener?.Dispose();
            throw;
        }

        _uptime.Start();
        if (Options.PoisonReceiveBuffers)
        {
            Log.PoisonReceiveBuffersOn(Logger);
        }

        foreach (IPEndPoint endpoint in EndPoints)
        {
            Log.Listening(Logger, endpoint);
        }

        foreach (IPEndPoint endpoint in TlsEndPoints)
        {
            Log.ListeningTls(Logger, endpoint);
        }

        foreach (IPEndPoint endpoint in AdminEndPoints)
        {
            Log.ListeningAdmin(Logger, endpoint);
        }

        _timerStop = new CancellationTokenSource();
        _timer = RunTimerAsync(_timerStop.Token);
        return Task.CompletedTask;
    }

    // Before any port is bound: a broker whose configuration cannot be used stops the start. One that cannot be
    // reached yet does not: the server serves, refuses publishes with 503, and catches up once it is reached.
    private async Task StartBrokerThenListenAsync(CancellationToken cancellationToken)
    {
        await Topics.Broker.StartAsync(cancellationToken).ConfigureAwait(false);
        _brokerStarted = true;
        await StartAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Reads the TLS certificates again (<see cref="WsFastServerOptions.Tls"/>), for renewals: new handshakes use
    /// the new ones, open connections go on as they are. If any certificate cannot be read, those in use stay and
    /// this throws, saying which and why.
    /// </summary>
    /// <exception cref="InvalidOperationException">No TLS is configured, the server is not started, or a certificate could not be read.</exception>
    public void ReloadCertificates()
    {
        TlsCertificates certificates = _certificates ?? throw new InvalidOperationException("The server has no TLS certificates: TLS is not configured or the server is not started.");
        try
        {
            certificates.Reload();
        }
        catch (InvalidOperationException e)
        {
            Log.CertificateReloadFailed(Logger, e.Message);
            throw;
        }
    }

    /// <summary>
    /// Graceful shutdown: stops accepting, sends 1001 to every open connection, waits up to
    /// <see cref="WsFastServerOptions.ShutdownTimeout"/> for the close handshakes, then closes what remains.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (!_started || _stopping)
        {
            return;
        }

        _stopping = true;
        _listener?.StopAccepting();
        _tlsListener?.StopAccepting();
        Log.Stopping(Logger, ConnectionCount);
        foreach (IServerConnection? connection in _connections.Snapshot())
        {
            connection?.Shutdown();
        }

        if (ConnectionCount > 0)
        {
            Task drained = _drained.Task;
            if (ConnectionCount > 0)
            {
                await Task.WhenAny(drained, Task.Delay(Options.ShutdownTimeout, cancellationToken)).ConfigureAwait(false);
            }

            foreach (IServerConnection? connection in _connections.Snapshot())
            {
                connection?.Abort();
            }

            await Task.WhenAny(drained, Task.Delay(TimeSpan.FromSeconds(1), CancellationToken.None)).ConfigureAwait(false);
        }

        _timerStop?.Cancel();
        await _timer.ConfigureAwait(false);

        // The admin port answered /healthz with 503 through the drain; there is nothing left to report.
        _adminListener?.StopAccepting();
        Log.Stopped(Logger);
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _listener?.Dispose();
        _tlsListener?.Dispose();
        _adminListener?.Dispose();
        _certificates?.Dispose();
        _timerStop?.Dispose();
        await Topics.Broker.DisposeAsync().ConfigureAwait(false);
        Scrape.Dispose();
        _metrics.Dispose();

        // The histories' references to their messages' buffers are the server's own (queued sends hold theirs).
        foreach (Topic topic in Topics.All)
        {
            topic.ReleaseHistory();
        }
    }

    /// <summary>The endpoint of <paramref name="path"/>, and for a broadcast endpoint the topic the path names.</summary>
    internal WebSocketEndpoint? FindEndpoint(string path, out string? topic)
    {
        topic = null;
        if (_endpoints.TryGetValue(path, out WebSocketEndpoint? endpoint))
        {
            topic = endpoint.DefaultTopic;
            return endpoint;
        }

        int slash = path.LastIndexOf('/');
        if (slash > 0 && _endpoints.TryGetValue(path[..slash], out endpoint) && endpoint.IsBroadcast)
        {
            topic = path[(slash + 1)..];
            return endpoint;
        }

        return null;
    }

    internal bool IsOriginAllowed(WebSocketEndpoint endpoint, string? origin)
    {
        List<string> allowed = endpoint.AllowedOrigins.Count > 0 ? endpoint.AllowedOrigins : Options.AllowedOrigins;
        if (allowed.Count == 0)
        {
            return true;
        }

        if (origin is null)
        {
            return false;
        }

        foreach (string entry in allowed)
        {
            if (OriginAllowList.Matches(entry, origin))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Whether a request's <c>Host</c> names this server (<see cref="WsFastServerOptions.AllowedHosts"/>): the
    /// host without its port, compared case-insensitively; <c>*.example.com</c> allows every subdomain.
    /// </summary>
    internal bool IsHostAllowed(string host)
    {
        List<string> allowed = Options.AllowedHosts;
        if (allowed.Count == 0)
        {
            return true;
        }

        // "example.com." is the same name as "example.com" (the root's empty label written out).
        ReadOnlySpan<char> name = HostWithoutPort(host).TrimEnd('.');
        foreach (string candidate in allowed)
        {
            if (candidate.StartsWith("*.", StringComparison.Ordinal)
                ? name.EndsWith(candidate.AsSpan(1), StringComparison.OrdinalIgnoreCase) && name.Length > candidate.Length - 1
                : name.Equals(candidate, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;

        static ReadOnlySpan<char> HostWithoutPort(string host)
        {
            if (host.StartsWith('['))
            {
                int close = host.IndexOf(']');
                return close < 0 ? host : host.AsSpan(0, close + 1);
            }

            int colon = host.LastIndexOf(':');
            return colon < 0 ? host : host.AsSpan(0, colon);
        }
    }

    /// <summary>
    /// Puts <paramref name="connection"/> under the timer, the memory budget and shutdown; returns its slot.
    /// Counting it in <see cref="ConnectionCount"/> is the caller's part.
    /// </summary>
    internal int Track(IServerConnection connection) => _connections.Add(connection);

    /// <summary>The HTTP connection in <paramref name="slot"/> upgraded: the WebSocket takes its place.</summary>
    internal void HandOver(int slot, IServerConnection connection) => _connections.Replace(slot, connection);

    /// <summary>Whether an endpoint speaks draft 76 (<see cref="WebSocketEndpoint.LegacyHixie76"/>): only then is a draft-76 request told from any other upgrade without version 13.</summary>
    internal bool AcceptsHixie76
    {
        get
        {
            foreach (WebSocketEndpoint endpoint in _endpoints.Values)
            {
                if (endpoint.LegacyHixie76)
                {
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>A connection counted against its client address ended.</summary>
    internal void ReleaseAddress(AddressState? address)
    {
        if (address is not null)
        {
            Addresses!.Close(address);
        }
    }

    internal void Unregister(int slot)
    {
        if (slot < 0)
        {
            return;
        }

        _connections.Remove(slot);
        if (Interlocked.Decrement(ref _connectionCount) == 0 && _stopping)
        {
            _drained.TrySetResult();
        }
    }

    private void OnAccepted(SocketConnection socket) => Accept(socket, admin: false);

    private void OnAdminAccepted(SocketConnection socket) => Accept(socket, admin: true);

    private void Accept(SocketConnection socket, bool admin)
    {
        Counters.OnAccepted();
        TransportLease transport = socket.Lease();
        // The admin port stays open through the drain, for /healthz to say so.
        string? refusal = _stopping && !admin ? "server shutting down"
            : _overBudget ? "server busy: over its memory budget"
            : null;
        if (refusal is null && Interlocked.Increment(ref _connectionCount) > Options.MaxConnections)
        {
            Interlocked.Decrement(ref _connectionCount);
            refusal = "server busy: too many connections";
        }

        if (refusal is not null)
        {
            BadInput.ConnectionRefused(transport.RemoteEndPoint, refusal);
            Counters.OnRefused();
            _ = HttpConnection.RefuseAsync(transport, HttpResponses.Status(503, refusal, KeyValuePair.Create("Retry-After", "1")));
            return;
        }

        var connection = new HttpConnection(this, transport) { IsAdmin = admin };
        connection.Slot = Track(connection);
        _ = connection.RunAsync();
    }

    private SocketTransportOptions TransportOptions() => new()
    {
        LingerTimeout = Options.CloseTimeout,
        InputPauseThreshold = Options.MaxUnreadInputBytes,
        InputResumeThreshold = Options.MaxUnreadInputBytes / 2,
        UseEpoll = Options.SocketEngine == SocketEngine.Epoll,
        PoisonReturnedBlocks = Options.PoisonReceiveBuffers,
    };

    // A handshake the client broke: one rate-limited line with the innermost reason (OpenSSL's own words, such
    // as "wrong version number" for plaintext on the TLS port), and the counter.
    private void OnTlsHandshakeFailed(EndPoint? remote, Exception exception)
    {
        Counters.OnTlsHandshakeFailed();
        Exception innermost = exception;
        while (innermost.InnerException is not null)
        {
            innermost = innermost.InnerException;
        }

        BadInput.TlsHandshakeFailed(remote, innermost == exception ? exception.Message : $"{exception.Message} ({innermost.Message})");
    }

    private async Task RunTimerAsync(CancellationToken stop)
    {
        using var timer = new PeriodicTimer(TickInterval());
        try
        {
            while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false))
            {
                try
                {
                    OnTick(Environment.TickCount64);
                }
                catch (Exception e)
                {
                    // Whatever failed, the deadlines must go on being enforced at the next tick.
                    BadInput.TimerFailed(e);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    // Every connection's deadlines, then the memory budget; about once a second, topic expiry and pool trimming.
    private void OnTick(long now)
    {
        long buffered = 0;
        foreach (IServerConnection? connection in _connections.Snapshot())
        {
            if (connection is null)
            {
                continue;
            }

            try
            {
                connection.OnTick(now);
                buffered += connection.BufferedBytes;
            }
            catch (Exception e)
            {
                // One connection's failure must not stop every other connection's deadlines.
                BadInput.TimerFailed(e);
            }
        }

        buffered += (_listener?.Pool.BlockPool.InUseBytes ?? 0) + (_tlsListener?.Pool.BlockPool.InUseBytes ?? 0);

        Interlocked.Exchange(ref _bufferedBytes, buffered);
        EnforceBudget(buffered);

        if (now - _lastHousekeeping >= 1000)
        {
            _lastHousekeeping = now;
            try
            {
                Topics.Expire(now);
                Topics.Broker.OnTick(now);
                Addresses?.Expire(now);

                // Pinned memory a burst needed goes back once the burst is over (see the pools' Trim).
                _listener?.Pool.BlockPool.Trim();
                _tlsListener?.Pool.BlockPool.Trim();
                SharedBufferPool.Shared.Trim();
            }
            catch (Exception e)
            {
                BadInput.TimerFailed(e);
            }
        }
    }

    /// <summary>
    /// Over <see cref="WsFastServerOptions.MemoryBudget"/>: new connections get 503 until it is back under, and
    /// the connections holding the most are closed, largest first, until what is left fits.
    /// </summary>
    private void EnforceBudget(long buffered)
    {
        long budget = Options.MemoryBudget;
        if (buffered <= budget)
        {
            _overBudget = false;
            return;
        }

        if (!_overBudget)
        {
            _overBudget = true;
            Log.BudgetExceeded(Logger, buffered, budget);
        }

        // Rare, so a list is fine here. What connections already closing hold is about to be freed: counting it
        // would close more connections than the budget needs.
        var holders = new List<(long Bytes, IServerConnection Connection)>();
        foreach (IServerConnection? connection in _connections.Snapshot())
        {
            long held = connection?.BufferedBytes ?? 0;
            if (held <= 0)
            {
                continue;
            }

            if (connection!.IsClosing)
            {
                buffered -= held;
            }
            else
            {
                holders.Add((held, connection));
            }
        }

        holders.Sort(static (a, b) => b.Bytes.CompareTo(a.Bytes));
        foreach ((long bytes, IServerConnection connection) in holders)
        {
            if (buffered <= budget)
            {
                break;
            }

            try
            {
                if (connection.CloseOverBudget())
                {
                    Counters.OnOverBudgetClose();
                }
            }
            catch (Exception e)
            {
                BadInput.TimerFailed(e);
            }

            buffered -= bytes;
        }
    }

    // A quarter of the shortest timeout, so that every deadline is met within 25% of its length.
    private TimeSpan TickInterval()
    {
        TimeSpan shortest = Min(Min(Options.HandshakeTimeout, Options.CloseTimeout), Options.SendStallTimeout);
        if (Options.PingInterval > TimeSpan.Zero)
        {
            shortest = Min(shortest, Min(Options.PingInterval, Options.PingTimeout));
        }

        if (Options.IdleTimeout > TimeSpan.Zero)
        {
            shortest = Min(shortest, Options.IdleTimeout);
        }

        return TimeSpan.FromMilliseconds(Math.Clamp(shortest.TotalMilliseconds / 4, 10, 1000));

        static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
    }

    private static void CheckPath(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!path.StartsWith('/') || path.Contains('?'))
        {
            throw new ArgumentException("A path starts with '/' and has no query.", nameof(path));
        }
    }
}
