using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using WsFast.Protocol;
using WsFast.Server;
using WsFast.Tests.Support;

namespace WsFast.Tests.Server;

/// <summary>
/// Bad input on a raw socket, before and after the upgrade: each gets its precise HTTP status or close code
/// (or, for a client too slow to say anything, a clean drop), is logged, and leaves a bystander on another
/// connection served as before.
/// </summary>
public class BadInputTests
{
    private static readonly TimeSpan Timeout = RawClient.Timeout;

    // ---- Before the upgrade: refusals (RFC 6455 section 4.2.1, RFC 7230, RFC 6585) ----

    [Fact]
    public Task Garbage_instead_of_a_request_line_gets_400_then_close() =>
        AssertRefusedAsync("HELLO\r\n\r\n", 400, "malformed request line");

    [Fact]
    public Task Random_bytes_instead_of_a_request_get_400_then_close()
    {
        // Fixed seed: the same bytes every run. No CR, so the first LF is a bare one, which is not HTTP.
        var random = new Random(6455);
        byte[] garbage = new byte[300];
        random.NextBytes(garbage);
        for (int i = 0; i < garbage.Length; i++)
        {
            garbage[i] = garbage[i] == (byte)'\r' ? (byte)'x' : garbage[i];
        }

        return AssertRefusedAsync(garbage.Concat("\n\r\n\r\n"u8.ToArray()).ToArray(), 400, "malformed request line");
    }

    [Fact]
    public Task An_HTTP_1_0_upgrade_gets_400_section_4_1() =>
        AssertRefusedAsync(RawClient.UpgradeRequest().Replace("HTTP/1.1", "HTTP/1.0"), 400, "HTTP/1.1 or higher is required");

    [Fact]
    public Task An_upgrade_without_Host_gets_400_section_4_1() =>
        AssertRefusedAsync(RawClient.UpgradeRequest().Replace("Host: 127.0.0.1\r\n", ""), 400, "missing Host header");

    [Fact]
    public Task Version_8_gets_426_naming_version_13_section_4_4() =>
        AssertRefusedAsync(RawClient.UpgradeRequest().Replace("Sec-WebSocket-Version: 13", "Sec-WebSocket-Version: 8"),
            426, "Sec-WebSocket-Version 13 required",
            head => Assert.Equal("13", head.Header("Sec-WebSocket-Version")));

    [Fact]
    public Task A_POST_upgrade_gets_405_with_Allow_GET_section_4_2_1() =>
        AssertRefusedAsync(RawClient.UpgradeRequest().Replace("GET ", "POST "), 405, "WebSocket upgrade requires GET",
            head => Assert.Equal("GET", head.Header("Allow")));

    [Fact]
    public Task A_key_that_is_not_16_bytes_of_base64_gets_400_section_4_2_1() =>
        AssertRefusedAsync(RawClient.UpgradeRequest(key: "dGhpcyBpcyBub3QgMTYgYnl0ZXM="), 400, "Sec-WebSocket-Key must be base64 of 16 bytes");

    [Fact]
    public async Task An_oversized_header_block_sent_in_pieces_gets_431_before_the_client_finishes()
    {
        const int maxHeaderBytes = 1024;
        await using TestServer server = await TestServer.StartAsync(o => o.MaxHeaderBytes = maxHeaderBytes);
        await using Bystander bystander = await Bystander.ConnectAsync(server);
        await using RawClient client = await RawClient.ConnectAsync(server.Port);

        // 16 KiB of header lines in 256-byte pieces, never reaching the empty line that would end the head.
        const int piece = 256;
        const int total = 16 * 1024;
        int sent = 0;
        using var stop = new CancellationTokenSource();
        Task sending = Task.Run(async () =>
        {
            await client.SendAsync("GET /echo HTTP/1.1\r\nHost: 127.0.0.1\r\n");
            for (int i = 0; sent < total && !stop.IsCancellationRequested; i++)
            {
                string line = $"X-Filler-{i:D4}: ".PadRight(piece - 2, 'a') + "\r\n";
                await client.SendAsync(line);
                Interlocked.Add(ref sent, piece);
                await Task.Delay(10, CancellationToken.None);
            }
        });

        HttpHead head;
        try
        {
            head = await client.ReadHeadAsync();
            int sentWhenRefused = Volatile.Read(ref sent);
            Assert.Equal(431, head.Status);
            Assert.True(sentWhenRefused < total, $"431 came only after the client sent all {total} bytes");
        }
        finally
        {
            stop.Cancel();
            await sending.WaitAsync(Timeout);
        }

        await AssertBodyThenFinAsync(client, ContentLength(head));
        Assert.True(await server.Log.WaitForAsync($"Refused request from {client.LocalEndPoint}: 431 request header block too large"));
        await bystander.AssertStillServedAsync();
    }

