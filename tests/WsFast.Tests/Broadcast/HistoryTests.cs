using System.Net.WebSockets;
using WsFast.Server;
using WsFast.Tests.Server;
using WsFast.Tests.Support;

namespace WsFast.Tests.Broadcast;

/// <summary>
/// A topic's history, what clients catch up from by cursor, is bounded in bytes (per topic, and for all topics
/// together) and in age; and a topic exists only while a subscriber holds it or its history holds messages.
/// </summary>
public class HistoryTests
{
    // A 300-byte payload is framed with a 4-byte header (RFC 6455 section 5.2: 16-bit length).
    private const int Payload = 300;
    private const int Frame = Payload + 4;

    [Fact]
    public async Task HistoryBytes_old_messages_leave_once_a_topics_history_is_over_its_bytes_and_a_message_larger_than_the_bound_is_kept_alone()
    {
        await using TestServer server = await BroadcastKit.StartAsync(options => options.Broadcast.HistoryBytes = 1000);
        using HttpClient http = BroadcastKit.HttpClient(server);
        TopicRegistry topics = server.Server.Topics;

        // Three frames fit in 1000 bytes, a fourth does not: the oldest leaves.
        for (int i = 1; i <= 3; i++)
        {
            Publish(topics, "bytes", i);
        }

        Assert.Equal((3, 3L * Frame), (topics.Find("bytes")!.HistoryCount, topics.HistoryBytes));
        Publish(topics, "bytes", 4);
        Assert.Equal((3, 3L * Frame), (topics.Find("bytes")!.HistoryCount, topics.HistoryBytes));
        PollAnswer answer = await PollAnswer.GetAsync(http, "/poll/bytes?after=0&wait=0");
        Assert.Equal([2, 3, 4], answer.Messages.Select(m => m.Sequence));
        Assert.Equal((true, 2L), (answer.Truncated, answer.Oldest));

        // A message over the bound reaches its subscriber and stays alone, so that the largest message a publisher
        // may send can still be caught up with: the topic then holds that one message.
        ClientWebSocket[] subscriber = await BroadcastKit.SubscribeAsync(server, "/broadcast/bytes", "bytes", 1);
        Assert.Equal(new PublishResult(5, 1), topics.Publish("bytes", WsFast.MessageType.Binary, new byte[1001]).IgnoringEpoch());
        Assert.Equal(1001, (await BroadcastKit.ReceiveAsync(subscriber[0])).Payload.Length);
        Assert.Equal((1, 1001L + 4), (topics.Find("bytes")!.HistoryCount, topics.HistoryBytes));
        PollAnswer after = await PollAnswer.GetAsync(http, "/poll/bytes?after=4&wait=0");
        Assert.Equal([5L], after.Messages.Select(m => m.Sequence));
        Assert.False(after.Truncated);

        // The next message, small, takes the large one's place: the topic is within its bound again.
        Publish(topics, "bytes", 6);
        Assert.Equal((1, (long)Frame), (topics.Find("bytes")!.HistoryCount, topics.HistoryBytes));
        Assert.Equal(Payload, (await BroadcastKit.ReceiveAsync(subscriber[0])).Payload.Length);
        await BroadcastKit.CloseAllAsync(subscriber);
    }

    [Fact]
    public async Task MaxHistoryBytes_bounds_every_topics_history_together_a_publish_letting_its_own_topics_history_go_first()
    {
        await using TestServer server = await BroadcastKit.StartAsync(options =>
        {
            options.Broadcast.HistoryBytes = 100_000;
            options.Broadcast.MaxHistoryBytes = 2000;
        });
        TopicRegistry topics = server.Server.Topics;

        for (int i = 1; i <= 6; i++)
        {
            Publish(topics, "first", i);
        }

        Assert.Equal(6L * Frame, topics.HistoryBytes);

        // The second topic's first message would take the total over: the total is never exceeded, so the topic
        // publishing lets go of its own history, even the message it just published; other topics keep theirs
        // until they expire. A topic left with nothing and no subscriber is gone.
        Assert.Equal(new PublishResult(1, 0), topics.Publish("second", WsFast.MessageType.Binary, new byte[Payload]).IgnoringEpoch());
        Assert.Equal(6, topics.Find("first")!.HistoryCount);
        Assert.Null(topics.Find("second"));
        Assert.Equal(6L * Frame, topics.HistoryBytes);

        // A publish to the first topic lets its oldest go until the total fits again.
        Publish(topics, "first", 7);
        Assert.Equal(6, topics.Find("first")!.HistoryCount);
        Assert.Equal(6L * Frame, topics.HistoryBytes);
        Assert.True(topics.HistoryBytes <= 2000);
    }

