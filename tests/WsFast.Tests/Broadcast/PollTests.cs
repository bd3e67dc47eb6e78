using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using WsFast.Tests.Server;

namespace WsFast.Tests.Broadcast;

/// <summary>
/// <c>GET /poll/{topic}?after=N&amp;wait=S</c> and the event stream's cursor: numbers are parsed strictly (a
/// value a client can send is answered with 400, never with an error), a topic that does not exist is polled
/// like an empty one, and a long poll whose client leaves ends at once.
/// </summary>
public class PollTests
{
    [Theory]
    [InlineData("wait=NaN")]
    [InlineData("wait=Infinity")]
    [InlineData("wait=-Infinity")]
    [InlineData("wait=-1")]
    [InlineData("wait=1e3")]
    [InlineData("wait=")]
    [InlineData("wait=0x10")]
    [InlineData("wait=1,5")]
    [InlineData("after=-1")]
    [InlineData("after=1.5")]
    [InlineData("after=99999999999999999999")]
    [InlineData("after=%2B3")]
    [InlineData("after=+3")]
    [InlineData("after=")]
    [InlineData("after=%203")]
    public async Task A_poll_whose_after_or_wait_is_not_a_plain_number_gets_400_and_logs_no_error(string query)
    {
        await using TestServer server = await BroadcastKit.StartAsync();
        using HttpClient http = BroadcastKit.HttpClient(server);

        using HttpResponseMessage response = await http.GetAsync($"/poll/strict?{query}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("close", Assert.Single(response.Headers.Connection), ignoreCase: true);
        Assert.True(await server.Log.WaitForAsync("Refused request from"));
        Assert.False(server.Log.Contains("Unexpected error"), string.Join(" | ", server.Log.Lines.Select(l => l.Message)));
        Assert.Empty(server.Server.Topics.All);
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("-1")]
    [InlineData("1.5")]
    [InlineData("+3")]
    [InlineData("1e3")]
    [InlineData("NaN")]
    [InlineData("99999999999999999999")]
    public async Task An_event_stream_cursor_that_is_not_a_plain_number_gets_400_by_header_and_by_query(string cursor)
    {
        await using TestServer server = await BroadcastKit.StartAsync();
        using HttpClient http = BroadcastKit.HttpClient(server);
        using var byHeader = new HttpRequestMessage(HttpMethod.Get, "/sse/strict");
        byHeader.Headers.TryAddWithoutValidation("Last-Event-ID", cursor);

        using HttpResponseMessage header = await http.SendAsync(byHeader);
        using HttpResponseMessage query = await http.GetAsync($"/sse/strict?after={Uri.EscapeDataString(cursor)}");

        Assert.Equal(HttpStatusCode.BadRequest, header.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, query.StatusCode);
        Assert.False(server.Log.Contains("Unexpected error"));
        Assert.Empty(server.Server.Topics.All);
    }

    [Fact]
    public async Task The_edge_values_wait_0_wait_0_5_and_after_0_are_served()
    {
        await using TestServer server = await BroadcastKit.StartAsync(options => options.Broadcast.LongPollTimeout = TimeSpan.FromSeconds(10));
        using HttpClient http = BroadcastKit.HttpClient(server);
        server.Server.Topics.Publish("edges", "m1");

        PollAnswer all = await PollAnswer.GetAsync(http, "/poll/edges?after=0&wait=0");
        Assert.Equal([1], all.Messages.Select(m => m.Sequence));

        var clock = Stopwatch.StartNew();
        PollAnswer none = await PollAnswer.GetAsync(http, "/poll/edges?after=1&wait=0");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"wait=0 took {clock.Elapsed}");
        Assert.Empty(none.Messages);

        clock.Restart();
        PollAnswer half = await PollAnswer.GetAsync(http, "/poll/edges?after=1&wait=0.5");
        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(450), TimeSpan.FromSeconds(3));
        Assert.Empty(half.Messages);

        using (EventStream stream = await EventStream.OpenAsync(http, "/sse/edges?after=0"))
        {
            Assert.Equal(new ServerSentEvent(BroadcastKit.EventId(server, "edges", 1), null, "m1"), await stream.ReadAsync());
        }

        Assert.False(server.Log.Contains("Unexpected error"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("?wait=0")]
    [InlineData("?after=0&wait=0")]
    [InlineData("?after=5&wait=0")]
    public async Task A_short_poll_of_a_topic_that_does_not_exist_answers_like_an_empty_topic_and_creates_nothing(string query)
    {
        await using TestServer server = await BroadcastKit.StartAsync(options => options.Broadcast.LongPollTimeout = TimeSpan.Zero);
        using HttpClient http = BroadcastKit.HttpClient(server);

        PollAnswer answer = await PollAnswer.GetAsync(http, $"/poll/nowhere{query}");

        Assert.Equal(("nowhere", 0L, false), (answer.Topic, answer.Last, answer.Truncated));
        Assert.Empty(answer.Messages);
        Assert.Null(server.Server.Topics.Find("nowhere"));
        Assert.Empty(server.Server.Topics.All);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_client_that_leaves_during_a_long_poll_is_let_go_at_once_and_its_topic_released(bool reset)
    {
        await using TestServer server = await BroadcastKit.StartAsync(options => options.Broadcast.LongPollTimeout = TimeSpan.FromSeconds(20));
        RawConnection connection = await RawConnection.ConnectAsync(server.Port);
        await connection.SendAsync($"GET /poll/left?wait=20 HTTP/1.1\r\nHost: 127.0.0.1:{server.Port}\r\n\r\n");
        await BroadcastKit.WaitUntilAsync(() => server.Server.Topics.SubscriberCount("left") == 1, "the poll to wait");
        Assert.Equal(1, server.Server.ConnectionCount);

        var clock = Stopwatch.StartNew();
        if (reset)
        {
            connection.Socket.LingerState = new LingerOption(true, 0);
        }
        else
        {
            connection.Socket.Shutdown(SocketShutdown.Both);
        }

        connection.Dispose();

        // Well before the 20 s the poll could have waited: the server noticed the client leave.
        await BroadcastKit.WaitUntilAsync(() => server.Server.ConnectionCount == 0, "the server to let the connection go", TimeSpan.FromSeconds(3));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"the server held a poll whose client had left for {clock.Elapsed}");
        Assert.Equal(0, server.Server.Topics.SubscriberCount("left"));
        Assert.Null(server.Server.Topics.Find("left"));
        Assert.Empty(server.Server.Topics.All);
    }
}
