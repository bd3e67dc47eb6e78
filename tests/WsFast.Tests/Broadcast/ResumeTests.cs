using System.Diagnostics;
using System.Net;
using System.Text.Json;
using WsFast.Server;
using WsFast.Tests.Server;

namespace WsFast.Tests.Broadcast;

/// <summary>
/// Sequence numbers are the cursor of every transport: Server-Sent Events ids, <c>Last-Event-ID</c> resume,
/// poll <c>after</c>, and the bounded history they catch up from.
/// </summary>
public class ResumeTests
{
    private static void PublishNumbered(TestServer server, string topic, int from, int to)
    {
        for (int i = from; i <= to; i++)
        {
            Assert.Equal(i, server.Server.Topics.Publish(topic, $"m{i}").Sequence);
        }
    }

    [Fact]
    public async Task Event_stream_ids_are_the_topics_sequence_numbers()
    {
        await using TestServer server = await BroadcastKit.StartAsync();
        using HttpClient http = BroadcastKit.HttpClient(server);
        using EventStream stream = await EventStream.OpenAsync(http, "/sse/ids");
        Assert.Equal(HttpStatusCode.OK, stream.Response.StatusCode);
        Assert.Equal("text/event-stream", stream.Response.Content.Headers.ContentType?.MediaType);
        await BroadcastKit.WaitUntilAsync(() => server.Server.Topics.SubscriberCount("ids") == 1, "the stream to subscribe");

        PublishNumbered(server, "ids", 1, 3);

        for (int i = 1; i <= 3; i++)
        {
            Assert.Equal(new ServerSentEvent(BroadcastKit.EventId(server, "ids", i), null, $"m{i}"), await stream.ReadAsync());
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task An_event_stream_resumed_after_k_gets_the_rest_from_history_then_live_messages(bool byHeader)
    {
        await using TestServer server = await BroadcastKit.StartAsync();
        using HttpClient http = BroadcastKit.HttpClient(server);
        PublishNumbered(server, "resume", 1, 5);

        // Last-Event-ID is what a browser sends on reconnecting; ?after= is the same for a first connection.
        using EventStream stream = byHeader
            ? await EventStream.OpenAsync(http, "/sse/resume", lastEventId: "2")
            : await EventStream.OpenAsync(http, "/sse/resume?after=2");
        for (int i = 3; i <= 5; i++)
        {
            Assert.Equal(new ServerSentEvent(BroadcastKit.EventId(server, "resume", i), null, $"m{i}"), await stream.ReadAsync());
        }

        await BroadcastKit.WaitUntilAsync(() => server.Server.Topics.SubscriberCount("resume") == 1, "the stream to subscribe");
        PublishNumbered(server, "resume", 6, 7);
        Assert.Equal(new ServerSentEvent(BroadcastKit.EventId(server, "resume", 6), null, "m6"), await stream.ReadAsync());
        Assert.Equal(new ServerSentEvent(BroadcastKit.EventId(server, "resume", 7), null, "m7"), await stream.ReadAsync());
    }

    [Fact]
    public async Task An_event_stream_without_a_cursor_starts_after_the_latest_message()
    {
        await using TestServer server = await BroadcastKit.StartAsync();
        using HttpClient http = BroadcastKit.HttpClient(server);
        PublishNumbered(server, "latest", 1, 3);

        using EventStream stream = await EventStream.OpenAsync(http, "/sse/latest");
        await BroadcastKit.WaitUntilAsync(() => server.Server.Topics.SubscriberCount("latest") == 1, "the stream to subscribe");
        PublishNumbered(server, "latest", 4, 4);

        Assert.Equal(new ServerSentEvent(BroadcastKit.EventId(server, "latest", 4), null, "m4"), await stream.ReadAsync());
    }

    [Fact]
    public async Task An_event_stream_resumed_from_before_the_history_gets_a_gap_event_before_the_catch_up()
    {
        await using TestServer server = await BroadcastKit.StartAsync(options => options.Broadcast.HistorySize = 3);
        using HttpClient http = BroadcastKit.HttpClient(server);
        PublishNumbered(server, "gappy", 1, 6); // the history holds 4, 5, 6

        using EventStream stream = await EventStream.OpenAsync(http, "/sse/gappy", lastEventId: "1");

        ServerSentEvent gap = await stream.ReadAsync();
        Assert.Equal("gap", gap.Type);
        using (JsonDocument missing = JsonDocument.Parse(gap.Data))
        {
            Assert.Equal(2, missing.RootElement.GetProperty("first").GetInt64());
            Assert.Equal(3, missing.RootElement.GetProperty("last").GetInt64());
        }

        for (int i = 4; i <= 6; i++)
        {
            Assert.Equal(new ServerSentEvent(BroadcastKit.EventId(server, "gappy", i), null, $"m{i}"), await stream.ReadAsync());
        }
    }

    [Fact]
    public async Task An_event_stream_resumed_at_the_oldest_held_message_gets_no_gap()
    {
        await using TestServer server = await BroadcastKit.StartAsync(options => options.Broadcast.HistorySize = 3);
        using HttpClient http = BroadcastKit.HttpClient(server);
        PublishNumbered(server, "edge", 1, 6); // the history holds 4, 5, 6: a cursor of 3 misses nothing

        using EventStream stream = await EventStream.OpenAsync(http, "/sse/edge", lastEventId: "3");

        Assert.Equal(new ServerSentEvent(BroadcastKit.EventId(server, "edge", 4), null, "m4"), await stream.ReadAsync());
    }

    [Fact]
    public async Task Event_streams_carry_binary_as_base64_and_each_text_line_as_a_data_line()
    {
        await using TestServer server = await BroadcastKit.StartAsync();
        using HttpClient http = BroadcastKit.HttpClient(server);
        using EventStream stream = await EventStream.OpenAsync(http, "/sse/kinds");
        await BroadcastKit.WaitUntilAsync(() => server.Server.Topics.SubscriberCount("kinds") == 1, "the stream to subscribe");
        byte[] bytes = [0, 1, 2, 250, 255, (byte)'\n'];

        server.Server.Topics.Publish("kinds", "first line\nsecond line");
        server.Server.Topics.Publish("kinds", WsFast.MessageType.Binary, bytes);

        Assert.Equal(new ServerSentEvent(BroadcastKit.EventId(server, "kinds", 1), null, "first line\nsecond line"), await stream.ReadAsync());
        ServerSentEvent binary = await stream.ReadAsync();
        Assert.Equal((BroadcastKit.EventId(server, "kinds", 2), "binary"), (binary.Id, binary.Type));
        Assert.Equal(bytes, Convert.FromBase64String(binary.Data));
    }

    [Fact]
    public async Task A_poll_after_k_returns_the_messages_after_k_in_order()
    {
        await using TestServer server = await BroadcastKit.StartAsync();
        using HttpClient http = BroadcastKit.HttpClient(server);
        PublishNumbered(server, "polled", 1, 5);
        server.Server.Topics.Publish("polled", WsFast.MessageType.Binary, [1, 2, 3]);

        PollAnswer answer = await PollAnswer.GetAsync(http, "/poll/polled?after=2&wait=0");

        Assert.Equal("polled", answer.Topic);
        Assert.Equal(6, answer.Last);
        Assert.False(answer.Truncated);
        Assert.Null(answer.Oldest);
        Assert.Equal([3, 4, 5, 6], answer.Messages.Select(m => m.Sequence));
        Assert.Equal(["m3", "m4", "m5"], answer.Messages.Take(3).Select(m => m.Data));
        Assert.All(answer.Messages.Take(3), m => Assert.Equal("text", m.Type));
        Assert.Equal(("binary", Convert.ToBase64String([1, 2, 3])), (answer.Messages[3].Type, answer.Messages[3].Data));
        Assert.All(answer.Messages, m => Assert.True(Math.Abs((DateTime.UtcNow - m.Time.ToUniversalTime()).TotalMinutes) < 5));
    }

    [Fact]
    public async Task A_poll_without_after_starts_from_the_latest_message()
    {
        await using TestServer server = await BroadcastKit.StartAsync();
        using HttpClient http = BroadcastKit.HttpClient(server);
        PublishNumbered(server, "now", 1, 3);

        PollAnswer answer = await PollAnswer.GetAsync(http, "/poll/now?wait=0");

        Assert.Equal(3, answer.Last);
        Assert.False(answer.Truncated);
        Assert.Empty(answer.Messages);
    }

    [Fact]
    public async Task A_short_poll_answers_at_once_with_no_messages()
    {
        // The long-poll timeout is long, so a short poll that waited would be obvious.
        await using TestServer server = await BroadcastKit.StartAsync(options => options.Broadcast.LongPollTimeout = TimeSpan.FromSeconds(30));
        using HttpClient http = BroadcastKit.HttpClient(server);
        PublishNumbered(server, "short", 1, 2);

        var clock = Stopwatch.StartNew();
        PollAnswer answer = await PollAnswer.GetAsync(http, "/poll/short?after=2&wait=0");

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"A short poll took {clock.Elapsed}.");
        Assert.Equal(2, answer.Last);
        Assert.Empty(answer.Messages);
    }

    [Fact]
    public async Task A_long_poll_returns_the_message_published_during_its_wait_as_soon_as_it_is_published()
    {
        await using TestServer server = await BroadcastKit.StartAsync();
        using HttpClient http = BroadcastKit.HttpClient(server);
        PublishNumbered(server, "waiting", 1, 1);

        Task<PollAnswer> poll = PollAnswer.GetAsync(http, "/poll/waiting?after=1&wait=8");
        // The poll is waiting once it is the topic's subscriber.
        await BroadcastKit.WaitUntilAsync(() => server.Server.Topics.SubscriberCount("waiting") == 1, "the poll to wait");
        await Task.Delay(200);
        Assert.False(poll.IsCompleted, "The long poll answered before anything was published.");

        var sincePublish = Stopwatch.StartNew();
        server.Server.Topics.Publish("waiting", "m2");
        PollAnswer answer = await poll.WaitAsync(BroadcastKit.Timeout);

        // Well inside the 8 s it was allowed to wait: it answered because of the message, not at timeout.
        Assert.True(sincePublish.Elapsed < TimeSpan.FromSeconds(3), $"The long poll answered {sincePublish.Elapsed} after the publish.");
        Assert.Equal(2, answer.Last);
        Assert.Equal(new[] { (2L, "m2") }, answer.Messages.Select(m => (m.Sequence, m.Data)));
        Assert.Equal(0, server.Server.Topics.SubscriberCount("waiting"));
    }

    [Theory]
    [InlineData("/poll/bounded?wait=30")]
    [InlineData("/poll/bounded")]
    public async Task A_long_poll_with_nothing_to_return_waits_at_most_the_long_poll_timeout(string pathAndQuery)
    {
        await using TestServer server = await BroadcastKit.StartAsync(options => options.Broadcast.LongPollTimeout = TimeSpan.FromSeconds(1));
        using HttpClient http = BroadcastKit.HttpClient(server);

        var clock = Stopwatch.StartNew();
        PollAnswer answer = await PollAnswer.GetAsync(http, pathAndQuery);

        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(900), TimeSpan.FromSeconds(4));
        Assert.Equal(0, answer.Last);
        Assert.Empty(answer.Messages);
        Assert.Equal(0, server.Server.Topics.SubscriberCount("bounded"));
    }

