using System.Diagnostics;
using System.Text;
using WsFast.Tests.Server;

namespace WsFast.Tests.Attacks;

/// <summary>
/// Attack: a long-poll client with a tiny receive buffer never reads its answer (a zero TCP window), alone or
/// with long polls pipelined behind it, so that answers pile up on the server. An answer is queued without
/// waiting; a poll with a request pipelined behind it ends its wait at once; the next pipelined poll is not read
/// while the queue is at the outbound bound (the rest wait unread in the transport, which stops receiving at its
/// input bound); and the send-stall deadline ends the connection: memory stays flat and the bystanders are
/// served throughout.
/// </summary>
[Collection(AttackCollection.Name)]
public class LongPollZeroWindowTests
{
    private const string Topic = "lp";

    [Fact]
    public async Task A_long_poll_whose_answer_is_never_read_is_ended_by_the_send_stall_deadline()
    {
        // An answer larger than what the loopback kernel buffers take (about 3 MiB for a client that never reads),
        // so that part of it waits in the server's queue.
        const int MessageSize = 6 * 1024 * 1024;
        await using TestServer server = await AttackKit.StartAsync(options =>
        {
            options.Broadcast.MaxPublishBytes = MessageSize;
            options.Broadcast.HistoryBytes = 2 * MessageSize;
        });
        await using Bystanders bystanders = await Bystanders.StartAsync(server);
        MemoryProbe memory = MemoryProbe.Start();
        int before = server.Server.ConnectionCount;
        long stallsBefore = server.Server.Counters.SendStalls;

        using Attacker attacker = await Attacker.ConnectAsync(server.Port);
        await attacker.SendAsync(Encoding.ASCII.GetBytes($"GET /poll/{Topic}?wait=20 HTTP/1.1\r\nHost: a\r\n\r\n"));
        await AttackKit.WaitUntilAsync(() => server.Server.Topics.SubscriberCount(Topic) == 1, TimeSpan.FromSeconds(5), "the long poll to wait");

        long publishedAt = Stopwatch.GetTimestamp();
        server.Server.Topics.Publish(Topic, new string('x', MessageSize));
        long mostBuffered = 0;
        while (server.Server.Counters.SendStalls == stallsBefore)
        {
            Assert.True(Stopwatch.GetElapsedTime(publishedAt) < AttackKit.StallTimeout + AttackKit.Slack,
                "The long poll whose answer is never read was not ended by the send-stall deadline.");
            mostBuffered = Math.Max(mostBuffered, server.Server.BufferedBytes);
            await Task.Delay(20);
        }

        // Its answer waited in the queue until then: the deadline counts from the last send that completed.
        TimeSpan stalledAfter = Stopwatch.GetElapsedTime(publishedAt);
        Assert.True(stalledAfter >= AttackKit.StallTimeout - RawClient.ClockSlack, $"The long poll was ended {stalledAfter.TotalMilliseconds:F0} ms after its answer.");
        Assert.True(mostBuffered > 0, "The answer never waited in the server's queue: the test did not fill the kernel's buffers.");
        Assert.True(mostBuffered < MessageSize + (1024 * 1024), $"The server held {mostBuffered:N0} bytes for one answer.");
        await AttackKit.WaitUntilAsync(() => server.Server.ConnectionCount == before, AttackKit.Slack, "the long poll's connection to go");
        Assert.Equal(0, server.Server.Topics.SubscriberCount(Topic));

        memory.AssertGrowthBelow(AttackKit.MemoryBound, "a long-poll answer never read");
        await bystanders.AssertServedThroughoutAsync();
    }

    [Fact]
    public async Task Long_polls_pipelined_on_a_connection_that_never_reads_hold_at_most_the_outbound_bound_and_end_at_the_send_stall_deadline()
    {
        const long QueueBound = 256 * 1024;
        await using TestServer server = await AttackKit.StartAsync(options => options.MaxQueuedOutboundBytes = QueueBound);
        await using Bystanders bystanders = await Bystanders.StartAsync(server);
        MemoryProbe memory = MemoryProbe.Start();
        int before = server.Server.ConnectionCount;
        long stallsBefore = server.Server.Counters.SendStalls;

        // Each poll with another behind it ends its wait at once and is answered; the answers are never read.
        using Attacker attacker = await Attacker.ConnectAsync(server.Port);
        byte[] burst = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat($"GET /poll/{Topic}?wait=20 HTTP/1.1\r\nHost: a\r\n\r\n", 64)));
        Task<long> flooding = attacker.FloodAsync(burst, TimeSpan.FromSeconds(3));
        long mostBuffered = 0;
        while (!flooding.IsCompleted)
        {
            mostBuffered = Math.Max(mostBuffered, server.Server.BufferedBytes);
            await Task.Delay(20);
        }

        long sent = await flooding;
        // The bound and one answer beyond it, and the pipelined polls left unread in the transport.
        long bound = QueueBound + server.Server.Options.MaxUnreadInputBytes + (256 * 1024);
        Assert.True(mostBuffered < bound, $"The server held {mostBuffered:N0} bytes for a client that never reads (bound {bound:N0}).");
        await AttackKit.WaitUntilAsync(() => server.Server.Counters.SendStalls > stallsBefore,
            AttackKit.StallTimeout + AttackKit.Slack, "the send-stall deadline to end the attacker");
        await AttackKit.WaitUntilAsync(() => server.Server.ConnectionCount == before, AttackKit.Slack, "the attacker's connection to go");
        // No poll of its own is left waiting on the topic.
        Assert.Null(server.Server.Topics.Find(Topic));

        memory.AssertGrowthBelow(AttackKit.MemoryBound, $"{sent:N0} bytes of pipelined long polls");
        await bystanders.AssertServedThroughoutAsync();
    }
}
