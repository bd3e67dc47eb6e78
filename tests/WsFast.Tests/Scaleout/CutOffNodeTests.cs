using WsFast.Tests.Broadcast;
using WsFast.Tests.Server;
using WsFast.Tests.Support;

namespace WsFast.Tests.Scaleout;

/// <summary>
/// One node loses Redis (the network between them is cut) while another goes on publishing: its subscribers stay
/// connected, and when it comes back it recovers what was published meanwhile from the topic's history in Redis,
/// in order and once each; what the history no longer holds is reported as a gap, never skipped in silence.
/// </summary>
[Collection(SharedRedisCollection.Name)]
public sealed class CutOffNodeTests(SharedRedis redis)
{
    [Fact]
    public async Task A_node_cut_off_from_Redis_recovers_the_messages_published_meanwhile_from_the_history_in_order_once_each()
    {
        await using CutOff deployment = await CutOff.StartAsync(redis.Configuration, historySize: 100);
        long epoch = await deployment.PublishWhileCutAsync(4, 10);

        foreach (Subscriber subscriber in deployment.Subscribers)
        {
            await subscriber.WaitForMessagesAsync(11, Nodes.Reconnect);
            DeliveryCheck.AssertExactly(subscriber, epoch, 11);
        }
    }

    [Fact]
    public async Task A_node_cut_off_for_longer_than_the_history_reaches_tells_its_subscribers_of_the_gap_then_goes_on()
    {
        await using CutOff deployment = await CutOff.StartAsync(redis.Configuration, historySize: 3);
        long epoch = await deployment.PublishWhileCutAsync(4, 10); // Redis keeps 8, 9, 10 of them

        foreach (Subscriber subscriber in deployment.OnCutNode)
        {
            await subscriber.WaitForMessagesAsync(7, Nodes.Reconnect);
            Assert.Equal(
                [.. Enumerable.Range(1, 3).Select(i => (Delivery)new Message(epoch, i, $"m{i}")), new Gap(epoch, 4, 7, Reset: false),
                 .. Enumerable.Range(8, 4).Select(i => (Delivery)new Message(epoch, i, $"m{i}"))],
                subscriber.Deliveries);
        }

        foreach (Subscriber subscriber in deployment.OnOtherNode)
        {
            await subscriber.WaitForMessagesAsync(11);
            DeliveryCheck.AssertExactly(subscriber, epoch, 11);
        }
    }

    [Fact]
    public async Task A_node_cut_off_and_back_while_another_publishes_without_pause_delivers_every_message_once_in_order()
    {
        string prefix = SharedRedis.NewPrefix();
        using var proxy = CuttableProxy.To(redis.Configuration);
        // A history long enough for what is published while node B is away and reconnecting (a few seconds).
        Action<WsFastServerOptions> history = options => options.Broadcast.HistorySize = 2000;
        await using TestServer direct = await Nodes.StartAsync(redis.Configuration, prefix, history);
        await using TestServer behindProxy = await Nodes.StartAsync(proxy.Configuration, prefix, history);
        await using SocketClient socket = await SocketClient.EnvelopedAsync(behindProxy, "news");
        await using EventStreamClient stream = await EventStreamClient.OpenAsync(behindProxy, "news");
        await Nodes.WaitFollowingAsync(behindProxy, "news", subscribers: 2);
        await using PollClient poll = PollClient.Start(behindProxy, "news");
        var publisher = new ContinuousPublisher([direct], "news");
        try
        {
            publisher.Start();
            await publisher.WaitForSuccessesAsync(10, TimeSpan.FromSeconds(10));
            proxy.Cut();
            await BroadcastKit.WaitUntilAsync(() => !behindProxy.Server.Topics.Broker.IsConnected, "node B to notice the cut");
            await publisher.WaitForSuccessesAsync(publisher.Successes.Count + 10, TimeSpan.FromSeconds(10));
            proxy.Restore();
            await BroadcastKit.WaitUntilAsync(() => behindProxy.Server.Topics.Broker.IsConnected, "node B to reconnect", Nodes.Reconnect);
            await publisher.WaitForSuccessesAsync(publisher.Successes.Count + 10, TimeSpan.FromSeconds(10));
        }
        finally
        {
            await publisher.StopAsync();
        }

        List<(string Text, PublishResult Result)> published = publisher.Successes;
        long epoch = published[0].Result.Epoch;
        Assert.Equal(Enumerable.Range(1, published.Count).Select(i => ($"m{i}", epoch, (long)i)), published.Select(p => (p.Text, p.Result.Epoch, p.Result.Sequence)));
        foreach (Subscriber subscriber in (Subscriber[])[socket, stream, poll])
        {
            await subscriber.WaitForMessagesAsync(published.Count, Nodes.Reconnect);
            DeliveryCheck.AssertExactly(subscriber, epoch, published.Count);
        }
    }

