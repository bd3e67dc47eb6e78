using System.Diagnostics;
using WsFast.Tests.Broadcast;
using WsFast.Tests.Server;
using WsFast.Tests.Support;

namespace WsFast.Tests.Scaleout;

/// <summary>
/// A gap notice found live (a shared topic's new epoch, or messages its server missed) is a message like the
/// others: a subscriber whose queue is at its bound skips it under the endpoint's slow-consumer policy, so that a
/// client that never reads cannot make its server hold one more notice per resync, however many there are.
/// </summary>
[Collection(SharedRedisCollection.Name)]
public sealed class GapNoticeBoundTests(SharedRedis redis)
{
    private const int QueueBound = 256 * 1024;
    private const int FillerSize = 64 * 1024;

    [Fact]
    public async Task A_subscriber_that_never_reads_holds_no_more_through_ten_epoch_changes_each_notice_is_skipped_at_its_bound()
    {
        string prefix = SharedRedis.NewPrefix();
        await using TestServer node = await Nodes.StartAsync(redis.Configuration, prefix, options => options.MaxQueuedOutboundBytes = QueueBound);
        (RawConnection slow, RawResponse upgrade) = await RawConnection.UpgradeAsync(
            node.Port, "/broadcast/news", receiveBufferSize: 4096, subProtocol: "wsfast.v1");
        using RawConnection _ = slow;
        Assert.Equal(101, upgrade.Status);
        Assert.Equal("wsfast.v1", upgrade.Header("Sec-WebSocket-Protocol"));
        await Nodes.WaitFollowingAsync(node, "news", subscribers: 1);
        WebSocketConnection slowSide = SlowConsumerTests.ServerSideOf(node, slow);

        // Large messages fill the kernel's buffers, then the queue up to its bound (the default policy, Drop,
        // then skips them); the queue stays as it is once nothing moves for half a second.
        byte[] filler = new byte[FillerSize];
        for (int published = 0; node.Server.Counters.Dropped == 0; published++)
        {
            Assert.True(published < 400, "400 messages of 64 KiB did not fill the subscriber's queue.");
            PublishResult result = await node.Server.Topics.PublishAsync("news", WsFast.MessageType.Binary, filler);
            await BroadcastKit.WaitUntilAsync(() => node.Server.Topics.Find("news")!.LastSequence == result.Sequence, $"message {result.Sequence} to arrive");
        }

        long held = await SettledQueuedBytesAsync(slowSide);
        Assert.True(held >= QueueBound, $"the queue holds {held} bytes, below its bound");
        long droppedBefore = node.Server.Counters.Dropped;

        for (int change = 1; change <= 10; change++)
        {
            Assert.Equal(":1", redis.Command("DEL", $"{prefix}:{{news}}:seq"));
            PublishResult first = await node.Server.Topics.PublishAsync("news", $"epoch {change}");
            Assert.Equal(1, first.Sequence);
            await BroadcastKit.WaitUntilAsync(
                () => node.Server.Topics.Find("news") is { } topic && topic.Epoch == first.Epoch && topic.LastSequence == 1,
                $"the node to take epoch change {change}");
        }

        // Each change's notice and its first message were skipped; the connection is still open (Drop), and holds
        // what it held before the first change.
        Assert.Equal(held, slowSide.QueuedBytes);
        Assert.Equal(ConnectionState.Open, slowSide.State);
        Assert.Equal(droppedBefore + 20, node.Server.Counters.Dropped);
    }

    // The queue's size once it has not changed for half a second: the kernel takes nothing more.
    private static async Task<long> SettledQueuedBytesAsync(WebSocketConnection connection)
    {
        var clock = Stopwatch.StartNew();
        var unchanged = Stopwatch.StartNew();
        long last = connection.QueuedBytes;
        while (unchanged.Elapsed < TimeSpan.FromMilliseconds(500))
        {
            Assert.True(clock.Elapsed < BroadcastKit.Timeout, "The subscriber's queue kept changing.");
            await Task.Delay(20);
            long now = connection.QueuedBytes;
            if (now != last)
            {
                last = now;
                unchanged.Restart();
            }
        }

        return last;
    }
}
