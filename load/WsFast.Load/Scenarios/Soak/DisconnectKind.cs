namespace WsFast.Load.Scenarios.Soak;

/// <summary>How a churned client leaves before it reconnects.</summary>
public enum DisconnectKind
{
    /// <summary>The socket closed with a FIN and no close frame (a WebSocket) or between requests (HTTP).</summary>
    Abrupt,

    /// <summary>The socket reset (RST, linger 0) without a close frame; a long poll is reset while it waits.</summary>
    Reset,

    /// <summary>The close handshake: a 1000 close frame answered by the server's (RFC 6455 section 7.1.2); over HTTP a last request with <c>Connection: close</c> whose answer ends the connection, or for an event stream a FIN.</summary>
    CloseHandshake,

    /// <summary>Half of the next message written (a WebSocket frame cut in its payload, an HTTP request cut in its head), then a reset.</summary>
    MidMessage,
}
