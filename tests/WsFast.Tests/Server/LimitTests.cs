using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using WsFast.Server;
using WebSocketMessageType = System.Net.WebSockets.WebSocketMessageType;

namespace WsFast.Tests.Server;

/// <summary>Every bound of <see cref="WsFastServerOptions"/>, tested at its edge.</summary>
public class LimitTests
{
    [Fact]
    public async Task Section_10_4_a_message_of_exactly_MaxMessageSize_is_accepted()
    {
        await using TestServer server = await TestServer.StartAsync(options => options.MaxMessageSize = 1000);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        using ClientWebSocket client = await server.ConnectAsync();

        byte[] payload = EchoTests.RandomBytes(1000);
        await client.SendAsync(payload, WebSocketMessageType.Binary, true, timeout.Token);

        (WebSocketMessageType type, byte[] received) = await client.ReceiveMessageAsync(timeout.Token);
        Assert.Equal(WebSocketMessageType.Binary, type);
        Assert.Equal(payload, received);
        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "", timeout.Token);
    }

    [Fact]
    public async Task Section_7_4_1_a_message_one_byte_over_MaxMessageSize_closes_with_1009_and_is_logged()
    {
        await using TestServer server = await TestServer.StartAsync(options => options.MaxMessageSize = 1000);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        using ClientWebSocket client = await server.ConnectAsync();

        await client.SendAsync(EchoTests.RandomBytes(1001), WebSocketMessageType.Binary, true, timeout.Token);

        (WebSocketCloseStatus? status, _) = await client.ExpectCloseAsync(timeout.Token);
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, status);
        Assert.True(await server.Log.WaitForAsync("broke the protocol: 1009"));
        Assert.Equal(1, server.Server.Counters.ProtocolErrors);
    }

    [Fact]
    public async Task Section_7_4_1_a_fragmented_message_whose_fragments_add_up_to_over_MaxMessageSize_closes_with_1009()
    {
        await using TestServer server = await TestServer.StartAsync(options => options.MaxMessageSize = 1000);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        using ClientWebSocket client = await server.ConnectAsync();

        // Each fragment is well under the limit; only their sum, 1001, is over it.
        await client.SendAsync(EchoTests.RandomBytes(400), WebSocketMessageType.Binary, false, timeout.Token);
        await client.SendAsync(EchoTests.RandomBytes(400), WebSocketMessageType.Binary, false, timeout.Token);
        await client.SendAsync(EchoTests.RandomBytes(201), WebSocketMessageType.Binary, true, timeout.Token);

        (WebSocketCloseStatus? status, _) = await client.ExpectCloseAsync(timeout.Token);
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, status);
        Assert.True(await server.Log.WaitForAsync("broke the protocol: 1009 message exceeds the maximum size"));
    }

    [Fact]
    public async Task Section_7_4_1_a_message_one_byte_over_the_default_16_MiB_closes_with_1009()
    {
        await using TestServer server = await TestServer.StartAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        using ClientWebSocket client = await server.ConnectAsync();

        // The server fails the connection on the frame header; the rest of the payload is read and discarded.
        await client.SendAsync(new byte[16 * 1024 * 1024 + 1], WebSocketMessageType.Binary, true, timeout.Token);

        (WebSocketCloseStatus? status, _) = await client.ExpectCloseAsync(timeout.Token);
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, status);
        Assert.True(await server.Log.WaitForAsync("broke the protocol: 1009"));
    }

    [Fact]
    public async Task MaxMessageSize_above_16_MiB_bounds_single_frames_too_a_17_MiB_frame_is_echoed_and_a_21_MiB_frame_gets_1009()
    {
        const int MiB = 1024 * 1024;
        await using TestServer server = await TestServer.StartAsync(options => options.MaxMessageSize = 20L * MiB);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        using ClientWebSocket client = await server.ConnectAsync();

        // One unfragmented frame over the frame reader's default bound, under the configured one. Receive while
        // sending: the echo can start coming back before the whole frame has been sent.
        byte[] payload = EchoTests.RandomBytes(17 * MiB);
        Task<(WebSocketMessageType Type, byte[] Payload)> receiving = client.ReceiveMessageAsync(timeout.Token);
        await client.SendAsync(payload, WebSocketMessageType.Binary, endOfMessage: true, timeout.Token);
        (WebSocketMessageType type, byte[] echoed) = await receiving;
        Assert.Equal(WebSocketMessageType.Binary, type);
        Assert.True(payload.AsSpan().SequenceEqual(echoed), $"{echoed.Length} bytes came back, not the {payload.Length} sent");
        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "", timeout.Token);

        // A frame over the configured bound is failed on its header alone: no need to send its payload.
        await using RawClient raw = await RawClient.OpenAsync(server.Port);
        byte[] header = new byte[14];
        header[0] = 0x80 | (byte)WsFast.Protocol.Opcode.Binary;
        header[1] = 0x80 | 127;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(header.AsSpan(2), 21UL * MiB);
        WsFast.Tests.Support.ClientFrames.RfcKey.CopyTo(header, 10);
        await raw.SendAsync(header);
        BadInputTests.AssertClose(await raw.ReadFrameAsync(), WsFast.CloseCode.MessageTooBig, "frame exceeds the maximum size");
        await raw.AssertEndsCleanlyAsync();
    }

    [Fact]
    public async Task MaxConnections_are_served_and_one_more_gets_503_until_one_of_them_leaves()
    {
        await using TestServer server = await TestServer.StartAsync(options => options.MaxConnections = 3);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var clients = new List<ClientWebSocket>();
        try
        {
            for (int i = 0; i < 3; i++)
            {
                clients.Add(await server.ConnectAsync());
            }

            Assert.Equal(HttpStatusCode.ServiceUnavailable, await ClientSupport.ConnectExpectingRefusalAsync(server, "/echo"));

            // The status line as sent, read off a raw socket: 503 comes at once, before any request.
            using (Socket raw = await ClientSupport.ConnectRawAsync(server.Port, timeout.Token))
            {
                string head = await ClientSupport.ReadResponseHeadAsync(raw, timeout.Token);
                Assert.Equal(503, ClientSupport.StatusOf(head));
                Assert.Contains("\r\nRetry-After: 1\r\n", head);
            }

            // The refusals took no slot: the three open connections still work.
            foreach (ClientWebSocket client in clients)
            {
                await client.SendTextAsync("still served", timeout.Token);
                Assert.Equal("still served", await client.ReceiveTextAsync(timeout.Token));
            }

            // One leaves; its slot is free again.
            await clients[0].CloseAsync(WebSocketCloseStatus.NormalClosure, "", timeout.Token);
            await ClientSupport.WaitUntilAsync(() => server.Server.ConnectionCount == 2, timeout.Token);
            using ClientWebSocket replacement = await server.ConnectAsync();
            await replacement.SendTextAsync("replacement", timeout.Token);
            Assert.Equal("replacement", await replacement.ReceiveTextAsync(timeout.Token));
            await replacement.CloseAsync(WebSocketCloseStatus.NormalClosure, "", timeout.Token);
        }
        finally
        {
            foreach (ClientWebSocket client in clients)
            {
                client.Dispose();
            }
        }
    }

    [Theory]
    [InlineData(0, 101)]
    [InlineData(1, 431)]
    public async Task MaxHeaderBytes_a_request_head_of_exactly_the_limit_upgrades_and_one_byte_more_gets_431(int over, int expected)
    {
        const int Limit = 2048;
        await using TestServer server = await TestServer.StartAsync(options => options.MaxHeaderBytes = Limit);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));

        // The head counts the request line, the header lines and the empty line that ends them.
        int padding = Limit + over - ClientSupport.UpgradeRequest("/echo").Length - "X-Pad: \r\n".Length;
        string request = ClientSupport.UpgradeRequest("/echo", $"X-Pad: {new string('a', padding)}\r\n");
        Assert.Equal(Limit + over, Encoding.ASCII.GetByteCount(request));

        string head = await ClientSupport.RawRequestAsync(server.Port, request, timeout.Token);
        Assert.Equal(expected, ClientSupport.StatusOf(head));
    }

    [Theory]
    [InlineData(8, 101)]
    [InlineData(9, 431)]
    public async Task MaxHeaderCount_a_request_with_exactly_the_limit_of_header_fields_upgrades_and_one_more_gets_431(int fields, int expected)
    {
        await using TestServer server = await TestServer.StartAsync(options => options.MaxHeaderCount = 8);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));

        // The upgrade request has five fields of its own (Host, Upgrade, Connection, Sec-WebSocket-Key,
        // Sec-WebSocket-Version); the rest are padding.
        string extra = string.Concat(Enumerable.Range(0, fields - 5).Select(i => $"X-Field-{i}: {i}\r\n"));
        string head = await ClientSupport.RawRequestAsync(server.Port, ClientSupport.UpgradeRequest("/echo", extra), timeout.Token);

        Assert.Equal(expected, ClientSupport.StatusOf(head));
    }

    [Fact]
    public async Task MaxHeaderBytes_a_ClientWebSocket_with_a_large_header_under_the_limit_connects_and_over_it_gets_431()
    {
        const int Limit = 4096;
        await using TestServer server = await TestServer.StartAsync(options => options.MaxHeaderBytes = Limit);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));

        // ClientWebSocket's own headers take about 200 bytes, far less than the 1 KiB left here.
        using ClientWebSocket under = await server.ConnectAsync(configure: o => o.SetRequestHeader("X-Large", new string('u', Limit - 1024)));
        await under.SendTextAsync("fits", timeout.Token);
        Assert.Equal("fits", await under.ReceiveTextAsync(timeout.Token));
        await under.CloseAsync(WebSocketCloseStatus.NormalClosure, "", timeout.Token);

        HttpStatusCode status = await ClientSupport.ConnectExpectingRefusalAsync(server, "/echo",
            o => o.SetRequestHeader("X-Large", new string('o', Limit)));
        Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, status);
    }

    [Fact]
    public async Task MaxQueuedOutboundBytes_a_handler_sending_to_a_client_that_does_not_read_waits_instead_of_queuing_without_bound()
    {
        const long Limit = 64 * 1024;
        const int MessageSize = 32 * 1024;
        const int Messages = 640; // 20 MiB: far more than the socket buffers between the two can hold
        var flood = new Flood(Messages, MessageSize);
        await using TestServer server = await TestServer.StartAsync(
            options => options.MaxQueuedOutboundBytes = Limit,
            s => s.Map("/flood", flood));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        using ClientWebSocket client = await ClientSupport.ConnectWithSmallReceiveBufferAsync(server.Ws("/flood"), timeout.Token);

        // The client reads nothing until the sender has stalled with the queue at its bound: no progress for a
        // while, and no room for one more message.
        int last = -1;
        while (true)
        {
            await Task.Delay(300, timeout.Token);
            int sent = flood.Sent;
            if (sent == last && flood.Connection is { } connection && connection.QueuedBytes + MessageSize > Limit)
            {
                break;
            }

            last = sent;
        }

        Assert.True(last < Messages, "Every message was queued although the client read nothing.");
        Assert.False(flood.Finished.Task.IsCompleted);
        long bound = Limit + MessageSize + 14; // the limit plus one frame, header included
        Assert.True(flood.MaxQueued <= bound, $"{flood.MaxQueued} bytes were queued; the bound is {bound}.");
        Assert.True(flood.Connection!.QueuedBytes <= bound);

        // Now the client reads: every message arrives, whole and in order, and the sender finishes.
        for (int i = 0; i < Messages; i++)
        {
            (WebSocketMessageType type, byte[] payload) = await client.ReceiveMessageAsync(timeout.Token);
            Assert.Equal(WebSocketMessageType.Binary, type);
            Assert.Equal(MessageSize, payload.Length);
            Assert.True(payload.AsSpan().IndexOfAnyExcept((byte)i) < 0, $"Message {i} is not the {i}th one sent.");
        }

        Assert.True(await flood.Finished.Task.WaitAsync(timeout.Token));
        Assert.True(flood.MaxQueued <= bound, $"{flood.MaxQueued} bytes were queued; the bound is {bound}.");
        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "", timeout.Token);
    }

    [Fact]
    public async Task HandshakeTimeout_a_client_that_connects_and_sends_nothing_is_dropped()
    {
        await using TestServer server = await TestServer.StartAsync(options => options.HandshakeTimeout = TimeSpan.FromMilliseconds(300));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        var stopwatch = Stopwatch.StartNew();
        using Socket raw = await ClientSupport.ConnectRawAsync(server.Port, timeout.Token);

        Assert.Equal(0, await ClientSupport.ReadUntilClosedAsync(raw, timeout.Token));
        Assert.InRange(stopwatch.Elapsed, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(3));
        Assert.True(await server.Log.WaitForAsync("timed out"));
        await ClientSupport.WaitUntilAsync(() => server.Server.ConnectionCount == 0, timeout.Token);
    }

    [Fact]
    public async Task HandshakeTimeout_a_client_that_stops_in_the_middle_of_its_request_is_dropped()
    {
        await using TestServer server = await TestServer.StartAsync(options => options.HandshakeTimeout = TimeSpan.FromMilliseconds(300));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        var stopwatch = Stopwatch.StartNew();
        using Socket raw = await ClientSupport.ConnectRawAsync(server.Port, timeout.Token);
        await raw.SendAsync(Encoding.ASCII.GetBytes("GET /echo HTTP/1.1\r\nHost: 127.0.0.1\r\n"), SocketFlags.None, timeout.Token);

        Assert.Equal(0, await ClientSupport.ReadUntilClosedAsync(raw, timeout.Token));
        Assert.InRange(stopwatch.Elapsed, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(3));
        Assert.True(await server.Log.WaitForAsync("timed out"));
    }

    [Fact]
    public async Task IdleTimeout_a_connection_without_messages_is_closed_with_1000_idle_timeout_even_while_pings_flow()
    {
        await using TestServer server = await TestServer.StartAsync(options =>
        {
            options.IdleTimeout = TimeSpan.FromMilliseconds(300);
            options.PingInterval = TimeSpan.FromMilliseconds(100);
        });
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        var stopwatch = Stopwatch.StartNew();
        using ClientWebSocket client = await server.ConnectAsync();

        // The pending receive answers the heartbeat's pings; pings and pongs are not messages.
        (WebSocketCloseStatus? status, string? reason) = await client.ExpectCloseAsync(timeout.Token);

        Assert.Equal(WebSocketCloseStatus.NormalClosure, status);
        Assert.Equal("idle timeout", reason);
        Assert.InRange(stopwatch.Elapsed, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(3));
    }

    [Fact]
    public async Task IdleTimeout_a_connection_exchanging_messages_more_often_than_the_timeout_stays_open()
    {
        // Messages every 100 ms against a 3 s timeout: a freshly started test host on a loaded 2-core machine
        // has been seen to run a 100 ms Task.Delay a whole second late, and that must not look like idleness.
        await using TestServer server = await TestServer.StartAsync(options => options.IdleTimeout = TimeSpan.FromSeconds(3));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(9));
        using ClientWebSocket client = await server.ConnectAsync();

        // Longer than the timeout, so that only the messages can have kept the connection open.
        var stopwatch = Stopwatch.StartNew();
        for (int i = 0; stopwatch.Elapsed < TimeSpan.FromSeconds(4); i++)
        {
            await client.SendTextAsync($"tick {i}", timeout.Token);
            Assert.Equal($"tick {i}", await client.ReceiveTextAsync(timeout.Token));
            await Task.Delay(100, timeout.Token);
        }

        Assert.Equal(System.Net.WebSockets.WebSocketState.Open, client.State);
        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "", timeout.Token);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, client.CloseStatus);
    }

    /// <summary>
    /// On connect, sends <c>count</c> binary messages of <c>size</c> bytes (message i filled with byte i) as
    /// fast as <see cref="WebSocketConnection.SendBinaryAsync"/> lets it, noting the most bytes ever queued.
    /// </summary>
    private sealed class Flood(int count, int size) : WebSocketHandler
    {
        private int _sent;
        private long _maxQueued;

        public WebSocketConnection? Connection { get; private set; }

        public int Sent => Volatile.Read(ref _sent);

        public long MaxQueued => Interlocked.Read(ref _maxQueued);

        public TaskCompletionSource<bool> Finished { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override ValueTask OnConnectedAsync(WebSocketConnection connection)
        {
            Connection = connection;

            // From another task, so that the connection keeps reading (and answers the close) while it sends.
            _ = Task.Run(async () =>
            {
                var payload = new byte[size];
                bool allQueued = true;
                for (int i = 0; i < count; i++)
                {
                    payload.AsSpan().Fill((byte)i);
                    allQueued &= await connection.SendBinaryAsync(payload);
                    Note(connection.QueuedBytes);
                    Interlocked.Increment(ref _sent);
                }

                Finished.TrySetResult(allQueued);
            });
            return default;
        }

        private void Note(long queued)
        {
            long max;
            while (queued > (max = Interlocked.Read(ref _maxQueued)) && Interlocked.CompareExchange(ref _maxQueued, queued, max) != max)
            {
            }
        }
    }
}
