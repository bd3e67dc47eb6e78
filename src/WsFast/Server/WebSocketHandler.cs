using WsFast.Server;

namespace WsFast;

/// <summary>
/// What an endpoint does with its connections: override the events you need. One handler serves every
/// connection of its endpoint, so keep per-connection state on the connection, not in fields.
/// </summary>
/// <remarks>
/// Events of one connection never overlap and arrive in order: connected, then each message, then
/// disconnected. The next message of a connection is not read until <see cref="OnMessageAsync"/> completes,
/// which is how a slow handler slows its own client down and no one else.
/// </remarks>
public abstract class WebSocketHandler
{
    /// <summary>The handshake completed: the connection is open and may send.</summary>
    public virtual ValueTask OnConnectedAsync(WebSocketConnection connection) => default;

    /// <summary>
    /// A whole message arrived. Its payload is pooled memory, valid only until the returned task completes:
    /// keep <see cref="WebSocketMessage.Detach"/>'s copy, not the message.
    /// </summary>
    public virtual ValueTask OnMessageAsync(WebSocketConnection connection, WebSocketMessage message) => default;

    /// <summary>
    /// The connection ended. <paramref name="code"/> is the peer's close code, ours if we closed first, or
    /// <see cref="CloseCode.AbnormalClosure"/> (1006) when the TCP connection ended without a close frame.
    /// </summary>
    public virtual ValueTask OnDisconnectedAsync(WebSocketConnection connection, CloseCode code, string reason) => default;
}
