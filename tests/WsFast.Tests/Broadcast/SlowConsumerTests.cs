using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.WebSockets;
using WsFast.Server;
using WsFast.Tests.Server;
using ServerMessageType = WsFast.MessageType;

namespace WsFast.Tests.Broadcast;

/// <summary>
/// A subscriber that does not read costs the others nothing: its queue is bounded in bytes and messages, and
/// past the bound it is skipped (Drop) or closed with 1008 (Disconnect), while healthy subscribers get every
/// message in order and on time.
/// </summary>
/// <remarks>
/// The subscriber that never reads is a raw TCP client with a small receive buffer: it completes the handshake
/// and then leaves its socket alone. Loopback kernel buffers absorb up to a few megabytes before the server's
/// queue grows at all, so large messages fill them first, while it is the only subscriber; then the healthy
/// ones join and the fast stream of small messages starts. The kernel may still take more later (its send
/// buffer grows when a window probe is answered), so the stream runs until the slow subscriber has been
/// skipped, and for at least <see cref="MinMessages"/> messages.
/// </remarks>
[Collection(SerialBroadcastCollection.Name)]
public class SlowConsumerTests
{
    private const string Topic = "firehose";
    private const int Healthy = 100;
    private const int MinMessages = 2000;
    // More than any loopback send buffer (4 MiB at most by default) and the queue bound hold: by then the
    // subscriber that never reads has certainly been skipped.
    private const int MaxMessages = 6000;
    private const int PayloadSize = 1024;
    private const int FrameSize = PayloadSize + 4; // a 2-byte extended length
    private const int FillerSize = 256 * 1024;
    private const long QueueBound = 512 * 1024;

    // The publisher stays at most this many messages ahead of the slowest healthy subscriber. That keeps every
    // healthy queue far below both bounds (100 KiB, 100 messages), so that a healthy subscriber is never
    // skipped because the test machine is slow, while the one that never reads falls ever further behind.
    private const int Window = 100;

    [Fact]
    public async Task With_the_drop_policy_a_subscriber_that_never_reads_is_skipped_while_healthy_ones_get_everything_promptly()
    {
        await using TestServer server = await BroadcastKit.StartAsync(options => options.MaxQueuedOutboundBytes = QueueBound);
        Run run = await PublishPastASlowSubscriberAsync(server);

        Assert.True(run.Skipped > 0, "The subscriber that never reads was never skipped.");
        Assert.Equal(run.Skipped, server.Server.Counters.Dropped);
        Assert.Equal(run.Skipped, server.Server.Topics.Find(Topic)!.DroppedMessages);
        Assert.Equal(0, server.Server.Counters.SlowConsumerDisconnects);
        Assert.Equal(Healthy + 1, server.Server.Topics.SubscriberCount(Topic));

        // Once it reads, it finds the messages it was given: increasing, with the skipped ones missing.
        using var cancel = new CancellationTokenSource(BroadcastKit.Timeout);
        long previous = 0;
        for (long i = 0; i < run.Last - run.Skipped; i++)
        {
            (int opcode, byte[] payload) = await run.Slow.ReadFrameAsync(cancel.Token);
            Assert.Equal(2, opcode);
            long sequence = BinaryPrimitives.ReadInt32BigEndian(payload);
            Assert.True(sequence > previous, $"Message {sequence} came after {previous}.");
            previous = sequence;
        }

        run.Slow.Dispose();
        await BroadcastKit.CloseAllAsync(run.Clients);
    }

    [Fact]
    public async Task With_the_disconnect_policy_a_subscriber_that_never_reads_is_closed_with_1008_while_healthy_ones_get_everything()
    {
        await using TestServer server = await BroadcastKit.StartAsync(
            options => options.MaxQueuedOutboundBytes = QueueBound,
            s => s.Endpoints["/broadcast"].SlowConsumerPolicy = SlowConsumerPolicy.Disconnect);
        Run run = await PublishPastASlowSubscriberAsync(server);

        Assert.Equal(1, server.Server.Counters.SlowConsumerDisconnects);

        // What it was sent before the close is the unbroken start of the topic, then the close frame: the close
        // goes ahead of what still waited in its queue, so it arrives without the queue having to drain first.
        using var cancel = new CancellationTokenSource(BroadcastKit.Timeout);
        long expected = 1;
        while (true)
        {
            (int opcode, byte[] payload) = await run.Slow.ReadFrameAsync(cancel.Token);
            if (opcode == 8)
            {
                Assert.Equal(1008, BinaryPrimitives.ReadUInt16BigEndian(payload));
                Assert.Contains("slow consumer", System.Text.Encoding.UTF8.GetString(payload, 2, payload.Length - 2));
                break;
            }

            Assert.Equal(expected++, BinaryPrimitives.ReadInt32BigEndian(payload));
        }

        Assert.True(expected - 1 >= run.Prefilled, "It lost messages the kernel had already taken.");
        Assert.True(expected - 1 < run.Last, "It was sent everything although it never read.");
        // Every message after the close skipped it: the publishes reached the healthy subscribers only. Those
        // queued before the close and dropped with the rest of its queue are the difference.
        Assert.InRange(run.Skipped, 1, run.Last - (expected - 1));

        // It answers the close and lets the connection go, and the server records it as ended with 1008.
        await run.Slow.SendAsync([0x88, 0x82, 0, 0, 0, 0, 0x03, 0xF0]);
        run.Slow.Dispose();
        await BroadcastKit.WaitUntilAsync(() => server.Server.Counters.ClosedWith(1008) == 1, "the slow subscriber's connection to end");
        Assert.Equal(Healthy, server.Server.Topics.SubscriberCount(Topic));
        Assert.Equal(1, server.Server.Counters.SlowConsumerDisconnects);
        await BroadcastKit.CloseAllAsync(run.Clients);
    }