    [Fact]
    public async Task A_slowloris_handshake_is_dropped_at_the_handshake_timeout()
    {
        TimeSpan handshakeTimeout = TimeSpan.FromMilliseconds(500);
        await using TestServer server = await TestServer.StartAsync(o => o.HandshakeTimeout = handshakeTimeout);
        await using Bystander bystander = await Bystander.ConnectAsync(server);
        var clock = Stopwatch.StartNew();
        await using RawClient client = await RawClient.ConnectAsync(server.Port);

        // One byte of a valid request every 100 ms: it would take 15 s to finish.
        using var stop = new CancellationTokenSource();
        Task dripping = Task.Run(async () =>
        {
            try
            {
                foreach (byte b in Encoding.ASCII.GetBytes(RawClient.UpgradeRequest()))
                {
                    await client.SendAsync(new[] { b });
                    await Task.Delay(100, stop.Token);
                }
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // The server dropped the connection, or the test is over.
            }
        });

        try
        {
            // A clean drop, no response required: the connection just ends (FIN, or RST if bytes were in flight).
            (byte[] response, _) = await client.ReadToEndAsync(handshakeTimeout + TimeSpan.FromSeconds(3));
            TimeSpan elapsed = clock.Elapsed;
            Assert.Empty(response);
            Assert.InRange(elapsed, handshakeTimeout - RawClient.ClockSlack, handshakeTimeout + TimeSpan.FromSeconds(1.5));
        }
        finally
        {
            stop.Cancel();
            await dripping.WaitAsync(Timeout);
        }

        Assert.True(await server.Log.WaitForAsync($"Request from {client.LocalEndPoint} timed out"));
        await bystander.AssertStillServedAsync();
    }

    // ---- After the upgrade: each violation fails the connection with its close code (section 7.1.7) ----

    [Fact]
    public Task An_unmasked_client_frame_fails_with_1002_section_5_1() =>
        AssertFailsAsync(ClientFrames.Frame(Opcode.Text, "hi"u8, masked: false), CloseCode.ProtocolError, "client frames must be masked");

    [Theory]
    [InlineData(0x3)]
    [InlineData(0x7)]
    [InlineData(0xB)]
    [InlineData(0xF)]
    public Task A_reserved_opcode_fails_with_1002_section_5_2(int opcode) =>
        AssertFailsAsync(ClientFrames.Frame((Opcode)opcode, "x"u8), CloseCode.ProtocolError, "reserved opcode");

    [Theory]
    [InlineData(0x40)]
    [InlineData(0x20)]
    [InlineData(0x10)]
    public Task An_RSV_bit_without_an_extension_fails_with_1002_section_5_2(int rsv) =>
        AssertFailsAsync(ClientFrames.Frame(Opcode.Text, "x"u8, firstByte: 0x80 | rsv | (int)Opcode.Text),
            CloseCode.ProtocolError, "reserved bits set without a negotiated extension");

    [Fact]
    public Task A_ping_over_125_bytes_fails_with_1002_section_5_5() =>
        AssertFailsAsync(ClientFrames.Frame(Opcode.Ping, new byte[126]), CloseCode.ProtocolError, "control frame payload over 125 bytes");

