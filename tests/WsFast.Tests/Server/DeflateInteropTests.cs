using System.Buffers.Binary;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using PerMessageDeflateOptions = WsFast.PerMessageDeflateOptions;

namespace WsFast.Tests.Server;

/// <summary>
/// permessage-deflate (RFC 7692) against real clients: Node.js <c>ws</c>, Python <c>websockets</c> and .NET's
/// <see cref="ClientWebSocket"/>, each offering compression, some with window and context parameters. For each,
/// the 101 response must carry the parameters section 7.1 calls for, and the wire must show compression: the
/// server's data frames carry RSV1 (section 6), and an echo of a 10 KiB JSON text, a 16 KiB binary or the text
/// in three fragments takes a fraction of its size in TCP bytes each way; a 13-byte text, below the server's
/// minimum, comes back uncompressed. A missing client fails the test: a skipped interop test would hide a broken
/// server.
/// </summary>
public class DeflateInteropTests
{
    // The server's defaults answer any offer with both sides resetting their context after every message
    // (7.1.1.1, 7.1.1.2) and a 4 KiB server window (7.1.2.1); the client's window is limited to 4 KiB too when
    // the client offered client_max_window_bits, which says it understands the parameter (7.1.2.2).
    private const string Defaults =
        "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=12; client_max_window_bits=12";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    // ws offers "permessage-deflate; client_max_window_bits" for `perMessageDeflate: true`, and each option as the
    // parameter of the same name.
    [Theory]
    [InlineData("true", Defaults)]
    [InlineData("""{"serverMaxWindowBits":10,"clientNoContextTakeover":true}""",
        "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=12")]
    [InlineData("""{"serverNoContextTakeover":true,"serverMaxWindowBits":15,"clientMaxWindowBits":11}""",
        "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=12; client_max_window_bits=11")]
    [InlineData("""{"serverMaxWindowBits":9,"clientMaxWindowBits":9}""",
        "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=9; client_max_window_bits=9")]
    [InlineData("""{"serverMaxWindowBits":8}""",
        "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=8; client_max_window_bits=12")]
    [InlineData("""{"clientMaxWindowBits":8}""",
        "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=12; client_max_window_bits=8")]
    public async Task Node_ws_gets_the_parameters_section_7_1_calls_for_and_every_echo_goes_compressed_both_ways(string offer, string response)
    {
        await using TestServer server = await TestServer.StartAsync(o => o.PerMessageDeflate = new PerMessageDeflateOptions());

        Report report = await RunNodeAsync(server, offer);

        Assert.Equal(response, report.ResponseExtensions);
        Assert.Equal("permessage-deflate", report.Extensions);
        AssertEveryEchoCompressed(report);
        AssertServerStartsEveryMessageAfresh(report);

        // ws compresses messages of 1 KiB or more, so the short one arrived uncompressed.
        Assert.Equal((4, 4), (server.Server.Counters.CompressedMessagesIn, server.Server.Counters.CompressedMessagesOut));
        Assert.Equal(0, await InteropTests.WaitForNoConnectionsAsync(server));
    }

    // With context takeover allowed and the whole 10 KiB message within both windows, a message sent twice
    // refers back into the first: the server must keep its compressor's context (7.1.1.1) and its decompressor's
    // for the client (7.1.1.2) from one message to the next. Windows of 15 bits go unannounced (7.1.2).
    [Fact]
    public async Task Node_ws_with_context_takeover_allowed_sends_and_receives_a_repeated_message_as_a_reference_to_the_first()
    {
        await using TestServer server = await TestServer.StartAsync(o => o.PerMessageDeflate = new PerMessageDeflateOptions
        {
            ServerContextTakeover = true,
            ClientContextTakeover = true,
            ServerMaxWindowBits = 15,
            ClientMaxWindowBits = 15,
        });

        Report report = await RunNodeAsync(server, "true");

        Assert.Equal("permessage-deflate", report.ResponseExtensions);
        AssertEveryEchoCompressed(report);
        (Message first, Message again) = (report.Messages[0], report.Messages[1]);
        Assert.True(again.WireRead < first.WireRead / 4, $"The server's repeat took {again.WireRead} bytes, its first {first.WireRead}.");
        Assert.True(again.WireWritten < first.WireWritten / 4, $"The client's repeat took {again.WireWritten} bytes, its first {first.WireWritten}.");
        Assert.Equal(0, await InteropTests.WaitForNoConnectionsAsync(server));
    }

