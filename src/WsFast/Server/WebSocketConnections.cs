using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;

namespace WsFast;

/// <summary>
/// The server's open WebSocket connections, by <see cref="WebSocketConnection.Id"/>: for server code that keeps
/// an id (in a user table, a message, another connection's <see cref="WebSocketConnection.UserState"/>) and
/// needs the connection back, say to subscribe it or send to it. A connection is here from just before its
/// handler's <see cref="WebSocketHandler.OnConnectedAsync"/> until it has ended.
/// </summary>
public sealed class WebSocketConnections
{
    private readonly ConcurrentDictionary<long, WebSocketConnection> _byId = new();
    private int _count;

    internal WebSocketConnections()
    {
    }

    /// <summary>The connections here now.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>The open connection with id <paramref name="id"/>, if there is one. Allocates nothing.</summary>
    public bool TryGet(long id, [MaybeNullWhen(false)] out WebSocketConnection connection) => _byId.TryGetValue(id, out connection);

    internal void Add(WebSocketConnection connection)
    {
        if (_byId.TryAdd(connection.Id, connection))
        {
            Interlocked.Increment(ref _count);
        }
    }

    internal void Remove(WebSocketConnection connection)
    {
        if (_byId.TryRemove(KeyValuePair.Create(connection.Id, connection)))
        {
            Interlocked.Decrement(ref _count);
        }
    }
}
