using System.Net.WebSockets;
using System.Text.Json;
using WsFast.Tests.Broadcast;
using WsFast.Tests.Server;

namespace WsFast.Tests.Brokers;

/// <summary>Servers whose topics are shared through Redis, for the tests of the broker.</summary>
internal static class BrokerKit
{
    /// <summary>A server with the broadcast endpoint at <c>/broadcast</c>, its topics shared through the Redis at <paramref name="redis"/> under <paramref name="prefix"/>.</summary>
    public static Task<TestServer> StartNodeAsync(string redis, string prefix, Action<WsFastServerOptions>? configure = null, Action<WsFastServer>? map = null) =>
        BroadcastKit.StartAsync(options =>
        {
            options.Broker.Kind = BrokerKind.Redis;
            options.Broker.Redis = redis;
            options.Broker.KeyPrefix = prefix;
            configure?.Invoke(options);
        }, map);

    /// <summary>
    /// Waits until <paramref name="server"/> holds what the broker holds of <paramref name="topic"/>: a server mirrors
    /// a shared topic once a client subscribes, and delivers nothing before its first read of the broker.
    /// </summary>
    public static Task WaitSyncedAsync(TestServer server, string topic) =>
        BroadcastKit.WaitUntilAsync(() => server.Server.Topics.Find(topic) is { IsSynced: true }, $"'{topic}' read from the broker");

    /// <summary>Clients of <c>/broadcast/{topic}</c> on <paramref name="server"/>, subscribed and the topic read from the broker.</summary>
    public static async Task<ClientWebSocket[]> SubscribeAsync(TestServer server, string topic, int count)
    {
        ClientWebSocket[] clients = await BroadcastKit.SubscribeAsync(server, $"/broadcast/{topic}", topic, count);
        await WaitSyncedAsync(server, topic);
        return clients;
    }

    /// <summary>The JSON of <c>GET</c> <paramref name="path"/>, with its status.</summary>
    public static async Task<(int Status, JsonElement Json)> GetJsonAsync(TestServer server, string path, string? token = null)
    {
        using HttpClient http = BroadcastKit.HttpClient(server);
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (token is not null)
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        }

        using HttpResponseMessage response = await http.SendAsync(request);
        string body = await response.Content.ReadAsStringAsync();
        return ((int)response.StatusCode, response.Content.Headers.ContentType?.MediaType == "application/json" ? JsonDocument.Parse(body).RootElement.Clone() : default);
    }
}
