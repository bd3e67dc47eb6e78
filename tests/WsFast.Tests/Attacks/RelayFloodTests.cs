using System.Buffers.Binary;
using System.Diagnostics;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using WsFast.Protocol;
using WsFast.Tests.Broadcast;
using WsFast.Tests.Server;
using WsFast.Tests.Support;

namespace WsFast.Tests.Attacks;

/// <summary>
/// Attack: WebSocket clients of a broadcast endpoint send messages in a loop, to publish through the endpoint
/// without the publish token, or to flood a topic's subscribers. On an endpoint that does not relay (the
/// default), each is closed with 1008 at the first frame of its first message, before any of it is assembled,
/// and nothing is published. On an endpoint that
/// relays, a client is closed with 1008 "relay rate exceeded" after its burst of <c>RelayRate</c> messages and
/// what the rate refilled meanwhile, and a message over <c>MaxPublishBytes</c> gets 1009 as soon as its size is
/// declared, before it has arrived whole. Memory stays flat and the bystanders are served throughout.
/// </summary>
[Collection(AttackCollection.Name)]
public class RelayFloodTests
{
    private const string Token = "publisher-token";
    private const string Topic = "target";

    [Fact]
    public async Task Clients_flooding_a_broadcast_endpoint_that_does_not_relay_are_each_closed_with_1008_at_their_first_frame_and_nothing_is_published()
    {
        const int Attackers = 50;
        // Far more than the bystander's short echoes add to the bytes received meanwhile.
        const int PayloadSize = 4000;
        // Each attacker may make the server hold up to its unread-input bound while its close goes out and the close
        // timeout runs; at the default 1 MiB, fifty of them are the heap bound itself (the receive pool keeps its
        // peak for reuse), so the bound is the echo flood's 64 KiB here and the heap shows what the refusal holds.
        await using TestServer server = await AttackKit.StartAsync(options =>
        {
            options.Broadcast.PublishToken = Token;
            options.MaxUnreadInputBytes = 64 * 1024;
        });
        await using Bystanders bystanders = await Bystanders.StartAsync(server);
        using ClientWebSocket listener = await server.ConnectAsync($"/topics/{Topic}");
        await AttackKit.WaitUntilAsync(() => server.Server.Topics.SubscriberCount(Topic) == 1, TimeSpan.FromSeconds(5), "the listener to subscribe");
        server.Server.Topics.Publish(Topic, "before");
        Assert.Equal("before", await BroadcastKit.ReceiveTextAsync(listener));
        MemoryProbe memory = MemoryProbe.Start();
        int before = server.Server.ConnectionCount;
        long closedBefore = server.Server.Counters.ClosedWith(1008);
        long bytesBefore = server.Server.Counters.BytesIn;

        RawConnection[] attackers = await UpgradeAllAsync(server.Port, $"/topics/{Topic}", Attackers);
        await AttackKit.WaitUntilAsync(() => server.Server.Topics.SubscriberCount(Topic) == Attackers + 1, TimeSpan.FromSeconds(5), "the attackers to subscribe");
        byte[] burst = ClientFrames.Concat(Enumerable.Repeat(ClientFrames.Text(new string('a', PayloadSize)), 16).ToArray());
        await Task.WhenAll(attackers.Select(async attacker =>
        {
            using var stop = new CancellationTokenSource();
            Task flooding = FloodUntilStoppedAsync(attacker.Socket, burst, stop.Token);

            // The first frame it gets is the close, soon after its first frame; it never answers it, and the
            // server drops the connection once the close timeout has passed.
            using var timeout = new CancellationTokenSource(AttackKit.Slack);
            (int opcode, byte[] payload) = await attacker.ReadFrameAsync(timeout.Token);
            Assert.Equal(8, opcode);
            Assert.Equal(1008, BinaryPrimitives.ReadUInt16BigEndian(payload));
            Assert.Equal("this endpoint does not take messages from clients", Encoding.UTF8.GetString(payload.AsSpan(2)));
            ConnectionEnd end = await ConnectionEnd.WatchAsync(attacker.Socket, TimeSpan.FromSeconds(1) + AttackKit.Slack);
            Assert.True(end.Ended, "The server kept a connection whose close went unanswered past the close timeout.");
            Assert.True(end.Received.Length == 0, $"The server sent {end.Received.Length} bytes after its close frame.");
            stop.Cancel();
            await flooding;
        }));

        await AttackKit.WaitUntilAsync(() => server.Server.ConnectionCount == before, AttackKit.Slack, "the attackers' connections to go");
        Assert.Equal(Attackers, server.Server.Counters.ClosedWith(1008) - closedBefore);
        // No message taken from any of them, however many each sent: refused at its first frame, none was handed
        // on; what was received meanwhile is the bystander's echoes.
        long received = server.Server.Counters.BytesIn - bytesBefore;
        Assert.InRange(received, 0, PayloadSize - 1);

        // Nothing was published: the topic's sequence is unchanged, and the listener's next message is the server's.
        Assert.Equal(1, server.Server.Topics.Find(Topic)!.LastSequence);
        server.Server.Topics.Publish(Topic, "after");
        Assert.Equal("after", await BroadcastKit.ReceiveTextAsync(listener));

        // A frame declaring a message of 16 MiB gets the same 1008 once its header and first bytes are in: the
        // server holds none of it.
        (RawConnection large, RawResponse upgrade) = await RawConnection.UpgradeAsync(server.Port, $"/topics/{Topic}");
        Assert.Equal(101, upgrade.Status);
        byte[] header = ClientFrames.Frame(Opcode.Binary, new byte[16 * 1024 * 1024])[..(14 + 1024)];
        var clock = Stopwatch.StartNew();
        await large.SendAsync(header);
        using (var timeout = new CancellationTokenSource(AttackKit.Slack))
        {
            (int opcode, byte[] payload) = await large.ReadFrameAsync(timeout.Token);
            Assert.Equal((8, 1008), (opcode, (int)BinaryPrimitives.ReadUInt16BigEndian(payload)));
        }

        Assert.True(clock.Elapsed < AttackKit.Slack, $"The close came after {clock.Elapsed}.");
        large.Dispose();

        memory.AssertGrowthBelow(AttackKit.MemoryBound, $"{Attackers} clients flooding an endpoint that does not relay");
        await bystanders.AssertServedThroughoutAsync();
        DisposeAll(attackers);
        listener.Abort();
    }

