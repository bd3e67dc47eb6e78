using System.Net;
using WsFast.Protocol;
using WsFast.Tests.Server;
using WsFast.Tests.Support;

namespace WsFast.Tests.Limits;

/// <summary>
/// <c>ClientLimits.MessagesPerSecond</c> / <c>MessageBurst</c> and <c>BytesPerSecond</c> / <c>ByteBurst</c>: a
/// WebSocket client floods the server with messages, small or large. Up to its burst everything is echoed; the
/// message over it closes the connection with 1008 "rate limit", after every message before it was echoed and
/// none after it; a bystander's connection is not slowed or closed meanwhile.
/// </summary>
public class ReceiveRateTests
{
    // Refills are too slow to matter within a test: what passes is the burst.
    private const int MessageBurst = 5;
    private const int ByteBurst = 1000;

    [Fact]
    public async Task A_burst_of_MessageBurst_messages_is_echoed_and_the_connection_stays_open()
    {
        await using TestServer server = await StartAsync();
        await using RawClient client = await LimitKit.OpenAsync(server.Port, IPAddress.Loopback);

        await client.SendFramesAsync(Messages(0, MessageBurst));
        for (int i = 0; i < MessageBurst; i++)
        {
            Assert.Equal($"m{i}", (await client.ReadFrameAsync()).Text);
        }

        // Control frames are not messages: a ping is still answered, and the connection is open.
        await client.SendFramesAsync(ClientFrames.Frame(Opcode.Ping, "p"u8));
        Assert.Equal(Opcode.Pong, (await client.ReadFrameAsync()).Opcode);
        Assert.Equal(0, server.Server.Counters.MessageRateCloses);
    }

    [Fact]
    public async Task The_message_over_the_burst_closes_with_1008_after_every_message_before_it_was_echoed()
    {
        await using TestServer server = await StartAsync();
        await using RawClient bystander = await LimitKit.OpenAsync(server.Port, LimitKit.From(10));
        await using RawClient client = await LimitKit.OpenAsync(server.Port, IPAddress.Loopback);

        // The burst and three more in one write: the server reads them together.
        await client.SendFramesAsync(Messages(0, MessageBurst + 3));
        for (int i = 0; i < MessageBurst; i++)
        {
            Assert.Equal($"m{i}", (await client.ReadFrameAsync()).Text);
        }

        ServerFrame close = await client.ReadFrameAsync();
        Assert.Equal(Opcode.Close, close.Opcode);
        Assert.Equal((ushort)1008, close.CloseCode);
        Assert.Equal("rate limit", close.CloseReason);

        // The bystander has buckets of its own, and is served at once.
        await bystander.SendFramesAsync(Messages(0, MessageBurst));
        for (int i = 0; i < MessageBurst; i++)
        {
            Assert.Equal($"m{i}", (await bystander.ReadFrameAsync()).Text);
        }

        Assert.Equal(1, server.Server.Counters.MessageRateCloses);
        Assert.Equal(1, await LimitKit.MetricAsync(server, "wsfast_limit_refusals_total{reason=\"message_rate\"}"));
        Assert.True(await server.Log.WaitForAsync("closed with 1008 rate limit: more messages than the per-connection rate allows"));
    }

    [Fact]
    public async Task ByteBurst_bytes_pass_and_the_bytes_over_it_close_with_1008_after_the_messages_before_them_were_echoed()
    {
        await using TestServer server = await StartAsync();
        await using RawClient bystander = await LimitKit.OpenAsync(server.Port, LimitKit.From(11));
        await using RawClient client = await LimitKit.OpenAsync(server.Port, IPAddress.Loopback);
        byte[] hundred = new byte[100];

        // Exactly the burst, in four messages of 250 bytes: all echoed.
        await client.SendFramesAsync(
            ClientFrames.Frame(Opcode.Binary, new byte[250]), ClientFrames.Frame(Opcode.Binary, new byte[250]),
            ClientFrames.Frame(Opcode.Binary, new byte[250]), ClientFrames.Frame(Opcode.Binary, new byte[250]));
        for (int i = 0; i < 4; i++)
        {
            Assert.Equal(250, (await client.ReadFrameAsync()).Payload.Length);
        }

        // Then a small one over the burst (a few refilled bytes are less than 100), and one more behind it.
        await client.SendFramesAsync(ClientFrames.Frame(Opcode.Binary, hundred), ClientFrames.Frame(Opcode.Binary, hundred));
        ServerFrame close = await client.ReadFrameAsync();
        Assert.Equal((ushort)1008, close.CloseCode);
        Assert.Equal("rate limit", close.CloseReason);

        await bystander.AssertEchoesAsync("not slowed");
        await LimitKit.WaitUntilAsync(() => server.Server.Counters.ByteRateCloses == 1, "the close to be counted");
        Assert.Equal(0, server.Server.Counters.MessageRateCloses);
        Assert.Equal(1, await LimitKit.MetricAsync(server, "wsfast_limit_refusals_total{reason=\"byte_rate\"}"));
        Assert.True(await server.Log.WaitForAsync("more bytes than the per-connection rate allows"));
    }

    [Fact]
    public async Task A_message_larger_than_ByteBurst_is_refused_as_its_bytes_arrive_before_it_is_assembled()
    {
        await using TestServer server = await StartAsync();
        await using RawClient client = await LimitKit.OpenAsync(server.Port, IPAddress.Loopback);

        // A frame declaring 64 KiB: the server closes once the first piece in hand is over the burst, and
        // never hands on any of it.
        byte[] frame = ClientFrames.Frame(Opcode.Binary, new byte[64 * 1024]);
        await client.SendAsync(frame.AsMemory(0, 4 * 1024));
        ServerFrame close = await client.ReadFrameAsync();
        Assert.Equal((ushort)1008, close.CloseCode);
        Assert.Equal(0, server.Server.Counters.MessagesIn);
    }

    private static Task<TestServer> StartAsync() =>
        TestServer.StartAsync(options =>
        {
            options.ClientLimits.MessagesPerSecond = 1;
            options.ClientLimits.MessageBurst = MessageBurst;
            options.ClientLimits.BytesPerSecond = 1;
            options.ClientLimits.ByteBurst = ByteBurst;
        });

    private static byte[][] Messages(int first, int count) =>
        Enumerable.Range(first, count).Select(i => ClientFrames.Text($"m{i}")).ToArray();
}
