namespace WsFast;

/// <summary>
/// Sends every message back to its sender, as it came. The connection's outbound bound applies: while its queue
/// is full the echo waits, and the next message is not read.
/// </summary>
/// <remarks>
/// An endpoint with this handler echoes its draft-76 clients too (<see cref="WebSocketEndpoint.LegacyHixie76"/>).
/// </remarks>
public sealed class EchoHandler : WebSocketHandler
{
    /// <inheritdoc/>
    public override ValueTask OnMessageAsync(WebSocketConnection connection, WebSocketMessage message)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ValueTask<bool> sent = connection.SendAsync(message);
        return sent.IsCompletedSuccessfully ? default : new ValueTask(sent.AsTask());
    }
}
