using System.Net;
using System.Text.Json;
using WsFast.Tests.Broadcast;
using WsFast.Tests.Server;
using WsFast.Tests.Support;

namespace WsFast.Tests.Scaleout;

/// <summary>
/// A cursor means the same on every node: an event id, a poll cursor or an envelope's <c>E:N</c> given by one node
/// resumes on another (behind a load balancer, a reconnect lands anywhere), and on a node that was restarted,
/// with only the missed messages, in order.
/// </summary>
[Collection(SharedRedisCollection.Name)]
public sealed class ResumeAcrossNodesTests(SharedRedis redis)
{
    [Fact]
    public async Task An_event_stream_of_node_A_reconnecting_to_node_B_with_Last_Event_ID_gets_only_what_it_missed_then_live_messages()
    {
        TestServer[] nodes = await Nodes.StartManyAsync(2, redis.Configuration, SharedRedis.NewPrefix());
        try
        {
            long epoch;
            await using (EventStreamClient onA = await EventStreamClient.OpenAsync(nodes[0], "news"))
            {
                await Nodes.WaitFollowingAsync(nodes[0], "news", subscribers: 1);
                epoch = (await Nodes.PublishInTurnAsync(nodes, "news", 1, 3))[0].Epoch;
                await onA.WaitForMessagesAsync(3);
                DeliveryCheck.AssertExactly(onA, epoch, 3);
            }

            await Nodes.PublishInTurnAsync(nodes, "news", 4, 6); // while the client is away

            await using EventStreamClient onB = await EventStreamClient.OpenAsync(nodes[1], "news", lastEventId: Cursor.Of(epoch, 3));
            await onB.WaitForMessagesAsync(3);
            Assert.Equal(7, (await nodes[0].Server.Topics.PublishAsync("news", "m7")).Sequence);
            await onB.WaitForMessagesAsync(4);

            DeliveryCheck.AssertInOrderOnceEach(onB, epoch, afterSequence: 3);
            Assert.Equal(Nodes.Texts(4, 7), onB.Texts);
            Assert.Empty(onB.Gaps);
        }
        finally
        {
            await Nodes.DisposeAllAsync(nodes);
        }
    }

