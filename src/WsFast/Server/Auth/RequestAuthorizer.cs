namespace WsFast;

/// <summary>
/// Decides, before the server answers, whether a request may go on: a WebSocket upgrade before its 101, and
/// (set server-wide) the event stream, poll and publish routes before they serve. Set it on an endpoint
/// (<see cref="WebSocketEndpoint.Authorizer"/>) or for the whole server (<see cref="WsFastServerOptions.Authorizer"/>).
/// </summary>
/// <remarks>
/// <para>While <see cref="AuthorizeAsync"/> runs, the connection reads nothing more from its client and joins no
/// topic, so nothing published meanwhile reaches it; the request's deadline
/// (<see cref="WsFastServerOptions.HandshakeTimeout"/>) still runs. An authorizer that has not answered by then
/// is no longer waited for: the client gets 503 and the connection closes (<see cref="AuthorizationContext.Aborted"/>
/// is cancelled at that moment). An authorizer that throws gets the client a 500, and one log line (rate-limited).</para>
/// <para>An upgrade it accepts joins its endpoint and topics only then; one it rejects leaves nothing behind.
/// Draft-76 clients (<see cref="WebSocketEndpoint.LegacyHixie76"/>) are refused with 426 on an endpoint that has
/// an authorizer: their connections could not carry what it grants.</para>
/// </remarks>
public abstract class RequestAuthorizer
{
    /// <summary>
    /// Accepts (<see cref="AuthorizationResult.Accept"/>) or rejects (<see cref="AuthorizationResult.Reject"/>,
    /// <see cref="AuthorizationResult.Unauthorized"/>, ...) the request described by <paramref name="context"/>.
    /// </summary>
    public abstract ValueTask<AuthorizationResult> AuthorizeAsync(AuthorizationContext context);

    /// <summary>
    /// A message from a WebSocket connection this authorizer accepted with an expiry
    /// (<see cref="AuthorizationResult.ExpiresAt"/>), offered before the endpoint's handler sees it, for a refresh
    /// the authorizer defines. Return true when the message was the authorizer's (it has then called
    /// <see cref="WebSocketConnection.ExtendAuthorization"/> or closed the connection): the handler does not get it.
    /// The default takes none.
    /// </summary>
    /// <remarks>
    /// On an endpoint that takes no messages from clients (a broadcast endpoint without relaying), such a
    /// connection may send messages of up to <see cref="MaxRefreshMessageBytes"/> for this method; one it does not
    /// take closes the connection with 1008, as any message there does.
    /// </remarks>
    public virtual ValueTask<bool> OnMessageAsync(WebSocketConnection connection, WebSocketMessage message) => new(false);

    /// <summary>
    /// The largest message a connection with an expiring authorization may send on an endpoint that otherwise
    /// takes none: 16 KiB, room for a token twice the size of the largest request head.
    /// </summary>
    public const int MaxRefreshMessageBytes = 16 * 1024;
}
