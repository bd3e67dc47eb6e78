using System.Text;
using WsFast.Tests.Server;

namespace WsFast.Tests.Attacks;

/// <summary>
/// Attack: one connection pipelines requests in a loop and never reads a response. The server answers one
/// request at a time and reads no further while the responses queued for that client are at the outbound
/// bound (bytes and messages); the requests it has not read wait in the transport, which stops receiving at
/// its input bound; and the send-stall deadline ends the connection. Memory stays flat whatever the route. On a
/// route that closes the connection after answering (a 404, a 426, a 400), the client gets that one response and
/// the end of the connection: nothing after the first request is read.
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

    private const string BadCursor = "GET /poll/x?after=-1 HTTP/1.1\r\nHost: a\r\n\r\n";

    public static TheoryData<string, int> ClosingRoutes => new()
    {
        { "GET /nowhere HTTP/1.1\r\nHost: a\r\n\r\n", 404 },
        { "GET /echo HTTP/1.1\r\nHost: a\r\n\r\n", 426 },                  // a plain GET on a WebSocket path
        { BadCursor, 400 },
    };

    [Theory]
    [MemberData(nameof(ClosingRoutes))]
    public async Task Pipelined_requests_to_a_route_that_closes_after_answering_get_one_response_and_the_end_of_the_connection(string request, int status)
    {
        await using TestServer server = await AttackKit.StartAsync();
        await using Bystanders bystanders = await Bystanders.StartAsync(server);
        MemoryProbe memory = MemoryProbe.Start();
        int before = server.Server.ConnectionCount;
        long refusedBefore = server.Server.Counters.Refused;

        // It reads what comes, this time, to see that nothing but one response does. Behind its first request come
        // requests the server would refuse and count (a cursor that is not a number), to see that none is read.
        using Attacker attacker = await Attacker.ConnectAsync(server.Port, receiveBuffer: 64 * 1024);
        Task<ConnectionEnd> watching = ConnectionEnd.WatchAsync(attacker.Socket, AttackKit.Slack);
        await attacker.SendAsync(Encoding.ASCII.GetBytes(request + string.Concat(Enumerable.Repeat(BadCursor, 63))));
        byte[] burst = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat(BadCursor, 64)));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        long sent = await attacker.FloodAsync(burst, TimeSpan.FromSeconds(4));

        // The server discards what still arrives for the close timeout, then drops the connection: the flood is cut.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1) + AttackKit.Slack, $"The server took the flood for {clock.ElapsedMilliseconds} ms after its response.");
        ConnectionEnd end = await watching;
        Assert.True(end.Ended, "The connection did not end after its response.");
        string received = Encoding.ASCII.GetString(end.Received);
        Assert.StartsWith($"HTTP/1.1 {status} ", received);
        Assert.True(received.Split("HTTP/1.1 ").Length == 2, $"More than one response came: {received}");
        // The 404 is not counted as a refusal, a 426 or 400 once: the requests behind it were never read.
        Assert.Equal(status == 404 ? 0 : 1, server.Server.Counters.Refused - refusedBefore);

        await AttackKit.WaitUntilAsync(() => server.Server.ConnectionCount == before, AttackKit.Slack, "the attacker's connection to go");
        memory.AssertGrowthBelow(AttackKit.MemoryBound, $"{sent:N0} bytes of requests behind a {status}");
        await bystanders.AssertServedThroughoutAsync();
    }
}