    [Fact]
    public Task A_fragmented_ping_fails_with_1002_section_5_5() =>
        AssertFailsAsync(ClientFrames.Frame(Opcode.Ping, "x"u8, fin: false), CloseCode.ProtocolError, "fragmented control frame");

    [Fact]
    public Task A_continuation_without_a_message_to_continue_fails_with_1002_section_5_4() =>
        AssertFailsAsync(ClientFrames.Frame(Opcode.Continuation, "x"u8), CloseCode.ProtocolError, "continuation frame with no message in flight");

    [Fact]
    public Task A_new_message_inside_a_fragmented_one_fails_with_1002_section_5_4() =>
        AssertFailsAsync(ClientFrames.Concat(ClientFrames.Text("part", fin: false), ClientFrames.Text("other")),
            CloseCode.ProtocolError, "new data frame inside a fragmented message");

    [Fact]
    public Task Invalid_UTF8_in_a_text_message_fails_with_1007_section_8_1() =>
        AssertFailsAsync(ClientFrames.Frame(Opcode.Text, [0x68, 0x69, 0xC0, 0xAF]), CloseCode.InvalidPayloadData, "text message is not valid UTF-8");

    [Fact]
    public Task A_text_message_ending_inside_a_code_point_fails_with_1007_section_8_1() =>
        AssertFailsAsync(ClientFrames.Frame(Opcode.Text, [0x68, 0xE2, 0x82]), CloseCode.InvalidPayloadData, "text message is not valid UTF-8");

    [Theory]
    [InlineData(999)]
    [InlineData(1004)]
    [InlineData(1005)]
    [InlineData(1006)]
    [InlineData(1015)]
    [InlineData(2999)]
    [InlineData(5000)]
    public Task A_close_code_not_allowed_on_the_wire_fails_with_1002_section_7_4(int code) =>
        AssertFailsAsync(ClientFrames.Close((ushort)code), CloseCode.ProtocolError, "close code not allowed on the wire");

    [Fact]
    public Task A_close_frame_with_a_one_byte_payload_fails_with_1002_section_5_5_1() =>
        AssertFailsAsync(ClientFrames.Frame(Opcode.Close, [0x03]), CloseCode.ProtocolError, "close frame with a one-byte payload");

    [Fact]
    public Task A_close_reason_that_is_not_UTF8_fails_with_1007_section_5_5_1() =>
        AssertFailsAsync(ClientFrames.Frame(Opcode.Close, [0x03, 0xE8, 0x62, 0xFF, 0x65]), CloseCode.InvalidPayloadData, "close reason is not valid UTF-8");

    [Fact]
    public Task A_frame_over_the_maximum_message_size_fails_with_1009_section_7_4_1() =>
        AssertFailsAsync(ClientFrames.Frame(Opcode.Binary, new byte[1025]), CloseCode.MessageTooBig, "frame exceeds the maximum size",
            o => o.MaxMessageSize = 1024);

    [Fact]
    public Task Fragments_adding_up_to_over_the_maximum_message_size_fail_with_1009_section_7_4_1() =>
        AssertFailsAsync(ClientFrames.Concat(
                ClientFrames.Frame(Opcode.Binary, new byte[600], fin: false),
                ClientFrames.Frame(Opcode.Continuation, new byte[600])),
            CloseCode.MessageTooBig, "message exceeds the maximum size", o => o.MaxMessageSize = 1024);

    // ---- Strictness: what came before a violation, and the close frame itself ----

