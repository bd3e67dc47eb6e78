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
}
