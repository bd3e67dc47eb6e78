using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using WsFast.Server;

namespace WsFast.ServerApp;

/// <summary>
/// The executable's settings. Each one is a command-line flag; when the flag is not given, the environment
/// variable <c>WSFAST_NAME</c> (the flag's name in capitals, dashes as underscores), then the JSON file's key
/// of the flag's name, then the default.
/// </summary>
internal sealed class ServerSettings
{
    public static readonly Option<string> Config = new("--config") { Description = "A JSON file of settings: keys are the flag names without dashes, e.g. { \"port\": 9000, \"allowed-origin\": [\"https://example.com\"] }." };
    public static readonly Option<string> Host = new("--host") { Description = "Address to listen on (IPv4 or IPv6); 'any' listens on every IPv4 and IPv6 address.", DefaultValueFactory = _ => "127.0.0.1" };
    public static readonly Option<int> Port = new("--port", "-p") { Description = "TCP port to listen on.", DefaultValueFactory = _ => 8080 };
    public static readonly Option<string> EchoPath = new("--echo-path") { Description = "Path of the echo endpoint: every message back to its sender. Empty disables it.", DefaultValueFactory = _ => "/echo" };
    public static readonly Option<string> BroadcastPath = new("--broadcast-path") { Description = "Path of the broadcast endpoint: every message to every client connected there, the sender included. Empty disables it.", DefaultValueFactory = _ => "/broadcast" };
    public static readonly Option<string> TickerPath = new("--ticker-path") { Description = "Path of the ticker endpoint: a text message every second to every client connected there. Empty disables it.", DefaultValueFactory = _ => "/ticker" };
    public static readonly Option<string[]> AllowedOrigins = new("--allowed-origin") { Description = "An Origin allowed to open WebSockets (repeat for several): exact, e.g. https://example.com, or https://*.example.com for its subdomains; others get 403. None given: any origin.", AllowMultipleArgumentsPerToken = true };
    public static readonly Option<string[]> SubProtocols = new("--subprotocol") { Description = "A subprotocol the endpoints speak (repeat for several); the first one a client offers from this list is selected.", AllowMultipleArgumentsPerToken = true };
    public static readonly Option<long> MaxMessageSize = new("--max-message-size") { Description = "Largest message in bytes, over all its fragments; larger closes the connection with 1009.", DefaultValueFactory = _ => 16L * 1024 * 1024 };
    public static readonly Option<int> MaxHeaderBytes = new("--max-header-bytes") { Description = "Largest HTTP request header block in bytes; larger is refused with 431.", DefaultValueFactory = _ => 8 * 1024 };
    public static readonly Option<int> MaxConnections = new("--max-connections") { Description = "Most connections at once; beyond it new clients get 503.", DefaultValueFactory = _ => 100_000 };
    public static readonly Option<long> MaxQueuedBytes = new("--max-queued-bytes") { Description = "Outbound bytes a connection may have queued; a sender waits (or a broadcast skips that client) beyond it.", DefaultValueFactory = _ => 1024L * 1024 };
    public static readonly Option<double> PingInterval = new("--ping-interval") { Description = "Seconds of silence from a client before it is pinged; 0 disables heartbeats.", DefaultValueFactory = _ => 30 };
    public static readonly Option<double> PingTimeout = new("--ping-timeout") { Description = "Seconds a ping may go unanswered before the client is dropped.", DefaultValueFactory = _ => 20 };
    public static readonly Option<double> IdleTimeout = new("--idle-timeout") { Description = "Seconds without a message either way before a connection is closed; 0 never.", DefaultValueFactory = _ => 0 };
    public static readonly Option<double> HandshakeTimeout = new("--handshake-timeout") { Description = "Seconds a client has to send its HTTP request.", DefaultValueFactory = _ => 10 };
    public static readonly Option<double> CloseTimeout = new("--close-timeout") { Description = "Seconds the close handshake may take before the TCP connection is closed anyway.", DefaultValueFactory = _ => 5 };
    public static readonly Option<string> Mode = new("--mode") { Description = "'all': echo, broadcast, ticker and the demo page; 'broadcast': a dedicated broadcast endpoint (topics over WebSocket, Server-Sent Events and polling, the publish API, metrics). The publish token, if any, comes from the environment variable WSFAST_PUBLISH_TOKEN.", DefaultValueFactory = _ => "all" };
    public static readonly Option<int> HistorySize = new("--history-size") { Description = "Messages each topic keeps for clients catching up (SSE Last-Event-ID, polling's after=N).", DefaultValueFactory = _ => 100 };
    public static readonly Option<int> MaxTopics = new("--max-topics") { Description = "Most topics holding history at once; a publish that would start another gets 503. Topics with only subscribers do not count.", DefaultValueFactory = _ => 10_000 };
    public static readonly Option<int> MaxQueuedMessages = new("--max-queued-messages") { Description = "Outbound messages (frames, events, responses) a connection may have queued; the same rule as --max-queued-bytes applies at this bound.", DefaultValueFactory = _ => 1024 };
    public static readonly Option<double> SendStallTimeout = new("--send-stall-timeout") { Description = "Seconds a connection's output may stay queued without a send completing before the connection is aborted (a peer that does not read).", DefaultValueFactory = _ => 30 };
    public static readonly Option<long> MaxUnreadInput = new("--max-unread-input") { Description = "Received bytes a connection may hold unread (pipelined requests, frames behind a message being handled) before it stops receiving.", DefaultValueFactory = _ => 1024L * 1024 };
    public static readonly Option<long> MemoryBudget = new("--memory-budget") { Description = "Bytes all connections together may hold for their peers (queued output, messages being assembled, unread input); past it new connections get 503 and the largest holders are closed. Default: a quarter of the memory available.", DefaultValueFactory = _ => new WsFastServerOptions().MemoryBudget };
    public static readonly Option<string[]> AllowedHosts = new("--allowed-host") { Description = "A host name the server answers to (repeat for several; '*.example.com' for subdomains); requests for other names get 400 (DNS rebinding). None given: any.", AllowMultipleArgumentsPerToken = true };
    public static readonly Option<bool> Relay = new("--relay") { Description = "Whether what a WebSocket client sends on the broadcast endpoint is published to its topic. Default: on in --mode all without a publish token, off otherwise." };
    public static readonly Option<int> RelayRate = new("--relay-rate") { Description = "Messages per second one WebSocket client may relay (bursts of as many); faster closes it with 1008.", DefaultValueFactory = _ => 20 };
    public static readonly Option<long> HistoryBytes = new("--history-bytes") { Description = "Bytes each topic's history may hold.", DefaultValueFactory = _ => 1024L * 1024 };
    public static readonly Option<long> MaxHistoryBytes = new("--max-history-bytes") { Description = "Bytes all topics' histories may hold together.", DefaultValueFactory = _ => 64L * 1024 * 1024 };
    public static readonly Option<double> TopicTtl = new("--topic-ttl") { Description = "Seconds a message stays in its topic's history; a topic with no subscribers and no history is gone. 0 keeps history until it is pushed out.", DefaultValueFactory = _ => 300 };
    public static readonly Option<bool> MetricsTopics = new("--metrics-topics") { Description = "List every topic by name in /metrics (names are chosen by clients)." };
    public static readonly Option<bool> MetricsRequireToken = new("--metrics-require-token") { Description = "/metrics and /healthz?details require the publish token (WSFAST_PUBLISH_TOKEN), as publishing does. Without effect with --admin-port." };
    public static readonly Option<int> AdminPort = new("--admin-port") { Description = "TCP port (plain HTTP, on the same host(s) as --port) serving /metrics and /healthz with its details, to anyone who reaches it: firewall it. The public port then answers /metrics with 404 and /healthz with a status word only." };
    public static readonly Option<string> SlowConsumer = new("--slow-consumer") { Description = "What happens to a WebSocket subscriber that cannot keep up: 'drop' (it skips messages; drops are counted) or 'disconnect' (closed with 1008).", DefaultValueFactory = _ => "drop" };
    public static readonly Option<int> MaxPublishBytes = new("--max-publish-bytes") { Description = "Largest POST /publish body (larger gets 413) and largest relayed message (larger closes with 1009).", DefaultValueFactory = _ => 1024 * 1024 };
    public static readonly Option<double> LongPollTimeout = new("--long-poll-timeout") { Description = "Seconds a long poll waits for a message before answering with none.", DefaultValueFactory = _ => 25 };
    public static readonly Option<string> SocketEngineOption = new("--socket-engine") { Description = "What drives the sockets: 'epoll' (WsFast's own epoll loops; the default on Linux x86-64) or 'runtime' (the runtime's sockets; the default elsewhere).", DefaultValueFactory = _ => EpollAvailable ? "epoll" : "runtime" };
    public static readonly Option<bool> NoDeflate = new("--no-deflate") { Description = "Do not negotiate permessage-deflate (RFC 7692). By default every endpoint accepts a client's offer, as every browser makes one." };
    public static readonly Option<string[]> NoDeflateOn = new("--no-deflate-on") { Description = "An endpoint's path (e.g. /echo) that does not negotiate permessage-deflate while the others do (repeat for several).", AllowMultipleArgumentsPerToken = true };
    public static readonly Option<int> DeflateLevel = new("--deflate-level") { Description = "zlib compression level for permessage-deflate, 1 (fastest) to 9 (smallest).", DefaultValueFactory = _ => 6 };
    public static readonly Option<int> DeflateWindowBits = new("--deflate-window-bits") { Description = "The server's permessage-deflate window, 9 to 15 (2^bits bytes): what clients are told as server_max_window_bits.", DefaultValueFactory = _ => 12 };
    public static readonly Option<bool> LegacyHixie76 = new("--legacy-hixie76") { Description = "Also accept clients of the WebSocket draft 76 (hixie-76: embedded clients, old gateways) on the echo and broadcast endpoints: text only, no binary, no ping. Off by default." };
    public static readonly Option<int> TlsPort = new("--tls-port") { Description = "TCP port to listen on with TLS (wss://, https://), on the same host(s) as --port and beside it. Needs --tls-cert (and --tls-key) or --tls-pfx." };
    public static readonly Option<string> TlsCert = new("--tls-cert") { Description = "PEM file of the TLS certificate, followed by its chain's intermediate certificates. Re-read on SIGHUP and when the file changes." };
    public static readonly Option<string> TlsKey = new("--tls-key") { Description = "PEM file of the TLS certificate's private key (omit if it is in the --tls-cert file)." };
    public static readonly Option<string> TlsPfx = new("--tls-pfx") { Description = "PFX (PKCS#12) file of the TLS certificate with its key, instead of --tls-cert; its password comes from the environment variable WSFAST_TLS_PFX_PASSWORD." };
    public static readonly Option<string[]> TlsSni = new("--tls-sni") { Description = "A certificate for one host name a client asks for (SNI): HOST=CERTFILE[,KEYFILE] in PEM; HOST may be *.example.com (repeat for several hosts). Others get --tls-cert.", AllowMultipleArgumentsPerToken = true };
    public static readonly Option<string> JwtKeyOption = new("--jwt-key") { Description = "Require a JWT for WebSockets, Server-Sent Events, polls and publishing: an HMAC secret (at least 32 bytes; better given as WSFAST_JWT_KEY than on the command line), or the path of a PEM file with an RSA or EC public key. Unset: no authentication (for development)." };
    public static readonly Option<string> JwtAudience = new("--jwt-audience") { Description = "The audience (aud) a JWT must name. Unset: not checked." };
    public static readonly Option<string> JwtIssuer = new("--jwt-issuer") { Description = "The issuer (iss) a JWT must name. Unset: not checked." };
    public static readonly Option<string> JwtCookie = new("--jwt-cookie") { Description = "The cookie a JWT is read from when the request has no Authorization: Bearer.", DefaultValueFactory = _ => "wsfast_token" };
    public static readonly Option<double> JwtClockSkew = new("--jwt-clock-skew") { Description = "Seconds a JWT's exp and nbf may be off by, for clocks that differ; a connection is closed this long after its token's exp.", DefaultValueFactory = _ => 5 };
    public static readonly Option<int> MaxConnectionsPerAddress = new("--max-connections-per-address") { Description = "Most connections one client address (IPv6: /64) may hold open; beyond it a request gets 429. 0: no limit.", DefaultValueFactory = _ => 1000 };
    public static readonly Option<string> HandshakesPerSecond = new("--handshakes-per-second") { Description = "RATE[:BURST]: WebSocket upgrades, event streams and polls one client address may start per second (a fraction allowed), in bursts of BURST (default: RATE); beyond it 429 with Retry-After. 0: no limit.", DefaultValueFactory = _ => "50:200" };
    public static readonly Option<string> MessagesPerSecond = new("--messages-per-second") { Description = "RATE[:BURST]: messages one WebSocket connection may send per second, in bursts of BURST (default: RATE); beyond it the connection is closed with 1008. 0: no limit.", DefaultValueFactory = _ => "1000:2000" };
    public static readonly Option<string> BytesPerSecond = new("--bytes-per-second") { Description = "RATE[:BURST]: payload bytes one WebSocket connection may send per second, in bursts of BURST (default: RATE); beyond it the connection is closed with 1008. 0: no limit.", DefaultValueFactory = _ => "16777216:33554432" };
    public static readonly Option<string[]> TrustedProxies = new("--trusted-proxy") { Description = "A proxy (address, or network such as 10.0.0.0/8) whose Forwarded / X-Forwarded-For and X-Forwarded-Proto headers are believed (repeat for several). None given: clients are their sockets' peers.", AllowMultipleArgumentsPerToken = true };
    public static readonly Option<LogLevel> LogLevelOption = new("--log-level") { Description = "Least important log level written: Trace, Debug, Information, Warning, Error, Critical or None.", DefaultValueFactory = _ => LogLevel.Information };

