using Microsoft.Extensions.ObjectPool;

namespace WsFast.Transport;

/// <summary>
/// The connection objects of one listener, together with what each one owns (its receive pipe and its two
/// socket event args), and the block pool the pipes draw from. Counts what is out so that tests can check
/// everything came back.
/// </summary>
internal sealed class SocketConnectionPool
{
    private readonly DefaultObjectPool<SocketConnection> _pool;
    private long _rented;
    private long _returned;

    public SocketConnectionPool(SocketTransportOptions options)
    {
        _pool = new DefaultObjectPool<SocketConnection>(
            new SocketConnectionPoolPolicy(this, options), Math.Max(1, options.MaxRetainedConnections));
    }

    /// <summary>The receive memory of every connection of this pool.</summary>
    public PinnedBlockMemoryPool BlockPool { get; } = new();

    /// <summary>Connections handed out and not yet returned.</summary>
    public long InUse => Interlocked.Read(ref _rented) - Interlocked.Read(ref _returned);

    /// <summary>Connections returned since creation.</summary>
    public long ReturnedCount => Interlocked.Read(ref _returned);

    /// <summary>Takes a connection object and starts it on <paramref name="socket"/>.</summary>
    public SocketConnection Rent(System.Net.Sockets.Socket socket)
    {
        SocketConnection connection = _pool.Get();
        Interlocked.Increment(ref _rented);
        connection.Start(socket);
        return connection;
    }

    /// <summary>Called by a connection once it is closed and disposed, exactly once per <see cref="Rent"/>.</summary>
    public void Return(SocketConnection connection)
    {
        Interlocked.Increment(ref _returned);
        _pool.Return(connection);
    }
}
