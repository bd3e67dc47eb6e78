using System.Net;
using WsFast.Protocol;
using WsFast.Tests.Server;
using WsFast.Tests.Support;

namespace WsFast.Tests.Limits;

/// <summary>The executable's flags for the client limits and trusted proxies, applied as the options are.</summary>
public class ExecutableLimitTests
{
    [Fact]
    public async Task Trusted_proxy_and_max_connections_per_address_count_forwarded_clients_separately()
    {
        await using ServerProcess server = await ServerProcess.StartAsync(
            ["--trusted-proxy", "10.0.0.0/8", "--trusted-proxy", "127.0.0.1", "--trusted-proxy", "::1", "--max-connections-per-address", "1"]);

        await using RawClient first = await LimitKit.OpenAsync(server.Port, IPAddress.Loopback, "/echo", "X-Forwarded-For: 203.0.113.1");
        await using RawClient second = await LimitKit.OpenAsync(server.Port, IPAddress.Loopback, "/echo", "X-Forwarded-For: 203.0.113.2");
        await LimitKit.AssertTooManyAsync(server.Port, IPAddress.Loopback, "/echo", "X-Forwarded-For: 203.0.113.1");

        // 127.0.0.2 is no trusted proxy: its header is ignored, and it is a client of its own.
        await using RawClient direct = await LimitKit.OpenAsync(server.Port, LimitKit.From(2), "/echo", "X-Forwarded-For: 203.0.113.1");
        await LimitKit.AssertTooManyAsync(server.Port, LimitKit.From(2), "/echo", "X-Forwarded-For: 203.0.113.3");
    }

    [Fact]
    public async Task Handshakes_and_messages_per_second_take_a_rate_and_a_burst()
    {
        await using ServerProcess server = await ServerProcess.StartAsync(
            ["--handshakes-per-second", "0.5:2", "--messages-per-second", "1:3", "--bytes-per-second", "0"]);

        await using RawClient client = await LimitKit.OpenAsync(server.Port, LimitKit.From(3));
        await using (await LimitKit.OpenAsync(server.Port, LimitKit.From(3)))
        {
        }

        Assert.InRange(await LimitKit.AssertTooManyAsync(server.Port, LimitKit.From(3)), 1, 2);

        await client.SendFramesAsync(ClientFrames.Text("a"), ClientFrames.Text("b"), ClientFrames.Text("c"), ClientFrames.Text("d"));
        Assert.Equal("a", (await client.ReadFrameAnsweringPingsAsync()).Text);
        Assert.Equal("b", (await client.ReadFrameAnsweringPingsAsync()).Text);
        Assert.Equal("c", (await client.ReadFrameAnsweringPingsAsync()).Text);
        ServerFrame close = await client.ReadFrameAnsweringPingsAsync();
        Assert.Equal(Opcode.Close, close.Opcode);
        Assert.Equal((ushort)1008, close.CloseCode);
    }

    [Theory]
    [InlineData("--trusted-proxy", "10.0.0.1/8")]
    [InlineData("--trusted-proxy", "proxy.example")]
    [InlineData("--messages-per-second", "10:0")]
    [InlineData("--handshakes-per-second", "fast")]
    public async Task A_bad_value_stops_the_executable_before_it_listens(string flag, string value)
    {
        await Assert.ThrowsAsync<InvalidOperationException>(() => ServerProcess.StartAsync([flag, value]));
    }
}
