namespace WsFast.Server;

/// <summary>
/// The handler of a broadcast endpoint: a connection subscribes to its topic when it opens and leaves it when
/// it closes; with relaying on, each message a client sends is published to its topic, so it reaches everyone
/// subscribed, the sender included.
/// </summary>
internal sealed class TopicHandler(bool relayClientMessages) : WebSocketHandler
{
    public override ValueTask OnConnectedAsync(WebSocketConnection connection)
    {
        connection.SubscribeToTopic();
        return default;
    }

    public override ValueTask OnMessageAsync(WebSocketConnection connection, WebSocketMessage message)
    {
        if (relayClientMessages)
        {
            connection.Topic!.Publish(message.Type, message.Payload);
        }

        return default;
    }

    public override ValueTask OnDisconnectedAsync(WebSocketConnection connection, Protocol.CloseCode code, string reason)
    {
        connection.UnsubscribeFromTopic();
        return default;
    }
}