    // websockets offers "permessage-deflate; client_max_window_bits" by default; given parameters, those.
    [Theory]
    [InlineData(null, Defaults)]
    [InlineData("""{"server_max_window_bits":10,"client_no_context_takeover":true}""",
        "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=12")]
    [InlineData("""{"server_no_context_takeover":true,"client_max_window_bits":10}""",
        "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=12; client_max_window_bits=10")]
    public async Task Python_websockets_gets_the_parameters_section_7_1_calls_for_and_every_echo_goes_compressed_both_ways(string? offer, string response)
    {
        await using TestServer server = await TestServer.StartAsync(o => o.PerMessageDeflate = new PerMessageDeflateOptions());

        Report report = await RunPythonAsync(server, offer);

        Assert.Equal(response, report.ResponseExtensions);
        Assert.Equal("permessage-deflate", report.Extensions);
        AssertEveryEchoCompressed(report);
        AssertServerStartsEveryMessageAfresh(report);

        // The client compresses every message, the short one too; the server compresses all but the short one.
        Assert.Equal((5, 4), (server.Server.Counters.CompressedMessagesIn, server.Server.Counters.CompressedMessagesOut));
        Assert.Equal(0, await InteropTests.WaitForNoConnectionsAsync(server));
    }

    [Fact]
    public async Task Dotnet_ClientWebSocket_with_deflate_options_gets_its_parameters_and_every_echo_goes_compressed_both_ways()
    {
        await using TestServer server = await TestServer.StartAsync(o => o.PerMessageDeflate = new PerMessageDeflateOptions());
        var wire = new WireTap();
        using var handler = new SocketsHttpHandler { ConnectCallback = wire.ConnectAsync };
        using var invoker = new HttpMessageInvoker(handler);
        using var client = new ClientWebSocket();
        client.Options.KeepAliveInterval = TimeSpan.Zero;
        client.Options.CollectHttpResponseDetails = true;
        client.Options.DangerousDeflateOptions = new WebSocketDeflateOptions { ServerMaxWindowBits = 10, ClientContextTakeover = false };
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await client.ConnectAsync(server.Ws("/echo"), invoker, timeout.Token);

        Assert.Equal(
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=12",
            string.Join(", ", client.HttpResponseHeaders!["Sec-WebSocket-Extensions"]));

        var messages = new List<Message>();
        foreach ((string name, byte[] payload, WebSocketMessageType type, int fragments) in Steps())
        {
            (long read, long written, int frames) = (wire.Read, wire.Written, wire.ServerFrames.Count);
            int piece = (payload.Length + fragments - 1) / fragments;
            for (int i = 0; i < fragments; i++)
            {
                ReadOnlyMemory<byte> part = payload.AsMemory(i * piece, Math.Min(piece, payload.Length - i * piece));
                await client.SendAsync(part, type, endOfMessage: i == fragments - 1, timeout.Token);
            }

            (WebSocketMessageType gotType, byte[] got) = await ReceiveMessageAsync(client, timeout.Token);
            Assert.Equal(type, gotType);
            Assert.Equal(payload, got);
            messages.Add(new Message(name, payload.Length, wire.Written - written, wire.Read - read, [.. wire.ServerFrames.Skip(frames)]));
        }

        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", timeout.Token);
        Report report = new(true, null, "permessage-deflate", null, [.. messages], (int?)client.CloseStatus);

        AssertEveryEchoCompressed(report);
        AssertServerStartsEveryMessageAfresh(report);

        // The client compresses every message, the short one too; the server compresses all but the short one.
        Assert.Equal((5, 4), (server.Server.Counters.CompressedMessagesIn, server.Server.Counters.CompressedMessagesOut));
        Assert.Equal(0, await InteropTests.WaitForNoConnectionsAsync(server));
    }

