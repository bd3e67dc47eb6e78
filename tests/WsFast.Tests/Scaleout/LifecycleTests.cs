using System.Net;
using System.Text.Json;
using WsFast.Tests.Broadcast;
using WsFast.Tests.Server;
using WsFast.Tests.Support;

namespace WsFast.Tests.Scaleout;

/// <summary>
/// A node follows a topic's Redis channel while it has local subscribers of the topic, once however many, and
/// leaves it after the last (here at once: <see cref="BrokerOptions.UnsubscribeDelay"/> zero). A topic no node
/// follows is still numbered and kept in Redis.
/// </summary>
[Collection(SharedRedisCollection.Name)]
public sealed class LifecycleTests(SharedRedis redis)
{
    private static readonly Action<WsFastServerOptions> LeaveAtOnce = options => options.Broker.UnsubscribeDelay = TimeSpan.Zero;

    [Fact]
    public async Task Each_node_subscribes_to_the_channel_once_at_its_first_local_subscriber_and_unsubscribes_after_its_last()
    {
        string prefix = SharedRedis.NewPrefix();
        TestServer[] nodes = await Nodes.StartManyAsync(2, redis.Configuration, prefix, LeaveAtOnce);
        try
        {
            Assert.Equal(0, Nodes.ChannelSubscribers(redis.Configuration, prefix, "news"));

            await using SocketClient firstOnA = await SocketClient.EnvelopedAsync(nodes[0], "news");
            await using EventStreamClient secondOnA = await EventStreamClient.OpenAsync(nodes[0], "news");
            await Nodes.WaitFollowingAsync(nodes[0], "news", subscribers: 2);
            Assert.Equal(1, Nodes.ChannelSubscribers(redis.Configuration, prefix, "news"));

            await using SocketClient onB = await SocketClient.PlainAsync(nodes[1], "news");
            await Nodes.WaitFollowingAsync(nodes[1], "news", subscribers: 1);
            Assert.Equal(2, Nodes.ChannelSubscribers(redis.Configuration, prefix, "news"));
            await nodes[1].Server.Topics.PublishAsync("news", "m1");
            await firstOnA.WaitForMessagesAsync(1);

            // Node A keeps its subscription while one of its two subscribers is left; B leaves with its only one.
            await firstOnA.DisposeAsync();
            await BroadcastKit.WaitUntilAsync(() => nodes[0].Server.Topics.SubscriberCount("news") == 1, "one subscriber left on node A");
            await onB.DisposeAsync();
            await WaitChannelSubscribersAsync(prefix, "news", 1);
            await BroadcastKit.WaitUntilAsync(() => nodes[1].Server.Topics.Find("news") is null, "node B to drop its mirror");
            Assert.NotNull(nodes[0].Server.Topics.Find("news"));

            await nodes[1].Server.Topics.PublishAsync("news", "m2");
            await secondOnA.WaitForMessagesAsync(2);
            Assert.Equal(["m1", "m2"], secondOnA.Texts);

            await secondOnA.DisposeAsync();
            await WaitChannelSubscribersAsync(prefix, "news", 0);
            await BroadcastKit.WaitUntilAsync(() => nodes[0].Server.Topics.Find("news") is null, "node A to drop its mirror");
        }
        finally
        {
            await Nodes.DisposeAllAsync(nodes);
        }
    }

    [Fact]
    public async Task A_publish_to_a_topic_no_node_follows_is_numbered_and_kept_and_a_later_poll_on_another_node_reads_it()
    {
        string prefix = SharedRedis.NewPrefix();
        TestServer[] nodes = await Nodes.StartManyAsync(2, redis.Configuration, prefix, LeaveAtOnce);
        try
        {
            List<PublishResult> published = await Nodes.PublishInTurnAsync(nodes, "quiet", 1, 3);

            long epoch = published[0].Epoch;
            Assert.Equal([(epoch, 1L), (epoch, 2L), (epoch, 3L)], published.Select(p => (p.Epoch, p.Sequence)));
            Assert.NotEqual(0, epoch);
            Assert.Equal(0, Nodes.ChannelSubscribers(redis.Configuration, prefix, "quiet"));
            Assert.All(nodes, node => Assert.Null(node.Server.Topics.Find("quiet")));
            Assert.Equal(":3", redis.Command("XLEN", $"{prefix}:{{quiet}}:history"));

            using HttpClient http = BroadcastKit.HttpClient(nodes[1]);
            using HttpResponseMessage response = await http.GetAsync("/poll/quiet?after=0&wait=0");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            using JsonDocument poll = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            Assert.Equal(["m1", "m2", "m3"], poll.RootElement.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("data").GetString()));
            Assert.Equal(Cursor.Of(epoch, 3), poll.RootElement.GetProperty("cursor").GetString());
        }
        finally
        {
            await Nodes.DisposeAllAsync(nodes);
        }
    }

    private Task WaitChannelSubscribersAsync(string prefix, string topic, int count) =>
        BroadcastKit.WaitUntilAsync(() => Nodes.ChannelSubscribers(redis.Configuration, prefix, topic) == count,
            $"{count} subscribers of the channel of '{topic}' in Redis");
}
