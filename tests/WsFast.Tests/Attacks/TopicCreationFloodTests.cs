using System.Diagnostics;
using System.Net;
using System.Text;
using WsFast.Tests.Broadcast;
using WsFast.Tests.Server;

namespace WsFast.Tests.Attacks;

/// <summary>
/// Attack: anonymous clients name thousands of distinct topics (short polls, long polls that end or whose client
/// leaves, event streams opened and closed, WebSocket subscribers that leave, upgrades refused for their origin
/// or their topic name) to fill the server with topics or use up <c>MaxTopics</c>. A topic exists only while a
/// subscriber holds it or its history holds messages, and only topics holding history count against
/// <c>MaxTopics</c>: once the clients are gone no topic of theirs is left, and a publisher with the token creates
/// new topics during the flood and after it, up to exactly <c>MaxTopics</c>. History that expires
/// (<c>TopicTimeToLive</c>) takes a topic that only had history with it.
/// </summary>
[Collection(AttackCollection.Name)]
public class TopicCreationFloodTests
{
    private const string Token = "publisher-token";
    private const int MaxTopics = 10;
    private const int ShortPolls = 2000;
    private const int EndedLongPolls = 200;
    private const int LeftLongPolls = 100;
    private const int Streams = 200;
    private const int Subscribers = 200;
    private const int Refusals = 100;

    [Fact]
    public async Task Anonymous_requests_on_thousands_of_topic_names_leave_no_topic_behind_and_never_use_up_MaxTopics()
    {
        await using TestServer server = await AttackKit.StartAsync(
            options =>
            {
                options.Broadcast.MaxTopics = MaxTopics;
                options.Broadcast.PublishToken = Token;
            },
            s => s.MapBroadcast("/guarded").AllowedOrigins.Add("https://ok.example"));
        // The bystanders' topic holds history: it is one of the MaxTopics.
        await using Bystanders bystanders = await Bystanders.StartAsync(server);
        using HttpClient http = BroadcastKit.HttpClient(server);
        MemoryProbe memory = MemoryProbe.Start();
        int port = server.Port;

        // Short polls of topics that do not exist, pipelined on a few kept-alive connections; a publish alongside.
        Task<HttpStatusCode> during1 = PublishAsync(http, "during-1");
        await Task.WhenAll(Enumerable.Range(0, 8).Select(c => PollAllAsync(port, Enumerable.Range(0, ShortPolls / 8).Select(i => $"/poll/short-{c}-{i}?wait=0"))));
        Assert.Equal(HttpStatusCode.OK, await during1);

        // Long polls that end by their wait, twenty connections at a time.
        await Task.WhenAll(Enumerable.Range(0, 20).Select(c => PollAllAsync(port, Enumerable.Range(0, EndedLongPolls / 20).Select(i => $"/poll/long-{c}-{i}?wait=0.05"), pipelined: 1)));

        // Long polls whose clients leave while they wait; while the polls hold their topics, a publish.
        RawConnection[] polls = await ConnectAllAsync(LeftLongPolls, async i =>
        {
            RawConnection connection = await RawConnection.ConnectAsync(port);
            await connection.SendAsync($"GET /poll/left-{i}?wait=20 HTTP/1.1\r\nHost: a\r\n\r\n");
            return connection;
        });
        await WaitForTopicsAsync(server, "left-", LeftLongPolls);
        Assert.Equal(HttpStatusCode.OK, await PublishAsync(http, "during-2"));
        DisposeAll(polls);

        // Event streams opened and closed.
        RawConnection[] streams = await ConnectAllAsync(Streams, async i =>
        {
            RawConnection connection = await RawConnection.ConnectAsync(port);
            await connection.SendAsync($"GET /sse/sse-{i} HTTP/1.1\r\nHost: a\r\n\r\n");
            Assert.Equal(200, (await connection.ReadResponseAsync(bodyless: true)).Status);
            return connection;
        });
        await WaitForTopicsAsync(server, "sse-", Streams);
        Assert.Equal(HttpStatusCode.OK, await PublishAsync(http, "during-3"));
        DisposeAll(streams);

        // WebSocket subscribers that leave without a close frame.
        Attacker[] subscribers = await ConnectAllAsync(Subscribers, i => Attacker.UpgradeAsync(port, $"/topics/ws-{i}"));
        await WaitForTopicsAsync(server, "ws-", Subscribers);
        Assert.Equal(HttpStatusCode.OK, await PublishAsync(http, "during-4"));
        foreach (Attacker subscriber in subscribers)
        {
            subscriber.Dispose();
        }

        // Upgrades refused for their origin or their name, and streams and polls refused for their name.
        await ConnectAllAsync(Refusals, async i =>
        {
            Assert.Equal(403, await StatusOfAsync(port, ClientSupport.UpgradeRequest($"/guarded/origin-{i}", "Origin: https://evil.example\r\n")));
            Assert.Equal(400, await StatusOfAsync(port, ClientSupport.UpgradeRequest($"/topics/bad%20{i}")));
            Assert.Equal(400, await StatusOfAsync(port, $"GET /sse/{new string('s', 64)}{i} HTTP/1.1\r\nHost: a\r\n\r\n"));
            Assert.Equal(400, await StatusOfAsync(port, $"GET /poll/bad,{i}?wait=1 HTTP/1.1\r\nHost: a\r\n\r\n"));
            return i;
        });

        // Nothing of theirs is left: only the topics that hold history.
        string[] published = ["bystander", "during-1", "during-2", "during-3", "during-4"];
        await AttackKit.WaitUntilAsync(() => TopicNames(server).SequenceEqual(published.Order()), AttackKit.Slack,
            "the flood's topics to go");

        // The flood used none of MaxTopics: the publisher fills exactly the rest, and one more is refused.
        for (int i = 1; i <= MaxTopics - published.Length; i++)
        {
            Assert.Equal(HttpStatusCode.OK, await PublishAsync(http, $"after-{i}"));
        }

        Assert.Equal(HttpStatusCode.ServiceUnavailable, await PublishAsync(http, "one-too-many"));
        Assert.Equal(MaxTopics, server.Server.Topics.All.Count);

        memory.AssertGrowthBelow(AttackKit.MemoryBound, "a flood of topic names");
        await bystanders.AssertServedThroughoutAsync();
    }

