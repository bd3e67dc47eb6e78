using System.Text.Json;

namespace WsFast.Server;

/// <summary>
/// <c>GET /topics/{topic}</c>: where a topic stands over every server sharing it: its subscribers summed over the
/// servers (each server reports its own every <see cref="BrokerOptions.PresenceInterval"/>; one that stops
/// reporting drops out after three), the servers with any, this server's own count, its epoch and last sequence
/// number. Served where <c>/metrics</c> is, under the same rule: subscriber counts are the operator's business.
/// </summary>
internal static class TopicInfoRoute
{
    public static async ValueTask<bool> ServeAsync(WsFastServer server, HttpConnection connection, string topicName, bool keepAlive)
    {
        if (!TopicRegistry.IsValidName(topicName))
        {
            HttpRefusal.InvalidTopicName.Send(connection);
            return false;
        }

        TopicPresence presence;
        try
        {
            presence = await server.Topics.Broker.GetPresenceAsync(topicName, CancellationToken.None).ConfigureAwait(false);
        }
        catch (BrokerUnavailableException)
        {
            HttpRouter.RefuseBrokerUnavailable(connection);
            return false;
        }

        var answer = new Dictionary<string, object>
        {
            ["topic"] = topicName,
            ["subscribers"] = presence.Subscribers,
            ["servers"] = presence.Servers,
            ["here"] = server.Topics.SubscriberCount(topicName),
            ["epoch"] = presence.Epoch,
            ["last"] = presence.LastSequence,
        };
        if (presence.Epoch != 0)
        {
            answer["cursor"] = new TopicCursor(presence.Epoch, presence.LastSequence).ToString();
        }

        return await HttpRouter.Send(connection, 200, "application/json", JsonSerializer.SerializeToUtf8Bytes(answer), keepAlive).ConfigureAwait(false);
    }
}
