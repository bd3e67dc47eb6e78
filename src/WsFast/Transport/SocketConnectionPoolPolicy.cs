using Microsoft.Extensions.ObjectPool;

namespace WsFast.Transport;

/// <summary>Creates connection objects for a <see cref="SocketConnectionPool"/> and resets them when they come back.</summary>
internal sealed class SocketConnectionPoolPolicy(SocketConnectionPool owner, SocketTransportOptions options)
    : IPooledObjectPolicy<SocketConnection>
{
    public SocketConnection Create() => new(owner, options);

    public bool Return(SocketConnection connection)
    {
        connection.ResetForReuse();
        return true;
    }
}
