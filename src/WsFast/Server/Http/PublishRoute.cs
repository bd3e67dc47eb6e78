using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using WsFast.Protocol;

namespace WsFast.Server;

/// <summary>
/// <c>POST /publish/{topic}</c>: the body becomes a message on the topic, text for <c>text/*</c> content types
/// and binary otherwise. Answers with the sequence number and the subscribers reached.
/// </summary>
internal static class PublishRoute
{
    public static async ValueTask<bool> RespondAsync(WsFastServer server, WebSocketConnection connection, HandshakeRequest request, string topicName, bool keepAlive)
    {
        BroadcastOptions options = server.Options.Broadcast;
        if (request.Method != "POST")
        {
            return await HttpResponder.Finish(connection, 405, "publish with POST", KeyValuePair.Create("Allow", "POST"));
        }

        if (options.PublishToken is { } token)
        {
            string? authorization = request.GetHeader("Authorization");
            if (authorization is null || !authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            {
                return await HttpResponder.Finish(connection, 401, "a bearer token is required", KeyValuePair.Create("WWW-Authenticate", "Bearer"));
            }

            // Constant time, so that the comparison does not reveal how much of a guess was right.
            byte[] expected = Encoding.UTF8.GetBytes(token);
            byte[] given = Encoding.UTF8.GetBytes(authorization["Bearer ".Length..].Trim());
            if (!CryptographicOperations.FixedTimeEquals(expected, given))
            {
                return await HttpResponder.Finish(connection, 403, "wrong token");
            }
        }

        if (request.ContentLength is not { } length)
        {
            return await HttpResponder.Finish(connection, 411, "Content-Length required");
        }

        if (length > options.MaxPublishBytes)
        {
            return await HttpResponder.Finish(connection, 413, $"body over {options.MaxPublishBytes} bytes");
        }

        byte[]? body = await connection.ReadBodyAsync((int)length);
        if (body is null)
        {
            return false; // the client left mid-body
        }

        bool isText = request.GetHeader("Content-Type")?.TrimStart().StartsWith("text/", StringComparison.OrdinalIgnoreCase) == true;
        if (isText && !Utf8Validator.IsValid(body))
        {
            return await HttpResponder.Finish(connection, 400, "a text/* body must be UTF-8");
        }

        Topic? topic = server.Topics.GetOrCreate(topicName);
        if (topic is null)
        {
            return await HttpResponder.Finish(connection, 404, "no such topic: invalid name, or the topic limit is reached");
        }

        PublishResult result = topic.Publish(isText ? WebSocketMessageType.Text : WebSocketMessageType.Binary, body);
        byte[] json = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["topic"] = topic.Name,
            ["sequence"] = result.Sequence,
            ["subscribers"] = result.Subscribers,
        });
        return await HttpResponder.Send(connection, 200, "application/json", json, keepAlive);
    }
}