    [Fact]
    public async Task A_poll_cursor_of_node_A_used_on_node_B_answers_only_the_later_messages_and_a_long_poll_on_B_wakes_for_a_publish_on_A()
    {
        TestServer[] nodes = await Nodes.StartManyAsync(2, redis.Configuration, SharedRedis.NewPrefix());
        try
        {
            await Nodes.PublishInTurnAsync(nodes, "news", 1, 3);
            JsonElement fromA = await PollAsync(nodes[0], "news", "after=0&wait=0");
            Assert.Equal(["m1", "m2", "m3"], Texts(fromA));
            string cursor = fromA.GetProperty("cursor").GetString()!;
            long epoch = fromA.GetProperty("epoch").GetInt64();
            Assert.Equal(Cursor.Of(epoch, 3), cursor);

            await Nodes.PublishInTurnAsync(nodes, "news", 4, 6);
            JsonElement fromB = await PollAsync(nodes[1], "news", $"after={cursor}&wait=0");

            Assert.Equal(["m4", "m5", "m6"], Texts(fromB));
            Assert.Equal([4L, 5L, 6L], fromB.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("sequence").GetInt64()));
            Assert.False(fromB.GetProperty("truncated").GetBoolean());
            Assert.Equal((epoch, Cursor.Of(epoch, 6)), (fromB.GetProperty("epoch").GetInt64(), fromB.GetProperty("cursor").GetString()));

            Task<JsonElement> waiting = PollAsync(nodes[1], "news", $"after={Cursor.Of(epoch, 6)}&wait=5");
            await BroadcastKit.WaitUntilAsync(() => nodes[1].Server.Topics.SubscriberCount("news") == 1, "the long poll to wait on node B");
            await nodes[0].Server.Topics.PublishAsync("news", "m7");
            JsonElement woken = await waiting;
            Assert.Equal(["m7"], Texts(woken));
            Assert.Equal(Cursor.Of(epoch, 7), woken.GetProperty("cursor").GetString());
        }
        finally
        {
            await Nodes.DisposeAllAsync(nodes);
        }
    }

    [Fact]
    public async Task A_wsfast_v1_WebSocket_of_node_A_reconnecting_to_node_B_with_after_gets_only_what_it_missed_then_live_messages()
    {
        TestServer[] nodes = await Nodes.StartManyAsync(2, redis.Configuration, SharedRedis.NewPrefix());
        try
        {
            long epoch;
            await using (SocketClient onA = await SocketClient.EnvelopedAsync(nodes[0], "news"))
            {
                await Nodes.WaitFollowingAsync(nodes[0], "news", subscribers: 1);
                epoch = (await Nodes.PublishInTurnAsync(nodes, "news", 1, 3))[0].Epoch;
                await onA.WaitForMessagesAsync(3);
                DeliveryCheck.AssertExactly(onA, epoch, 3);
            }

            await Nodes.PublishInTurnAsync(nodes, "news", 4, 6);

            await using SocketClient onB = await SocketClient.EnvelopedAsync(nodes[1], "news", after: Cursor.Of(epoch, 3));
            await onB.WaitForMessagesAsync(3);
            await nodes[0].Server.Topics.PublishAsync("news", "m7");
            await onB.WaitForMessagesAsync(4);

            DeliveryCheck.AssertInOrderOnceEach(onB, epoch, afterSequence: 3);
            Assert.Equal(Nodes.Texts(4, 7), onB.Texts);
            Assert.Empty(onB.Gaps);
        }
        finally
        {
            await Nodes.DisposeAllAsync(nodes);
        }
    }

    [Fact]
    public async Task A_restarted_node_goes_on_with_the_shared_epoch_and_numbering_and_its_clients_resume_there_by_cursor()
    {
        string prefix = SharedRedis.NewPrefix();
        await using TestServer stays = await Nodes.StartAsync(redis.Configuration, prefix);
        await using EventStreamClient onStaying = await EventStreamClient.OpenAsync(stays, "news");
        TestServer restarted = await Nodes.StartAsync(redis.Configuration, prefix);
        long epoch;
        string streamCursor, socketCursor, pollCursor;
        try
        {
            await using EventStreamClient stream = await EventStreamClient.OpenAsync(restarted, "news");
            await using SocketClient socket = await SocketClient.EnvelopedAsync(restarted, "news");
            await Nodes.WaitFollowingAsync(restarted, "news", subscribers: 2);
            await using PollClient poll = PollClient.Start(restarted, "news");
            await Nodes.WaitFollowingAsync(stays, "news", subscribers: 1);
            epoch = (await Nodes.PublishInTurnAsync([stays, restarted], "news", 1, 5))[0].Epoch;
            foreach (Subscriber subscriber in (Subscriber[])[stream, socket, poll])
            {
                await subscriber.WaitForMessagesAsync(5);
                DeliveryCheck.AssertExactly(subscriber, epoch, 5);
            }

            (streamCursor, socketCursor, pollCursor) = (Last(stream), Last(socket), poll.Cursor);
        }
        finally
        {
            await restarted.DisposeAsync();
        }

        Assert.Equal([6L, 7L, 8L], (await Nodes.PublishInTurnAsync([stays], "news", 6, 8)).Select(p => p.Sequence));
        await using TestServer again = await Nodes.StartAsync(redis.Configuration, prefix);

        PublishResult ninth = await again.Server.Topics.PublishAsync("news", "m9");
        Assert.Equal((epoch, 9L), (ninth.Epoch, ninth.Sequence));
        Assert.All((string[])[streamCursor, socketCursor, pollCursor], cursor => Assert.Equal(Cursor.Of(epoch, 5), cursor));
        await using EventStreamClient streamAgain = await EventStreamClient.OpenAsync(again, "news", lastEventId: streamCursor);
        await using SocketClient socketAgain = await SocketClient.EnvelopedAsync(again, "news", after: socketCursor);
        await using PollClient pollAgain = PollClient.Start(again, "news", after: pollCursor);
        foreach (Subscriber subscriber in (Subscriber[])[streamAgain, socketAgain, pollAgain])
        {
            await subscriber.WaitForMessagesAsync(4);
        }

        Assert.Equal(10, (await again.Server.Topics.PublishAsync("news", "m10")).Sequence);
        foreach (Subscriber subscriber in (Subscriber[])[streamAgain, socketAgain, pollAgain])
        {
            await subscriber.WaitForMessagesAsync(5);
            DeliveryCheck.AssertInOrderOnceEach(subscriber, epoch, afterSequence: 5);
            Assert.Equal(Nodes.Texts(6, 10), subscriber.Texts);
        }

        await onStaying.WaitForMessagesAsync(10);
        DeliveryCheck.AssertExactly(onStaying, epoch, 10);
    }

    private static string Last(Subscriber subscriber)
    {
        Message last = subscriber.Messages[^1];
        return Cursor.Of(last.Epoch, last.Sequence);
    }

    private static List<string> Texts(JsonElement poll) =>
        poll.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("data").GetString()!).ToList();

    private static async Task<JsonElement> PollAsync(TestServer node, string topic, string query)
    {
        using HttpClient http = BroadcastKit.HttpClient(node);
        using HttpResponseMessage response = await http.GetAsync($"/poll/{topic}?{query}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }
}