    [Fact]
    public async Task A_client_relaying_faster_than_RelayRate_is_closed_with_1008_after_its_burst_and_what_the_rate_refilled()
    {
        const int RelayRate = 10;
        const int Flooders = 20;
        const int PoliteMessages = 8;
        await using TestServer server = await AttackKit.StartAsync(
            options =>
            {
                options.Broadcast.RelayRate = RelayRate;
                options.Broadcast.PublishToken = Token;
            },
            s => s.MapBroadcast("/relay", relayClientMessages: true));
        await using Bystanders bystanders = await Bystanders.StartAsync(server);
        using ClientWebSocket listener = await server.ConnectAsync($"/relay/{Topic}");
        using ClientWebSocket polite = await server.ConnectAsync($"/relay/{Topic}");
        await AttackKit.WaitUntilAsync(() => server.Server.Topics.SubscriberCount(Topic) == 2, TimeSpan.FromSeconds(5), "the listener to subscribe");
        MemoryProbe memory = MemoryProbe.Start();
        int before = server.Server.ConnectionCount;

        RawConnection[] flooders = await UpgradeAllAsync(server.Port, $"/relay/{Topic}", Flooders);
        await AttackKit.WaitUntilAsync(() => server.Server.Topics.SubscriberCount(Topic) == Flooders + 2, TimeSpan.FromSeconds(5), "the flooders to subscribe");

        // A client relaying at half the rate, alongside, is never refused.
        Task politeTalk = Task.Run(async () =>
        {
            for (int k = 0; k < PoliteMessages; k++)
            {
                await BroadcastKit.SendTextAsync(polite, $"polite {k}");
                await Task.Delay(1000 / (RelayRate / 2));
            }
        });

        TimeSpan[] flooded = await Task.WhenAll(flooders.Select(async (flooder, id) =>
        {
            byte[] burst = ClientFrames.Concat(Enumerable.Range(0, 1000).Select(n => ClientFrames.Text($"flood {id} {n}")).ToArray());
            using var stop = new CancellationTokenSource();
            long started = Stopwatch.GetTimestamp();
            Task flooding = FloodUntilStoppedAsync(flooder.Socket, burst, stop.Token);

            // It receives what the topic relays (its own messages among them), then the close.
            using var timeout = new CancellationTokenSource(AttackKit.Slack);
            while (true)
            {
                (int opcode, byte[] payload) = await flooder.ReadFrameAsync(timeout.Token);
                if (opcode == 8)
                {
                    TimeSpan elapsed = Stopwatch.GetElapsedTime(started);
                    Assert.Equal(1008, BinaryPrimitives.ReadUInt16BigEndian(payload));
                    Assert.Equal("relay rate exceeded", Encoding.UTF8.GetString(payload.AsSpan(2)));
                    stop.Cancel();
                    await flooding;
                    return elapsed;
                }
            }
        }));
        await politeTalk;

        // Everything relayed reached the listener, in each sender's order: a burst of RelayRate from each flooder
        // and what the rate refilled before its close, and every polite message.
        long relayed = server.Server.Topics.Find(Topic)!.LastSequence;
        List<string> messages = await BroadcastKit.ReceiveTextsAsync(listener, (int)relayed);
        for (int id = 0; id < Flooders; id++)
        {
            string prefix = $"flood {id} ";
            string[] own = messages.Where(m => m.StartsWith(prefix, StringComparison.Ordinal)).ToArray();
            int allowed = RelayRate + (int)Math.Floor(flooded[id].TotalSeconds * RelayRate);
            Assert.InRange(own.Length, RelayRate, allowed);
            Assert.Equal(Enumerable.Range(0, own.Length).Select(n => prefix + n), own);
        }

        Assert.Equal(Enumerable.Range(0, PoliteMessages).Select(k => $"polite {k}"), messages.Where(m => m.StartsWith("polite ", StringComparison.Ordinal)));
        Assert.Equal(WebSocketState.Open, polite.State);

        await AttackKit.WaitUntilAsync(() => server.Server.ConnectionCount == before, TimeSpan.FromSeconds(1) + AttackKit.Slack, "the flooders' connections to go");
        memory.AssertGrowthBelow(AttackKit.MemoryBound, $"{Flooders} clients relaying as fast as they can");
        await bystanders.AssertServedThroughoutAsync();
        DisposeAll(flooders);
        listener.Abort();
        polite.Abort();
    }