    [Fact]
    public async Task A_client_resuming_on_a_node_that_lags_behind_its_cursor_gets_neither_a_reset_nor_a_message_twice()
    {
        string prefix = SharedRedis.NewPrefix();
        using var proxy = CuttableProxy.To(redis.Configuration);
        await using TestServer direct = await Nodes.StartAsync(redis.Configuration, prefix);
        await using TestServer lagging = await Nodes.StartAsync(proxy.Configuration, prefix);
        await using SocketClient keepsTheTopic = await SocketClient.EnvelopedAsync(lagging, "news");
        await Nodes.WaitFollowingAsync(lagging, "news", subscribers: 1);
        long epoch = (await Nodes.PublishInTurnAsync([direct], "news", 1, 2))[0].Epoch;
        await keepsTheTopic.WaitForMessagesAsync(2);

        // Node B misses m3..m5; a client that got them on node A comes to B with its cursor.
        proxy.Cut();
        await BroadcastKit.WaitUntilAsync(() => !lagging.Server.Topics.Broker.IsConnected, "node B to notice the cut");
        await Nodes.PublishInTurnAsync([direct], "news", 3, 5);
        await using EventStreamClient stream = await EventStreamClient.OpenAsync(lagging, "news", lastEventId: Cursor.Of(epoch, 5));
        await using SocketClient socket = await SocketClient.EnvelopedAsync(lagging, "news", after: Cursor.Of(epoch, 5));
        await using PollClient poll = PollClient.Start(lagging, "news", after: Cursor.Of(epoch, 5));
        await BroadcastKit.WaitUntilAsync(() => lagging.Server.Topics.SubscriberCount("news") == 4, "the three to subscribe on node B (the poll waiting)");
        proxy.Restore();
        await BroadcastKit.WaitUntilAsync(() => lagging.Server.Topics.Find("news")?.LastSequence == 5, "node B to catch up", Nodes.Reconnect);
        await direct.Server.Topics.PublishAsync("news", "m6");

        foreach (Subscriber subscriber in (Subscriber[])[stream, socket, poll])
        {
            await subscriber.WaitForAsync(d => d.Contains(new Message(epoch, 6, "m6")), "m6");
            Assert.True(subscriber.Deliveries.SequenceEqual([new Message(epoch, 6, "m6")]),
                $"{subscriber.Name} got: {Subscriber.Describe(subscriber.Deliveries)}");
        }
    }

    [Fact]
    public async Task A_message_kept_in_Redis_that_never_came_on_the_channel_is_read_from_the_history_within_a_presence_interval()
    {
        string prefix = SharedRedis.NewPrefix();
        Action<WsFastServerOptions> everySecond = options => options.Broker.PresenceInterval = TimeSpan.FromSeconds(1);
        TestServer[] nodes = await Nodes.StartManyAsync(2, redis.Configuration, prefix, everySecond);
        try
        {
            await using SocketClient socket = await SocketClient.EnvelopedAsync(nodes[1], "news");
            await using EventStreamClient stream = await EventStreamClient.OpenAsync(nodes[1], "news");
            await Nodes.WaitFollowingAsync(nodes[1], "news", subscribers: 2);
            long epoch = (await Nodes.PublishInTurnAsync([nodes[0]], "news", 1, 2))[0].Epoch;

            // m3 numbered and kept as the publish script does, but lost on its way over the channel (as when it went
            // past while a reconnected node was still subscribing again): no later message will show the gap.
            Assert.Equal(":3", redis.Command("HINCRBY", $"{prefix}:{{news}}:seq", "s", "1"));
            Assert.Equal("3-0", redis.Command("XADD", $"{prefix}:{{news}}:history", "3-0", "t", "t", "x", "-", "d", "m3"));

            foreach (Subscriber subscriber in (Subscriber[])[socket, stream])
            {
                await subscriber.WaitForMessagesAsync(3, TimeSpan.FromSeconds(5));
                DeliveryCheck.AssertExactly(subscriber, epoch, 3);
            }
        }
        finally
        {
            await Nodes.DisposeAllAsync(nodes);
        }
    }

