using System.Diagnostics;
using WsFast.Protocol;
using WsFast.Server;
using WsFast.Tests.Support;

namespace WsFast.Tests.Server;

/// <summary>
/// Pings and pongs (RFC 6455 sections 5.5.2 and 5.5.3) on a raw socket: the server's heartbeat, and the
/// client's pings answered even in the middle of a fragmented message.
/// </summary>
public class HeartbeatTests
{
    private static readonly TimeSpan PingInterval = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan PingTimeout = TimeSpan.FromMilliseconds(300);

    [Fact]
    public async Task A_client_that_answers_pings_with_pongs_stays_connected_section_5_5_3()
    {
        await using TestServer server = await StartAsync();
        await using RawClient client = await RawClient.OpenAsync(server.Port);

        int pings = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(1.5))
        {
            // Idle but for the heartbeat: each ping is answered with a pong carrying its payload.
            ServerFrame frame = await client.ReadFrameAsync(TimeSpan.FromSeconds(2));
            Assert.True(frame.Opcode == Opcode.Ping, $"expected only pings, got {frame}");
            await client.SendAsync(ClientFrames.Frame(Opcode.Pong, frame.Payload));
            pings++;
        }

        // About one ping per interval of silence; far fewer would mean the heartbeat was not running.
        Assert.InRange(pings, 3, 10);
        await client.AssertEchoesAsync("still connected");
        Assert.False(server.Log.Contains("did not answer a ping"));
    }

    [Fact]
    public async Task A_client_that_never_answers_a_ping_is_closed_with_1011_after_the_ping_timeout()
    {
        await using TestServer server = await StartAsync();

        // Started before the upgrade, the clock cannot read less than a ping interval plus the ping timeout.
        var clock = Stopwatch.StartNew();
        await using RawClient client = await RawClient.OpenAsync(server.Port);

        ServerFrame ping = await client.ReadFrameAsync(TimeSpan.FromSeconds(2));
        Assert.Equal(Opcode.Ping, ping.Opcode);

        // No pong, and nothing else either: after the ping timeout the server gives up with 1011, then FIN.
        BadInputTests.AssertClose(await client.ReadFrameAsync(TimeSpan.FromSeconds(2)), CloseCode.InternalServerError, "ping timeout");
        Assert.InRange(clock.Elapsed, PingInterval + PingTimeout - RawClient.ClockSlack, PingInterval + PingTimeout + TimeSpan.FromSeconds(1.5));
        await client.AssertEndsCleanlyAsync();
        Assert.True(await server.Log.WaitForAsync($"from {client.LocalEndPoint} did not answer a ping in time"));
    }

    [Fact]
    public async Task Control_frames_are_answered_while_a_fragmented_message_is_in_flight_section_5_4()
    {
        await using TestServer server = await StartAsync();
        await using RawClient client = await RawClient.OpenAsync(server.Port);

        byte[] longPing = new byte[125];
        new Random(5).NextBytes(longPing);

        // Section 5.4: control frames may be injected between the fragments of a message. First in separate
        // writes, so the server reads each on its own, then all in one write.
        await client.SendAsync(ClientFrames.Text("Hel", fin: false));
        await client.SendAsync(ClientFrames.Frame(Opcode.Ping, "p1"u8));
        await AssertPongAsync(client, "p1"u8.ToArray());
        await client.SendAsync(ClientFrames.Frame(Opcode.Continuation, "lo, "u8, fin: false));
        await client.SendAsync(ClientFrames.Frame(Opcode.Ping, longPing));
        await AssertPongAsync(client, longPing);
        await client.SendAsync(ClientFrames.Frame(Opcode.Continuation, "world"u8));
        ServerFrame echo = await client.ReadFrameAnsweringPingsAsync();
        Assert.Equal(Opcode.Text, echo.Opcode);
        Assert.True(echo.Fin);
        Assert.Equal("Hello, world", echo.Text);

        await client.SendFramesAsync(
            ClientFrames.Frame(Opcode.Binary, [1, 2], fin: false),
            ClientFrames.Frame(Opcode.Ping, []),
            ClientFrames.Frame(Opcode.Continuation, [3], fin: false),
            ClientFrames.Frame(Opcode.Pong, "unsolicited"u8),
            ClientFrames.Frame(Opcode.Ping, "p3"u8),
            ClientFrames.Frame(Opcode.Continuation, [4, 5]));
        // Section 5.5.3: pings that arrive together may be answered by one pong, for the most recent of them.
        ServerFrame pong = await client.ReadFrameAnsweringPingsAsync();
        Assert.Equal(Opcode.Pong, pong.Opcode);
        if (pong.Payload.Length == 0)
        {
            await AssertPongAsync(client, "p3"u8.ToArray());
        }
        else
        {
            Assert.Equal("p3"u8.ToArray(), pong.Payload);
        }

        echo = await client.ReadFrameAnsweringPingsAsync();
        Assert.Equal(Opcode.Binary, echo.Opcode);
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5 }, echo.Payload);
    }

    private static Task<TestServer> StartAsync() => TestServer.StartAsync(o =>
    {
        o.PingInterval = PingInterval;
        o.PingTimeout = PingTimeout;
    });

    // Section 5.5.3: a pong answering a ping carries the ping's application data. The server's own pings may
    // come in between; they are answered and skipped.
    private static async Task AssertPongAsync(RawClient client, byte[] payload)
    {
        ServerFrame pong = await client.ReadFrameAnsweringPingsAsync();
        Assert.True(pong.Opcode == Opcode.Pong, $"expected a pong, got {pong}");
        Assert.Equal(payload, pong.Payload);
    }
}
