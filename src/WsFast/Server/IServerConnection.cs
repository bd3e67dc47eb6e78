namespace WsFast.Server;

/// <summary>
/// What the server's timer, its memory budget and its shutdown need of every connection it holds: the HTTP
/// connection reading requests (<see cref="HttpConnection"/>, which may be streaming events or holding a long
/// poll) until it hands over to a <see cref="WebSocketConnection"/> on upgrade (a <see cref="Hixie76Connection"/> for a
/// draft-76 client). One per TCP connection.
/// </summary>
internal interface IServerConnection
{
    /// <summary>Enforces the connection's deadlines at <paramref name="now"/> (<see cref="Environment.TickCount64"/>).</summary>
    void OnTick(long now);

    /// <summary>Graceful shutdown: a WebSocket gets 1001, an HTTP connection ends after its response.</summary>
    void Shutdown();

    /// <summary>Closes the TCP connection now.</summary>
    void Abort();

    /// <summary>Bytes held for the peer now: queued output, and input being assembled into a message.</summary>
    long BufferedBytes { get; }

    /// <summary>Whether the connection is already ending: what it holds is about to be freed.</summary>
    bool IsClosing { get; }

    /// <summary>
    /// The process is over its memory budget and this connection is among those holding the most: it is closed.
    /// False when it was already closing.
    /// </summary>
    bool CloseOverBudget();
}
