namespace WsFast;

/// <summary>Which kind of request a <see cref="RequestAuthorizer"/> is asked about.</summary>
public enum AuthorizationRequestKind : byte
{
    /// <summary>A WebSocket upgrade (<see cref="AuthorizationContext.Endpoint"/> is set).</summary>
    WebSocket,
    /// <summary><c>GET</c> on the event stream route: Server-Sent Events of <see cref="AuthorizationContext.Topic"/>.</summary>
    EventStream,
    /// <summary><c>GET</c> on the poll route: the messages of <see cref="AuthorizationContext.Topic"/>.</summary>
    Poll,
    /// <summary><c>POST</c> on the publish route: a message to <see cref="AuthorizationContext.Topic"/>.</summary>
    Publish,
}