    // Where WsFast's epoll engine runs (it lays out epoll_event and msghdr as Linux x86-64 does).
    private static bool EpollAvailable =>
        OperatingSystem.IsLinux() && System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture == System.Runtime.InteropServices.Architecture.X64;

    public static IEnumerable<Option> All =>
    [
        Config, Host, Port, EchoPath, BroadcastPath, TickerPath, AllowedOrigins, SubProtocols, MaxMessageSize,
        MaxHeaderBytes, MaxConnections, MaxQueuedBytes, PingInterval, PingTimeout, IdleTimeout, HandshakeTimeout,
        CloseTimeout, SendStallTimeout, MaxUnreadInput, MemoryBudget, AllowedHosts, Mode, Relay, RelayRate, HistorySize,
        HistoryBytes, MaxHistoryBytes, TopicTtl, MaxTopics, MaxQueuedMessages, SlowConsumer, MaxPublishBytes, LongPollTimeout,
        MetricsTopics, MetricsRequireToken, AdminPort, SocketEngineOption, NoDeflate, NoDeflateOn, DeflateLevel, DeflateWindowBits, LegacyHixie76, LogLevelOption,
        JwtKeyOption, JwtAudience, JwtIssuer, JwtCookie, JwtClockSkew,
        MaxConnectionsPerAddress, HandshakesPerSecond, MessagesPerSecond, BytesPerSecond, TrustedProxies,
        TlsPort, TlsCert, TlsKey, TlsPfx, TlsSni,
    ];

