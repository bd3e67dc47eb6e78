using WsFast.Load.Client;

namespace WsFast.Load.Scenarios;

/// <summary>What the <c>ws-echo</c> clients send.</summary>
public sealed record EchoSettings
{
    /// <summary>Where and how to connect.</summary>
    public required WsClientOptions Client { get; init; }

    /// <summary>Payload size of each message, in bytes.</summary>
    public int MessageSize { get; init; } = 32;

    /// <summary>Messages each client keeps in flight (sent and not yet echoed).</summary>
    public int InFlight { get; init; } = 1;

    /// <summary>Binary messages rather than text.</summary>
    public bool Binary { get; init; }
}
