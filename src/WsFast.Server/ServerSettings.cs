using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace WsFast.ServerApp;

/// <summary>
/// The executable's flags, and what each one sets in the configuration (<c>WsFast:...</c> for the library's
/// options, <c>Server:...</c> for the executable's own, <c>Logging:...</c>). The older ways of giving a flag,
/// the environment variable <c>WSFAST_NAME</c> (the flag's name in capitals, dashes as underscores) and the
/// <c>--config</c> JSON file whose keys are flag names, are read here too and set the same keys, each as a
/// configuration layer of its own (Program.cs orders the layers).
/// </summary>
internal static class ServerSettings
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
    public static readonly Option<int> HistorySize = new("--history-size") { Description = "Messages each topic keeps for clients catching up (SSE Last-Event-ID, polling's after=CURSOR, a wsfast.v1 WebSocket's ?after=E:N).", DefaultValueFactory = _ => 100 };
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
    public static readonly Option<string> Broker = new("--broker") { Description = "Where topics live: 'memory' (this server only) or 'redis' (shared by every server on one Redis, with --redis: one broadcast endpoint on several machines).", DefaultValueFactory = _ => "memory" };
    public static readonly Option<string> Redis = new("--redis") { Description = "The Redis of --broker redis: a StackExchange.Redis configuration string such as 127.0.0.1:6379 (with a password, better given as WSFAST_REDIS than on the command line)." };
    public static readonly Option<string> RedisPrefix = new("--redis-prefix") { Description = "What every Redis key and channel of the topics starts with; servers sharing topics use the same.", DefaultValueFactory = _ => "wsfast" };
    public static readonly Option<LogLevel> LogLevelOption = new("--log-level") { Description = "Least important log level written: Trace, Debug, Information, Warning, Error, Critical or None (Logging:LogLevel:Default).", DefaultValueFactory = _ => LogLevel.Information };
    public static readonly Option<string> LogFormat = new("--log-format") { Description = "Console log lines: 'simple' (one line each), 'json' (one JSON object each) or 'systemd' (the journal's priority prefix; the default when systemd runs the server). Logging:Console:FormatterName.", DefaultValueFactory = _ => "simple" };

    // Where WsFast's epoll engine runs (it lays out epoll_event and msghdr as Linux x86-64 does).
    public static bool EpollAvailable =>
        OperatingSystem.IsLinux() && System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture == System.Runtime.InteropServices.Architecture.X64;

    public static IEnumerable<Option> All =>
    [
        Config, Host, Port, EchoPath, BroadcastPath, TickerPath, AllowedOrigins, SubProtocols, MaxMessageSize,
        MaxHeaderBytes, MaxConnections, MaxQueuedBytes, PingInterval, PingTimeout, IdleTimeout, HandshakeTimeout,
        CloseTimeout, SendStallTimeout, MaxUnreadInput, MemoryBudget, AllowedHosts, Mode, Relay, RelayRate, HistorySize,
        HistoryBytes, MaxHistoryBytes, TopicTtl, MaxTopics, MaxQueuedMessages, SlowConsumer, MaxPublishBytes, LongPollTimeout,
        MetricsTopics, MetricsRequireToken, AdminPort, SocketEngineOption, NoDeflate, NoDeflateOn, DeflateLevel, DeflateWindowBits, LegacyHixie76, LogLevelOption, LogFormat,
        JwtKeyOption, JwtAudience, JwtIssuer, JwtCookie, JwtClockSkew,
        MaxConnectionsPerAddress, HandshakesPerSecond, MessagesPerSecond, BytesPerSecond, TrustedProxies,
        TlsPort, TlsCert, TlsKey, TlsPfx, TlsSni, Broker, Redis, RedisPrefix,
    ];

    // Where each flag goes in the configuration. Seconds become TimeSpans ("00:00:30"), lists become indexed keys
    // (Key:0, Key:1), RATE:BURST becomes two keys.
    private static readonly Setting[] Settings =
    [
        Setting.To(Host, "Server:Host"),
        Setting.To(Port, "Server:Port"),
        Setting.To(TlsPort, "Server:TlsPort"),
        Setting.To(Mode, "Server:Mode"),
        Setting.To(EchoPath, "Server:EchoPath"),
        Setting.To(BroadcastPath, "Server:BroadcastPath"),
        Setting.To(TickerPath, "Server:TickerPath"),
        Setting.To(Relay, "Server:Relay"),
        Setting.List(SubProtocols, "Server:SubProtocols"),
        Setting.To(SlowConsumer, "Server:SlowConsumer"),
        Setting.To(NoDeflate, "Server:NoDeflate"),
        Setting.List(NoDeflateOn, "Server:NoDeflateOn"),
        Setting.To(LegacyHixie76, "Server:LegacyHixie76"),
        Setting.To(TlsCert, "Server:Tls:Certificate"),
        Setting.To(TlsKey, "Server:Tls:Key"),
        Setting.To(TlsPfx, "Server:Tls:Pfx"),
        Setting.List(TlsSni, "Server:Tls:Sni"),
        Setting.To(JwtKeyOption, "Server:Jwt:Key"),
        Setting.To(JwtAudience, "Server:Jwt:Audience"),
        Setting.To(JwtIssuer, "Server:Jwt:Issuer"),
        Setting.To(JwtCookie, "Server:Jwt:Cookie"),
        Setting.To(JwtClockSkew, "Server:Jwt:ClockSkew"),
        Setting.To(MaxMessageSize, "WsFast:MaxMessageSize"),
        Setting.To(MaxHeaderBytes, "WsFast:MaxHeaderBytes"),
        Setting.To(MaxConnections, "WsFast:MaxConnections"),
        Setting.To(MaxQueuedBytes, "WsFast:MaxQueuedOutboundBytes"),
        Setting.To(MaxQueuedMessages, "WsFast:MaxQueuedOutboundMessages"),
        Setting.To(MaxUnreadInput, "WsFast:MaxUnreadInputBytes"),
        Setting.To(MemoryBudget, "WsFast:MemoryBudget"),
        Setting.Seconds(PingInterval, "WsFast:PingInterval"),
        Setting.Seconds(PingTimeout, "WsFast:PingTimeout"),
        Setting.Seconds(IdleTimeout, "WsFast:IdleTimeout"),
        Setting.Seconds(HandshakeTimeout, "WsFast:HandshakeTimeout"),
        Setting.Seconds(CloseTimeout, "WsFast:CloseTimeout"),
        Setting.Seconds(SendStallTimeout, "WsFast:SendStallTimeout"),
        Setting.List(AllowedOrigins, "WsFast:AllowedOrigins"),
        Setting.List(AllowedHosts, "WsFast:AllowedHosts"),
        Setting.List(TrustedProxies, "WsFast:TrustedProxies"),
        Setting.To(MetricsTopics, "WsFast:MetricsIncludeTopics"),
        Setting.To(MetricsRequireToken, "WsFast:MetricsRequireToken"),
        Setting.To(AdminPort, "Server:AdminPort"),
        Setting.Engine(SocketEngineOption, "WsFast:SocketEngine"),
        Setting.To(DeflateLevel, "WsFast:PerMessageDeflate:CompressionLevel"),
        Setting.To(DeflateWindowBits, "WsFast:PerMessageDeflate:ServerMaxWindowBits"),
        Setting.To(HistorySize, "WsFast:Broadcast:HistorySize"),
        Setting.To(HistoryBytes, "WsFast:Broadcast:HistoryBytes"),
        Setting.To(MaxHistoryBytes, "WsFast:Broadcast:MaxHistoryBytes"),
        Setting.Seconds(TopicTtl, "WsFast:Broadcast:TopicTimeToLive"),
        Setting.To(MaxTopics, "WsFast:Broadcast:MaxTopics"),
        Setting.To(RelayRate, "WsFast:Broadcast:RelayRate"),
        Setting.To(MaxPublishBytes, "WsFast:Broadcast:MaxPublishBytes"),
        Setting.Seconds(LongPollTimeout, "WsFast:Broadcast:LongPollTimeout"),
        Setting.To(MaxConnectionsPerAddress, "WsFast:ClientLimits:MaxConnectionsPerAddress"),
        Setting.Rate(HandshakesPerSecond, "WsFast:ClientLimits:HandshakesPerSecond", "WsFast:ClientLimits:HandshakeBurst", int.MaxValue, fraction: true),
        Setting.Rate(MessagesPerSecond, "WsFast:ClientLimits:MessagesPerSecond", "WsFast:ClientLimits:MessageBurst", int.MaxValue, fraction: false),
        Setting.Rate(BytesPerSecond, "WsFast:ClientLimits:BytesPerSecond", "WsFast:ClientLimits:ByteBurst", long.MaxValue, fraction: false),
        Setting.To(Broker, "WsFast:Broker:Kind"),
        Setting.To(Redis, "WsFast:Broker:Redis"),
        Setting.To(RedisPrefix, "WsFast:Broker:KeyPrefix"),
        Setting.To(LogLevelOption, "Logging:LogLevel:Default"),
        Setting.Format(LogFormat, "Logging:Console:FormatterName"),
    ];

    // Secrets that have an environment variable and no flag.
    private static readonly (string Variable, string Key)[] SecretVariables =
    [
        ("WSFAST_PUBLISH_TOKEN", "WsFast:Broadcast:PublishToken"),
        ("WSFAST_TLS_PFX_PASSWORD", "Server:Tls:PfxPassword"),
        ("WSFAST_REDIS", "WsFast:Broker:Redis"),
    ];

    /// <summary>
    /// What the executable sets differently from the library's defaults, as the lowest configuration layer: the
    /// epoll engine where it runs, permessage-deflate on (every browser offers it), the log levels.
    /// </summary>
    public static Dictionary<string, string?> Defaults() => new()
    {
        ["WsFast:SocketEngine"] = EpollAvailable ? "Epoll" : "Runtime",
        ["WsFast:PerMessageDeflate"] = "true",
        ["Logging:LogLevel:Default"] = "Information",

        // A start that fails is told in one line on stderr (wsfast: ...); the host's own report of it is a stack trace.
        ["Logging:LogLevel:Microsoft.Extensions.Hosting.Internal.Host"] = "Critical",
    };

    /// <summary>The flags given on the command line, as configuration keys.</summary>
    /// <exception cref="FormatException">A value no key can take (e.g. a rate that is not RATE:BURST).</exception>
    public static Dictionary<string, string?> FromFlags(ParseResult parse)
    {
        var keys = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (Setting setting in Settings)
        {
            setting.FromFlag(parse, keys);
        }

        return keys;
    }

    /// <summary>The <c>WSFAST_NAME</c> environment variables, as configuration keys.</summary>
    /// <exception cref="FormatException">A value that is not of the flag's type, naming the variable.</exception>
    public static Dictionary<string, string?> FromEnvironment()
    {
        var keys = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (Setting setting in Settings)
        {
            string variable = "WSFAST_" + setting.Name.Replace('-', '_').ToUpperInvariant();
            if (Environment.GetEnvironmentVariable(variable) is { Length: > 0 } text)
            {
                setting.FromText(text, variable, keys);
            }
        }

        foreach ((string variable, string key) in SecretVariables)
        {
            if (Environment.GetEnvironmentVariable(variable) is { Length: > 0 } secret)
            {
                keys[key] = secret;
            }
        }

        return keys;
    }

    /// <summary>The <c>--config</c> file (or <c>WSFAST_CONFIG</c>'s), keys of flag names, as configuration keys.</summary>
    /// <exception cref="FormatException">The file cannot be read, or a value is not of its flag's type.</exception>
    public static Dictionary<string, string?> FromConfigFile(ParseResult parse)
    {
        var keys = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        string? path = parse.GetValue(Config) ?? Environment.GetEnvironmentVariable("WSFAST_CONFIG");
        if (string.IsNullOrEmpty(path))
        {
            return keys;
        }

        Dictionary<string, JsonElement> json;
        try
        {
            using FileStream file = File.OpenRead(path);
            json = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(file, new JsonSerializerOptions { ReadCommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true })
                ?? [];
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
        {
            throw new FormatException($"config file '{path}': {e.Message}", e);
        }

        foreach (Setting setting in Settings)
        {
            if (json.TryGetValue(setting.Name, out JsonElement element))
            {
                string value = element.ValueKind == JsonValueKind.Array
                    ? string.Join(',', element.EnumerateArray().Select(e => e.ToString()))
                    : element.ToString();
                setting.FromText(value, $"config key '{setting.Name}'", keys);
            }
        }

        return keys;
    }

    /// <summary>RATE or RATE:BURST, whole numbers (RATE with a fraction when allowed); the burst is the rate, at least 1, when not given.</summary>
    private static (double Rate, long Burst) ParseRate(string text, string name, long max, bool fraction)
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

    /// <summary>One flag and the configuration keys its value sets.</summary>
    private abstract class Setting
    {
        /// <summary>The flag's name without dashes: the JSON file's key, and the environment variable's stem.</summary>
        public abstract string Name { get; }

        public abstract void FromFlag(ParseResult parse, Dictionary<string, string?> keys);

        public abstract void FromText(string text, string source, Dictionary<string, string?> keys);

        public static Setting To<T>(Option<T> option, string key) =>
            new Setting<T>(option, (value, _, keys) => keys[key] = Invariant(value));

        public static Setting List(Option<string[]> option, string key) =>
            new Setting<string[]>(option, (values, _, keys) =>
            {
                for (int i = 0; i < values.Length; i++)
                {
                    keys[$"{key}:{i}"] = values[i];
                }
            });

        public static Setting Seconds(Option<double> option, string key) =>
            new Setting<double>(option, (seconds, source, keys) =>
            {
                if (double.IsNaN(seconds) || seconds < 0 || seconds > TimeSpan.MaxValue.TotalSeconds)
                {
                    throw new FormatException($"{source}: {seconds.ToString(CultureInfo.InvariantCulture)} is not a number of seconds");
                }

                keys[key] = TimeSpan.FromSeconds(seconds).ToString("c", CultureInfo.InvariantCulture);
            });

        public static Setting Rate(Option<string> option, string rateKey, string burstKey, long max, bool fraction) =>
            new Setting<string>(option, (text, source, keys) =>
            {
                (double rate, long burst) = ParseRate(text, source.TrimStart('-'), max, fraction);
                keys[rateKey] = rate.ToString(CultureInfo.InvariantCulture);
                keys[burstKey] = burst.ToString(CultureInfo.InvariantCulture);
            });

        public static Setting Engine(Option<string> option, string key) =>
            new Setting<string>(option, (text, source, keys) => keys[key] = text switch
            {
                "runtime" => "Runtime",
                "epoll" => "Epoll",
                _ => throw new FormatException($"{source.TrimStart('-')} '{text}' is neither 'runtime' nor 'epoll'"),
            });

        public static Setting Format(Option<string> option, string key) =>
            new Setting<string>(option, (text, source, keys) => keys[key] = text is "simple" or "json" or "systemd"
                ? text
                : throw new FormatException($"{source.TrimStart('-')} '{text}' is not 'simple', 'json' or 'systemd'"));

        private static string? Invariant<T>(T value) => value switch
        {
            null => null,
            bool flag => flag ? "true" : "false",
            IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
            _ => value.ToString(),
        };
    }

    private sealed class Setting<T>(Option<T> option, Action<T, string, Dictionary<string, string?>> write) : Setting
    {
        public override string Name => option.Name.TrimStart('-');

        public override void FromFlag(ParseResult parse, Dictionary<string, string?> keys)
        {
            if (parse.GetResult(option) is { Implicit: false })
            {
                write(parse.GetValue(option)!, option.Name, keys);
            }
        }

        public override void FromText(string text, string source, Dictionary<string, string?> keys)
        {
            T value;
            try
            {
                value = (T)(typeof(T) switch
                {
                    Type t when t == typeof(string) => text,
                    Type t when t == typeof(int) => int.Parse(text, CultureInfo.InvariantCulture),
                    Type t when t == typeof(long) => long.Parse(text, CultureInfo.InvariantCulture),
                    Type t when t == typeof(double) => double.Parse(text, CultureInfo.InvariantCulture),
                    Type t when t == typeof(bool) => bool.Parse(text),
                    Type t when t == typeof(string[]) => text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
                    Type t when t == typeof(LogLevel) => (object)Enum.Parse<LogLevel>(text, ignoreCase: true),
                    _ => throw new NotSupportedException(typeof(T).Name),
                });
            }
            catch (Exception e) when (e is FormatException or OverflowException or ArgumentException)
            {
                throw new FormatException($"{source}: '{text}' is not a valid {typeof(T).Name}", e);
            }

            write(value, source, keys);
        }
    }
}