    /// <summary>
    /// Node A on Redis directly, node B through a <see cref="CuttableProxy"/>; on B a wsfast.v1 WebSocket, an event
    /// stream and a long poll of <c>news</c>, on A a wsfast.v1 WebSocket; m1..m3 delivered everywhere.
    /// </summary>
    private sealed class CutOff : IAsyncDisposable
    {
        private readonly CuttableProxy _proxy;
        private readonly TestServer _direct;
        private readonly TestServer _behindProxy;

        private CutOff(CuttableProxy proxy, TestServer direct, TestServer behindProxy)
        {
            _proxy = proxy;
            _direct = direct;
            _behindProxy = behindProxy;
        }

        public List<Subscriber> OnCutNode { get; } = [];

        public List<Subscriber> OnOtherNode { get; } = [];

        public IEnumerable<Subscriber> Subscribers => OnCutNode.Concat(OnOtherNode);

        public static async Task<CutOff> StartAsync(string redis, int historySize)
        {
            string prefix = SharedRedis.NewPrefix();
            var proxy = CuttableProxy.To(redis);
            Action<WsFastServerOptions> history = options => options.Broadcast.HistorySize = historySize;
            var deployment = new CutOff(proxy, await Nodes.StartAsync(redis, prefix, history), await Nodes.StartAsync(proxy.Configuration, prefix, history));
            deployment.OnCutNode.Add(await SocketClient.EnvelopedAsync(deployment._behindProxy, "news"));
            deployment.OnCutNode.Add(await EventStreamClient.OpenAsync(deployment._behindProxy, "news"));
            await Nodes.WaitFollowingAsync(deployment._behindProxy, "news", subscribers: 2);
            deployment.OnCutNode.Add(PollClient.Start(deployment._behindProxy, "news"));
            deployment.OnOtherNode.Add(await SocketClient.EnvelopedAsync(deployment._direct, "news"));
            await Nodes.WaitFollowingAsync(deployment._direct, "news", subscribers: 1);
            await Nodes.PublishInTurnAsync([deployment._direct, deployment._behindProxy], "news", 1, 3);
            foreach (Subscriber subscriber in deployment.Subscribers)
            {
                await subscriber.WaitForMessagesAsync(3);
            }

            return deployment;
        }

        /// <summary>
        /// Cuts node B off, publishes m{from}..m{to} on node A (a publish on B is refused meanwhile), restores the
        /// network and, once B has caught up, publishes m{to + 1} on B. Returns the topic's epoch.
        /// </summary>
        public async Task<long> PublishWhileCutAsync(int from, int to)
        {
            _proxy.Cut();
            await BroadcastKit.WaitUntilAsync(() => !_behindProxy.Server.Topics.Broker.IsConnected, "node B to notice the cut");
            await Assert.ThrowsAsync<BrokerUnavailableException>(() => _behindProxy.Server.Topics.PublishAsync("news", "lost").AsTask());

            List<PublishResult> published = await Nodes.PublishInTurnAsync([_direct], "news", from, to);
            Assert.Equal(Enumerable.Range(from, to - from + 1).Select(i => (long)i), published.Select(p => p.Sequence));
            await OnOtherNode[0].WaitForMessagesAsync(to);
            Assert.All(OnCutNode, subscriber => Assert.Equal(3, subscriber.Messages.Count));
            Assert.All(OnCutNode, subscriber => Assert.True(subscriber.IsReceiving, $"{subscriber.Name} was disconnected"));

            _proxy.Restore();
            await BroadcastKit.WaitUntilAsync(() => _behindProxy.Server.Topics.Broker.IsConnected, "node B to reconnect", Nodes.Reconnect);

            // Back, node B reads what it missed by itself, with no later message to show that it missed any.
            await BroadcastKit.WaitUntilAsync(() => _behindProxy.Server.Topics.Find("news")?.LastSequence == to, $"node B to recover up to m{to}", Nodes.Reconnect);
            PublishResult last = await _behindProxy.Server.Topics.PublishAsync("news", $"m{to + 1}");
            Assert.Equal((published[0].Epoch, (long)to + 1), (last.Epoch, last.Sequence));
            return last.Epoch;
        }

        public async ValueTask DisposeAsync()
        {
            foreach (Subscriber subscriber in Subscribers)
            {
                await subscriber.DisposeAsync();
            }

            await Nodes.DisposeAllAsync([_direct, _behindProxy]);
            _proxy.Dispose();
        }
    }
}
