using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using WsFast.Tests.Broadcast;
using WsFast.Tests.Server;
using WsFast.Transport;

namespace WsFast.Tests.Attacks;

/// <summary>
/// Attack (slowloris): many connections each send a request head one byte at a time, never finishing it, to
/// hold the server's connections for as long as they keep trickling. A request must arrive whole within
/// <c>HandshakeTimeout</c> of the moment the connection is ready for it (the accept, or the previous response on
/// a kept-alive connection): each connection is dropped at that deadline, with no response, however many bytes
/// it trickled meanwhile; memory stays flat and the bystanders are served throughout.
/// </summary>
[Collection(AttackCollection.Name)]
public class SlowlorisTests
{
    private const int Connections = 200;
    private const int KeptAlive = 20;
    private static readonly TimeSpan ByteInterval = TimeSpan.FromMilliseconds(300);

    // Long enough that at one byte per interval it would take far longer than the deadline to finish.
    private static readonly byte[] Trickled = Encoding.ASCII.GetBytes(
        "GET /healthz HTTP/1.1\r\nHost: a\r\nUser-Agent: a slow client that never finishes its request\r\n\r\n");

    [Fact]
    public async Task Connections_trickling_a_request_head_a_byte_at_a_time_are_each_dropped_at_the_request_deadline_from_their_accept()
    {
        await using TestServer server = await AttackKit.StartAsync();
        await using Bystanders bystanders = await Bystanders.StartAsync(server);
        MemoryProbe memory = MemoryProbe.Start();
        int before = server.Server.ConnectionCount;

        var attackers = new Attacker[Connections];
        var connectedAt = new long[Connections];
        var watching = new Task<ConnectionEnd>[Connections];
        for (int start = 0; start < Connections; start += 25)
        {
            await Task.WhenAll(Enumerable.Range(start, 25).Select(async i =>
            {
                attackers[i] = await Attacker.ConnectAsync(server.Port);
                connectedAt[i] = Stopwatch.GetTimestamp();
                watching[i] = ConnectionEnd.WatchAsync(attackers[i].Socket, AttackKit.RequestTimeout + AttackKit.Slack + TimeSpan.FromSeconds(2));
            }));
        }

        long mostBuffered = await TrickleUntilEndedAsync(server, attackers.Select(a => a.Socket).ToArray(), watching);
        ConnectionEnd[] ends = await Task.WhenAll(watching);

        for (int i = 0; i < Connections; i++)
        {
            Assert.True(ends[i].Ended, $"Connection {i} was not dropped.");
            Assert.True(ends[i].Received.Length == 0, $"Connection {i} was sent {ends[i].Received.Length} bytes for a request it never finished.");
            // The deadline counts from the accept, which comes after the client's connect: never earlier than that.
            Assert.InRange(ends[i].After(connectedAt[i]), AttackKit.RequestTimeout - RawClient.ClockSlack, AttackKit.RequestTimeout + AttackKit.Slack);
        }

        await AttackKit.WaitUntilAsync(() => server.Server.ConnectionCount == before, AttackKit.Slack, "the trickling connections to go");
        // Each holds at most the pipe block its partial head sits in.
        Assert.True(mostBuffered < (Connections * PinnedBlockMemoryPool.BlockSize) + (256 * 1024),
            $"The server held {mostBuffered:N0} bytes for {Connections} trickled request heads.");
        memory.AssertGrowthBelow(AttackKit.MemoryBound, $"{Connections} slowloris connections");
        await bystanders.AssertServedThroughoutAsync();
        foreach (Attacker attacker in attackers)
        {
            attacker.Dispose();
        }
    }

