using System.Net;
using System.Text;
using System.Text.Json;
using WsFast.Tests.Support;

namespace WsFast.Tests.Scaleout;

/// <summary>
/// The executable as deployed: two processes started with <c>--broker redis --redis ... --redis-prefix ...</c> are
/// one broadcast endpoint; a <c>POST /publish</c> to either reaches an event stream on the other.
/// </summary>
[Collection(SharedRedisCollection.Name)]
public sealed class ExecutableNodesTests(SharedRedis redis)
{
    [Fact]
    public async Task Two_processes_on_one_Redis_a_publish_posted_to_one_reaches_an_event_stream_on_the_other()
    {
        string[] arguments = ["--broker", "redis", "--redis", redis.Configuration, "--redis-prefix", SharedRedis.NewPrefix()];
        await using ServerProcess first = await ServerProcess.StartAsync(arguments);
        await using ServerProcess second = await ServerProcess.StartAsync(arguments);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };

        JsonElement published = await PostAsync(http, first, "news", "m1");
        long epoch = published.GetProperty("epoch").GetInt64();
        Assert.Equal((1L, Cursor.Of(epoch, 1)), (published.GetProperty("sequence").GetInt64(), published.GetProperty("cursor").GetString()));

        // From the start of the epoch the publish answered with, so that m1 is there whenever the stream subscribes.
        await using EventStreamClient stream = await EventStreamClient.OpenAsync(second.Http("/sse/news"), Cursor.Of(epoch, 0), $"event stream of process {second.Id}");
        await stream.WaitForMessagesAsync(1);
        Assert.Equal(2, (await PostAsync(http, first, "news", "m2")).GetProperty("sequence").GetInt64());
        Assert.Equal(3, (await PostAsync(http, second, "news", "m3")).GetProperty("sequence").GetInt64());
        await stream.WaitForMessagesAsync(3);

        DeliveryCheck.AssertExactly(stream, epoch, 3);
    }

    private static async Task<JsonElement> PostAsync(HttpClient http, ServerProcess node, string topic, string text)
    {
        using var content = new StringContent(text, Encoding.UTF8, "text/plain");
        using HttpResponseMessage response = await http.PostAsync(node.Http($"/publish/{topic}"), content);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }
}
