using System.Net.Sockets;
using System.Text;
using WsFast.Tests.Server;
using WsFast.Tests.Support;

namespace WsFast.Tests.Attacks;

/// <summary>
/// The attacks that knocked the executable over, against the executable as shipped, with its default settings:
/// pipelined requests on one connection that never reads (the demo page and short polls), a ping flood from an
/// upgraded connection that never reads, and, with a publish token in <c>--mode broadcast</c>, a WebSocket
/// client trying to publish through the broadcast endpoint. The server's resident memory (VmRSS) must stay
/// within 64 MiB of where it started, and the relay must publish nothing.
/// </summary>
[Collection(AttackCollection.Name)]
public class ExecutableAttackTests
{
    private const long RssBound = 64L * 1024 * 1024;
    private static readonly TimeSpan AttackTime = TimeSpan.FromSeconds(4);

    [Theory]
    [InlineData("/")]
    [InlineData("/poll/x?wait=0")]
    public async Task Pipelined_GETs_never_read_leave_the_executable_within_64_MiB_of_its_start(string path)
    {
        await using ServerProcess server = await ServerProcess.StartAsync();
        long before = server.ResidentBytes();

        using Attacker attacker = await Attacker.ConnectAsync(server.Port);
        byte[] burst = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat($"GET {path} HTTP/1.1\r\nHost: a\r\n\r\n", 64)));
        long sent = await attacker.FloodAsync(burst, AttackTime);

        long growth = server.ResidentBytes() - before;
        Assert.True(growth < RssBound, $"{sent:N0} bytes of pipelined GET {path} grew the server by {growth:N0} bytes.");
        await server.AssertStillServesAsync();
    }

    [Fact]
    public async Task A_ping_flood_never_read_leaves_the_executable_within_64_MiB_of_its_start()
    {
        await using ServerProcess server = await ServerProcess.StartAsync();
        long before = server.ResidentBytes();

        using Attacker attacker = await Attacker.UpgradeAsync(server.Port, "/echo");
        byte[] burst = [.. Enumerable.Repeat<byte[]>([0x89, 0x80, 0, 0, 0, 0], 1024).SelectMany(ping => ping)];
        long sent = await attacker.FloodAsync(burst, AttackTime);

        long growth = server.ResidentBytes() - before;
        Assert.True(growth < RssBound, $"{sent / 6:N0} pings grew the server by {growth:N0} bytes.");
        await server.AssertStillServesAsync();
    }

    [Fact]
    public async Task With_a_publish_token_a_WebSocket_client_of_the_broadcast_endpoint_publishes_nothing()
    {
        await using ServerProcess server = await ServerProcess.StartAsync(["--mode", "broadcast"], ("WSFAST_PUBLISH_TOKEN", "s3cret"));
        await using RawClient watcher = await RawClient.OpenAsync(server.Port, "/broadcast/news");
        await using RawClient sender = await RawClient.OpenAsync(server.Port, "/broadcast/news");

        await sender.SendAsync(ClientFrames.Text("from an anonymous client"));

        ServerFrame close = await sender.ReadFrameAsync();
        Assert.Equal((ushort)1008, close.CloseCode);
        Assert.Equal("this endpoint does not take messages from clients", close.CloseReason);
        await Assert.ThrowsAsync<TimeoutException>(() => watcher.ReadFrameAsync(TimeSpan.FromSeconds(1)));
    }

    [Theory]
    [InlineData("flag")]
    [InlineData("environment")]
    public async Task With_legacy_hixie76_the_executables_echo_answers_a_draft_76_client(string source)
    {
        await using ServerProcess server = source == "flag"
            ? await ServerProcess.StartAsync(["--legacy-hixie76"])
            : await ServerProcess.StartAsync(null, ("WSFAST_LEGACY_HIXIE76", "true"));
        using Server.Legacy.Hixie76Client client = await Server.Legacy.Hixie76Client.ConnectAsync(server.Port, "/echo");

        await client.SendTextAsync("hello, 2010");

        Assert.Equal("hello, 2010", await client.ReadAsync());
        await client.SendAsync([0xFF, 0x00]);
        Assert.Equal("close", await client.ReadAsync());
    }

    [Fact]
    public async Task Without_legacy_hixie76_the_executable_refuses_a_draft_76_client_with_426()
    {
        await using ServerProcess server = await ServerProcess.StartAsync();
        using Server.Legacy.Hixie76Client client = await Server.Legacy.Hixie76Client.OpenAsync(
            server.Port, Server.Legacy.Hixie76Client.Request(server.Port, "/echo"));

        Assert.Equal(426, client.Response.Status);
    }
}
