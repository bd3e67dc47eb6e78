using System.Net;
using System.Net.WebSockets;
using WsFast.Server;
using WsFast.Tests.Server;
using WsFast.Tests.Support;

namespace WsFast.Tests.Broadcast;

/// <summary>Topics are separate streams, named safely, and bounded in number.</summary>
public class TopicTests
{
    [Fact]
    public async Task A_message_on_one_topic_never_reaches_subscribers_of_another()
    {
        const int Messages = 50;
        await using TestServer server = await BroadcastKit.StartAsync();
        ClientWebSocket[] a = await BroadcastKit.SubscribeAsync(server, "/broadcast/a", "a", 3);
        ClientWebSocket[] b = await BroadcastKit.SubscribeAsync(server, "/broadcast/b", "b", 2);

        // Interleaved, so that a leak would show up between a topic's own messages.
        for (int i = 1; i <= Messages; i++)
        {
            Assert.Equal(new PublishResult(i, 3), server.Server.Topics.Publish("a", $"a{i}").IgnoringEpoch());
            Assert.Equal(new PublishResult(i, 2), server.Server.Topics.Publish("b", $"b{i}").IgnoringEpoch());
        }

        // A last message per topic: whatever came before it is all the subscriber was ever sent.
        server.Server.Topics.Publish("a", "a-end");
        server.Server.Topics.Publish("b", "b-end");
        foreach (ClientWebSocket client in a)
        {
            Assert.Equal([.. Enumerable.Range(1, Messages).Select(i => $"a{i}"), "a-end"], await BroadcastKit.ReceiveTextsAsync(client, Messages + 1));
        }

        foreach (ClientWebSocket client in b)
        {
            Assert.Equal([.. Enumerable.Range(1, Messages).Select(i => $"b{i}"), "b-end"], await BroadcastKit.ReceiveTextsAsync(client, Messages + 1));
        }

        await BroadcastKit.CloseAllAsync([.. a, .. b]);
    }

    [Fact]
    public async Task Subscriber_counts_are_kept_per_topic()
    {
        await using TestServer server = await BroadcastKit.StartAsync();
        ClientWebSocket[] a = await BroadcastKit.SubscribeAsync(server, "/broadcast/count-a", "count-a", 4);
        ClientWebSocket[] b = await BroadcastKit.SubscribeAsync(server, "/broadcast/count-b", "count-b", 1);

        Assert.Equal(4, server.Server.Topics.SubscriberCount("count-a"));
        Assert.Equal(1, server.Server.Topics.SubscriberCount("count-b"));
        Assert.Equal(0, server.Server.Topics.SubscriberCount("never-used"));

        await BroadcastKit.CloseAllAsync(a[..3]);
        await BroadcastKit.WaitUntilAsync(() => server.Server.Topics.SubscriberCount("count-a") == 1, "three of a's subscribers to leave");
        Assert.Equal(1, server.Server.Topics.SubscriberCount("count-b"));
        await BroadcastKit.CloseAllAsync([a[3], .. b]);
    }

    public static TheoryData<string> InvalidNames => new()
    {
        "..%2F",               // an encoded slash: a way out of the topic path
        "a%20b",               // a space
        "caf%C3%A9",           // a letter outside ASCII
        "a;b",
        "a,b",
        new string('x', 65),   // one over the longest name
    };

    [Theory]
    [MemberData(nameof(InvalidNames))]
    public async Task An_invalid_topic_name_gets_400_on_every_transport_and_leaves_nothing_behind(string name)
    {
        await using TestServer server = await BroadcastKit.StartAsync();
        using HttpClient http = BroadcastKit.HttpClient(server);

        (RawConnection ws, RawResponse upgrade) = await RawConnection.UpgradeAsync(server.Port, $"/broadcast/{name}");
        ws.Dispose();
        Assert.Equal(400, upgrade.Status);

        using (HttpResponseMessage publish = await BroadcastKit.PostTextAsync(http, name, "x"))
        {
            Assert.Equal(HttpStatusCode.BadRequest, publish.StatusCode);
        }

        using (HttpResponseMessage sse = await http.GetAsync($"/sse/{name}"))
        {
            Assert.Equal(HttpStatusCode.BadRequest, sse.StatusCode);
        }

        using (HttpResponseMessage poll = await http.GetAsync($"/poll/{name}?wait=0"))
        {
            Assert.Equal(HttpStatusCode.BadRequest, poll.StatusCode);
        }

        Assert.Empty(server.Server.Topics.All);
        Assert.Throws<ArgumentException>(() => server.Server.Topics.Publish(Uri.UnescapeDataString(name), "x"));
    }

    [Fact]
    public async Task A_topic_name_of_64_characters_is_accepted()
    {
        string name = new('y', 64);
        await using TestServer server = await BroadcastKit.StartAsync();
        ClientWebSocket[] clients = await BroadcastKit.SubscribeAsync(server, $"/broadcast/{name}", name, 1);

        server.Server.Topics.Publish(name, "long name");

        Assert.Equal("long name", await BroadcastKit.ReceiveTextAsync(clients[0]));
        await BroadcastKit.CloseAllAsync(clients);
    }

    [Fact]
    public async Task The_topic_limit_admits_exactly_MaxTopics_topics_holding_history()
    {
        await using TestServer server = await BroadcastKit.StartAsync(options => options.Broadcast.MaxTopics = 3);
        using HttpClient http = BroadcastKit.HttpClient(server);

        // Three topics get history, by the publish route and by server code.
        ClientWebSocket[] first = await BroadcastKit.SubscribeAsync(server, "/broadcast/t1", "t1", 1);
        server.Server.Topics.Publish("t1", "one");
        Assert.Equal("one", await BroadcastKit.ReceiveTextAsync(first[0]));
        using (HttpResponseMessage response = await BroadcastKit.PostTextAsync(http, "t2", "x"))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        server.Server.Topics.Publish("t3", "three");

        // A fourth topic's first publish is refused: 503 from the route, an exception from the API.
        using (HttpResponseMessage response = await BroadcastKit.PostTextAsync(http, "t4", "x"))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.NotNull(response.Headers.RetryAfter);
        }

        Assert.Throws<InvalidOperationException>(() => server.Server.Topics.Publish("t4", "x"));
        Assert.Null(server.Server.Topics.Find("t4"));

        // Subscribers may still wait on any topic: a topic with subscribers only does not count.
        ClientWebSocket[] waiting = await BroadcastKit.SubscribeAsync(server, "/broadcast/t5", "t5", 1);
        Assert.Equal(0, (await PollAnswer.GetAsync(http, "/poll/t6?wait=0")).Last);
        Assert.Null(server.Server.Topics.Find("t6"));

        // The existing ones go on working.
        ClientWebSocket[] second = await BroadcastKit.SubscribeAsync(server, "/broadcast/t1", "t1", 1);
        Assert.Equal(new PublishResult(2, 2), server.Server.Topics.Publish("t1", "still here").IgnoringEpoch());
        Assert.Equal("still here", await BroadcastKit.ReceiveTextAsync(first[0]));
        Assert.Equal("still here", await BroadcastKit.ReceiveTextAsync(second[0]));
        Assert.Equal(new PublishResult(2, 0), server.Server.Topics.Publish("t2", "y").IgnoringEpoch());
        await BroadcastKit.CloseAllAsync([.. first, .. second, .. waiting]);
    }
}
