using WsFast.Server;

namespace WsFast;

/// <summary>
/// What one client may take of the server: connections and handshakes per client address, messages and bytes per
/// second per WebSocket connection. Each default is far above what a browser does; zero turns a limit off.
/// </summary>
/// <remarks>
/// <para>The client address is the socket's peer, or behind a proxy listed in
/// <see cref="WsFastServerOptions.TrustedProxies"/> the address the proxy forwards. IPv4-mapped IPv6 addresses
/// count as their IPv4 address, and IPv6 addresses count by their /64 prefix: a single host is usually given a
/// whole /64, and could otherwise take a fresh address for every connection.</para>
/// <para>Beyond a per-address limit a request gets <c>429 Too Many Requests</c> with <c>Retry-After</c>, before any
/// upgrade; beyond a per-connection rate a WebSocket is closed with 1008 "rate limit", once every message that
/// arrived whole before the violation has been delivered. Clients behind one NAT share an address: raise the
/// per-address limits for a site whose users come from a few large networks.</para>
/// </remarks>
public sealed class ClientLimitOptions
{
    /// <summary>
    /// Connections one client address may hold open at once, upgraded or not (counted from its first request);
    /// beyond it a request gets 429. Default 1,000 (a browser holds a few per site); 0: no limit.
    /// </summary>
    public int MaxConnectionsPerAddress { get; set; } = 1000;

    /// <summary>
    /// WebSocket upgrades, event streams and polls one client address may start per second, on average (a
    /// fraction for less than one a second); beyond <see cref="HandshakeBurst"/> they get 429 with the seconds until
    /// the next is allowed. Default 50; 0: no limit.
    /// </summary>
    public double HandshakesPerSecond { get; set; } = 50;

    /// <summary>Handshakes one client address may start at once before <see cref="HandshakesPerSecond"/> applies. Default 200.</summary>
    public int HandshakeBurst { get; set; } = 200;

    /// <summary>
    /// Messages one WebSocket connection may send per second, on average; beyond <see cref="MessageBurst"/> it is
    /// closed with 1008 "rate limit" at the first frame of the message over. Default 1,000; 0: no limit.
    /// </summary>
    public int MessagesPerSecond { get; set; } = 1000;

    /// <summary>Messages one WebSocket connection may send at once before <see cref="MessagesPerSecond"/> applies. Default 2,000.</summary>
    public int MessageBurst { get; set; } = 2000;

    /// <summary>
    /// Payload bytes (as received, before any decompression) one WebSocket connection may send per second, on
    /// average; beyond <see cref="ByteBurst"/> it is closed with 1008 "rate limit" as the bytes over arrive.
    /// Default 16 MiB; 0: no limit.
    /// </summary>
    public long BytesPerSecond { get; set; } = 16L * 1024 * 1024;

    /// <summary>
    /// Payload bytes one WebSocket connection may send at once before <see cref="BytesPerSecond"/> applies. Default
    /// 32 MiB, so that a message of <see cref="WsFastServerOptions.MaxMessageSize"/>'s default passes at line speed.
    /// </summary>
    public long ByteBurst { get; set; } = 32L * 1024 * 1024;

    /// <summary>
    /// Client addresses (IPv6: /64 prefixes) whose counts are kept at once. Addresses without open connections are
    /// forgotten once their handshake allowance is full again, or at once when the table is full; when every one
    /// still holds a connection, a request from a new address gets 503. Default 100,000.
    /// </summary>
    public int MaxTrackedAddresses { get; set; } = 100_000;

    internal bool LimitsAddresses => MaxConnectionsPerAddress > 0 || HandshakesPerSecond > 0;

    internal bool LimitsReceiving => MessagesPerSecond > 0 || BytesPerSecond > 0;

    internal void Check(OptionsCheck check)
    {
        // 0 turns a limit off; a burst must let at least one through while its rate is on.
        check.AtLeast(MaxConnectionsPerAddress, 0, nameof(MaxConnectionsPerAddress));
        check.AtLeast(HandshakesPerSecond, 0, nameof(HandshakesPerSecond));
        check.AtLeast(MessagesPerSecond, 0, nameof(MessagesPerSecond));
        check.AtLeast(BytesPerSecond, 0, nameof(BytesPerSecond));
        if (HandshakesPerSecond > 0)
        {
            check.AtLeast(HandshakeBurst, 1, nameof(HandshakeBurst));
        }

        if (MessagesPerSecond > 0)
        {
            check.AtLeast(MessageBurst, 1, nameof(MessageBurst));
        }

        if (BytesPerSecond > 0)
        {
            check.AtLeast(ByteBurst, 1, nameof(ByteBurst));
        }

        check.AtLeast(MaxTrackedAddresses, 1, nameof(MaxTrackedAddresses));
    }
}
