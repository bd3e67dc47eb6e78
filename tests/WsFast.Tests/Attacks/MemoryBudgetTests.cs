using WsFast.Protocol;
using WsFast.Server;
using WsFast.Tests.Broadcast;
using WsFast.Tests.Server;
using ServerMessageType = WsFast.MessageType;

namespace WsFast.Tests.Attacks;

/// <summary>
/// The process-wide memory budget on its own. Subscribers that never read hold what is published to them: with a
/// per-connection bound far above the budget, only the budget limits them. Once what all connections hold passes
/// it, the server's timer closes the connections holding the most, largest first, with 1008 (their queues are
/// dropped, so the memory goes at once) until the rest fits, and new connections get 503 until a tick finds the
/// server back under the budget; then they are accepted again.
/// </summary>
[Collection(AttackCollection.Name)]
public class MemoryBudgetTests
{
    private const long Budget = 16L * 1024 * 1024;
    private const int HeavySubscribers = 6;
    private const int LightSubscribers = 6;
    private const int LargeMessage = 256 * 1024;
    private const int SmallMessage = 16 * 1024;

    // The timer runs every quarter of the shortest deadline: 4 s deadlines make it tick once a second, so that a
    // new connection made right after the tick that closed the largest holders meets the refusal for certain.
    private static readonly TimeSpan Tick = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task Past_the_budget_the_largest_holders_are_closed_with_1008_new_connections_get_503_and_are_accepted_again_once_back_under()
    {
        await using TestServer server = await AttackKit.StartAsync(options =>
        {
            options.MemoryBudget = Budget;
            options.MaxQueuedOutboundBytes = 64L * 1024 * 1024; // only the budget binds
            options.SendStallTimeout = TimeSpan.FromSeconds(30); // the never-readers outlive the test unless the budget closes them
            options.HandshakeTimeout = 4 * Tick;
            options.CloseTimeout = 4 * Tick;
        });
        await using Bystanders bystanders = await Bystanders.StartAsync(server);
        MemoryProbe memory = MemoryProbe.Start();
        long closesBefore = server.Server.Counters.OverBudgetCloses;

        // Subscribers that never read, with small receive buffers: what is published piles up in their queues.
        (RawConnection Client, WebSocketConnection Server)[] light = await SubscribeNonReadersAsync(server, "light", LightSubscribers);
        var heavy = new (RawConnection Client, WebSocketConnection Server)[HeavySubscribers];
        for (int i = 0; i < HeavySubscribers; i++)
        {
            heavy[i] = (await SubscribeNonReadersAsync(server, $"heavy{i}", 1))[0];
        }

        try
        {
            // The light ones hold a little each: small messages until every queue holds some.
            await PublishUntilAsync(server, "light", SmallMessage, () => light.All(s => s.Server.QueuedBytes > 0));
            await Task.Delay(200); // what the kernel still took settles
            Assert.All(light, s => Assert.InRange(s.Server.QueuedBytes, 1, 1024 * 1024));

            // The heavy ones, each on a topic of its own, are published large messages until, together, everyone
            // holds more than the budget: heavy{i} gets a message in i + 1 rounds out of 6, so that they hold
            // different amounts. What each holds is noted before every round, so that the last note before the
            // budget acts is what it saw, or one round less (which keeps their order).
            (RawConnection Client, WebSocketConnection Server)[] everyone = [.. light, .. heavy];
            Dictionary<WebSocketConnection, long> held = [];
            byte[] large = new byte[LargeMessage];
            for (int published = 0; ; published++)
            {
                Dictionary<WebSocketConnection, long> now = everyone.ToDictionary(s => s.Server, s => s.Server.QueuedBytes);
                if (server.Server.Counters.OverBudgetCloses > closesBefore)
                {
                    break;
                }

                held = now;
                if (held.Values.Sum() > Budget)
                {
                    break;
                }

                Assert.True(published < 1000, "1,000 rounds of large messages did not take the subscribers past the budget.");
                for (int i = published % HeavySubscribers; i < HeavySubscribers; i++)
                {
                    server.Server.Topics.Publish($"heavy{i}", ServerMessageType.Binary, large);
                }

                await Task.Delay(10);
            }

            // The next tick finds the server over its budget and closes the largest holders.
            await AttackKit.WaitUntilAsync(() => server.Server.Counters.OverBudgetCloses > closesBefore, Tick + AttackKit.Slack, "the budget to close a holder");
            RawResponse refusal = await ConnectAsync(server, refused: true);
            Assert.Equal(503, refusal.Status);
            Assert.Contains("over its memory budget", refusal.Text);

            WebSocketConnection[] closed = held.Keys.Where(c => c.State != WsFast.ConnectionState.Open).ToArray();
            WebSocketConnection[] open = held.Keys.Except(closed).ToArray();
            Assert.Equal(closed.Length, server.Server.Counters.OverBudgetCloses - closesBefore);
            Assert.All(light, s => Assert.Contains(s.Server, open));
            long smallestClosed = closed.Min(c => held[c]);
            long largestOpen = open.Max(c => held[c]);
            Assert.True(smallestClosed >= largestOpen, $"A holder of {smallestClosed:N0} bytes was closed while one of {largestOpen:N0} was not.");
            Assert.True(open.Sum(c => held[c]) <= Budget, $"The connections left open hold {open.Sum(c => held[c]):N0} bytes.");

            // Each closed one finds, after what was already on its way, the budget's 1008: its queue was dropped.
            foreach ((RawConnection client, WebSocketConnection side) in heavy.Where(s => closed.Contains(s.Server)))
            {
                (int code, string reason) = await ReadUntilCloseAsync(client);
                Assert.Equal((int)CloseCode.PolicyViolation, code);
                Assert.Equal("outbound queue over the server's memory budget", reason);
            }

            // A tick later the server is back under its budget and accepts connections again.
            await AttackKit.WaitUntilAsync(() => server.Server.BufferedBytes <= Budget, Tick + AttackKit.Slack, "the server to be back under its budget");
            Assert.Equal(101, (await ConnectAsync(server, refused: false)).Status);
        }
        finally
        {
            foreach ((RawConnection client, _) in light.Concat(heavy))
            {
                client.Dispose();
            }
        }

        await AttackKit.WaitUntilAsync(() => server.Server.ConnectionCount == 2, TimeSpan.FromSeconds(3), "the subscribers' connections to go");
        memory.AssertGrowthBelow(AttackKit.MemoryBound, "subscribers holding more than the memory budget");
        await bystanders.AssertServedThroughoutAsync();
    }