    [Fact]
    public async Task A_poll_from_before_the_history_is_marked_truncated_with_the_oldest_sequence_held()
    {
        await using TestServer server = await BroadcastKit.StartAsync(options => options.Broadcast.HistorySize = 3);
        using HttpClient http = BroadcastKit.HttpClient(server);
        PublishNumbered(server, "old", 1, 5); // the history holds 3, 4, 5

        PollAnswer fromStart = await PollAnswer.GetAsync(http, "/poll/old?after=0&wait=0");
        PollAnswer missingOne = await PollAnswer.GetAsync(http, "/poll/old?after=1&wait=0");
        PollAnswer missingNone = await PollAnswer.GetAsync(http, "/poll/old?after=2&wait=0");

        Assert.True(fromStart.Truncated);
        Assert.Equal(3, fromStart.Oldest);
        Assert.Equal([3, 4, 5], fromStart.Messages.Select(m => m.Sequence));
        Assert.True(missingOne.Truncated);
        Assert.Equal(3, missingOne.Oldest);
        Assert.False(missingNone.Truncated);
        Assert.Null(missingNone.Oldest);
        Assert.Equal([3, 4, 5], missingNone.Messages.Select(m => m.Sequence));
    }

    [Fact]
    public async Task The_history_keeps_exactly_HistorySize_messages_and_the_next_one_evicts_the_oldest()
    {
        const int K = 4;
        await using TestServer server = await BroadcastKit.StartAsync(options => options.Broadcast.HistorySize = K);
        using HttpClient http = BroadcastKit.HttpClient(server);

        PublishNumbered(server, "ring", 1, K);
        PollAnswer full = await PollAnswer.GetAsync(http, "/poll/ring?after=0&wait=0");
        Assert.False(full.Truncated);
        Assert.Equal([1, 2, 3, 4], full.Messages.Select(m => m.Sequence));

        PublishNumbered(server, "ring", K + 1, K + 1);
        PollAnswer evicted = await PollAnswer.GetAsync(http, "/poll/ring?after=0&wait=0");
        Assert.True(evicted.Truncated);
        Assert.Equal(2, evicted.Oldest);
        Assert.Equal([2, 3, 4, 5], evicted.Messages.Select(m => m.Sequence));
    }

