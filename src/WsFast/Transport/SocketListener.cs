using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace WsFast.Transport;

/// <summary>
/// Listens on one or more TCP endpoints and hands every accepted connection, started and with TCP_NODELAY set,
/// to a callback.
/// </summary>
/// <remarks>
/// IPv6 endpoints are bound IPv6-only; bind an IPv4 endpoint separately to take both. Several accepts are kept
/// outstanding per endpoint (<see cref="SocketTransportOptions.AcceptsPerEndPoint"/>). The callback runs on the
/// accepting thread and should return quickly: it is expected to start the connection's processing (reading
/// <see cref="SocketConnection.Input"/>, awaiting <see cref="SocketConnection.Closed"/> and then disposing the
/// connection), not to perform it. If it throws, the error is logged and the connection disposed. A failed
/// accept (for example, out of file descriptors) is logged and retried after
/// <see cref="SocketTransportOptions.AcceptErrorDelay"/>.
/// </remarks>
internal sealed class SocketListener : IDisposable
{
    private readonly IPEndPoint[] _requested;
    private readonly Action<SocketConnection> _onConnection;
    private readonly SocketTransportOptions _options;
    private readonly ILogger _logger;
    private readonly List<Socket> _listenSockets = [];
    private readonly List<Task> _acceptLoops = [];
    private IPEndPoint[] _endPoints = [];
    private volatile bool _stopping;
    private bool _started;

    /// <summary>Creates a listener; nothing is bound until <see cref="Start"/>.</summary>
    /// <param name="endPoints">The endpoints to bind; port 0 picks a free port.</param>
    /// <param name="onConnection">Receives every accepted connection; see the remarks on <see cref="SocketListener"/>.</param>
    /// <param name="options">Settings; defaults if null. Not to be changed after this call.</param>
    /// <param name="logger">Where accept failures are reported; nowhere if null.</param>
    public SocketListener(
        IEnumerable<IPEndPoint> endPoints,
        Action<SocketConnection> onConnection,
        SocketTransportOptions? options = null,
        ILogger<SocketListener>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(endPoints);
        ArgumentNullException.ThrowIfNull(onConnection);
        _requested = [.. endPoints];
        if (_requested.Length == 0)
        {
            throw new ArgumentException("At least one endpoint is required.", nameof(endPoints));
        }

        _onConnection = onConnection;
        _options = options ?? new SocketTransportOptions();
        _options.Validate();
        _logger = logger ?? (ILogger)NullLogger.Instance;
        Pool = new SocketConnectionPool(_options);
    }

    /// <summary>The endpoints actually bound (with the ports chosen for port 0), in the order given; empty before <see cref="Start"/>.</summary>
    public IReadOnlyList<IPEndPoint> EndPoints => _endPoints;

    /// <summary>The pools of the accepted connections.</summary>
    internal SocketConnectionPool Pool { get; }

    /// <summary>Binds every endpoint, listens and starts accepting.</summary>
    /// <exception cref="SocketException">An endpoint could not be bound; nothing stays bound.</exception>
    /// <exception cref="InvalidOperationException">Already started.</exception>
    public void Start()
    {
        if (_started)
        {
            throw new InvalidOperationException("The listener was already started.");
        }

        _started = true;
        var bound = new IPEndPoint[_requested.Length];
        try
        {
            for (int i = 0; i < _requested.Length; i++)
            {
                Socket socket = Bind(_requested[i]);
                _listenSockets.Add(socket);
                bound[i] = (IPEndPoint)socket.LocalEndPoint!;
            }
        }
        catch
        {
            CloseListenSockets();
            throw;
        }

        _endPoints = bound;
        for (int i = 0; i < _listenSockets.Count; i++)
        {
            for (int j = 0; j < _options.AcceptsPerEndPoint; j++)
            {
                Socket listenSocket = _listenSockets[i];
                IPEndPoint endPoint = bound[i];
                _acceptLoops.Add(Task.Run(() => AcceptLoopAsync(listenSocket, endPoint)));
            }
        }
    }

    /// <summary>
    /// Stops accepting: closes the listening sockets. Connections already accepted are not affected. Idempotent.
    /// </summary>
    public void StopAccepting()
    {
        _stopping = true;
        CloseListenSockets();
    }

    /// <summary>Completes when every accept loop has ended after <see cref="StopAccepting"/>.</summary>
    public Task WhenAcceptingStopped() => Task.WhenAll(_acceptLoops);

    /// <summary>Same as <see cref="StopAccepting"/>.</summary>
    public void Dispose() => StopAccepting();

    private Socket Bind(IPEndPoint endPoint)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (endPoint.AddressFamily == AddressFamily.InterNetworkV6)
            {
                socket.DualMode = false;
            }

            socket.Bind(endPoint);
            socket.Listen(_options.Backlog);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private void CloseListenSockets()
    {
        lock (_listenSockets)
        {
            foreach (Socket socket in _listenSockets)
            {
                socket.Dispose();
            }
        }
    }

    private async Task AcceptLoopAsync(Socket listenSocket, IPEndPoint endPoint)
    {
        using var args = new AwaitableSocketEventArgs();
        try
        {
            while (!_stopping)
            {
                SocketError error = await args.AcceptAsync(listenSocket);
                if (error == SocketError.Success)
                {
                    Socket accepted = args.AcceptSocket!;
                    args.AcceptSocket = null;
                    Dispatch(accepted);
                    continue;
                }

                if (_stopping || error == SocketError.OperationAborted)
                {
                    return;
                }

                TransportLog.AcceptFailed(_logger, endPoint, error, _options.AcceptErrorDelay);
                await Task.Delay(_options.AcceptErrorDelay).ConfigureAwait(false);
            }
        }
        catch (ObjectDisposedException)
        {
            // The listening socket was closed by StopAccepting between two accepts.
        }
        catch (Exception e)
        {
            TransportLog.AcceptLoopFailed(_logger, endPoint, e);
        }
    }

    private void Dispatch(Socket accepted)
    {
        try
        {
            // Frames are written whole; Nagle would only hold small replies back waiting for an ACK.
            accepted.NoDelay = true;
        }
        catch (SocketException)
        {
            // The peer reset the connection before we got to it.
            accepted.Dispose();
            return;
        }

        SocketConnection connection = Pool.Rent(accepted);
        try
        {
            _onConnection(connection);
        }
        catch (Exception e)
        {
            TransportLog.ConnectionHandlerFailed(_logger, connection.Id, e);
            connection.Dispose(connection.Id);
        }
    }
}
