using System.Net.WebSockets;
using WsFast.Server;
using WsFast.Tests.Server;
using WsFast.Transport;
using ServerMessageType = WsFast.MessageType;

namespace WsFast.Tests.Broadcast;

/// <summary>
/// A published message is framed once into a pooled buffer that every subscriber's queue references; it goes
/// back to the pool when the last send completes or the last holder leaves, so that the pool's count of
/// buffers in use returns to where it was. The pool is the process's, hence these tests run alone.
/// </summary>
[Collection(SerialBroadcastCollection.Name)]
public class BufferLifetimeTests
{
    [Fact]
    public async Task After_a_broadcast_is_sent_and_its_subscribers_leave_every_buffer_is_back_in_the_pool()
    {
        long before = SharedBufferPool.Shared.InUse;
        await using (TestServer server = await BroadcastKit.StartAsync(options => options.Broadcast.HistorySize = 0))
        {
            ClientWebSocket[] clients = await BroadcastKit.SubscribeAsync(server, "/broadcast/pooled", "pooled", 20);
            using HttpClient http = BroadcastKit.HttpClient(server);
            using EventStream stream = await EventStream.OpenAsync(http, "/sse/pooled");
            await BroadcastKit.WaitUntilAsync(() => server.Server.Topics.SubscriberCount("pooled") == 21, "the event stream to subscribe");

            for (int i = 1; i <= 50; i++)
            {
                // Text and binary of several size classes, each framed once for the WebSockets and once for the stream.
                if (i % 2 == 0)
                {
                    server.Server.Topics.Publish("pooled", $"m{i}");
                }
                else
                {
                    server.Server.Topics.Publish("pooled", ServerMessageType.Binary, new byte[i * 700]);
                }
            }

            foreach (ClientWebSocket client in clients)
            {
                for (int i = 1; i <= 50; i++)
                {
                    await BroadcastKit.ReceiveAsync(client);
                }
            }

            for (int i = 1; i <= 50; i++)
            {
                Assert.Equal(BroadcastKit.EventId(server, "pooled", i), (await stream.ReadAsync()).Id);
            }

            await BroadcastKit.CloseAllAsync(clients);
            stream.Dispose();
            await BroadcastKit.WaitUntilAsync(() => server.Server.ConnectionCount == 0, "every connection to end");
            await BroadcastKit.WaitUntilAsync(() => SharedBufferPool.Shared.InUse <= before,
                $"the pool to get its buffers back (in use: {SharedBufferPool.Shared.InUse}, before: {before})");
        }
    }

    [Fact]
    public async Task Frames_queued_to_a_subscriber_that_leaves_without_reading_go_back_to_the_pool()
    {
        long before = SharedBufferPool.Shared.InUse;
        await using (TestServer server = await BroadcastKit.StartAsync(options => options.Broadcast.HistorySize = 0))
        {
            (RawConnection slow, RawResponse upgrade) = await RawConnection.UpgradeAsync(server.Port, "/broadcast/left", receiveBufferSize: 4096);
            Assert.Equal(101, upgrade.Status);
            await BroadcastKit.WaitUntilAsync(() => server.Server.Topics.SubscriberCount("left") == 1, "the subscriber to subscribe");
            WebSocketConnection slowSide = SlowConsumerTests.ServerSideOf(server, slow);

            // Enough that some stays queued in the server, since the kernel buffers are full.
            for (int i = 0; i < 64 && slowSide.QueuedBytes == 0; i++)
            {
                server.Server.Topics.Publish("left", ServerMessageType.Binary, new byte[128 * 1024]);
                await Task.Delay(5);
            }

            Assert.True(slowSide.QueuedBytes > 0, "Nothing stayed queued to the subscriber that never reads.");
            Assert.True(SharedBufferPool.Shared.InUse > before);

            // It leaves without a close handshake; the server lets go of what it still had queued for it.
            slow.Dispose();
            await BroadcastKit.WaitUntilAsync(() => server.Server.ConnectionCount == 0, "the connection to end");
            await BroadcastKit.WaitUntilAsync(() => SharedBufferPool.Shared.InUse <= before,
                $"the pool to get its buffers back (in use: {SharedBufferPool.Shared.InUse}, before: {before})");
        }
    }

    [Fact]
    public async Task A_topics_history_holds_exactly_its_last_K_frames_in_the_pool_until_the_server_is_disposed()
    {
        const int K = 5;
        long before = SharedBufferPool.Shared.InUse;
        await using (TestServer server = await BroadcastKit.StartAsync(options => options.Broadcast.HistorySize = K))
        {
            ClientWebSocket[] clients = await BroadcastKit.SubscribeAsync(server, "/broadcast/kept", "kept", 10);
            for (int i = 1; i <= 3 * K; i++)
            {
                server.Server.Topics.Publish("kept", $"m{i}");
            }

            foreach (ClientWebSocket client in clients)
            {
                await BroadcastKit.ReceiveTextsAsync(client, 3 * K);
            }

            await BroadcastKit.CloseAllAsync(clients);
            await BroadcastKit.WaitUntilAsync(() => server.Server.ConnectionCount == 0, "every connection to end");

            // The older ten left the history and were returned; the last five are still held for catch-up.
            await BroadcastKit.WaitUntilAsync(() => SharedBufferPool.Shared.InUse <= before + K,
                $"the pool to get back all but the history (in use: {SharedBufferPool.Shared.InUse}, before: {before})");
            Assert.Equal(before + K, SharedBufferPool.Shared.InUse);
        }

        // A server that is disposed lets go of its topics' history too.
        Assert.Equal(before, SharedBufferPool.Shared.InUse);
    }
}