    [Fact]
    public async Task A_relayed_message_over_MaxPublishBytes_is_closed_with_1009_as_soon_as_its_size_is_declared()
    {
        const int MaxPublishBytes = 64 * 1024;
        const int Fragment = 16 * 1024;
        const int Attackers = 50;
        await using TestServer server = await AttackKit.StartAsync(
            options =>
            {
                options.Broadcast.MaxPublishBytes = MaxPublishBytes;
                options.Broadcast.PublishToken = Token;
            },
            s => s.MapBroadcast("/relay", relayClientMessages: true));
        await using Bystanders bystanders = await Bystanders.StartAsync(server);
        using ClientWebSocket listener = await server.ConnectAsync($"/relay/{Topic}");
        await AttackKit.WaitUntilAsync(() => server.Server.Topics.SubscriberCount(Topic) == 1, TimeSpan.FromSeconds(5), "the listener to subscribe");
        MemoryProbe memory = MemoryProbe.Start();
        int before = server.Server.ConnectionCount;

        // One frame that declares 1 MiB and brings its first 16 KiB: refused on its header, the rest never sent.
        (RawConnection single, RawResponse upgrade) = await RawConnection.UpgradeAsync(server.Port, $"/relay/{Topic}");
        Assert.Equal(101, upgrade.Status);
        byte[] large = ClientFrames.Frame(Opcode.Binary, new byte[1024 * 1024]);
        await single.SendAsync(large[..(14 + Fragment)]);
        await AssertClosedWith1009Async(single);

        // Many clients each assemble a fragmented message up to the bound: each holds at most MaxPublishBytes.
        RawConnection[] attackers = await UpgradeAllAsync(server.Port, $"/relay/{Topic}", Attackers);
        byte[] fragment = new byte[Fragment];
        fragment.AsSpan().Fill((byte)'a');
        byte[] first = ClientFrames.Frame(Opcode.Text, fragment, fin: false);
        byte[] next = ClientFrames.Frame(Opcode.Continuation, fragment, fin: false);
        await Task.WhenAll(attackers.Select(a => a.SendAsync(ClientFrames.Concat(first, next, next, next))));
        await Task.Delay(AttackKit.Slack / 2); // the server's timer sums what they hold
        long held = server.Server.BufferedBytes;
        Assert.True(held < (Attackers * (MaxPublishBytes + (2 * 4096))) + (256 * 1024),
            $"The server held {held:N0} bytes for {Attackers} messages of at most {MaxPublishBytes:N0} bytes being assembled.");

        // One fragment more declares a message over the bound: 1009 at once, and the message is never finished.
        await Task.WhenAll(attackers.Select(async a =>
        {
            await a.SendAsync(next);
            await AssertClosedWith1009Async(a);
        }));

        Assert.Equal(0, server.Server.Topics.Find(Topic)!.LastSequence);
        server.Server.Topics.Publish(Topic, "after");
        Assert.Equal("after", await BroadcastKit.ReceiveTextAsync(listener));
        await AttackKit.WaitUntilAsync(() => server.Server.ConnectionCount == before, TimeSpan.FromSeconds(1) + AttackKit.Slack, "the attackers' connections to go");

        memory.AssertGrowthBelow(AttackKit.MemoryBound, $"{Attackers} messages over MaxPublishBytes");
        await bystanders.AssertServedThroughoutAsync();
        single.Dispose();
        DisposeAll(attackers);
        listener.Abort();
    }

