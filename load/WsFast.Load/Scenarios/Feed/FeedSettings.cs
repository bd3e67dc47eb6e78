using System.Net;
using WsFast.Load.Client;

namespace WsFast.Load.Scenarios.Feed;

/// <summary>What a feed scenario publishes and where its receivers connect.</summary>
public sealed record FeedSettings
{
    /// <summary>The server, its source addresses, and (for <c>ws-broadcast</c>) the subscription URL.</summary>
    public required WsClientOptions Client { get; init; }

    /// <summary>
    /// The servers the subscribers spread over, each with its own subscription URL: client i connects to node
    /// i mod N (ws-broadcast's <c>--subscribe-urls</c>), while the publisher still posts to one. Empty: every
    /// subscriber connects to <see cref="Client"/>'s server.
    /// </summary>
    public IReadOnlyList<WsClientOptions> Nodes { get; init; } = [];

    /// <summary>
    /// Where the publisher posts, over plain HTTP: the server's plain listener when the subscribers use TLS on
    /// another port; null for <see cref="Client"/>'s server.
    /// </summary>
    public IPEndPoint? PublishServer { get; init; }

    /// <summary>The topic published to and received from.</summary>
    public required string Topic { get; init; }

    /// <summary>Messages published a second.</summary>
    public double Rate { get; init; } = 100;

    /// <summary>Payload size of each message, in bytes (at least what the sequence and timestamp take).</summary>
    public int MessageSize { get; init; } = 64;

    /// <summary>Whether messages carry market-data quotes (<see cref="FeedPayload"/>'s ticks) instead of padding letters.</summary>
    public bool Ticks { get; init; }

    /// <summary>Time between a short-polling client's polls.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Whether the HTTP receivers (sse, poll-long, poll-short) send a Chromium browser's request headers, with a
    /// logged-in user's 500-byte cookie (<see cref="Client.Http.BrowserRequestHeaders"/>), instead of the
    /// minimal Host and Accept.
    /// </summary>
    public bool BrowserHeaders { get; init; }

    /// <summary>The node client <paramref name="clientIndex"/> subscribes on: <see cref="Nodes"/> in turn, or <see cref="Client"/>.</summary>
    public WsClientOptions ClientFor(int clientIndex) => Nodes.Count == 0 ? Client : Nodes[clientIndex % Nodes.Count];

    /// <summary>The <c>Host</c> header value: the server's authority.</summary>
    public string Authority => Client.Url.Authority;
}