    [Fact]
    public async Task TopicTimeToLive_history_expires_and_a_topic_left_with_nothing_is_gone_while_one_held_by_a_subscriber_stays()
    {
        await using TestServer server = await BroadcastKit.StartAsync(options => options.Broadcast.TopicTimeToLive = TimeSpan.FromMilliseconds(500));
        using HttpClient http = BroadcastKit.HttpClient(server);
        TopicRegistry topics = server.Server.Topics;
        ClientWebSocket[] subscriber = await BroadcastKit.SubscribeAsync(server, "/broadcast/held", "held", 1);
        topics.Publish("fleeting", "gone soon");
        topics.Publish("held", "gone soon too");
        Assert.Equal("gone soon too", await BroadcastKit.ReceiveTextAsync(subscriber[0]));
        Assert.Single((await PollAnswer.GetAsync(http, "/poll/fleeting?after=0&wait=0")).Messages);

        // Housekeeping runs about once a second: the messages are let go within a second or so after their time.
        await BroadcastKit.WaitUntilAsync(() => topics.Find("fleeting") is null, "the unheld topic to expire", TimeSpan.FromSeconds(4));
        Assert.Equal(0, topics.Find("held")!.HistoryCount);
        Assert.Equal(0, topics.HistoryBytes);
        Assert.Equal(["held"], topics.All.Select(t => t.Name));
        PollAnswer expired = await PollAnswer.GetAsync(http, "/poll/fleeting?after=0&wait=0");
        Assert.Equal(0, expired.Last);
        Assert.Empty(expired.Messages);

        // The subscriber leaves: nothing holds the topic now.
        await BroadcastKit.CloseAllAsync(subscriber);
        await BroadcastKit.WaitUntilAsync(() => topics.All.Count == 0, "the held topic to go with its last subscriber");
    }

    [Fact]
    public async Task A_topic_with_no_history_exists_while_a_subscriber_of_any_kind_holds_it_and_is_gone_when_the_last_one_leaves()
    {
        // No time to live: housekeeping never looks at topics, so only the last subscriber's leaving can end this one.
        await using TestServer server = await BroadcastKit.StartAsync(options =>
        {
            options.Broadcast.LongPollTimeout = TimeSpan.FromSeconds(10);
            options.Broadcast.TopicTimeToLive = TimeSpan.Zero;
        });
        using HttpClient http = BroadcastKit.HttpClient(server);
        TopicRegistry topics = server.Server.Topics;

        ClientWebSocket[] socket = await BroadcastKit.SubscribeAsync(server, "/broadcast/quiet", "quiet", 1);
        EventStream stream = await EventStream.OpenAsync(http, "/sse/quiet");
        using var pollConnection = await RawConnection.ConnectAsync(server.Port);
        await pollConnection.SendAsync($"GET /poll/quiet?wait=10 HTTP/1.1\r\nHost: 127.0.0.1:{server.Port}\r\n\r\n");
        await BroadcastKit.WaitUntilAsync(() => topics.SubscriberCount("quiet") == 3, "three subscribers");
        Assert.Equal(["quiet"], topics.All.Select(t => t.Name));

        await BroadcastKit.CloseAllAsync(socket);
        stream.Dispose();
        await BroadcastKit.WaitUntilAsync(() => topics.SubscriberCount("quiet") == 1, "two subscribers to leave");
        Assert.NotNull(topics.Find("quiet"));

        pollConnection.Dispose();
        await BroadcastKit.WaitUntilAsync(() => topics.All.Count == 0, "the topic to go with its last subscriber");
    }

    private static void Publish(TopicRegistry topics, string topic, long expectedSequence)
    {
        byte[] payload = new byte[Payload];
        payload[0] = (byte)expectedSequence;
        Assert.Equal(expectedSequence, topics.Publish(topic, WsFast.MessageType.Binary, payload).Sequence);
    }
}
