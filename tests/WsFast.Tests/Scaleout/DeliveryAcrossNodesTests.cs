using WsFast.Tests.Server;
using WsFast.Tests.Support;

namespace WsFast.Tests.Scaleout;

/// <summary>
/// One topic over several nodes on one Redis: a publish on any node reaches the WebSocket, event stream and poll
/// subscribers of every node, numbered once for all of them, in the topic's order, each message once.
/// </summary>
[Collection(SharedRedisCollection.Name)]
public sealed class DeliveryAcrossNodesTests(SharedRedis redis)
{
    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public async Task Fifty_messages_published_from_the_nodes_in_turn_reach_every_kind_of_subscriber_on_every_node_as_1_to_50_of_one_epoch(int nodeCount)
    {
        TestServer[] nodes = await Nodes.StartManyAsync(nodeCount, redis.Configuration, SharedRedis.NewPrefix());
        var sequenced = new List<Subscriber>();
        var plain = new List<Subscriber>();
        try
        {
            foreach (TestServer node in nodes)
            {
                sequenced.Add(await SocketClient.EnvelopedAsync(node, "news"));
                sequenced.Add(await EventStreamClient.OpenAsync(node, "news"));
                plain.Add(await SocketClient.PlainAsync(node, "news"));
                await Nodes.WaitFollowingAsync(node, "news", subscribers: 3);
                sequenced.Add(PollClient.Start(node, "news"));
            }

            List<PublishResult> published = await Nodes.PublishInTurnAsync(nodes, "news", 1, 50);

            long epoch = published[0].Epoch;
            Assert.NotEqual(0, epoch);
            Assert.Equal(Enumerable.Range(1, 50).Select(i => (epoch, (long)i)), published.Select(p => (p.Epoch, p.Sequence)));
            foreach (Subscriber subscriber in sequenced.Concat(plain))
            {
                await subscriber.WaitForMessagesAsync(50);
            }

            // A last message from the first node: whatever a subscriber got twice would have come before it.
            Assert.Equal(51, (await nodes[0].Server.Topics.PublishAsync("news", "m51")).Sequence);
            foreach (Subscriber subscriber in sequenced.Concat(plain))
            {
                await subscriber.WaitForMessagesAsync(51);
            }

            foreach (Subscriber subscriber in sequenced)
            {
                DeliveryCheck.AssertExactly(subscriber, epoch, 51);
            }

            foreach (Subscriber subscriber in plain)
            {
                Assert.Equal(Nodes.Texts(1, 51), subscriber.Texts);
            }

            foreach (TestServer node in nodes)
            {
                Assert.Equal((epoch, 51L), (node.Server.Topics.Find("news")!.Epoch, node.Server.Topics.Find("news")!.LastSequence));
            }
        }
        finally
        {
            foreach (Subscriber subscriber in sequenced.Concat(plain))
            {
                await subscriber.DisposeAsync();
            }

            await Nodes.DisposeAllAsync(nodes);
        }
    }
}
