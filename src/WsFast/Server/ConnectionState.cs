namespace WsFast;

/// <summary>Where a WebSocket connection is in its life.</summary>
public enum ConnectionState : byte
{
    /// <summary>Upgraded: messages flow both ways.</summary>
    Open,
    /// <summary>A close frame has been sent; nothing more will be.</summary>
    Closing,
    /// <summary>The TCP connection is gone.</summary>
    Closed,
}

