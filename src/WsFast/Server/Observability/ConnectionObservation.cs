using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace WsFast.Server;

/// <summary>
/// What a WebSocket connection's life is observed by, begun once when its receive loop starts (just after the 101)
/// and ended when the loop ends (after OnDisconnectedAsync): its duration, its activity, and its logging scope.
/// </summary>
/// <remarks>
/// The scope (<see cref="ConnectionLogScope"/>) and the activity are set in the receive loop's own execution
/// context, which every handler call of the connection (OnConnected, each OnMessage, OnDisconnected) runs in: a
/// handler's <see cref="ILogger"/> lines carry the connection id, with one scope per connection and nothing per
/// message. That holds for loggers of the server's <see cref="ILoggerFactory"/>, whose scope provider they share
/// (in a host, the one every service gets).
/// </remarks>
internal readonly struct ConnectionObservation : IDisposable
{
    private readonly WebSocketConnection _connection;
    private readonly long _opened;
    private readonly Activity? _activity;
    private readonly IDisposable? _scope;

    private ConnectionObservation(WebSocketConnection connection)
    {
        _connection = connection;
        _opened = Stopwatch.GetTimestamp();
        _activity = WsFastTracing.StartConnection(connection);
        WsFastServer server = connection.Server;
        _scope = server.Logs ? server.Logger.BeginScope(new ConnectionLogScope(connection.Id, connection.Endpoint.Path)) : null;
    }

    /// <summary>Begins observing <paramref name="connection"/>, in the flow that runs its handlers.</summary>
    public static ConnectionObservation Begin(WebSocketConnection connection) => new(connection);

    /// <summary>The connection ended: its duration, the end of its activity, the end of its scope.</summary>
    public void Dispose()
    {
        _connection.Server.Metrics.ConnectionEnded(_opened, _connection.Endpoint);
        WsFastTracing.EndConnection(_activity, _connection.EndCode);
        _scope?.Dispose();
    }
}