    [Fact]
    public async Task A_topic_that_only_had_history_is_removed_when_its_history_expires_which_frees_its_place_under_MaxTopics()
    {
        TimeSpan timeToLive = TimeSpan.FromSeconds(1);
        await using TestServer server = await AttackKit.StartAsync(options =>
        {
            options.Broadcast.MaxTopics = 2;
            options.Broadcast.PublishToken = Token;
            options.Broadcast.TopicTimeToLive = timeToLive;
        });
        // The bystanders' topic is held by its subscriber and keeps fresh history: one of the two.
        await using Bystanders bystanders = await Bystanders.StartAsync(server);
        using HttpClient http = BroadcastKit.HttpClient(server);

        long publishedAt = Stopwatch.GetTimestamp();
        Assert.Equal(HttpStatusCode.OK, await PublishAsync(http, "ephemeral"));
        Assert.Equal(1, server.Server.Topics.Find("ephemeral")!.HistoryCount);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, await PublishAsync(http, "next"));

        // Expiry runs about once a second: the topic is gone within that of its history's time to live.
        await AttackKit.WaitUntilAsync(() => server.Server.Topics.Find("ephemeral") is null,
            timeToLive + TimeSpan.FromSeconds(1) + AttackKit.Slack, "the expired topic to go");
        TimeSpan lived = Stopwatch.GetElapsedTime(publishedAt);
        Assert.True(lived >= timeToLive - RawClient.ClockSlack, $"The topic's history expired after {lived.TotalMilliseconds:F0} ms.");

        Assert.Equal(HttpStatusCode.OK, await PublishAsync(http, "next"));
        Assert.Equal(new[] { "bystander", "next" }, TopicNames(server));
        await bystanders.AssertServedThroughoutAsync();
    }

    private static async Task<HttpStatusCode> PublishAsync(HttpClient http, string topic)
    {
        using HttpResponseMessage response = await BroadcastKit.PostTextAsync(http, topic, $"to {topic}", Token);
        return response.StatusCode;
    }

    private static List<string> TopicNames(TestServer server) => server.Server.Topics.All.Select(t => t.Name).Order().ToList();

    private static async Task WaitForTopicsAsync(TestServer server, string prefix, int count) =>
        await AttackKit.WaitUntilAsync(() => server.Server.Topics.All.Count(t => t.Name.StartsWith(prefix, StringComparison.Ordinal)) == count,
            TimeSpan.FromSeconds(5), $"{count} topics named {prefix}*");

    /// <summary>GETs every path on one kept-alive connection, <paramref name="pipelined"/> requests at a time; each must answer 200.</summary>
    private static async Task PollAllAsync(int port, IEnumerable<string> paths, int pipelined = 25)
    {
        using RawConnection connection = await RawConnection.ConnectAsync(port);
        foreach (string[] batch in paths.Chunk(pipelined))
        {
            await connection.SendAsync(string.Concat(batch.Select(path => $"GET {path} HTTP/1.1\r\nHost: a\r\n\r\n")));
            foreach (string path in batch)
            {
                RawResponse response = await connection.ReadResponseAsync();
                Assert.True(response.Status == 200, $"GET {path} got {response.Status}: {response.Text}");
            }
        }
    }

    /// <summary>Makes <paramref name="count"/> connections, 25 at a time.</summary>
    private static async Task<T[]> ConnectAllAsync<T>(int count, Func<int, Task<T>> connect)
    {
        var all = new T[count];
        for (int start = 0; start < count; start += 25)
        {
            T[] batch = await Task.WhenAll(Enumerable.Range(start, Math.Min(25, count - start)).Select(connect));
            batch.CopyTo(all, start);
        }

        return all;
    }

    private static async Task<int> StatusOfAsync(int port, string request)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        return ClientSupport.StatusOf(await ClientSupport.RawRequestAsync(port, request, timeout.Token));
    }

    private static void DisposeAll(RawConnection[] connections)
    {
        foreach (RawConnection connection in connections)
        {
            connection.Dispose();
        }
    }
}
