using WsFast.Protocol;

namespace WsFast.Server;

/// <summary>
/// The handler of a broadcast endpoint. Its connections are subscribed to their topic by the server; this
/// decides what a client's own messages do. With relaying on, each is published to the client's topic (everyone
/// subscribed gets it, the sender included) within <see cref="BroadcastOptions.MaxPublishBytes"/> (larger closes
/// with 1009, as the frame reader enforces) and <see cref="BroadcastOptions.RelayRate"/> (faster closes with
/// 1008). With relaying off no message reaches it: the connection refuses one at its first frame with 1008
/// (<see cref="WebSocketEndpoint.TakesClientMessages"/>).
/// </summary>
internal sealed class TopicHandler(BroadcastOptions options) : WebSocketHandler
{
    public override ValueTask OnMessageAsync(WebSocketConnection connection, WebSocketMessage message)
    {
        if (!connection.RelayAllowed)
        {
            Refuse(connection, "not allowed to publish to this topic");
            return default;
        }

        if (!connection.RelayAllowance.TryTake(options.RelayRate, Environment.TickCount64))
        {
            Refuse(connection, "relay rate exceeded");
            return default;
        }

        if (connection.Topic!.IsMirror)
        {
            return RelayThroughBrokerAsync(connection, message.Type, System.Buffers.BuffersExtensions.ToArray(message.Payload));
        }

        if (connection.Topic.TryPublish(message.Type, FrameWriting.Frame((Opcode)message.Type, message.Payload), except: null, out _) == PublishStatus.TopicLimit)
        {
            Refuse(connection, "the topic limit is reached");
        }

        return default;
    }

    // A shared broker numbers the message. The client's next message waits for this one to be taken, so that a
    // relaying client is slowed to the broker's pace and its messages keep their order.
    private static async ValueTask RelayThroughBrokerAsync(WebSocketConnection connection, MessageType type, byte[] payload)
    {
        try
        {
            await connection.Topic!.PublishAsync(type, payload).ConfigureAwait(false);
        }
        catch (BrokerUnavailableException)
        {
            // Logged and counted by the broker; the client may reconnect and send it again.
            connection.Close(CloseCode.TryAgainLater, "the broker is unreachable");
        }
    }

    private static void Refuse(WebSocketConnection connection, string reason)
    {
        connection.Server.BadInput.RelayRefused(connection.Id, connection.ClientForLog, reason);
        connection.Close(CloseCode.PolicyViolation, reason);
    }
}