    public required IReadOnlyList<IPEndPoint> Endpoints { get; init; }
    public required string EchoPathValue { get; init; }
    public required string BroadcastPathValue { get; init; }
    public required string TickerPathValue { get; init; }
    public required string[] SubProtocolsValue { get; init; }
    public required LogLevel LogLevel { get; init; }
    public required bool Dedicated { get; init; }
    public required SlowConsumerPolicy SlowConsumerPolicy { get; init; }
    public required bool RelayClientMessages { get; init; }
    public required bool LegacyHixie76Value { get; init; }
    public required string[] NoDeflateOnValue { get; init; }
    public required WsFastServerOptions Options { get; init; }

    /// <summary>Resolves every setting; throws <see cref="FormatException"/> naming the source of a bad value.</summary>
    public static ServerSettings Resolve(ParseResult parse)
    {
        var sources = new Sources(parse, ReadJson(parse.GetValue(Config) ?? Environment.GetEnvironmentVariable("WSFAST_CONFIG")));
        var options = new WsFastServerOptions
        {
            MaxMessageSize = sources.Get(MaxMessageSize),
            MaxHeaderBytes = sources.Get(MaxHeaderBytes),
            MaxConnections = sources.Get(MaxConnections),
            MaxQueuedOutboundBytes = sources.Get(MaxQueuedBytes),
            PingInterval = TimeSpan.FromSeconds(sources.Get(PingInterval)),
            PingTimeout = TimeSpan.FromSeconds(sources.Get(PingTimeout)),
            IdleTimeout = TimeSpan.FromSeconds(sources.Get(IdleTimeout)),
            HandshakeTimeout = TimeSpan.FromSeconds(sources.Get(HandshakeTimeout)),
            CloseTimeout = TimeSpan.FromSeconds(sources.Get(CloseTimeout)),
            SendStallTimeout = TimeSpan.FromSeconds(sources.Get(SendStallTimeout)),
            MaxQueuedOutboundMessages = sources.Get(MaxQueuedMessages),
            MaxUnreadInputBytes = sources.Get(MaxUnreadInput),
            MemoryBudget = sources.Get(MemoryBudget),
            MetricsIncludeTopics = sources.Get(MetricsTopics),
            MetricsRequireToken = sources.Get(MetricsRequireToken),
        };
        options.AllowedOrigins.AddRange(sources.Get(AllowedOrigins) ?? []);
        options.AllowedHosts.AddRange(sources.Get(AllowedHosts) ?? []);
        options.Broadcast.HistorySize = sources.Get(HistorySize);
        options.Broadcast.HistoryBytes = sources.Get(HistoryBytes);
        options.Broadcast.MaxHistoryBytes = sources.Get(MaxHistoryBytes);
        options.Broadcast.TopicTimeToLive = TimeSpan.FromSeconds(sources.Get(TopicTtl));
        options.Broadcast.RelayRate = sources.Get(RelayRate);
        options.Broadcast.MaxTopics = sources.Get(MaxTopics);
        options.Broadcast.MaxPublishBytes = sources.Get(MaxPublishBytes);
        options.Broadcast.LongPollTimeout = TimeSpan.FromSeconds(sources.Get(LongPollTimeout));
        options.Broadcast.PublishToken = Environment.GetEnvironmentVariable("WSFAST_PUBLISH_TOKEN") is { Length: > 0 } token ? token : null;
        if (!sources.Get(NoDeflate))
        {
            options.PerMessageDeflate = new PerMessageDeflateOptions
            {
                CompressionLevel = sources.Get(DeflateLevel),
                ServerMaxWindowBits = sources.Get(DeflateWindowBits),
            };
        }
        options.Authorizer = ReadJwt(sources);
        ClientLimitOptions limits = options.ClientLimits;
        limits.MaxConnectionsPerAddress = sources.Get(MaxConnectionsPerAddress);
        (double handshakes, long handshakeBurst) = ParseRate(sources.Get(HandshakesPerSecond)!, "handshakes-per-second", int.MaxValue, fraction: true);
        (limits.HandshakesPerSecond, limits.HandshakeBurst) = (handshakes, (int)handshakeBurst);
        (double messages, long messageBurst) = ParseRate(sources.Get(MessagesPerSecond)!, "messages-per-second", int.MaxValue);
        (limits.MessagesPerSecond, limits.MessageBurst) = ((int)messages, (int)messageBurst);
        (double bytes, limits.ByteBurst) = ParseRate(sources.Get(BytesPerSecond)!, "bytes-per-second", long.MaxValue);
        limits.BytesPerSecond = (long)bytes;
        foreach (string proxy in sources.Get(TrustedProxies) ?? [])
        {
            options.TrustedProxies.Add(ParseNetwork(proxy));
        }

        string mode = sources.Get(Mode) ?? "all";
        if (mode is not ("all" or "broadcast"))
        {
            throw new FormatException($"mode '{mode}' is neither 'all' nor 'broadcast'");
        }

        options.SocketEngine = (sources.Get(SocketEngineOption) ?? (EpollAvailable ? "epoll" : "runtime")) switch
        {
            "runtime" => SocketEngine.Runtime,
            "epoll" => SocketEngine.Epoll,
            string other => throw new FormatException($"socket-engine '{other}' is neither 'runtime' nor 'epoll'"),
        };

        string slowConsumer = sources.Get(SlowConsumer) ?? "drop";
        if (slowConsumer is not ("drop" or "disconnect"))
        {
            throw new FormatException($"slow-consumer '{slowConsumer}' is neither 'drop' nor 'disconnect'");
        }
        IReadOnlyList<IPEndPoint> endpoints = ParseEndpoints(sources.Get(Host)!, sources.Get(Port));
        options.Endpoints.AddRange(endpoints);
        if (sources.IsSet(AdminPort))
        {
            options.AdminEndpoints.AddRange(ParseEndpoints(sources.Get(Host)!, sources.Get(AdminPort)));
        }

        options.Tls = ResolveTls(sources, sources.Get(Host)!);

        return new ServerSettings
        {
            Endpoints = endpoints,
            EchoPathValue = sources.Get(EchoPath) ?? "",
            BroadcastPathValue = sources.Get(BroadcastPath) ?? "",
            TickerPathValue = sources.Get(TickerPath) ?? "",
            SubProtocolsValue = sources.Get(SubProtocols) ?? [],
            LogLevel = sources.Get(LogLevelOption),
            Dedicated = mode == "broadcast",
            SlowConsumerPolicy = slowConsumer == "drop" ? SlowConsumerPolicy.Drop : SlowConsumerPolicy.Disconnect,
            // Anyone who can connect could publish through a relay: it is on by default only for the demo set-up,
            // which has no publish token to bypass.
            RelayClientMessages = sources.IsSet(Relay) ? sources.Get(Relay) : mode == "all" && options.Broadcast.PublishToken is null,
            LegacyHixie76Value = sources.Get(LegacyHixie76),
            NoDeflateOnValue = sources.Get(NoDeflateOn) ?? [],
            Options = options,
        };
    }

