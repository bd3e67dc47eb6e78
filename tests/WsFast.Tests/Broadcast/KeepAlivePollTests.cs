using WsFast.Tests.Server;

namespace WsFast.Tests.Broadcast;

/// <summary>Polling clients keep their HTTP/1.1 connection between polls (RFC 7230 section 6.3).</summary>
public class KeepAlivePollTests
{
    private static string Get(int port, string pathAndQuery, string extraHeaders = "") =>
        $"GET {pathAndQuery} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{extraHeaders}\r\n";

    [Fact]
    public async Task Two_polls_are_answered_on_the_same_connection()
    {
        await using TestServer server = await BroadcastKit.StartAsync();
        server.Server.Topics.Publish("kept", "m1");
        using RawConnection connection = await RawConnection.ConnectAsync(server.Port);

        await connection.SendAsync(Get(server.Port, "/poll/kept?after=0&wait=0"));
        RawResponse first = await connection.ReadResponseAsync();
        server.Server.Topics.Publish("kept", "m2");
        await connection.SendAsync(Get(server.Port, "/poll/kept?after=1&wait=0"));
        RawResponse second = await connection.ReadResponseAsync();

        Assert.Equal((200, "keep-alive"), (first.Status, first.Header("Connection")));
        Assert.Equal((200, "keep-alive"), (second.Status, second.Header("Connection")));
        Assert.Equal([1], PollAnswer.Parse(first.Text).Messages.Select(m => m.Sequence));
        Assert.Equal([2], PollAnswer.Parse(second.Text).Messages.Select(m => m.Sequence));
        Assert.Equal(1, server.Server.Counters.Accepted); // one TCP connection for both
    }

    [Fact]
    public async Task A_long_poll_and_the_next_poll_share_one_connection()
    {
        await using TestServer server = await BroadcastKit.StartAsync();
        using RawConnection connection = await RawConnection.ConnectAsync(server.Port);

        await connection.SendAsync(Get(server.Port, "/poll/longkept?after=0&wait=5"));
        await BroadcastKit.WaitUntilAsync(() => server.Server.Topics.SubscriberCount("longkept") == 1, "the poll to wait");
        server.Server.Topics.Publish("longkept", "m1");
        RawResponse first = await connection.ReadResponseAsync();
        await connection.SendAsync(Get(server.Port, "/poll/longkept?after=1&wait=0"));
        RawResponse second = await connection.ReadResponseAsync();

        Assert.Equal([1], PollAnswer.Parse(first.Text).Messages.Select(m => m.Sequence));
        Assert.Equal((200, "keep-alive"), (second.Status, second.Header("Connection")));
        Assert.Empty(PollAnswer.Parse(second.Text).Messages);
        Assert.Equal(1, server.Server.Counters.Accepted);
    }

    [Fact]
    public async Task A_request_pipelined_behind_a_long_poll_ends_its_wait_and_both_are_answered_in_order()
    {
        await using TestServer server = await BroadcastKit.StartAsync();
        server.Server.Topics.Publish("piped", "m1");
        using RawConnection connection = await RawConnection.ConnectAsync(server.Port);
        var clock = System.Diagnostics.Stopwatch.StartNew();

        // Both in one write, and nothing more: the client has a request waiting, so the long poll answers now
        // with what there is, and the request behind it is read without the client sending anything else.
        await connection.SendAsync(Get(server.Port, "/poll/piped?after=1&wait=5") + Get(server.Port, "/poll/piped?after=0&wait=0"));
        RawResponse first = await connection.ReadResponseAsync(timeout: TimeSpan.FromSeconds(2));
        RawResponse second = await connection.ReadResponseAsync(timeout: TimeSpan.FromSeconds(2));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"The answers took {clock.ElapsedMilliseconds} ms.");
        Assert.Equal((200, "keep-alive"), (first.Status, first.Header("Connection")));
        Assert.Empty(PollAnswer.Parse(first.Text).Messages);
        Assert.Equal([1], PollAnswer.Parse(second.Text).Messages.Select(m => m.Sequence));
        Assert.Equal(0, server.Server.Topics.SubscriberCount("piped"));
        Assert.Equal(1, server.Server.Counters.Accepted);
    }

    [Fact]
    public async Task Requests_pipelined_behind_a_long_poll_are_held_to_MaxUnreadInputBytes()
    {
        const long InputBound = 64 * 1024;
        await using TestServer server = await BroadcastKit.StartAsync(options => options.MaxUnreadInputBytes = InputBound);
        using RawConnection connection = await RawConnection.ConnectAsync(server.Port);
        await connection.SendAsync(Get(server.Port, "/poll/held?wait=5"));
        await BroadcastKit.WaitUntilAsync(() => server.Server.Topics.SubscriberCount("held") == 1, "the poll to wait");

        // Long polls pipelined behind it for a second, never read: the server stops receiving them at its input
        // bound, and the rest wait in the kernel's buffers.
        byte[] burst = System.Text.Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat(Get(server.Port, "/poll/held?wait=5"), 64)));
        using (var flood = new CancellationTokenSource(TimeSpan.FromSeconds(1)))
        {
            try
            {
                while (true)
                {
                    await connection.Socket.SendAsync(burst, System.Net.Sockets.SocketFlags.None, flood.Token);
                }
            }
            catch (OperationCanceledException)
            {
            }
        }

        long held = server.Server.ConnectionPool!.BlockPool.InUseBytes;
        Assert.True(held <= InputBound + (64 * 1024), $"The server held {held:N0} bytes of requests pipelined behind a long poll (bound {InputBound:N0}).");
    }

    [Fact]
    public async Task A_poll_that_asks_to_close_is_answered_and_the_connection_closed()
    {
        await using TestServer server = await BroadcastKit.StartAsync();
        using RawConnection connection = await RawConnection.ConnectAsync(server.Port);

        await connection.SendAsync(Get(server.Port, "/poll/closing?wait=0", "Connection: close\r\n"));
        RawResponse response = await connection.ReadResponseAsync();

        Assert.Equal((200, "close"), (response.Status, response.Header("Connection")));
        Assert.True(await connection.EndsWithinAsync(BroadcastKit.Timeout), "The server kept a connection the client asked to close.");
    }
}