    private static async Task<(RawConnection Client, WebSocketConnection Server)[]> SubscribeNonReadersAsync(TestServer server, string topic, int count)
    {
        var subscribers = new (RawConnection, WebSocketConnection)[count];
        for (int i = 0; i < count; i++)
        {
            (RawConnection client, RawResponse response) = await RawConnection.UpgradeAsync(server.Port, $"/topics/{topic}", receiveBufferSize: 4096);
            Assert.Equal(101, response.Status);
            WebSocketConnection? side = null;
            await AttackKit.WaitUntilAsync(
                () => (side = server.Server.Endpoints["/topics"].Connections.FirstOrDefault(c => client.Socket.LocalEndPoint!.Equals(c.RemoteEndPoint))) is not null,
                TimeSpan.FromSeconds(5), $"subscriber {i} of '{topic}'");
            subscribers[i] = (client, side!);
        }

        await AttackKit.WaitUntilAsync(() => server.Server.Topics.SubscriberCount(topic) == count, TimeSpan.FromSeconds(5), $"{count} subscribers of '{topic}'");
        return subscribers;
    }

    // One message every 10 ms until done() holds; at most 10 s.
    private static async Task PublishUntilAsync(TestServer server, string topic, int size, Func<bool> done)
    {
        byte[] payload = new byte[size];
        for (int i = 0; i < 1000 && !done(); i++)
        {
            server.Server.Topics.Publish(topic, ServerMessageType.Binary, payload);
            await Task.Delay(10);
        }

        Assert.True(done(), $"1,000 messages of {size:N0} bytes to '{topic}' did not fill its subscribers' queues.");
    }

    // A new client's upgrade: the response, read whole when it is a refusal.
    private static async Task<RawResponse> ConnectAsync(TestServer server, bool refused)
    {
        using RawConnection client = await RawConnection.ConnectAsync(server.Port);
        await client.SendAsync(RawClient.UpgradeRequest("/echo"));
        return await client.ReadResponseAsync(bodyless: !refused);
    }

    // Reads, and drops, the frames already on their way, up to the server's close frame: its code and reason.
    private static async Task<(int Code, string Reason)> ReadUntilCloseAsync(RawConnection client)
    {
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        while (true)
        {
            (int opcode, byte[] payload) = await client.ReadFrameAsync(cancel.Token);
            if (opcode == (int)Opcode.Close)
            {
                return ((payload[0] << 8) | payload[1], System.Text.Encoding.UTF8.GetString(payload, 2, payload.Length - 2));
            }

            Assert.Equal((int)Opcode.Binary, opcode);
        }
    }
}
