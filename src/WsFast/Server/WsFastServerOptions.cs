using System.Net;
using WsFast.Protocol;
using WsFast.Server;

namespace WsFast;

/// <summary>
/// Everything a <see cref="WsFastServer"/> can be told: where to listen, and a bound for every resource a
/// client can make it spend. Each default is safe for a public-facing server.
/// </summary>
public sealed class WsFastServerOptions
{
    /// <summary>
    /// Addresses to listen on without TLS, beside those of <see cref="Urls"/>. Default, when neither lists any and
    /// <see cref="Tls"/> is not set: 127.0.0.1:8080.
    /// </summary>
    public List<IPEndPoint> Endpoints { get; } = [];

    /// <summary>
    /// Addresses to listen on as URLs, as Kestrel's <c>Urls</c>: <c>http://0.0.0.0:8080</c>, <c>https://*:8443</c>,
    /// <c>http://localhost:9000</c>, <c>http://[::1]:80</c>. <c>https</c> (or <c>wss</c>) listens with TLS and needs
    /// <see cref="TlsOptions.Certificate"/>; <c>http</c> (or <c>ws</c>) without. The host is <c>*</c> or <c>+</c>
    /// (every IPv4 and IPv6 address), <c>localhost</c> (both loopback addresses), or an IP address; port 0 picks a
    /// free port (<see cref="WsFastServer.EndPoints"/> tells which) on a single address. A path or a host name is
    /// refused when the server is made: the server serves its paths on every address, and names to answer to go in
    /// <see cref="AllowedHosts"/>. Adds to <see cref="Endpoints"/> and <see cref="TlsOptions.Endpoints"/>.
    /// </summary>
    public List<string> Urls { get; } = [];

    /// <summary>
    /// Time a client has to send an HTTP request, head and body, from the moment the connection is ready for it
    /// (the accept, or the previous response); on a TLS endpoint the first request's time includes the TLS
    /// handshake. Default 10 s.
    /// </summary>
    public TimeSpan HandshakeTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Time the close handshake may take before the TCP connection is closed anyway. Default 5 s.</summary>
    public TimeSpan CloseTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How often an open connection is pinged when nothing arrives from it. Default 30 s; zero disables.</summary>
    public TimeSpan PingInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a ping may go unanswered before the peer is considered gone. Default 20 s.</summary>
    public TimeSpan PingTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>
    /// How long a connection may go without a message in either direction before it is closed with
    /// 1000 "idle timeout".
    /// Pings and pongs do not count. Default: zero, never.
    /// </summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.Zero;

    /// <summary>
    /// How long a connection's output may have bytes queued without a send completing before the connection is
    /// aborted, whatever the peer sends meanwhile: a peer that does not read is gone. Sends go out in pieces of at
    /// most 256 KiB, so a live reader slower than about 9 KiB/s is also cut at the default. Default 30 s.
    /// </summary>
    public TimeSpan SendStallTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Time graceful shutdown waits for clients to answer their 1001 close. Default 5 s.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Largest message, over all its fragments, and largest frame; beyond it the connection closes with 1009. Default 16 MiB.</summary>
    public long MaxMessageSize { get; set; } = FrameReaderOptions.DefaultMaxMessageSize;

    /// <summary>Largest HTTP request header block; beyond it the request gets 431. Default 8 KiB.</summary>
    public int MaxHeaderBytes { get; set; } = 8 * 1024;

    /// <summary>Most header fields in a request; beyond it the request gets 431. Default 100.</summary>
    public int MaxHeaderCount { get; set; } = 100;

    /// <summary>Most connections at once, upgraded or not; beyond it a new client gets 503. Default 100,000.</summary>
    public int MaxConnections { get; set; } = 100_000;

    /// <summary>
    /// Outbound bytes a connection may have queued and not yet sent. At the bound a handler's send waits until
    /// the queue drains below it, a broadcast applies the slow-consumer policy, an event stream ends, and an HTTP
    /// connection reads no further request. Default 1 MiB.
    /// </summary>
    public long MaxQueuedOutboundBytes { get; set; } = 1024 * 1024;

    /// <summary>
    /// Outbound messages (frames, events, responses) a connection may have queued and not yet sent; the same
    /// rule as <see cref="MaxQueuedOutboundBytes"/> applies at this bound. Default 1,024.
    /// </summary>
    public int MaxQueuedOutboundMessages { get; set; } = 1024;