    [Fact]
    public async Task A_kept_alive_connection_trickling_its_next_request_is_dropped_at_the_deadline_counted_from_its_previous_response()
    {
        await using TestServer server = await AttackKit.StartAsync();
        await using Bystanders bystanders = await Bystanders.StartAsync(server);
        MemoryProbe memory = MemoryProbe.Start();
        int before = server.Server.ConnectionCount;

        // Each connection idles for half the deadline, then sends a whole request and reads its response: the
        // deadline restarts there, so it is not dropped at its accept's deadline a second later.
        var connections = new RawConnection[KeptAlive];
        var requestedAt = new long[KeptAlive];
        var answeredAt = new long[KeptAlive];
        var watching = new Task<ConnectionEnd>[KeptAlive];
        await Task.WhenAll(Enumerable.Range(0, KeptAlive).Select(async i =>
        {
            connections[i] = await RawConnection.ConnectAsync(server.Port, receiveBufferSize: 4096);
            await Task.Delay(AttackKit.RequestTimeout / 2);
            requestedAt[i] = Stopwatch.GetTimestamp();
            await connections[i].SendAsync("GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n");
            Assert.Equal(200, (await connections[i].ReadResponseAsync()).Status);
            answeredAt[i] = Stopwatch.GetTimestamp();
            watching[i] = ConnectionEnd.WatchAsync(connections[i].Socket, AttackKit.RequestTimeout + AttackKit.Slack + TimeSpan.FromSeconds(2));
        }));

        await TrickleUntilEndedAsync(server, connections.Select(c => c.Socket).ToArray(), watching);
        ConnectionEnd[] ends = await Task.WhenAll(watching);

        for (int i = 0; i < KeptAlive; i++)
        {
            Assert.True(ends[i].Ended, $"Connection {i} was not dropped.");
            Assert.True(ends[i].Received.Length == 0, $"Connection {i} was sent {ends[i].Received.Length} bytes for a request it never finished.");
            // Not before a whole deadline after its first request (the deadline restarted with that request's
            // response), and not later than a deadline after that response (the trickle does not extend it).
            Assert.True(ends[i].After(requestedAt[i]) >= AttackKit.RequestTimeout - RawClient.ClockSlack,
                $"Connection {i} was dropped {ends[i].After(requestedAt[i]).TotalMilliseconds:F0} ms after its first request.");
            Assert.True(ends[i].After(answeredAt[i]) <= AttackKit.RequestTimeout + AttackKit.Slack,
                $"Connection {i} was dropped {ends[i].After(answeredAt[i]).TotalMilliseconds:F0} ms after its first response.");
        }

        await AttackKit.WaitUntilAsync(() => server.Server.ConnectionCount == before, AttackKit.Slack, "the trickling connections to go");
        memory.AssertGrowthBelow(AttackKit.MemoryBound, $"{KeptAlive} kept-alive slowloris connections");
        await bystanders.AssertServedThroughoutAsync();
        foreach (RawConnection connection in connections)
        {
            connection.Dispose();
        }
    }

    /// <summary>
    /// Sends every connection the next byte of <see cref="Trickled"/> each <see cref="ByteInterval"/> until the
    /// server has ended them all (or they would have finished their request, which fails the test). Returns the
    /// most the server held for its peers meanwhile.
    /// </summary>
    private static async Task<long> TrickleUntilEndedAsync(TestServer server, Socket[] sockets, Task<ConnectionEnd>[] watching)
    {
        long mostBuffered = 0;
        for (int next = 0; watching.Any(w => !w.IsCompleted); next++)
        {
            Assert.True(next < Trickled.Length - 1, "The trickling connections were not dropped before their requests were whole.");
            for (int i = 0; i < sockets.Length; i++)
            {
                if (watching[i].IsCompleted)
                {
                    continue;
                }

                try
                {
                    // One byte fits the socket's buffer: this never blocks.
                    sockets[i].Send(Trickled, next, 1, SocketFlags.None);
                }
                catch (SocketException)
                {
                    // Dropped by the server between the check and the send.
                }
            }

            mostBuffered = Math.Max(mostBuffered, server.Server.BufferedBytes);
            await Task.Delay(ByteInterval);
        }

        return mostBuffered;
    }
}
