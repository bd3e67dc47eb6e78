using System.Text.Json;
using WsFast.Protocol;

namespace WsFast.Server;

/// <summary>
/// <c>POST /publish/{topic}</c>: the body becomes a message on the topic, text for <c>text/*</c> content types
/// and binary otherwise. Answers with the sequence number, epoch and cursor and, without a shared broker, the
/// subscribers reached. With a shared broker that cannot be reached: 503 with <c>Retry-After</c>, nothing published.
/// </summary>
internal static class PublishRoute
{
    public static async ValueTask<bool> ServeAsync(WsFastServer server, HttpConnection connection, HandshakeRequest request, string topicName, bool keepAlive)
    {
        BroadcastOptions options = server.Options.Broadcast;
        if (CheckTarget(request, topicName) is { } refusal)
        {
            refusal.Send(connection);
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

        if (CheckLength(request, options.MaxPublishBytes, out int length) is { } lengthRefusal)
        {
            lengthRefusal.Send(connection);
            return false;
        }

        using RequestBody? body = await connection.ReadBodyAsync(length).ConfigureAwait(false);
        if (body is null)
        {
            return false; // the client left mid-body
        }

        if (CheckBody(request, body.Span, out MessageType type) is { } bodyRefusal)
        {
            bodyRefusal.Send(connection);
            return false;
        }

        PublishResult result;
        try
        {
            result = await server.Topics.PublishAsync(topicName, type, body.Memory).ConfigureAwait(false);
        }
        catch (BrokerUnavailableException)
        {
            // Nothing was published: the publisher may send it again (logged and counted by the broker).
            HttpRouter.RefuseBrokerUnavailable(connection);
            return false;
        }
        catch (InvalidOperationException)
        {
            connection.Refuse(503, "the topic limit is reached: no new topic may hold history", KeyValuePair.Create("Retry-After", "60"));
            return false;
        }

        var answer = new Dictionary<string, object>
        {
            ["topic"] = topicName,
            ["sequence"] = result.Sequence,
            ["epoch"] = result.Epoch,
            ["cursor"] = new TopicCursor(result.Epoch, result.Sequence).ToString(),
        };
        if (!server.Topics.Broker.IsShared)
        {
            answer["subscribers"] = result.Subscribers; // with a shared broker, delivery happens on every server after this
        }

        byte[] json = JsonSerializer.SerializeToUtf8Bytes(answer);
        return await HttpRouter.Send(connection, 200, "application/json", json, keepAlive).ConfigureAwait(false);
    }

    /// <summary>405 for a method other than POST, 400 for a name that is no topic (<see cref="TopicRegistry.NameRule"/>); otherwise null.</summary>
    internal static HttpRefusal? CheckTarget(HandshakeRequest request, string topicName)
    {
        if (request.Method != "POST")
        {
            return new HttpRefusal(405, "publish with POST", KeyValuePair.Create("Allow", "POST"));
        }

        if (!TopicRegistry.IsValidName(topicName))
        {
            return HttpRefusal.InvalidTopicName;
        }

        return null;
    }

    /// <summary>
    /// 411 without <c>Content-Length</c> (a body of unknown size is never read), 413 for one over
    /// <paramref name="maxPublishBytes"/>; otherwise null, with the <paramref name="length"/> to read.
    /// </summary>
    internal static HttpRefusal? CheckLength(HandshakeRequest request, int maxPublishBytes, out int length)
    {
        length = 0;
        if (request.ContentLength is not { } declared)
        {
            return new HttpRefusal(411, "Content-Length required");
        }

        if (declared > maxPublishBytes)
        {
            return new HttpRefusal(413, $"body over {maxPublishBytes} bytes");
        }

        length = (int)declared;
        return null;
    }

    /// <summary>
    /// The message the body becomes: text for a <c>text/*</c> content type, where it must be UTF-8 (400 otherwise),
    /// binary for any other.
    /// </summary>
    internal static HttpRefusal? CheckBody(HandshakeRequest request, ReadOnlySpan<byte> body, out MessageType type)
    {
        bool isText = request.GetHeader("Content-Type")?.TrimStart().StartsWith("text/", StringComparison.OrdinalIgnoreCase) == true;
        type = isText ? MessageType.Text : MessageType.Binary;
        return isText && !Utf8Validator.IsValid(body) ? new HttpRefusal(400, "a text/* body must be UTF-8") : null;
    }
}
