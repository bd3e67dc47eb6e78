using WsFast.Tests.Broadcast;
using WsFast.Tests.Server;
using WsFast.Tests.Support;

namespace WsFast.Tests.Scaleout;

/// <summary>
/// Servers of one deployment: each an in-process <see cref="WsFastServer"/> with the broadcast endpoint at
/// <c>/broadcast</c> (and <c>/sse</c>, <c>/poll</c>, <c>/publish</c>), its topics shared through one Redis under one
/// key prefix.
/// </summary>
internal static class Nodes
{
    /// <summary>How long a node may take to notice that its Redis came back and to read its topics again.</summary>
    public static readonly TimeSpan Reconnect = TimeSpan.FromSeconds(20);

    /// <summary>A node of the deployment at <paramref name="redis"/> (a StackExchange.Redis configuration string) under <paramref name="prefix"/>.</summary>
    public static Task<TestServer> StartAsync(string redis, string prefix, Action<WsFastServerOptions>? configure = null) =>
        BroadcastKit.StartAsync(options =>
        {
            options.Broker.Kind = BrokerKind.Redis;
            options.Broker.Redis = redis;
            options.Broker.KeyPrefix = prefix;
            configure?.Invoke(options);
        });

    /// <summary><paramref name="count"/> nodes of one deployment, started one after the other.</summary>
    public static async Task<TestServer[]> StartManyAsync(int count, string redis, string prefix, Action<WsFastServerOptions>? configure = null)
    {
        var nodes = new TestServer[count];
        for (int i = 0; i < count; i++)
        {
            nodes[i] = await StartAsync(redis, prefix, configure);
        }

        return nodes;
    }

    /// <summary>Stops every node (each one's own deadline applies).</summary>
    public static async Task DisposeAllAsync(IEnumerable<TestServer> nodes)
    {
        foreach (TestServer node in nodes)
        {
            await node.DisposeAsync();
        }
    }

    /// <summary>
    /// Waits until <paramref name="node"/> mirrors <paramref name="topic"/> with <paramref name="subscribers"/> local
    /// subscribers and has read it from Redis: from then on, every message published anywhere reaches them.
    /// </summary>
    public static Task WaitFollowingAsync(TestServer node, string topic, int subscribers) =>
        BroadcastKit.WaitUntilAsync(
            () => node.Server.Topics.Find(topic) is { IsSynced: true } mirror && mirror.SubscriberCount == subscribers,
            $"{subscribers} subscribers of '{topic}' on port {node.Port}, the topic read from Redis");

    /// <summary>Publishes <c>m{i}</c> for i in <paramref name="from"/>..<paramref name="to"/>, from the nodes in turn, each numbered before the next.</summary>
    public static async Task<List<PublishResult>> PublishInTurnAsync(IReadOnlyList<TestServer> nodes, string topic, int from, int to)
    {
        var results = new List<PublishResult>();
        for (int i = from; i <= to; i++)
        {
            results.Add(await nodes[i % nodes.Count].Server.Topics.PublishAsync(topic, $"m{i}"));
        }

        return results;
    }

    /// <summary>
    /// Subscribers of channel <c>{prefix}:{{topic}}</c> in Redis, sharded (Redis 7) or classic: how many nodes
    /// follow the topic (each node subscribes once however many clients it has).
    /// </summary>
    public static int ChannelSubscribers(string redis, string prefix, string topic)
    {
        // PUBSUB in a script, so that the reply is one integer; SHARDNUMSUB is unknown before Redis 7.
        string? reply = Resp.Command(redis, "EVAL", """
            local sharded = redis.pcall('pubsub', 'shardnumsub', KEYS[1])
            local count = redis.call('pubsub', 'numsub', KEYS[1])[2]
            if type(sharded) == 'table' then count = count + sharded[2] end
            return count
            """, "1", $"{prefix}:{{{topic}}}");
        Assert.NotNull(reply);
        Assert.StartsWith(":", reply);
        return int.Parse(reply.AsSpan(1), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>The text of <c>m{i}</c> for i in <paramref name="from"/>..<paramref name="to"/>.</summary>
    public static List<string> Texts(int from, int to)
    {
        var texts = new List<string>();
        for (int i = from; i <= to; i++)
        {
            texts.Add($"m{i}");
        }

        return texts;
    }
}