    [Fact]
    public async Task WebSocket_subscribers_see_messages_in_sequence_order_across_publishers()
    {
        const int PerPublisher = 200;
        await using TestServer server = await BroadcastKit.StartAsync();
        var clients = await BroadcastKit.SubscribeAsync(server, "/broadcast/racing", "racing", 5);
        var sequenceOf = new System.Collections.Concurrent.ConcurrentDictionary<string, long>();

        // Two publishers at once: the order each subscriber sees must be the order of the sequence numbers.
        await Task.WhenAll(Enumerable.Range(0, 2).Select(p => Task.Run(() =>
        {
            for (int i = 0; i < PerPublisher; i++)
            {
                string text = $"p{p}-{i}";
                sequenceOf[text] = server.Server.Topics.Publish("racing", text).Sequence;
            }
        })));

        foreach (var client in clients)
        {
            List<string> received = await BroadcastKit.ReceiveTextsAsync(client, 2 * PerPublisher);
            Assert.Equal(Enumerable.Range(1, 2 * PerPublisher).Select(i => (long)i), received.Select(text => sequenceOf[text]));
        }

        await BroadcastKit.CloseAllAsync(clients);
    }

    [Fact]
    public async Task A_cursor_beyond_the_last_sequence_from_an_earlier_topic_of_the_same_name_gets_the_whole_current_history()
    {
        await using TestServer server = await BroadcastKit.StartAsync(options => options.Broadcast.TopicTimeToLive = TimeSpan.FromMilliseconds(300));
        using HttpClient http = BroadcastKit.HttpClient(server);

        // A client saw up to 5 of a topic that then expired; the name's new topic starts again at 1.
        PublishNumbered(server, "reborn", 1, 5);
        await BroadcastKit.WaitUntilAsync(() => server.Server.Topics.Find("reborn") is null, "the topic to expire", TimeSpan.FromSeconds(4));
        PublishNumbered(server, "reborn", 1, 2);

        PollAnswer polled = await PollAnswer.GetAsync(http, "/poll/reborn?after=5&wait=0");
        Assert.Equal([(1L, "m1"), (2L, "m2")], polled.Messages.Select(m => (m.Sequence, m.Data)));
        Assert.Equal((2L, false), (polled.Last, polled.Truncated));

        using EventStream stream = await EventStream.OpenAsync(http, "/sse/reborn", lastEventId: "5");
        Assert.Equal(new ServerSentEvent(BroadcastKit.EventId(server, "reborn", 1), null, "m1"), await stream.ReadAsync());
        Assert.Equal(new ServerSentEvent(BroadcastKit.EventId(server, "reborn", 2), null, "m2"), await stream.ReadAsync());
    }

    [Fact]
    public async Task A_cursor_that_is_not_a_number_gets_400()
    {
        await using TestServer server = await BroadcastKit.StartAsync();
        using HttpClient http = BroadcastKit.HttpClient(server);
        var request = new HttpRequestMessage(HttpMethod.Get, "/sse/bad");
        request.Headers.Add("Last-Event-ID", "abc");

        using HttpResponseMessage sse = await http.SendAsync(request);
        using HttpResponseMessage poll = await http.GetAsync("/poll/bad?after=abc&wait=0");

        Assert.Equal(HttpStatusCode.BadRequest, sse.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, poll.StatusCode);
    }
}
