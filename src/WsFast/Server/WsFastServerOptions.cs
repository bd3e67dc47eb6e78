using System.Net;
using WsFast.Protocol;

namespace WsFast.Server;

/// <summary>
/// Everything a <see cref="WsFastServer"/> can be told: where to listen, and a bound for every resource a
/// client can make it spend. Each default is safe for a public-facing server.
/// </summary>
public sealed class WsFastServerOptions
{
    /// <summary>Addresses to listen on. Default: 127.0.0.1:8080.</summary>
    public List<IPEndPoint> Endpoints { get; } = [];

    /// <summary>Time a client has to complete its HTTP request, from the TCP accept. Default 10 s.</summary>
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

    /// <summary>Time graceful shutdown waits for clients to answer their 1001 close. Default 5 s.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Largest message, over all its fragments; beyond it the connection closes with 1009. Default 16 MiB.</summary>
    public long MaxMessageSize { get; set; } = FrameReaderOptions.DefaultMaxMessageSize;

    /// <summary>Largest HTTP request header block; beyond it the request gets 431. Default 8 KiB.</summary>
    public int MaxHeaderBytes { get; set; } = 8 * 1024;

    /// <summary>Most header fields in a request; beyond it the request gets 431. Default 100.</summary>
    public int MaxHeaderCount { get; set; } = 100;

    /// <summary>Most connections at once, upgraded or not; beyond it a new client gets 503. Default 100,000.</summary>
    public int MaxConnections { get; set; } = 100_000;

    /// <summary>
    /// Outbound bytes a connection may have queued and not yet sent. A send that finds the queue at this
    /// bound waits until it drains. Default 1 MiB.
    /// </summary>
    public long MaxQueuedOutboundBytes { get; set; } = 1024 * 1024;

    /// <summary>
    /// Origins allowed to open WebSockets (exact, case-insensitive, e.g. <c>https://example.com</c>); others
    /// get 403. Empty: any origin, and requests without one. Endpoints may narrow it.
    /// </summary>
    public List<string> AllowedOrigins { get; } = [];

    /// <summary>Topics, publishing, Server-Sent Events and polling (active once a broadcast endpoint is mapped).</summary>
    public BroadcastOptions Broadcast { get; } = new();

    internal void Validate()
    {
        Broadcast.Validate();
        static void Positive(TimeSpan value, string name)
        {
            if (value <= TimeSpan.Zero)
            {
                throw new ArgumentOutOfRangeException(name, value, $"{name} must be positive.");
            }
        }

        Positive(HandshakeTimeout, nameof(HandshakeTimeout));
        Positive(CloseTimeout, nameof(CloseTimeout));
        Positive(ShutdownTimeout, nameof(ShutdownTimeout));
        if (PingInterval > TimeSpan.Zero)
        {
            Positive(PingTimeout, nameof(PingTimeout));
        }

        if (PingInterval < TimeSpan.Zero || IdleTimeout < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(PingInterval), "Ping interval and idle timeout must not be negative.");
        }

        if (MaxMessageSize < 1 || MaxHeaderBytes < 256 || MaxHeaderCount < 8 || MaxConnections < 1 || MaxQueuedOutboundBytes < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxMessageSize),
                "Limits must be positive (header bytes at least 256, header count at least 8).");
        }
    }
}
