using System.Net.WebSockets;
using WsFast.Server;
using WsFast.Tests.Broadcast;
using WsFast.Tests.Server;
using WsFast.Tests.Support;

namespace WsFast.Tests.Brokers;

/// <summary>
/// Redis Cluster: every key and the channel of a topic share its hash tag, so a topic lives on one shard, its
/// publish script runs there, and its messages go out on a sharded channel (<c>SPUBLISH</c>/<c>SSUBSCRIBE</c>);
/// different topics spread over the shards.
/// </summary>
public class RedisClusterTests
{
    [Fact]
    public async Task On_a_three_shard_cluster_topics_of_every_shard_are_numbered_kept_and_delivered_in_order_to_another_server()
    {
        using RedisCluster cluster = RedisCluster.Start();
        string prefix = SharedRedis.NewPrefix();
        await using TestServer a = await BrokerKit.StartNodeAsync(cluster.Configuration, prefix);
        await using TestServer b = await BrokerKit.StartNodeAsync(cluster.Configuration, prefix);
        string[] topics = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot"];
        var subscribers = new List<ClientWebSocket>();
        foreach (string topic in topics)
        {
            subscribers.AddRange(await BrokerKit.SubscribeAsync(b, topic, 1));
        }

        foreach (string topic in topics)
        {
            for (int i = 1; i <= 3; i++)
            {
                Assert.Equal(i, (await a.Server.Topics.PublishAsync(topic, $"{topic} {i}")).Sequence);
            }
        }

        for (int t = 0; t < topics.Length; t++)
        {
            Assert.Equal([$"{topics[t]} 1", $"{topics[t]} 2", $"{topics[t]} 3"], await BroadcastKit.ReceiveTextsAsync(subscribers[t], 3));
        }

        Assert.True(((RedisBroker)a.Server.Topics.Broker).IsSharded);
        int shardsHoldingKeys = cluster.Nodes.Count(node => node.Command("DBSIZE") != ":0");
        Assert.True(shardsHoldingKeys >= 2, $"the topics' keys are on {shardsHoldingKeys} shard(s)");
        using HttpClient http = BroadcastKit.HttpClient(a);
        PollAnswer answer = await PollAnswer.GetAsync(http, "/poll/delta?after=0&wait=0");
        Assert.Equal([1L, 2, 3], answer.Messages.Select(m => m.Sequence));
        await BroadcastKit.CloseAllAsync(subscribers);
    }
}