    /// <summary>
    /// Received bytes a connection may hold unread (requests pipelined behind one being answered, frames behind
    /// a message a handler is still processing) before it stops receiving until they are read, as Kestrel's
    /// <c>MaxRequestBufferSize</c>. Default 1 MiB. At the bound a connection holds at most two receive buffers
    /// more: 64 KiB each with a bound of 1 MiB or more, 4 KiB each below that.
    /// </summary>
    public long MaxUnreadInputBytes { get; set; } = 1024 * 1024;

    /// <summary>
    /// A budget for the whole process: bytes all connections together may hold for their peers (queued output,
    /// messages being assembled, received bytes not yet read). Past it, new connections get 503 and the
    /// connections holding the most are closed (1008, or 1009 for one sending a large message) until the rest
    /// fits. Default: a quarter of the memory available to the process.
    /// </summary>
    public long MemoryBudget { get; set; } = Math.Max(64L * 1024 * 1024, GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 4);

    /// <summary>
    /// Origins allowed to open WebSockets, compared ignoring case: exact (<c>https://example.com</c>, with
    /// <c>:port</c> when not the scheme's default) or every subdomain of a name (<c>https://*.example.com</c>,
    /// which does not include <c>https://example.com</c> itself); others, and requests without an origin, get
    /// 403. Empty: any origin, and requests without one. Endpoints may narrow it. Set it whenever browsers with
    /// cookies or other ambient credentials for your site connect: another site's page could otherwise open a
    /// WebSocket as its visitor (cross-site WebSocket hijacking). An entry that could never match (a trailing
    /// slash, a path, <c>*</c>) is refused when the server is created or started.
    /// </summary>
    public List<string> AllowedOrigins { get; } = [];

    /// <summary>
    /// Host names this server answers to (the <c>Host</c> header without its port, case-insensitive;
    /// <c>*.example.com</c> allows subdomains); other requests get 400. Empty: any. Set it when the server is
    /// reached by name rather than behind a proxy that checks names: it defeats DNS rebinding, where a page
    /// points a name it controls at your address to reach the server from a visitor's browser.
    /// </summary>
    public List<string> AllowedHosts { get; } = [];

    /// <summary>
    /// Decides on requests before they are served (see <see cref="RequestAuthorizer"/>): WebSocket upgrades to
    /// endpoints without an authorizer of their own (<see cref="WebSocketEndpoint.Authorizer"/>), and the event
    /// stream, poll and publish routes of <see cref="Broadcast"/>, which only this one guards: set it here when
    /// topics are private, since every transport reaches the same topics. A publish that carries
    /// <see cref="BroadcastOptions.PublishToken"/> is accepted without asking it. Default null: everything goes on.
    /// </summary>
    public RequestAuthorizer? Authorizer { get; set; }

    /// <summary>
    /// Connections and handshakes per client address, messages and bytes per second per WebSocket connection:
    /// beyond them, 429 before the upgrade and 1008 after it. Each default is far above what a browser does.
    /// </summary>
    public ClientLimitOptions ClientLimits { get; } = new();

    /// <summary>
    /// Proxies (addresses, or networks such as <c>10.0.0.0/8</c> and <c>fd00::/8</c>) whose forwarding headers are
    /// believed: for a request whose socket peer is one of them, the client's address comes from <c>Forwarded</c>
    /// (RFC 7239) or else <c>X-Forwarded-For</c>, the rightmost address that is not itself a trusted proxy, and its
    /// scheme from the same <c>proto=</c> or <c>X-Forwarded-Proto</c>. That address is what the client limits count,
    /// the log names and <see cref="WebSocketConnection.ClientAddress"/> holds. A malformed forwarding header from a
    /// trusted proxy gets 400. From any other peer the headers are ignored. Empty (the default): none, every client
    /// is its socket's peer; list the proxy in front of the server, or every client will count as the proxy.
    /// </summary>
    public List<IPNetwork> TrustedProxies { get; } = [];

    /// <summary>Whether <c>/metrics</c> lists each topic by name (names are chosen by clients). Default false.</summary>
    public bool MetricsIncludeTopics { get; set; }

