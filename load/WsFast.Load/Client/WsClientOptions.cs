using System.Net;
using System.Net.Security;

namespace WsFast.Load.Client;

/// <summary>Where and how a <see cref="WsClient"/> connects.</summary>
public sealed record WsClientOptions
{
    /// <summary>The ws:// or wss:// URL: its host and port are connected to, its path and query requested.</summary>
    public required Uri Url { get; init; }

    /// <summary>The server's address, resolved once for all clients.</summary>
    public required IPEndPoint Server { get; init; }

    /// <summary>
    /// How many loopback source addresses to spread clients over: client i binds 127.0.0.(1 + i % N) before
    /// connecting, so that more than one source address's ephemeral ports are available. 1 leaves the choice
    /// to the system.
    /// </summary>
    public int SourceAddresses { get; init; } = 1;

    /// <summary>Size of each connection's receive buffer; messages larger than it arrive in pieces.</summary>
    public int ReceiveBufferSize { get; init; } = 4096;

    /// <summary>
    /// The socket's receive buffer (SO_RCVBUF) in bytes, set before connecting, or null for the system's default:
    /// a small one makes a client that stops reading show it to the server within a few messages (a slow consumer).
    /// </summary>
    public int? SocketReceiveBufferSize { get; init; }

    /// <summary>The largest message accepted from the server (inflated, when it came compressed).</summary>
    public long MaxMessageSize { get; init; } = 16 * 1024 * 1024;

    /// <summary>
    /// Offer permessage-deflate as Chromium does (<c>permessage-deflate; client_max_window_bits</c>), inflate what
    /// the server sends compressed, and compress what the client sends when the server agreed.
    /// </summary>
    public bool Deflate { get; init; }

    /// <summary>
    /// TLS (wss://): each client runs its own handshake with these options before the upgrade; null for plain
    /// ws://. <see cref="TlsSettings.ClientOptions"/> makes them from a CA file or no check at all.
    /// </summary>
    public SslClientAuthenticationOptions? Tls { get; init; }

    /// <summary>The local address client <paramref name="clientIndex"/> binds to, or null to let the system choose.</summary>
    public IPAddress? SourceAddressFor(int clientIndex)
    {
        if (SourceAddresses <= 1 || !IPAddress.IsLoopback(Server.Address) || Server.Address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork)
        {
            return null;
        }

        return new IPAddress(new byte[] { 127, 0, 0, (byte)(1 + clientIndex % Math.Min(SourceAddresses, 254)) });
    }
}