    // A compressed message has RSV1 on its first frame only (section 6.1), and each echo, both ways, takes a
    // third of its payload or less on the wire. The short message comes back as it was, RSV1 clear.
    private static void AssertEveryEchoCompressed(Report report)
    {
        Assert.Equal(1000, report.CloseCode);
        Assert.Equal(["text", "text again", "binary", "fragmented", "short"], report.Messages.Select(m => m.Name));
        Message @short = report.Messages[^1];
        Assert.True(@short.ServerFrames is [{ Rsv1: false } frame] && frame.Length == @short.Size, $"short: the server's frames {Describe(@short.ServerFrames)}.");
        foreach (Message message in report.Messages[..^1])
        {
            Frame[] data = [.. message.ServerFrames.Where(f => f.Opcode < 8)];
            Assert.True(data.Length > 0 && data[0].Rsv1 && data.Skip(1).All(f => !f.Rsv1), $"{message.Name}: the server's frames {Describe(data)}.");
            Assert.True(message.WireRead < message.Size / 3, $"{message.Name}: {message.Size} bytes came back in {message.WireRead} TCP bytes.");
            Assert.True(message.WireWritten < message.Size / 3, $"{message.Name}: {message.Size} bytes went out in {message.WireWritten} TCP bytes.");
        }
    }

    // With server_no_context_takeover (7.1.1.1) the server compresses each message as if it were the first: the
    // same message twice is the same bytes twice.
    private static void AssertServerStartsEveryMessageAfresh(Report report) =>
        Assert.Equal(report.Messages[0].WireRead, report.Messages[1].WireRead);

    private static string Describe(Frame[] frames) =>
        frames.Length == 0 ? "are none" : string.Join(", ", frames.Select(f => $"opcode {f.Opcode} rsv1 {f.Rsv1} length {f.Length}"));

    private static async Task<Report> RunNodeAsync(TestServer server, string offer)
    {
        string interop = InteropTests.InteropDirectory();
        Assert.True(File.Exists(Path.Combine(interop, "node_modules", "ws", "package.json")),
            $"The Node.js package ws is not installed in {interop}: {InteropTests.InstallHint}.");
        return await RunClientAsync("node", [Path.Combine(interop, "ws_deflate_client.mjs"), server.Ws("/echo").ToString(), offer], interop);
    }

    private static async Task<Report> RunPythonAsync(TestServer server, string? offer)
    {
        string interop = InteropTests.InteropDirectory();
        (int exitCode, string _, string stderr) = await InteropTests.RunAsync("/usr/bin/python3", ["-c", "import websockets"], interop);
        Assert.True(exitCode == 0, $"/usr/bin/python3 cannot import websockets ({stderr.Trim()}): {InteropTests.InstallHint}.");
        string[] arguments = [Path.Combine(interop, "websockets_deflate_client.py"), server.Ws("/echo").ToString(), .. offer is null ? [] : new[] { offer }];
        return await RunClientAsync("/usr/bin/python3", arguments, interop);
    }

    // The scripts print one JSON line with what went over the wire (tests/interop/README.md).
    private static async Task<Report> RunClientAsync(string program, string[] arguments, string workingDirectory)
    {
        (int exitCode, string stdout, string stderr) = await InteropTests.RunAsync(program, arguments, workingDirectory);
        string output = $"exit code {exitCode}; stdout: {stdout.Trim()}; stderr: {stderr.Trim()}";
        string? line = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault();
        Assert.True(exitCode == 0 && line is not null, $"{Path.GetFileName(arguments[0])} failed: {output}");
        Report? report = JsonSerializer.Deserialize<Report>(line, Json);
        Assert.True(report is { Ok: true }, output);
        return report;
    }

    // What the scripts send: a 10 KiB JSON text twice, a 16 KiB binary of 16-byte records, the text in three
    // fragments and a 13-byte text.
    private static IEnumerable<(string Name, byte[] Payload, WebSocketMessageType Type, int Fragments)> Steps()
    {
        var json = new StringBuilder("[");
        for (int id = 0; json.Length < 10 * 1024; id++)
        {
            json.Append(id == 0 ? "" : ",").Append(JsonSerializer.Serialize(new
            {
                id,
                name = $"sensor-{id % 17}",
                status = id % 3 == 0 ? "ok" : "degraded",
                reading = id * 7919 % 1000 / 10.0,
            }));
        }

        byte[] text = Encoding.UTF8.GetBytes(json.Append(']').ToString());
        byte[] binary = new byte[16 * 1024];
        for (int i = 0; i + 16 <= binary.Length; i += 16)
        {
            "WSFT"u8.CopyTo(binary.AsSpan(i));
            BitConverter.TryWriteBytes(binary.AsSpan(i + 4), i / 16);
            BitConverter.TryWriteBytes(binary.AsSpan(i + 8), (ushort)(i / 16 % 4));
        }

        return
        [
            ("text", text, WebSocketMessageType.Text, 1),
            ("text again", text, WebSocketMessageType.Text, 1),
            ("binary", binary, WebSocketMessageType.Binary, 1),
            ("fragmented", text, WebSocketMessageType.Text, 3),
            ("short", """{"ping":true}"""u8.ToArray(), WebSocketMessageType.Text, 1),
        ];
    }