    /// <summary>
    /// Whether <c>/metrics</c> and <c>/healthz?details</c> require the publish token
    /// (<see cref="BroadcastOptions.PublishToken"/>), as publishing does, on the public endpoints. Default false.
    /// Without effect with <see cref="AdminEndpoints"/>, where they are served to anyone who reaches the port.
    /// </summary>
    public bool MetricsRequireToken { get; set; }

    /// <summary>
    /// Addresses of an admin port (plain HTTP) serving <c>/metrics</c> and the detailed <c>/healthz</c>; the public
    /// endpoints then answer <c>/metrics</c> with 404 and <c>/healthz</c> with a status word only. It stays open
    /// while the server drains on <see cref="WsFastServer.StopAsync"/>, answering <c>/healthz</c> with 503. Keep it
    /// on a private network or loopback: it takes no token. Default: none.
    /// </summary>
    public List<IPEndPoint> AdminEndpoints { get; } = [];

    /// <summary>
    /// TLS endpoints (<c>wss://</c>, <c>https://</c>) and their certificates; they serve the same routes as the
    /// plain <see cref="Endpoints"/>. Default null: no TLS.
    /// </summary>
    public TlsOptions? Tls { get; set; }

    /// <summary>What drives the sockets. Default <see cref="WsFast.SocketEngine.Runtime"/>.</summary>
    public SocketEngine SocketEngine { get; set; } = SocketEngine.Runtime;

    /// <summary>Topics, publishing, Server-Sent Events and polling (active once a broadcast endpoint is mapped).</summary>
    public BroadcastOptions Broadcast { get; } = new();

    /// <summary>
    /// Where topics live: this process only (the default), or shared by every server on one Redis
    /// (<see cref="BrokerKind.Redis"/>), so that one broadcast endpoint runs on several machines.
    /// </summary>
    public BrokerOptions Broker { get; } = new();

    /// <summary>
    /// permessage-deflate (RFC 7692) for the endpoints mapped from now on (each can change its own:
    /// <see cref="WebSocketEndpoint.PerMessageDeflate"/>). Default null: not negotiated, as in Node ws,
    /// uWebSockets and Kestrel; an idle connection costs nothing more with it on, but every compressed message
    /// costs CPU (see the README).
    /// </summary>
    public PerMessageDeflateOptions? PerMessageDeflate { get; set; }

    /// <summary>
    /// A testing aid for handlers that might keep a received message past their call (in a <c>Channel</c>, a
    /// closure, a fire-and-forget task), which in production silently reads another client's bytes later: with
    /// it on, once a handler's <see cref="WebSocketHandler.OnMessageAsync"/> completes, the message's bytes are
    /// overwritten with <c>0xDD</c> and its <see cref="WebSocketMessage.Payload"/> throws
    /// <see cref="ObjectDisposedException"/>; receive buffers and assembled-message buffers are filled with
    /// <c>0xDD</c> when returned and never reused, so memory taken from a payload reads <c>0xDD</c> from then on.
    /// Default false. Costs an allocation per receive and per message and a pass over every payload: turn it on
    /// in tests, not in production (the server logs a warning when it starts with it on).
    /// </summary>
    public bool PoisonReceiveBuffers { get; set; }

    /// <summary>Settings that could not be read from configuration (<c>AddWsFast</c>), listed by <see cref="Validate"/>.</summary>
    internal List<string> ConfigurationProblems { get; } = [];

    /// <summary>Throws an <see cref="ArgumentException"/> naming every setting out of its range, if any.</summary>
    internal void Validate()
    {
        var check = new OptionsCheck();
        Check(check);
        check.ThrowIfAny();
    }