    [Fact]
    public async Task Messages_before_a_violation_in_the_same_read_are_processed_first_section_7_1_7()
    {
        await using TestServer server = await TestServer.StartAsync();
        await using Bystander bystander = await Bystander.ConnectAsync(server);
        await using RawClient client = await RawClient.OpenAsync(server.Port);

        await client.SendFramesAsync(ClientFrames.Text("a"), ClientFrames.Text("b"), ClientFrames.Frame(Opcode.Text, "c"u8, masked: false));

        Assert.Equal("a", (await client.ReadFrameAsync()).Text);
        Assert.Equal("b", (await client.ReadFrameAsync()).Text);
        AssertClose(await client.ReadFrameAsync(), CloseCode.ProtocolError, "client frames must be masked");
        await client.AssertEndsCleanlyAsync();
        Assert.True(await server.Log.WaitForAsync($"from {client.LocalEndPoint} broke the protocol: 1002"));
        await bystander.AssertStillServedAsync();
    }

    [Fact]
    public async Task A_valid_message_before_invalid_UTF8_is_echoed_then_the_connection_fails_with_1007()
    {
        await using TestServer server = await TestServer.StartAsync();
        await using Bystander bystander = await Bystander.ConnectAsync(server);
        await using RawClient client = await RawClient.OpenAsync(server.Port);

        // "κόσμε" then a UTF-16 surrogate (ED A0 80), which UTF-8 may not encode.
        byte[] invalid = [0xCE, 0xBA, 0xE1, 0xBD, 0xB9, 0xCE, 0xBC, 0xCE, 0xB5, 0xED, 0xA0, 0x80, 0x65, 0x64, 0x69, 0x74, 0x65, 0x64];
        await client.SendFramesAsync(ClientFrames.Text("ok"), ClientFrames.Frame(Opcode.Text, invalid));

        ServerFrame echo = await client.ReadFrameAsync();
        Assert.Equal(Opcode.Text, echo.Opcode);
        Assert.Equal("ok", echo.Text);
        AssertClose(await client.ReadFrameAsync(), CloseCode.InvalidPayloadData, "text message is not valid UTF-8");
        await client.AssertEndsCleanlyAsync();
        Assert.True(await server.Log.WaitForAsync($"from {client.LocalEndPoint} broke the protocol: 1007"));
        await bystander.AssertStillServedAsync();
    }

    [Fact]
    public async Task Invalid_UTF8_fails_at_the_first_byte_that_cannot_become_valid_without_waiting_for_the_frame_section_8_1()
    {
        await using TestServer server = await TestServer.StartAsync();
        await using Bystander bystander = await Bystander.ConnectAsync(server);
        await using RawClient client = await RawClient.OpenAsync(server.Port);

        // The frame declares 64 bytes; only its header and the first 11 (up to the impossible A0 after ED) are sent.
        byte[] payload = new byte[64];
        byte[] prefix = [0xCE, 0xBA, 0xE1, 0xBD, 0xB9, 0xCE, 0xBC, 0xCE, 0xB5, 0xED, 0xA0];
        prefix.CopyTo(payload, 0);
        byte[] frame = ClientFrames.Frame(Opcode.Text, payload);
        const int headerSize = 2 + 4;
        await client.SendAsync(frame.AsMemory(0, headerSize + prefix.Length));

        AssertClose(await client.ReadFrameAsync(), CloseCode.InvalidPayloadData, "text message is not valid UTF-8");
        await client.AssertEndsCleanlyAsync();
        Assert.True(await server.Log.WaitForAsync($"from {client.LocalEndPoint} broke the protocol: 1007"));
        await bystander.AssertStillServedAsync();
    }

    [Fact]
    public async Task The_close_frame_arrives_intact_while_the_client_keeps_sending_after_its_violation()
    {
        await using TestServer server = await TestServer.StartAsync();
        await using Bystander bystander = await Bystander.ConnectAsync(server);
        await using RawClient client = await RawClient.OpenAsync(server.Port);

        await client.SendAsync(ClientFrames.Frame(Opcode.Binary, "x"u8, masked: false));

        // Keep sending for a while without reading. Had the server closed its socket with these bytes unread,
        // its kernel would answer with an RST, and ours would discard the close frame still waiting here.
        byte[] junk = ClientFrames.Frame(Opcode.Binary, new byte[4096]);
        for (int i = 0; i < 40; i++)
        {
            await client.SendAsync(junk);
            await Task.Delay(5);
        }

        AssertClose(await client.ReadFrameAsync(), CloseCode.ProtocolError, "client frames must be masked");
        await client.AssertEndsCleanlyAsync();
        Assert.True(await server.Log.WaitForAsync($"from {client.LocalEndPoint} broke the protocol: 1002"));
        await bystander.AssertStillServedAsync();
    }