    private static async Task AssertClosedWith1009Async(RawConnection connection)
    {
        using var timeout = new CancellationTokenSource(AttackKit.Slack);
        (int opcode, byte[] payload) = await connection.ReadFrameAsync(timeout.Token);
        Assert.Equal(8, opcode);
        Assert.Equal(1009, BinaryPrimitives.ReadUInt16BigEndian(payload));
    }

    /// <summary>Sends <paramref name="burst"/> again and again until stopped or the server ends the connection.</summary>
    private static async Task FloodUntilStoppedAsync(Socket socket, byte[] burst, CancellationToken stop)
    {
        try
        {
            while (!stop.IsCancellationRequested)
            {
                await socket.SendAsync(burst, SocketFlags.None, stop);
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (SocketException)
        {
            // The server ended the connection.
        }
    }

    /// <summary>Upgrades <paramref name="count"/> connections to <paramref name="path"/>, 25 at a time.</summary>
    private static async Task<RawConnection[]> UpgradeAllAsync(int port, string path, int count)
    {
        var all = new List<RawConnection>();
        for (int start = 0; start < count; start += 25)
        {
            (RawConnection Connection, RawResponse Response)[] batch =
                await Task.WhenAll(Enumerable.Range(0, Math.Min(25, count - start)).Select(_ => RawConnection.UpgradeAsync(port, path)));
            Assert.All(batch, b => Assert.Equal(101, b.Response.Status));
            all.AddRange(batch.Select(b => b.Connection));
        }

        return [.. all];
    }

    private static void DisposeAll(RawConnection[] connections)
    {
        foreach (RawConnection connection in connections)
        {
            connection.Dispose();
        }
    }
}