    /// <summary>Records every setting out of its range, and every listen address that cannot be listened on.</summary>
    internal void Check(OptionsCheck check)
    {
        check.Problems.AddRange(ConfigurationProblems);
        Broadcast.Check(check.Section(nameof(Broadcast)));
        Broker.Check(check.Section(nameof(Broker)));
        PerMessageDeflate?.Check(check.Section(nameof(PerMessageDeflate)));
        ClientLimits.Check(check.Section(nameof(ClientLimits)));
        Tls?.Check(check.Section(nameof(Tls)));
        CheckAddresses(check);
        OriginAllowList.Check(AllowedOrigins, nameof(AllowedOrigins), check);
        check.Positive(HandshakeTimeout, nameof(HandshakeTimeout));
        check.Positive(CloseTimeout, nameof(CloseTimeout));
        check.Positive(ShutdownTimeout, nameof(ShutdownTimeout));
        check.Positive(SendStallTimeout, nameof(SendStallTimeout));
        check.NotNegative(PingInterval, nameof(PingInterval));
        check.NotNegative(IdleTimeout, nameof(IdleTimeout));
        if (PingInterval > TimeSpan.Zero)
        {
            check.Positive(PingTimeout, nameof(PingTimeout));
        }

        check.AtLeast(MaxMessageSize, 1, nameof(MaxMessageSize));
        check.AtLeast(MaxHeaderBytes, 256, nameof(MaxHeaderBytes));
        check.AtLeast(MaxHeaderCount, 8, nameof(MaxHeaderCount));
        check.AtLeast(MaxConnections, 1, nameof(MaxConnections));
        check.AtLeast(MaxQueuedOutboundBytes, 1, nameof(MaxQueuedOutboundBytes));
        check.AtLeast(MaxQueuedOutboundMessages, 1, nameof(MaxQueuedOutboundMessages));
        if (MaxUnreadInputBytes < MaxHeaderBytes)
        {
            check.Fail(nameof(MaxUnreadInputBytes), $"must be at least {check.Name(nameof(MaxHeaderBytes))}, {MaxHeaderBytes} (was {MaxUnreadInputBytes})");
        }

        check.AtLeast(MemoryBudget, 1024 * 1024, nameof(MemoryBudget));
        if (MetricsRequireToken && Broadcast.PublishToken is null)
        {
            check.Fail(nameof(MetricsRequireToken), $"needs {check.Section(nameof(Broadcast)).Name(nameof(BroadcastOptions.PublishToken))}");
        }
    }

    // Every URL must parse, an https one needs a certificate, TLS needs an address, and no address may be listened
    // on twice (the second bind would fail at start, after the first had succeeded).
    private void CheckAddresses(OptionsCheck check)
    {
        var seen = new List<IPEndPoint>();
        for (int i = 0; i < Urls.Count; i++)
        {
            if (!ListenUrls.TryParse(Urls[i], out bool secure, out IPEndPoint[] endPoints, out string? problem))
            {
                check.Fail(UrlSetting(check, i), $"'{Urls[i]}' {problem}");
                continue;
            }

            if (secure && Tls?.Certificate is null)
            {
                check.Fail(UrlSetting(check, i), $"'{Urls[i]}' listens with TLS and needs a certificate: set {check.Section(nameof(Tls)).Name(nameof(TlsOptions.Certificate))}");
            }
        }

        (IPEndPoint[] plain, IPEndPoint[] tls) = ListenUrls.Resolve(this);
        if (Tls is not null && tls.Length == 0)
        {
            check.Fail(nameof(Tls), $"needs an address to listen on: an https URL in {check.Name(nameof(Urls))}, or {check.Section(nameof(Tls)).Name(nameof(TlsOptions.Endpoints))}");
        }

        foreach (IPEndPoint endPoint in (IPEndPoint[])[.. plain, .. tls])
        {
            if (endPoint.Port == 0)
            {
                continue; // each picks a port of its own
            }

            foreach (IPEndPoint other in seen)
            {
                bool overlaps = other.Port == endPoint.Port && other.AddressFamily == endPoint.AddressFamily
                    && (other.Address.Equals(endPoint.Address) || IsAny(other.Address) || IsAny(endPoint.Address));
                if (overlaps)
                {
                    check.Fail(nameof(Urls), $"and {nameof(Endpoints)} listen on {endPoint} twice ({(other.Equals(endPoint) ? "the same address" : $"{other} includes it")}): each address and port can be listened on once, with or without TLS");
                }
            }

            seen.Add(endPoint);
        }

        static bool IsAny(IPAddress address) => address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any);
    }

    // Urls:0 in configuration (a list's items are numbered), Urls[0] in code.
    private static string UrlSetting(OptionsCheck check, int index) =>
        check.Separator == ':' ? $"{nameof(Urls)}:{index}" : $"{nameof(Urls)}[{index}]";
}
