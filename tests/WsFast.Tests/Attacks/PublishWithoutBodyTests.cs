using System.Diagnostics;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using WsFast.Tests.Broadcast;
using WsFast.Tests.Server;

namespace WsFast.Tests.Attacks;

/// <summary>
/// Attack: many connections each announce a publish body of the largest size allowed (<c>Content-Length</c> at
/// <c>MaxPublishBytes</c>) and then send none of it, or trickle it, so that a server which reserved the announced
/// length would hold <c>Content-Length</c> × connections. The body is read into pooled memory that grows only with
/// what has arrived, under the request deadline: memory stays flat, each connection is dropped at
/// <c>HandshakeTimeout</c> from its accept with no response and nothing published, while a body that does arrive
/// in pieces within the deadline is published whole.
/// </summary>
[Collection(AttackCollection.Name)]
public class PublishWithoutBodyTests
{
    private const int Connections = 200;
    private const int MaxPublishBytes = 1024 * 1024;
    private static readonly TimeSpan ByteInterval = TimeSpan.FromMilliseconds(300);

    [Fact]
    public async Task Publishes_announcing_MaxPublishBytes_with_no_body_or_a_trickle_hold_no_body_memory_and_are_dropped_at_the_request_deadline()
    {
        await using TestServer server = await AttackKit.StartAsync(options => options.Broadcast.MaxPublishBytes = MaxPublishBytes);
        await using Bystanders bystanders = await Bystanders.StartAsync(server);
        using ClientWebSocket subscriber = await server.ConnectAsync("/topics/whole");
        await AttackKit.WaitUntilAsync(() => server.Server.Topics.SubscriberCount("whole") == 1, TimeSpan.FromSeconds(5), "the subscriber of the positive control");
        int before = server.Server.ConnectionCount;
        MemoryProbe memory = MemoryProbe.Start();

        // Every connection sends its head at once; the odd ones then trickle a byte of body per interval.
        byte[] head = Encoding.ASCII.GetBytes(
            $"POST /publish/x HTTP/1.1\r\nHost: a\r\nContent-Type: application/octet-stream\r\nContent-Length: {MaxPublishBytes}\r\n\r\n");
        var attackers = new Attacker[Connections];
        var connectedAt = new long[Connections];
        var watching = new Task<ConnectionEnd>[Connections];
        for (int start = 0; start < Connections; start += 50)
        {
            await Task.WhenAll(Enumerable.Range(start, 50).Select(async i =>
            {
                attackers[i] = await Attacker.ConnectAsync(server.Port);
                connectedAt[i] = Stopwatch.GetTimestamp();
                await attackers[i].SendAsync(head);
                watching[i] = ConnectionEnd.WatchAsync(attackers[i].Socket, AttackKit.RequestTimeout + AttackKit.Slack + TimeSpan.FromSeconds(2));
            }));
        }

        // A body that arrives in pieces within the deadline, alongside: published whole.
        Task<int> control = PublishInPiecesAsync(server.Port, "whole", MaxPublishBytes);

        long mostBuffered = 0;
        long heldGrowth = -1;
        int heldAtMeasure = 0;
        for (int tick = 0; watching.Any(w => !w.IsCompleted); tick++)
        {
            Assert.True(tick < 20, "The connections announcing a body were not dropped.");
            for (int i = 1; i < Connections; i += 2)
            {
                if (!watching[i].IsCompleted)
                {
                    try
                    {
                        attackers[i].Socket.Send([0x42], SocketFlags.None);
                    }
                    catch (SocketException)
                    {
                        // Dropped between the check and the send.
                    }
                }
            }

            if (tick == 1)
            {
                // While every one of them is held: what a reservation of the announced length would show.
                heldAtMeasure = watching.Count(w => !w.IsCompleted);
                heldGrowth = memory.Growth();
            }

            mostBuffered = Math.Max(mostBuffered, server.Server.BufferedBytes);
            await Task.Delay(ByteInterval);
        }

        ConnectionEnd[] ends = await Task.WhenAll(watching);
        for (int i = 0; i < Connections; i++)
        {
            Assert.True(ends[i].Ended, $"Connection {i} was not dropped.");
            Assert.True(ends[i].Received.Length == 0, $"Connection {i} was answered although its body never came: {Encoding.ASCII.GetString(ends[i].Received)}");
            Assert.InRange(ends[i].After(connectedAt[i]), AttackKit.RequestTimeout - RawClient.ClockSlack, AttackKit.RequestTimeout + AttackKit.Slack);
        }

        Assert.True(heldAtMeasure >= Connections, $"Only {heldAtMeasure} of the connections were held when the heap was measured.");
        Assert.True(heldGrowth < AttackKit.MemoryBound,
            $"The heap grew by {heldGrowth:N0} bytes while {Connections} connections announced {MaxPublishBytes:N0} bytes each.");
        // A trickling body holds its first pooled piece (4 KiB); a silent one nothing.
        Assert.True(mostBuffered < (Connections * 8 * 1024) + (256 * 1024), $"The server held {mostBuffered:N0} bytes for bodies that never came.");
        Assert.Null(server.Server.Topics.Find("x"));

        Assert.Equal(1, await control);
        (System.Net.WebSockets.WebSocketMessageType type, byte[] payload) = await BroadcastKit.ReceiveAsync(subscriber);
        Assert.Equal(System.Net.WebSockets.WebSocketMessageType.Binary, type);
        Assert.Equal(Body(MaxPublishBytes), payload);

        await AttackKit.WaitUntilAsync(() => server.Server.ConnectionCount == before, AttackKit.Slack, "the attackers' connections to go");
        memory.AssertGrowthBelow(AttackKit.MemoryBound, $"{Connections} publishes without their body");
        await bystanders.AssertServedThroughoutAsync();
        foreach (Attacker attacker in attackers)
        {
            attacker.Dispose();
        }

        subscriber.Abort();
    }

    /// <summary>Publishes <paramref name="length"/> bytes to <paramref name="topic"/> in 8 pieces, 100 ms apart; returns the sequence number given.</summary>
    private static async Task<int> PublishInPiecesAsync(int port, string topic, int length)
    {
        using RawConnection connection = await RawConnection.ConnectAsync(port);
        await connection.SendAsync(
            $"POST /publish/{topic} HTTP/1.1\r\nHost: a\r\nContent-Type: application/octet-stream\r\nContent-Length: {length}\r\n\r\n");
        byte[] body = Body(length);
        int piece = length / 8;
        for (int offset = 0; offset < length; offset += piece)
        {
            await Task.Delay(100);
            await connection.SendAsync(body[offset..Math.Min(length, offset + piece)]);
        }

        RawResponse response = await connection.ReadResponseAsync();
        Assert.True(response.Status == 200, $"The publish in pieces got {response.Status}: {response.Text}");
        return SequenceOf(response.Text);
    }

    private static int SequenceOf(string json)
    {
        using var document = System.Text.Json.JsonDocument.Parse(json);
        return document.RootElement.GetProperty("sequence").GetInt32();
    }

    private static byte[] Body(int length)
    {
        byte[] body = new byte[length];
        for (int i = 0; i < length; i++)
        {
            body[i] = (byte)(i * 31);
        }

        return body;
    }
}