    [Fact]
    public async Task An_event_stream_that_cannot_keep_up_is_ended_and_counted_once()
    {
        await using TestServer server = await BroadcastKit.StartAsync(options => options.MaxQueuedOutboundBytes = QueueBound);
        using RawConnection stream = await RawConnection.ConnectAsync(server.Port, receiveBufferSize: 4096);
        await stream.SendAsync($"GET /sse/{Topic} HTTP/1.1\r\nHost: 127.0.0.1:{server.Port}\r\n\r\n");
        Assert.Equal(200, (await stream.ReadResponseAsync(bodyless: true)).Status);
        await BroadcastKit.WaitUntilAsync(() => server.Server.Topics.SubscriberCount(Topic) == 1, "the stream to subscribe");

        byte[] payload = new byte[64 * 1024];
        var clock = Stopwatch.StartNew();
        while (server.Server.Counters.SlowConsumerDisconnects == 0)
        {
            Assert.True(clock.Elapsed < BroadcastKit.Timeout, "The event stream was never ended.");
            server.Server.Topics.Publish(Topic, ServerMessageType.Binary, payload);
            await Task.Delay(1);
        }

        // One stream ended is one disconnect, however much is published while its last bytes drain.
        for (int i = 0; i < 20; i++)
        {
            server.Server.Topics.Publish(Topic, ServerMessageType.Binary, payload);
        }

        Assert.Equal(1, server.Server.Counters.SlowConsumerDisconnects);

        // Ended, not just skipped: its client sees the end of the stream (and would reconnect with Last-Event-ID).
        Assert.True(await stream.EndsWithinAsync(BroadcastKit.Timeout), "The event stream's connection did not end.");
        stream.Dispose();
        await BroadcastKit.WaitUntilAsync(() => server.Server.Topics.SubscriberCount(Topic) == 0, "the stream to unsubscribe");
        Assert.Equal(1, server.Server.Counters.SlowConsumerDisconnects);
    }

    /// <summary>What <see cref="PublishPastASlowSubscriberAsync"/> leaves for the assertions.</summary>
    /// <param name="Prefilled">Large messages published while the slow subscriber was alone (sequence 1 to this).</param>
    /// <param name="Last">The sequence number of the last message published.</param>
    /// <param name="Skipped">Publishes that did not reach the slow subscriber.</param>
    private sealed record Run(RawConnection Slow, ClientWebSocket[] Clients, int Prefilled, long Last, long Skipped);

    /// <summary>
    /// One subscriber that never reads beside <see cref="Healthy"/> that do; publishes small messages as fast
    /// as the healthy ones take them until the slow one has been skipped, and asserts what must hold whatever
    /// the policy: healthy subscribers get every message in order within a bounded delay, the slow one's
    /// queue stays within its bounds, and the heap does not grow with it.
    /// </summary>
    private static async Task<Run> PublishPastASlowSubscriberAsync(TestServer server)
    {
        (RawConnection slow, RawResponse upgrade) = await RawConnection.UpgradeAsync(server.Port, $"/broadcast/{Topic}", receiveBufferSize: 4096);
        Assert.Equal(101, upgrade.Status);
        await BroadcastKit.WaitUntilAsync(() => server.Server.Topics.SubscriberCount(Topic) == 1, "the slow subscriber to subscribe");
        WebSocketConnection slowSide = ServerSideOf(server, slow);
        int prefilled = await BroadcastKit.FillKernelBuffersAsync(server, Topic, slowSide, FillerSize);
        ClientWebSocket[] clients = await BroadcastKit.SubscribeAsync(server, $"/broadcast/{Topic}", Topic, Healthy);
        long heapBefore = GC.GetTotalMemory(forceFullCollection: true);

        long[] progress = Enumerable.Repeat((long)prefilled, Healthy).ToArray();
        long[] lastArrival = new long[Healthy];
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(8));
        Task[] receiving = clients.Select((client, i) => ReceiveEveryMessageAsync(client, i, prefilled, progress, lastArrival, deadline.Token)).ToArray();

