using System.Net;
using System.Text.Json;
using WsFast.Tests.Broadcast;
using WsFast.Tests.Server;
using WsFast.Tests.Support;

namespace WsFast.Tests.Scaleout;

/// <summary>
/// Redis lost a topic's numbering (its <c>:seq</c> key expired or was deleted): the next publish starts a new epoch
/// at 1, and every subscriber on every node is told its epoch is gone (a gap with <c>reset</c>) before the new
/// epoch's messages, instead of taking them for the old one's.
/// </summary>
[Collection(SharedRedisCollection.Name)]
public sealed class EpochChangeTests(SharedRedis redis)
{
    [Fact]
    public async Task After_the_topics_numbering_is_lost_in_Redis_the_next_publish_is_1_of_a_new_epoch_and_every_subscriber_is_told_of_the_reset()
    {
        string prefix = SharedRedis.NewPrefix();
        TestServer[] nodes = await Nodes.StartManyAsync(2, redis.Configuration, prefix);
        var subscribers = new List<Subscriber>();
        try
        {
            foreach (TestServer node in nodes)
            {
                subscribers.Add(await SocketClient.EnvelopedAsync(node, "news"));
                subscribers.Add(await EventStreamClient.OpenAsync(node, "news"));
                await Nodes.WaitFollowingAsync(node, "news", subscribers: 2);
                subscribers.Add(PollClient.Start(node, "news"));
            }

            long before = (await Nodes.PublishInTurnAsync(nodes, "news", 1, 3))[0].Epoch;
            foreach (Subscriber subscriber in subscribers)
            {
                await subscriber.WaitForMessagesAsync(3);
            }

            Assert.Equal(":1", redis.Command("DEL", $"{prefix}:{{news}}:seq"));
            PublishResult fourth = await nodes[1].Server.Topics.PublishAsync("news", "m4");
            PublishResult fifth = await nodes[0].Server.Topics.PublishAsync("news", "m5");

            long after = fourth.Epoch;
            Assert.NotEqual(before, after);
            Assert.Equal([(after, 1L), (after, 2L)], [(fourth.Epoch, fourth.Sequence), (fifth.Epoch, fifth.Sequence)]);
            foreach (Subscriber subscriber in subscribers)
            {
                await subscriber.WaitForMessagesAsync(5);
                Assert.Equal(
                    [new Message(before, 1, "m1"), new Message(before, 2, "m2"), new Message(before, 3, "m3"),
                     new Gap(after, 1, 0, Reset: true), new Message(after, 1, "m4"), new Message(after, 2, "m5")],
                    subscriber.Deliveries);
            }

            // A client that comes back later with a cursor of the lost epoch is told too, on any node.
            using HttpClient http = BroadcastKit.HttpClient(nodes[0]);
            using HttpResponseMessage response = await http.GetAsync($"/poll/news?after={Cursor.Of(before, 3)}&wait=0");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            using JsonDocument poll = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            Assert.True(poll.RootElement.GetProperty("reset").GetBoolean());
            Assert.Equal(["m4", "m5"], poll.RootElement.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("data").GetString()));
            Assert.Equal(Cursor.Of(after, 2), poll.RootElement.GetProperty("cursor").GetString());
        }
        finally
        {
            foreach (Subscriber subscriber in subscribers)
            {
                await subscriber.DisposeAsync();
            }

            await Nodes.DisposeAllAsync(nodes);
        }
    }
}
