using System.Buffers.Binary;
using System.Diagnostics;
using System.Net.WebSockets;
using WsFast.Tests.Broadcast;
using WsFast.Tests.Server;

namespace WsFast.Tests.Groups;

/// <summary>
/// A room member that does not read costs the others nothing: a topic joined from server code is fanned out
/// under the same outbound bounds and <see cref="SlowConsumerPolicy"/> as a broadcast endpoint's path topic.
/// </summary>
/// <remarks>
/// The member that never reads is a raw TCP client with a small receive buffer, as in the broadcast folder's
/// slow-consumer tests; large messages fill the kernel buffers, then the server's queue, within a few hundred.
/// </remarks>
[Collection(SerialBroadcastCollection.Name)]
public class SlowMemberTests
{
    private const int PayloadSize = 64 * 1024;

    [Theory]
    [InlineData(SlowConsumerPolicy.Drop)]
    [InlineData(SlowConsumerPolicy.Disconnect)]
    public async Task A_room_member_that_never_reads_is_handled_by_the_endpoints_policy_while_a_bystander_gets_every_message(SlowConsumerPolicy policy)
    {
        (TestServer server, ChatRooms chat) = await GroupsKit.StartAsync(
            options => options.MaxQueuedOutboundBytes = 512 * 1024,
            s => s.Endpoints["/chat"].SlowConsumerPolicy = policy);
        await using TestServer running = server;
        (RawConnection slow, RawResponse response) = await RawConnection.UpgradeAsync(server.Port, "/chat?rooms=room", receiveBufferSize: 4096);
        Assert.Equal(101, response.Status);
        (ClientWebSocket bystander, _) = await GroupsKit.ConnectAsync(server, chat, "room");
        await BroadcastKit.WaitUntilAsync(() => server.Server.Topics.SubscriberCount("room") == 2, "both members to join");

        // The bystander reads everything while the room fills the slow member up. The publisher stays at most
        // two messages ahead of it, far below the queue bound, so that a slow test machine cannot make the
        // bystander look like a slow consumer too.
        var received = new List<long>();
        int receivedCount = 0;
        Task reader = Task.Run(async () =>
        {
            while (received.Count == 0 || received[^1] != -1)
            {
                (WebSocketMessageType _, byte[] payload) = await BroadcastKit.ReceiveAsync(bystander, BroadcastKit.Timeout * 2);
                received.Add(BinaryPrimitives.ReadInt64BigEndian(payload));
                Volatile.Write(ref receivedCount, received.Count);
            }
        });

        long published = 0;
        var clock = Stopwatch.StartNew();
        for (int after = 0; after < 20; after += server.Server.Counters.Dropped > 0 ? 1 : 0)
        {
            Assert.True(clock.Elapsed < BroadcastKit.Timeout * 2, "The member that never reads was never skipped.");
            while (published - Volatile.Read(ref receivedCount) >= 2)
            {
                Assert.False(reader.IsCompleted, "The bystander stopped reading.");
                await Task.Delay(1);
            }

            Publish(server, ++published);
        }

        Publish(server, -1);
        await reader;
        Assert.Equal(Enumerable.Range(1, (int)published).Select(i => (long)i).Append(-1), received);

        if (policy == SlowConsumerPolicy.Drop)
        {
            // Skipped, still a member.
            Assert.Equal(0, server.Server.Counters.SlowConsumerDisconnects);
            Assert.Equal(2, server.Server.Topics.SubscriberCount("room"));
        }
        else
        {
            // Closed with 1008 and out of the room at once: the later publishes did not count it.
            Assert.Equal(1, server.Server.Counters.SlowConsumerDisconnects);
            Assert.Equal(1, server.Server.Topics.SubscriberCount("room"));
            Assert.True(server.Server.Topics.Find("room")!.DroppedMessages < 21, "The closed member was still offered messages.");
        }

        slow.Dispose();
        await BroadcastKit.CloseAllAsync([bystander]);
    }

    private static void Publish(TestServer server, long number)
    {
        byte[] payload = new byte[PayloadSize];
        BinaryPrimitives.WriteInt64BigEndian(payload, number);
        server.Server.Topics.Publish("room", MessageType.Binary, payload);
    }
}
