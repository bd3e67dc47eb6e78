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

    [Fact]
    public async Task Subscribers_resuming_from_the_start_on_a_node_new_to_the_topic_while_another_node_publishes_without_pause_get_every_message_once_in_order()
    {
        TestServer[] nodes = await Nodes.StartManyAsync(2, redis.Configuration, SharedRedis.NewPrefix());
        var publisher = new ContinuousPublisher([nodes[0]], "news");
        var subscribers = new List<Subscriber>();
        try
        {
            publisher.Start();
            await publisher.WaitForSuccessesAsync(10, TimeSpan.FromSeconds(10));

            // Node B subscribes to the channel and reads the history while messages keep coming: each is delivered
            // once, whether it came in the history, on the channel, or both.
            string start = Cursor.Of(publisher.Successes[0].Result.Epoch, 0);
            subscribers.Add(await SocketClient.EnvelopedAsync(nodes[1], "news", after: start));
            subscribers.Add(await EventStreamClient.OpenAsync(nodes[1], "news", lastEventId: start));
            subscribers.Add(PollClient.Start(nodes[1], "news", after: start));
            await publisher.WaitForSuccessesAsync(publisher.Successes.Count + 15, TimeSpan.FromSeconds(10));
            await publisher.StopAsync();

            List<(string Text, PublishResult Result)> published = publisher.Successes;
            long epoch = published[0].Result.Epoch;
            Assert.Equal(Enumerable.Range(1, published.Count).Select(i => ($"m{i}", epoch, (long)i)), published.Select(p => (p.Text, p.Result.Epoch, p.Result.Sequence)));
            foreach (Subscriber subscriber in subscribers)
            {
                await subscriber.WaitForMessagesAsync(published.Count);
                DeliveryCheck.AssertExactly(subscriber, epoch, published.Count);
            }
        }
        finally
        {
            await publisher.StopAsync();
            foreach (Subscriber subscriber in subscribers)
            {
                await subscriber.DisposeAsync();
            }

            await Nodes.DisposeAllAsync(nodes);
        }
    }

    [Fact]
    public async Task Three_nodes_publishing_30_messages_each_at_once_give_every_subscriber_on_every_node_1_to_90_in_one_order_without_gap_or_duplicate()
    {
        TestServer[] nodes = await Nodes.StartManyAsync(3, redis.Configuration, SharedRedis.NewPrefix());
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

            // Each node's publisher waits for one publish before the next; the three run at the same time.
            (string Text, PublishResult Result)[][] byNode = await Task.WhenAll(nodes.Select((node, n) => Task.Run(async () =>
            {
                var results = new (string, PublishResult)[30];
                for (int i = 0; i < results.Length; i++)
                {
                    string text = $"node{n}-{i}";
                    results[i] = (text, await node.Server.Topics.PublishAsync("news", text));
                }

                return results;
            })));

            List<(string Text, PublishResult Result)> numbered = byNode.SelectMany(r => r).OrderBy(r => r.Result.Sequence).ToList();
            long epoch = numbered[0].Result.Epoch;
            Assert.Equal(Enumerable.Range(1, 90).Select(i => (epoch, (long)i)), numbered.Select(r => (r.Result.Epoch, r.Result.Sequence)));
            Assert.All(byNode, results => Assert.True(results.Select(r => r.Result.Sequence).SequenceEqual(results.Select(r => r.Result.Sequence).Order()), "one node's publishes out of order"));
            List<Delivery> expected = numbered.Select(r => (Delivery)new Message(epoch, r.Result.Sequence, r.Text)).ToList();
            foreach (Subscriber subscriber in sequenced)
            {
                await subscriber.WaitForMessagesAsync(90);
                Assert.True(expected.SequenceEqual(subscriber.Deliveries), $"{subscriber.Name}: expected {epoch}:1..90 once each, got: {Subscriber.Describe(subscriber.Deliveries)}");
            }

            foreach (Subscriber subscriber in plain)
            {
                await subscriber.WaitForMessagesAsync(90);
                Assert.Equal(numbered.Select(r => r.Text), subscriber.Texts);
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
