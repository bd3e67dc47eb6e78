using System.Text;
using WsFast.Tests.Server;

namespace WsFast.Tests.Attacks;

/// <summary>
/// Attack: one connection pipelines requests in a loop and never reads a response. The server answers one
/// request at a time and reads no further while the responses queued for that client are at the outbound
/// bound (bytes and messages); the requests it has not read wait in the transport, which stops receiving at
/// its input bound; and the send-stall deadline ends the connection. Memory stays flat whatever the route.
/// </summary>
[Collection(AttackCollection.Name)]
public class PipelinedRequestsTests
{
    public static TheoryData<string> KeepAliveRoutes => new()
    {
        "GET / HTTP/1.1\r\nHost: a\r\n\r\n",                        // the demo page
        "GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET /metrics HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET /poll/x?wait=0 HTTP/1.1\r\nHost: a\r\n\r\n",             // a short poll of a topic that does not exist
        "POST /publish/x HTTP/1.1\r\nHost: a\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello",
    };

    [Theory]
    [MemberData(nameof(KeepAliveRoutes))]
    public async Task Pipelined_requests_never_read_hold_at_most_the_outbound_bound_and_end_at_the_send_stall_deadline(string request)
    {
        const long QueueBound = 256 * 1024;
        await using TestServer server = await AttackKit.StartAsync(
            options => options.MaxQueuedOutboundBytes = QueueBound,
            s => s.MapContent("/", "text/html", new byte[8 * 1024]));
        await using Bystanders bystanders = await Bystanders.StartAsync(server);
        MemoryProbe memory = MemoryProbe.Start();
        long stallsBefore = server.Server.Counters.SendStalls;

        using Attacker attacker = await Attacker.ConnectAsync(server.Port);
        byte[] burst = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat(request, 64)));
        long sent = await attacker.FloodAsync(burst, TimeSpan.FromSeconds(3));

        // Everything the server holds for it is the bound and one response beyond; its input is bounded too.
        Assert.True(server.Server.BufferedBytes < QueueBound + server.Server.Options.MaxUnreadInputBytes + (256 * 1024),
            $"The server held {server.Server.BufferedBytes:N0} bytes for a client that never reads.");
        await AttackKit.WaitUntilAsync(() => server.Server.Counters.SendStalls > stallsBefore,
            AttackKit.StallTimeout + AttackKit.Slack, "the send-stall deadline to end the attacker");
        await AttackKit.WaitUntilAsync(() => server.Server.ConnectionCount == 2, AttackKit.Slack, "the attacker's connection to go");

        memory.AssertGrowthBelow(AttackKit.MemoryBound, $"{sent:N0} bytes of pipelined requests");
        await bystanders.AssertServedThroughoutAsync();
    }
}