    // TLS is on with --tls-port; its certificate flags are required then and refused without it.
    private static TlsOptions? ResolveTls(Sources sources, string host)
    {
        string? cert = sources.Get(TlsCert);
        string? key = sources.Get(TlsKey);
        string? pfx = sources.Get(TlsPfx);
        string[] sni = sources.Get(TlsSni) ?? [];
        if (!sources.IsSet(TlsPort))
        {
            return cert is null && key is null && pfx is null && sni.Length == 0 ? null
                : throw new FormatException("--tls-cert, --tls-key, --tls-pfx and --tls-sni need --tls-port");
        }

        if ((cert is null) == (pfx is null) || (key is not null && cert is null))
        {
            throw new FormatException("--tls-port needs either --tls-cert (with --tls-key unless the key is in the same file) or --tls-pfx");
        }

        var tls = new TlsOptions
        {
            Certificate = pfx is not null
                ? TlsCertificate.FromPfxFile(pfx, Environment.GetEnvironmentVariable("WSFAST_TLS_PFX_PASSWORD"))
                : TlsCertificate.FromPemFiles(cert!, key),
            WatchCertificateFiles = true,
        };
        tls.Endpoints.AddRange(ParseEndpoints(host, sources.Get(TlsPort)));

        // HOST=CERT,KEY. An environment variable or JSON list splits at commas too, so an item without '=' is
        // the key file of the host before it.
        string? lastHost = null;
        string? lastCert = null;
        foreach (string item in sni)
        {
            int equals = item.IndexOf('=');
            string[] parts = equals < 0 ? [item] : item[(equals + 1)..].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            if (equals < 0 && lastHost is not null && lastCert is not null)
            {
                tls.HostCertificates[lastHost] = TlsCertificate.FromPemFiles(lastCert, item.Trim());
                lastHost = null;
                continue;
            }

            if (equals <= 0 || parts.Length is 0 or > 2)
            {
                throw new FormatException($"--tls-sni '{item}' is not HOST=CERTFILE[,KEYFILE]");
            }

            lastHost = item[..equals].Trim();
            lastCert = parts[0];
            tls.HostCertificates[lastHost] = TlsCertificate.FromPemFiles(parts[0], parts.Length == 2 ? parts[1] : null);
            if (parts.Length == 2)
            {
                lastHost = null;
            }
        }

        return tls;
    }

