using System.Diagnostics;
using System.Text;
using WsFast.Tests.Broadcast;
using WsFast.Tests.Server;

namespace WsFast.Tests.Attacks;

/// <summary>
/// Attack: a Server-Sent Events client with a tiny receive buffer opens <c>GET /sse/{topic}</c> on a busy topic
/// and never reads (a zero TCP window), so that every event published queues up for it on the server. An event
/// stream that cannot keep up is ended at once when its queue reaches the outbound bound, dropping what waits in
/// it (counted as a slow-consumer disconnect); its connection is gone by the send-stall deadline at the latest;
/// the server's memory stays flat; healthy streams and the bystanders get every message, in order.
/// </summary>
[Collection(AttackCollection.Name)]
public class EventStreamZeroWindowTests
{
    private const string Topic = "firehose";
    private const long QueueBound = 256 * 1024;
    private const int Healthy = 3;
    private const int PayloadSize = 1024;
    // An event is its id line (epoch:sequence), its data line and a blank line around the payload.
    private const int EventSize = PayloadSize + 64;
    // The loopback kernel buffers take about 3 MiB for a client that never reads before the server's queue grows
    // at all; well past that and the bound, the stream has certainly been ended.
    private const int MaxMessages = 8000;
    // The publisher stays at most this many messages ahead of the slowest healthy stream, so that a healthy
    // stream's queue stays far below the bound however slow the machine is.
    private const int Window = 100;

    [Fact]
    public async Task An_event_stream_that_never_reads_is_ended_at_its_queue_bound_and_gone_by_the_stall_deadline_while_healthy_streams_get_everything()
    {
        await using TestServer server = await AttackKit.StartAsync(options => options.MaxQueuedOutboundBytes = QueueBound);
        await using Bystanders bystanders = await Bystanders.StartAsync(server);
        using HttpClient http = BroadcastKit.HttpClient(server);
        MemoryProbe memory = MemoryProbe.Start();
        int before = server.Server.ConnectionCount;

        using Attacker attacker = await Attacker.ConnectAsync(server.Port);
        await attacker.SendAsync(Encoding.ASCII.GetBytes($"GET /sse/{Topic} HTTP/1.1\r\nHost: a\r\n\r\n"));
        await AttackKit.WaitUntilAsync(() => server.Server.Topics.SubscriberCount(Topic) == 1, TimeSpan.FromSeconds(5), "the attacker's stream to subscribe");

        EventStream[] streams = await Task.WhenAll(Enumerable.Range(0, Healthy).Select(_ => EventStream.OpenAsync(http, $"/sse/{Topic}")));
        await AttackKit.WaitUntilAsync(() => server.Server.Topics.SubscriberCount(Topic) == Healthy + 1, TimeSpan.FromSeconds(5), "the healthy streams to subscribe");
        long[] progress = new long[Healthy];
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        long last = 0;
        long epoch = server.Server.Topics.Find(Topic)!.Epoch;
        Task[] reading = streams.Select((stream, i) => ReadEveryEventAsync(stream, epoch, i, progress, () => Volatile.Read(ref last), deadline.Token)).ToArray();

        // The firehose: 1 KiB messages as fast as the healthy streams take them, until the attacker is ended.
        long endedAt = 0;
        long mostBuffered = 0;
        long sequence = 0;
        while (endedAt == 0)
        {
            Assert.True(sequence < MaxMessages, $"The stream that never reads was not ended after {MaxMessages} messages.");
            while (sequence - progress.Min() >= Window)
            {
                Assert.False(deadline.IsCancellationRequested, $"The healthy streams stalled at {progress.Min()} of {sequence}.");
                await Task.Delay(1);
            }

            sequence++;
            server.Server.Topics.Publish(Topic, Payload(sequence));
            if (server.Server.Counters.SlowConsumerDisconnects > 0)
            {
                endedAt = Stopwatch.GetTimestamp();
            }

            mostBuffered = Math.Max(mostBuffered, server.Server.BufferedBytes);
        }

        // Ended, not merely skipped: it is no longer offered anything, and counted once.
        for (int i = 0; i < 100; i++)
        {
            while (sequence - progress.Min() >= Window)
            {
                await Task.Delay(1);
            }

            sequence++;
            if (i == 99)
            {
                // Told before it is published, so that no reader waits for a message that will not come.
                Volatile.Write(ref last, sequence);
            }

            Assert.Equal(Healthy, server.Server.Topics.Publish(Topic, Payload(sequence)).Subscribers);
        }

        await Task.WhenAll(reading);
        Assert.Equal(1, server.Server.Counters.SlowConsumerDisconnects);

        // The server holds the bound (and an event beyond it) for the attacker, and each healthy stream at most
        // the publisher's window.
        Assert.True(mostBuffered < QueueBound + EventSize + (Healthy * Window * EventSize) + (256 * 1024),
            $"The server held {mostBuffered:N0} bytes with an event stream that never reads.");
        await AttackKit.WaitUntilAsync(() => server.Server.ConnectionCount == before + Healthy,
            AttackKit.StallTimeout + AttackKit.Slack - Stopwatch.GetElapsedTime(endedAt), "the ended stream's connection to go");
        Assert.Equal(Healthy, server.Server.Topics.SubscriberCount(Topic));

        memory.AssertGrowthBelow(AttackKit.MemoryBound, $"{sequence} messages past an event stream that never reads");
        await bystanders.AssertServedThroughoutAsync();
        foreach (EventStream stream in streams)
        {
            stream.Dispose();
        }
    }

    // The sequence number first, so that a reader can tell which message it got; text, as an event carries it.
    private static string Payload(long sequence) => $"{sequence:D8}".PadRight(PayloadSize, 'x');

    /// <summary>Reads events 1, 2, 3... in order, each with its payload, until the last one published.</summary>
    private static async Task ReadEveryEventAsync(EventStream stream, long epoch, int index, long[] progress, Func<long> last, CancellationToken deadline)
    {
        long expected = 1;
        while (last() == 0 || expected <= last())
        {
            deadline.ThrowIfCancellationRequested();
            ServerSentEvent message = await stream.ReadAsync(TimeSpan.FromSeconds(5));
            Assert.Equal($"{epoch}:{expected}", message.Id);
            Assert.Equal(Payload(expected), message.Data);
            Volatile.Write(ref progress[index], expected);
            expected++;
        }
    }
}
