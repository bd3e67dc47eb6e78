namespace WsFast.Server;

/// <summary>Why a client was refused by <see cref="ClientLimitOptions"/> or the proxy rules: counted and logged by kind.</summary>
internal enum LimitRefusal
{
    /// <summary>429: the client address holds <see cref="ClientLimitOptions.MaxConnectionsPerAddress"/> connections.</summary>
    ConnectionsPerAddress,

    /// <summary>429: the client address used up its <see cref="ClientLimitOptions.HandshakesPerSecond"/>.</summary>
    HandshakeRate,

    /// <summary>1008: a WebSocket sent faster than <see cref="ClientLimitOptions.MessagesPerSecond"/>.</summary>
    MessageRate,

    /// <summary>1008: a WebSocket sent faster than <see cref="ClientLimitOptions.BytesPerSecond"/>.</summary>
    ByteRate,

    /// <summary>503: <see cref="ClientLimitOptions.MaxTrackedAddresses"/> addresses all hold connections.</summary>
    AddressTableFull,

    /// <summary>400: a trusted proxy sent a malformed <c>Forwarded</c>, <c>X-Forwarded-For</c> or <c>X-Forwarded-Proto</c>.</summary>
    ForwardedHeader,
}

/// <summary>The names the metrics give the <see cref="LimitRefusal"/> kinds.</summary>
internal static class LimitRefusals
{
    public const int Count = 6;

    public static string Name(LimitRefusal kind) => kind switch
    {
        LimitRefusal.ConnectionsPerAddress => "connections_per_address",
        LimitRefusal.HandshakeRate => "handshake_rate",
        LimitRefusal.MessageRate => "message_rate",
        LimitRefusal.ByteRate => "byte_rate",
        LimitRefusal.AddressTableFull => "address_table_full",
        _ => "forwarded_header",
    };
}