    /// <summary>The JWT authorizer of the --jwt-* settings; null without a key.</summary>
    private static JwtAuthorizer? ReadJwt(Sources sources)
    {
        if (sources.Get(JwtKeyOption) is not { Length: > 0 } keyText)
        {
            return null;
        }

        double skew = sources.Get(JwtClockSkew);
        if (skew is < 0 or > 300 || double.IsNaN(skew))
        {
            throw new FormatException($"jwt-clock-skew {skew} is not between 0 and 300 seconds");
        }

        string cookie = sources.Get(JwtCookie) ?? "wsfast_token";
        if (cookie.Length == 0 || cookie.AsSpan().ContainsAny("=; ,\\\""))
        {
            throw new FormatException($"jwt-cookie '{cookie}' is not a cookie name");
        }

        return new JwtAuthorizer(JwtKey.Load(keyText), sources.Get(JwtAudience) is { Length: > 0 } audience ? audience : null,
            sources.Get(JwtIssuer) is { Length: > 0 } issuer ? issuer : null, cookie, TimeSpan.FromSeconds(skew));
    }

    private static IReadOnlyList<IPEndPoint> ParseEndpoints(string host, int port)
    {
        if (port is < 0 or > 65535)
        {
            throw new FormatException($"port {port} is not between 0 and 65535");
        }

        if (host.Equals("any", StringComparison.OrdinalIgnoreCase))
        {
            return [new IPEndPoint(IPAddress.Any, port), new IPEndPoint(IPAddress.IPv6Any, port)];
        }

        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase))
        {
            host = "127.0.0.1";
        }

        return IPAddress.TryParse(host.Trim('[', ']'), out IPAddress? address)
            ? [new IPEndPoint(address, port)]
            : throw new FormatException($"host '{host}' is not an IP address (or 'any', 'localhost')");
    }

    /// <summary>RATE or RATE:BURST, whole numbers (RATE with a fraction when allowed); the burst is the rate, at least 1, when not given.</summary>
    private static (double Rate, long Burst) ParseRate(string text, string name, long max, bool fraction = false)
    {
        string[] parts = text.Split(':');
        if (parts.Length <= 2 && double.TryParse(parts[0], fraction ? NumberStyles.AllowDecimalPoint : NumberStyles.None, CultureInfo.InvariantCulture, out double rate)
            && rate <= max)
        {
            long burst = Math.Max(1, (long)Math.Ceiling(rate));
            if (parts.Length == 1 || (long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out burst) && burst >= 1 && burst <= max))
            {
                return (rate, burst);
            }
        }

        throw new FormatException($"{name} '{text}' is not RATE or RATE:BURST (BURST a whole number of at least 1)");
    }

    /// <summary>An address (a network of one) or a network in CIDR notation, IPv4 or IPv6.</summary>
    private static IPNetwork ParseNetwork(string text)
    {
        if (text.Contains('/'))
        {
            // A network with bits set after its prefix (10.0.0.1/8) is a typo either way: refused, not guessed at.
            return IPNetwork.TryParse(text, out IPNetwork network)
                && IPAddress.TryParse(text.AsSpan(0, text.IndexOf('/')), out IPAddress? written) && written.Equals(network.BaseAddress)
                ? network
                : throw new FormatException($"trusted-proxy '{text}' is not a network (e.g. 10.0.0.0/8, fd00::/8)");
        }

        if (IPAddress.TryParse(text.Trim('[', ']'), out IPAddress? address) && address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4(); // the server compares peers in their IPv4 form
        }

        return address is not null
            ? new IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128)
            : throw new FormatException($"trusted-proxy '{text}' is not an IP address or network");
    }

    private static Dictionary<string, JsonElement> ReadJson(string? path)
    {
        if (string.IsNullOrEmpty(path))
        {
            return [];
        }

        try
        {
            using FileStream file = File.OpenRead(path);
            return JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(file, new JsonSerializerOptions { ReadCommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true })
                ?? [];
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
        {
            throw new FormatException($"config file '{path}': {e.Message}", e);
        }
    }

    /// <summary>Reads one setting from the flag, the environment, the JSON file, or the default, in that order.</summary>
    private sealed class Sources(ParseResult parse, Dictionary<string, JsonElement> json)
    {
        /// <summary>Whether any source gives the setting (rather than its default).</summary>
        public bool IsSet(Option option)
        {
            string name = option.Name.TrimStart('-');
            return parse.GetResult(option) is { Implicit: false }
                || Environment.GetEnvironmentVariable("WSFAST_" + name.Replace('-', '_').ToUpperInvariant()) is { Length: > 0 }
                || json.ContainsKey(name);
        }

        public T? Get<T>(Option<T> option)
        {
            string name = option.Name.TrimStart('-');
            if (parse.GetResult(option) is { Implicit: false })
            {
                return parse.GetValue(option);
            }

            string variable = "WSFAST_" + name.Replace('-', '_').ToUpperInvariant();
            if (Environment.GetEnvironmentVariable(variable) is { Length: > 0 } text)
            {
                return Convert<T>(text, variable);
            }

            if (json.TryGetValue(name, out JsonElement element))
            {
                string value = element.ValueKind switch
                {
                    JsonValueKind.Array => string.Join(',', element.EnumerateArray().Select(e => e.ToString())),
                    _ => element.ToString(),
                };
                return Convert<T>(value, $"config key '{name}'");
            }

            return parse.GetValue(option);
        }

        private static T Convert<T>(string text, string source)
        {
            try
            {
                object value = typeof(T) switch
                {
                    Type t when t == typeof(string) => text,
                    Type t when t == typeof(int) => int.Parse(text, CultureInfo.InvariantCulture),
                    Type t when t == typeof(long) => long.Parse(text, CultureInfo.InvariantCulture),
                    Type t when t == typeof(double) => double.Parse(text, CultureInfo.InvariantCulture),
                    Type t when t == typeof(bool) => bool.Parse(text),
                    Type t when t == typeof(string[]) => text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
                    Type t when t == typeof(LogLevel) => Enum.Parse<LogLevel>(text, ignoreCase: true),
                    _ => throw new NotSupportedException(typeof(T).Name),
                };
                return (T)value;
            }
            catch (Exception e) when (e is FormatException or OverflowException or ArgumentException)
            {
                throw new FormatException($"{source}: '{text}' is not a valid {typeof(T).Name}", e);
            }
        }
    }
}