    // ---- A client that vanishes mid-frame ----

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_client_that_vanishes_mid_frame_is_cleaned_up_with_1006_section_7_1_5(bool reset)
    {
        var recorder = new TestServer.Recorder();
        await using TestServer server = await TestServer.StartAsync(map: s => s.Map("/recorder", recorder));
        await using Bystander bystander = await Bystander.ConnectAsync(server);
        int baseline = server.Server.ConnectionCount;

        RawClient client = await RawClient.OpenAsync(server.Port, "/recorder");
        await using (client)
        {
            await WaitUntilAsync(() => server.Server.ConnectionCount == baseline + 1, "the raw client counted");

            // Half of a 100-byte text frame: the server is inside its payload when the client goes.
            byte[] frame = ClientFrames.Frame(Opcode.Text, Encoding.ASCII.GetBytes(new string('z', 100)));
            await client.SendAsync(frame.AsMemory(0, 50));
            await WaitUntilAsync(() => recorder.Events.Contains("connected"), "the handler saw the connection");
            long id = recorder.Last!.Id;
            if (reset)
            {
                client.Reset();
            }
            else
            {
                client.ShutdownSend();
            }

            (CloseCode code, string reason) = await recorder.Disconnected.Task.WaitAsync(Timeout);
            Assert.Equal(CloseCode.AbnormalClosure, code);
            Assert.Equal(new[] { "connected", $"disconnected:1006:{reason}" }, recorder.Events.ToArray());
            await WaitUntilAsync(() => server.Server.ConnectionCount == baseline, "the connection count back to its baseline");
            Assert.True(await server.Log.WaitForAsync($"Connection {id} ended abruptly"));
        }

        await bystander.AssertStillServedAsync();
    }

    // ---- Logging: a peer can provoke lines at will, so each kind is limited ----

    [Fact]
    public async Task Two_hundred_bad_requests_within_a_second_log_a_few_lines_and_a_later_line_counts_the_rest()
    {
        const int Requests = 200;
        await using TestServer server = await TestServer.StartAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var clock = Stopwatch.StartNew();

        // Separate connections, twenty at a time, each refused with 400.
        await Parallel.ForAsync(0, Requests, new ParallelOptions { MaxDegreeOfParallelism = 20, CancellationToken = timeout.Token },
            async (_, token) => Assert.Equal(400, ClientSupport.StatusOf(await ClientSupport.RawRequestAsync(server.Port, "HELLO\r\n\r\n", token))));
        TimeSpan burst = clock.Elapsed;
        Assert.Equal(Requests, server.Server.Counters.Refused);
        string[] during = RefusalLines(server);
        Assert.InRange(during.Length, 1, 1 + (int)burst.TotalSeconds + 1);

        // A second later the next one is written, with the number of those held back since the last line.
        await Task.Delay(TimeSpan.FromMilliseconds(1100), timeout.Token);
        Assert.Equal(400, ClientSupport.StatusOf(await ClientSupport.RawRequestAsync(server.Port, "HELLO\r\n\r\n", timeout.Token)));
        Assert.True(await WaitForLinesAsync(server, during.Length + 1), "the request after the window was not logged");
        string[] lines = RefusalLines(server);
        Assert.Contains(" more like it since the last such line)", lines[^1], StringComparison.Ordinal);

        // Every refusal is in the log: as a line of its own, or in the count of a later line.
        int counted = lines.Sum(line => System.Text.RegularExpressions.Regex.Match(line, @" \((\d+) more like it since the last such line\)$") is { Success: true } m
            ? int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)
            : 0);
        Assert.Equal(Requests + 1, lines.Length + counted);