    private static async Task<(WebSocketMessageType Type, byte[] Payload)> ReceiveMessageAsync(ClientWebSocket client, CancellationToken cancellation)
    {
        var payload = new MemoryStream();
        byte[] buffer = new byte[4096];
        while (true)
        {
            WebSocketReceiveResult result = await client.ReceiveAsync(buffer, cancellation);
            payload.Write(buffer, 0, result.Count);
            if (result.EndOfMessage)
            {
                return (result.MessageType, payload.ToArray());
            }
        }
    }

    private sealed record Report(bool Ok, string? Error, string? Extensions, string? ResponseExtensions, Message[] Messages, int? CloseCode);

    private sealed record Message(string Name, int Size, long WireWritten, long WireRead, Frame[] ServerFrames);

    private sealed record Frame(int Opcode, bool Rsv1, long Length);

    /// <summary>
    /// The TCP connection of a <see cref="ClientWebSocket"/>, through a stream that counts the bytes each way and
    /// splits what the server sends after its 101 into frames (never masked, RFC 6455 section 5.1).
    /// </summary>
    private sealed class WireTap
    {
        private readonly List<byte> _pending = [];
        private bool _upgraded;

        public long Read { get; private set; }

        public long Written { get; private set; }

        public List<Frame> ServerFrames { get; } = [];

        public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellation)
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            await socket.ConnectAsync(context.DnsEndPoint, cancellation);
            return new TapStream(new NetworkStream(socket, ownsSocket: true), this);
        }

        private void Received(ReadOnlySpan<byte> bytes)
        {
            Read += bytes.Length;
            _pending.AddRange(bytes);
            if (!_upgraded)
            {
                int end = CollectionsMarshal.AsSpan(_pending).IndexOf("\r\n\r\n"u8);
                if (end < 0)
                {
                    return;
                }

                _pending.RemoveRange(0, end + 4);
                _upgraded = true;
            }

            while (_pending.Count >= 2)
            {
                ReadOnlySpan<byte> head = CollectionsMarshal.AsSpan(_pending);
                long length = head[1] & 0x7f;
                int offset = 2;
                if (length == 126)
                {
                    if (head.Length < 4)
                    {
                        return;
                    }

                    (length, offset) = (BinaryPrimitives.ReadUInt16BigEndian(head[2..]), 4);
                }
                else if (length == 127)
                {
                    if (head.Length < 10)
                    {
                        return;
                    }

                    (length, offset) = ((long)BinaryPrimitives.ReadUInt64BigEndian(head[2..]), 10);
                }

                if (head.Length < offset + length)
                {
                    return;
                }

                ServerFrames.Add(new Frame(head[0] & 0x0f, (head[0] & 0x40) != 0, length));
                _pending.RemoveRange(0, offset + (int)length);
            }
        }

        private sealed class TapStream(Stream inner, WireTap tap) : Stream
        {
            public override bool CanRead => true;

            public override bool CanSeek => false;

            public override bool CanWrite => true;

            public override long Length => throw new NotSupportedException();

            public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

            public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
            {
                int count = await inner.ReadAsync(buffer, cancellationToken);
                tap.Received(buffer.Span[..count]);
                return count;
            }

            public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
                ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

            public override int Read(byte[] buffer, int offset, int count)
            {
                int read = inner.Read(buffer, offset, count);
                tap.Received(buffer.AsSpan(offset, read));
                return read;
            }

            public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
            {
                tap.Written += buffer.Length;
                return inner.WriteAsync(buffer, cancellationToken);
            }

            public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
                WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

            public override void Write(byte[] buffer, int offset, int count)
            {
                tap.Written += count;
                inner.Write(buffer, offset, count);
            }

            public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

            public override void Flush() => inner.Flush();

            public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

            public override void SetLength(long value) => throw new NotSupportedException();

            protected override void Dispose(bool disposing)
            {
                if (disposing)
                {
                    inner.Dispose();
                }

                base.Dispose(disposing);
            }

            public override async ValueTask DisposeAsync()
            {
                await inner.DisposeAsync();
                await base.DisposeAsync();
            }
        }
    }
}
