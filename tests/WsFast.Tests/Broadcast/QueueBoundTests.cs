using System.Net.WebSockets;
using WsFast.Server;
using WsFast.Tests.Server;
using ServerMessageType = WsFast.MessageType;

namespace WsFast.Tests.Broadcast;

/// <summary>
/// The per-subscriber bounds at their edges. Kernel socket buffers absorb a good deal before the server's
/// queue grows at all, so each test first fills them: it publishes one message at a time until one stays
/// queued and its send makes no progress. From there the queue holds exactly one message, and each further
/// publish is either queued or dropped by the bounds alone.
/// </summary>
[Collection(SerialBroadcastCollection.Name)]
public class QueueBoundTests
{
    private const string Topic = "bounded";

    [Fact]
    public async Task A_subscriber_with_MaxQueuedOutboundMessages_queued_is_offered_no_more()
    {
        const int MaxMessages = 4;
        const int Payload = 256 * 1024;
        const int Frame = Payload + 10; // an 8-byte extended length
        await using TestServer server = await BroadcastKit.StartAsync(options =>
        {
            options.MaxQueuedOutboundBytes = 64L * 1024 * 1024; // far away: only the message bound applies
            options.MaxQueuedOutboundMessages = MaxMessages;
        });
        (RawConnection slow, WebSocketConnection slowSide) = await SubscribeNonReaderAsync(server);
        await BroadcastKit.FillKernelBuffersAsync(server, Topic, slowSide, Payload);

        // One queued; the second, third and fourth are queued too.
        for (int queued = 2; queued <= MaxMessages; queued++)
        {
            Assert.Equal(1, server.Server.Topics.Publish(Topic, ServerMessageType.Binary, new byte[Payload]).Subscribers);
        }

        Assert.Equal(MaxMessages, QueuedFrames(slowSide, Frame));

        // The fifth is not, nor the sixth, and each is counted as dropped.
        Assert.Equal(0, server.Server.Topics.Publish(Topic, ServerMessageType.Binary, new byte[Payload]).Subscribers);
        Assert.Equal(0, server.Server.Topics.Publish(Topic, ServerMessageType.Binary, new byte[Payload]).Subscribers);
        Assert.Equal(MaxMessages, QueuedFrames(slowSide, Frame));
        Assert.Equal(2, server.Server.Counters.Dropped);
        Assert.Equal(2, server.Server.Topics.Find(Topic)!.DroppedMessages);
        slow.Dispose();
    }

    [Fact]
    public async Task A_subscriber_is_offered_messages_while_its_queue_is_below_MaxQueuedOutboundBytes_and_never_holds_a_message_more()
    {
        const long MaxBytes = 1024 * 1024;
        const int Payload = 100_000;
        const int Frame = Payload + 10;
        await using TestServer server = await BroadcastKit.StartAsync(options => options.MaxQueuedOutboundBytes = MaxBytes);
        (RawConnection slow, WebSocketConnection slowSide) = await SubscribeNonReaderAsync(server);
        await BroadcastKit.FillKernelBuffersAsync(server, Topic, slowSide, Payload);

        // What is left of the stalled message, plus whole frames for as long as the queue is below the bound.
        long stalled = slowSide.QueuedBytes;
        long accepted = Math.Max(0, (MaxBytes - stalled + Frame - 1) / Frame);
        for (int i = 0; i < accepted; i++)
        {
            Assert.Equal(1, server.Server.Topics.Publish(Topic, ServerMessageType.Binary, new byte[Payload]).Subscribers);
        }

        Assert.Equal(stalled + accepted * Frame, slowSide.QueuedBytes);
        Assert.True(slowSide.QueuedBytes >= MaxBytes);
        Assert.True(slowSide.QueuedBytes < MaxBytes + Frame);
        Assert.Equal(0, server.Server.Topics.Publish(Topic, ServerMessageType.Binary, new byte[Payload]).Subscribers);
        Assert.Equal(1, server.Server.Counters.Dropped);
        slow.Dispose();
    }

    [Fact]
    public async Task A_message_larger_than_MaxQueuedOutboundBytes_still_reaches_a_subscriber_with_an_empty_queue()
    {
        await using TestServer server = await BroadcastKit.StartAsync(options => options.MaxQueuedOutboundBytes = 64 * 1024);
        ClientWebSocket[] clients = await BroadcastKit.SubscribeAsync(server, $"/broadcast/{Topic}", Topic, 1);
        byte[] large = new byte[256 * 1024];
        Random.Shared.NextBytes(large);

        // The bound is queued bytes plus one message: a queue that is empty takes any one message.
        Assert.Equal(1, server.Server.Topics.Publish(Topic, ServerMessageType.Binary, large).Subscribers);

        (System.Net.WebSockets.WebSocketMessageType type, byte[] received) = await BroadcastKit.ReceiveAsync(clients[0]);
        Assert.Equal(System.Net.WebSockets.WebSocketMessageType.Binary, type);
        Assert.Equal(large, received);
        Assert.Equal(0, server.Server.Counters.Dropped);
        await BroadcastKit.CloseAllAsync(clients);
    }

    private static async Task<(RawConnection Client, WebSocketConnection ServerSide)> SubscribeNonReaderAsync(TestServer server)
    {
        (RawConnection slow, RawResponse upgrade) = await RawConnection.UpgradeAsync(server.Port, $"/broadcast/{Topic}", receiveBufferSize: 4096);
        Assert.Equal(101, upgrade.Status);
        await BroadcastKit.WaitUntilAsync(() => server.Server.Topics.SubscriberCount(Topic) == 1, "the subscriber to subscribe");
        return (slow, SlowConsumerTests.ServerSideOf(server, slow));
    }

    // Queued entries of equal frames, the first of which may be partly sent.
    private static long QueuedFrames(WebSocketConnection connection, int frame) =>
        (connection.QueuedBytes + frame - 1) / frame;
}