        long publishedLast = 0;
        long skipped = 0;
        long mostQueued = 0;
        byte[] payload = new byte[PayloadSize];
        int sequence = prefilled;
        bool last = false;
        while (!last)
        {
            sequence++;
            while (sequence - Slowest(progress) > Window)
            {
                Assert.False(deadline.IsCancellationRequested, $"Healthy subscribers stalled at {Slowest(progress)} of {sequence}.");
                await Task.Delay(1);
            }

            int published = sequence - prefilled;
            last = published >= MaxMessages || (published >= MinMessages && skipped > 0);
            BinaryPrimitives.WriteInt32BigEndian(payload, sequence);
            payload[4] = last ? (byte)1 : (byte)0; // tells the healthy subscribers it is the last
            publishedLast = Stopwatch.GetTimestamp();
            PublishResult result = server.Server.Topics.Publish(Topic, ServerMessageType.Binary, payload);
            Assert.Equal(sequence, result.Sequence);
            // Every healthy subscriber is reached; the slow one only while it has room.
            Assert.InRange(result.Subscribers, Healthy, Healthy + 1);
            if (result.Subscribers == Healthy)
            {
                skipped++;
            }

            mostQueued = Math.Max(mostQueued, slowSide.QueuedBytes);
        }

        await Task.WhenAll(receiving);
        Assert.All(progress, received => Assert.Equal(sequence, received));

        // The last message reached every healthy subscriber promptly, although one subscriber never read.
        TimeSpan slowestArrival = Stopwatch.GetElapsedTime(publishedLast, lastArrival.Max());
        Assert.True(slowestArrival < TimeSpan.FromSeconds(3), $"The last message took {slowestArrival} to reach every healthy subscriber.");

        // The slow subscriber's queue: at most the byte bound plus one message (a close frame, with the
        // disconnect policy), and within the message bound (one large message, partly sent, and small frames).
        Assert.True(mostQueued <= QueueBound + FrameSize, $"{mostQueued} bytes were queued to the subscriber that never reads.");
        Assert.True(1 + (mostQueued + FrameSize - 1) / FrameSize <= server.Server.Options.MaxQueuedOutboundMessages);

        // Nothing grows with the backlog: the one message the server framed is shared, and the slow queue is bounded.
        long heapGrowth = GC.GetTotalMemory(forceFullCollection: true) - heapBefore;
        Assert.True(heapGrowth < 64L * 1024 * 1024, $"The managed heap grew by {heapGrowth} bytes.");
        return new Run(slow, clients, prefilled, sequence, skipped);
    }

    // Receives until the message marked last, checking that each is the next sequence number.
    private static async Task ReceiveEveryMessageAsync(
        ClientWebSocket client, int index, int first, long[] progress, long[] lastArrival, CancellationToken cancel)
    {
        byte[] buffer = new byte[2 * PayloadSize];
        for (int expected = first + 1; ; expected++)
        {
            int length = 0;
            ValueWebSocketReceiveResult result;
            do
            {
                result = await client.ReceiveAsync(buffer.AsMemory(length), cancel);
                length += result.Count;
            }
            while (!result.EndOfMessage);

            Assert.Equal(System.Net.WebSockets.WebSocketMessageType.Binary, result.MessageType);
            Assert.Equal(PayloadSize, length);
            Assert.Equal(expected, BinaryPrimitives.ReadInt32BigEndian(buffer));
            Volatile.Write(ref progress[index], expected);
            if (buffer[4] == 1)
            {
                lastArrival[index] = Stopwatch.GetTimestamp();
                return;
            }
        }
    }

    private static long Slowest(long[] progress)
    {
        long slowest = long.MaxValue;
        for (int i = 0; i < progress.Length; i++)
        {
            slowest = Math.Min(slowest, Volatile.Read(ref progress[i]));
        }

        return slowest;
    }

    /// <summary>The server's side of a raw client's connection, found by its address.</summary>
    internal static WebSocketConnection ServerSideOf(TestServer server, RawConnection client)
    {
        EndPoint local = client.Socket.LocalEndPoint!;
        foreach (WebSocketConnection? connection in server.Server.Endpoints["/broadcast"].Connections)
        {
            if (connection is not null && local.Equals(connection.RemoteEndPoint))
            {
                return connection;
            }
        }

        throw new InvalidOperationException($"No server connection for {local}.");
    }
}