        static string[] RefusalLines(TestServer server) =>
            [.. server.Log.Lines.Select(l => l.Message).Where(m => m.StartsWith("Refused request from ", StringComparison.Ordinal))];

        static async Task<bool> WaitForLinesAsync(TestServer server, int count)
        {
            for (int i = 0; i < 500 && RefusalLines(server).Length < count; i++)
            {
                await Task.Delay(10);
            }

            return RefusalLines(server).Length >= count;
        }
    }

    // ---- Helpers ----

    /// <summary>Sends a request that must be refused with <paramref name="status"/>, then checks the close and the log.</summary>
    private static Task AssertRefusedAsync(string request, int status, string reason, Action<HttpHead>? check = null) =>
        AssertRefusedAsync(Encoding.ASCII.GetBytes(request), status, reason, check);

    private static async Task AssertRefusedAsync(byte[] request, int status, string reason, Action<HttpHead>? check = null)
    {
        await using TestServer server = await TestServer.StartAsync();
        await using Bystander bystander = await Bystander.ConnectAsync(server);
        await using RawClient client = await RawClient.ConnectAsync(server.Port);

        await client.SendAsync(request);
        HttpHead head = await client.ReadHeadAsync();
        Assert.Equal(status, head.Status);
        Assert.Equal("close", head.Header("Connection")?.Split(',').Last().Trim());
        check?.Invoke(head);
        await AssertBodyThenFinAsync(client, ContentLength(head));

        Assert.True(await server.Log.WaitForAsync($"Refused request from {client.LocalEndPoint}: {status} {reason}"),
            $"no refusal logged; the log has: {string.Join(" | ", server.Log.Lines.Select(l => l.Message))}");
        await bystander.AssertStillServedAsync();
    }

    private static int ContentLength(HttpHead head) =>
        int.Parse(head.Header("Content-Length") ?? "0", System.Globalization.CultureInfo.InvariantCulture);

    // After a refusal the server sends its body (when it has one) and closes: FIN, nothing else.
    private static async Task AssertBodyThenFinAsync(RawClient client, int contentLength)
    {
        (byte[] rest, TcpEnd end) = await client.ReadToEndAsync();
        if (contentLength > 0)
        {
            Assert.Equal(contentLength, rest.Length);
        }

        Assert.Equal(TcpEnd.Fin, end);
    }

    /// <summary>
    /// Opens /echo, sends <paramref name="bytes"/> in one write, and asserts the connection is failed as
    /// section 7.1.7 says: a close frame with <paramref name="code"/> and <paramref name="reason"/>, nothing
    /// after it, then the TCP close (FIN); the violation logged; the bystander still served.
    /// </summary>
    private static async Task AssertFailsAsync(byte[] bytes, CloseCode code, string reason, Action<WsFastServerOptions>? configure = null)
    {
        await using TestServer server = await TestServer.StartAsync(configure);
        await using Bystander bystander = await Bystander.ConnectAsync(server);
        await using RawClient client = await RawClient.OpenAsync(server.Port);

        await client.SendAsync(bytes);
        AssertClose(await client.ReadFrameAsync(), code, reason);
        await client.AssertEndsCleanlyAsync();

        Assert.True(await server.Log.WaitForAsync($"from {client.LocalEndPoint} broke the protocol: {(int)code} {reason}"),
            $"no violation logged; the log has: {string.Join(" | ", server.Log.Lines.Select(l => l.Message))}");
        await bystander.AssertStillServedAsync();
    }

    internal static void AssertClose(ServerFrame frame, CloseCode code, string reason)
    {
        Assert.True(frame.Opcode == Opcode.Close, $"expected a close frame, got {frame}");
        Assert.True(frame.Fin);
        Assert.Equal(0, frame.Rsv);
        Assert.Equal((ushort)code, frame.CloseCode);
        Assert.Equal(reason, frame.CloseReason);
    }

    internal static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < Timeout, $"timed out waiting for {what}");
            await Task.Delay(10);
        }
    }
}
