namespace WsFast.Load.Engine;

/// <summary>What went wrong with a client, counted per kind in <see cref="WorkerStats"/>.</summary>
public enum ErrorKind
{
    /// <summary>The TCP connection could not be opened.</summary>
    ConnectFailed,

    /// <summary>The server did not answer the upgrade with a valid 101 (status, headers or Sec-WebSocket-Accept).</summary>
    HandshakeFailed,

    /// <summary>The server sent a frame that breaks RFC 6455.</summary>
    ProtocolViolation,

    /// <summary>The server closed the connection (TCP or WebSocket close) before the client was done.</summary>
    ClosedByServer,

    /// <summary>A socket operation failed after the connection was open.</summary>
    SocketError,

    /// <summary>An echo did not match what was sent.</summary>
    PayloadMismatch,

    /// <summary>An HTTP response was malformed or did not have the expected status.</summary>
    HttpFailed,

    /// <summary>A feed message arrived with a sequence number at or below one already received.</summary>
    OutOfOrder,

    /// <summary>The TLS handshake failed: the server's certificate was refused, or no protocol or cipher was agreed.</summary>
    TlsFailed,

    /// <summary>Anything else: a bug in the scenario or the engine.</summary>
    Unexpected,
}
