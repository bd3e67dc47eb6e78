using System.Text.Json;
using WsFast.Protocol;

namespace WsFast.Server;

/// <summary>
/// <c>POST /publish/{topic}</c>: the body becomes a message on the topic, text for <c>text/*</c> content types
/// and binary otherwise. Answers with the sequence number and the subscribers reached.
/// </summary>
internal static class PublishRoute
{
    public static async ValueTask<bool> ServeAsync(WsFastServer server, HttpConnection connection, HandshakeRequest request, string topicName, bool keepAlive)
    {
        BroadcastOptions options = server.Options.Broadcast;
        if (request.Method != "POST")
        {
            connection.Refuse(405, "publish with POST", KeyValuePair.Create("Allow", "POST"));
            return false;
        }

        if (!TopicRegistry.IsValidName(topicName))
        {
            connection.Refuse(400, $"invalid topic name: {TopicRegistry.NameRule}");
            return false;
        }

        // The static publish token, when it is the bearer, goes on as ever; any other request is the
        // authorizer's to decide, or without one the token's check refuses it (401 or 403).
        if (server.Options.Authorizer is { } authorizer && !HttpRouter.CarriesToken(request, options.PublishToken))
        {
            if (await connection.AuthorizeAsync(authorizer, AuthorizationRequestKind.Publish, request, null, topicName).ConfigureAwait(false) is null)
            {
                return false;
            }
        }
        else if (!HttpRouter.IsAuthorized(connection, request, options.PublishToken))
        {
            return false;
        }

        if (request.ContentLength is not { } length)
        {
            connection.Refuse(411, "Content-Length required");
            return false;
        }

        if (length > options.MaxPublishBytes)
        {
            connection.Refuse(413, $"body over {options.MaxPublishBytes} bytes");
            return false;
        }

        using RequestBody? body = await connection.ReadBodyAsync((int)length).ConfigureAwait(false);
        if (body is null)
        {
            return false; // the client left mid-body
        }

        bool isText = request.GetHeader("Content-Type")?.TrimStart().StartsWith("text/", StringComparison.OrdinalIgnoreCase) == true;
        if (isText && !Utf8Validator.IsValid(body.Span))
        {
            connection.Refuse(400, "a text/* body must be UTF-8");
            return false;
        }

        MessageType type = isText ? MessageType.Text : MessageType.Binary;
        if (server.Topics.TryPublish(topicName, type, body.Span, out PublishResult result) == PublishStatus.TopicLimit)
        {
            connection.Refuse(503, "the topic limit is reached: no new topic may hold history", KeyValuePair.Create("Retry-After", "60"));
            return false;
        }

        byte[] json = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["topic"] = topicName,
            ["sequence"] = result.Sequence,
            ["subscribers"] = result.Subscribers,
        });
        return await HttpRouter.Send(connection, 200, "application/json", json, keepAlive).ConfigureAwait(false);
    }
}
