using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Text;
using WsFast.Load.Client;
using WsFast.Load.Engine;
using WsFast.Protocol;
using WsFast.Protocol.Deflate;

namespace WsFast.Load.Tests;

public class DeflateClientTests
{
    private const string Key = "dGhlIHNhbXBsZSBub25jZQ==";

    [Fact]
    public void No_extensions_header_means_deflate_was_declined()
    {
        Assert.False(DeflateResponse.TryRead(null, out DeflateAgreement? agreement));
        Assert.Null(agreement);
        Assert.False(DeflateResponse.TryRead(" , ", out agreement));
    }

    [Theory]
    [InlineData("permessage-deflate", false, false, 15, 15)]
    [InlineData("permessage-deflate; server_no_context_takeover", true, false, 15, 15)]
    [InlineData("permessage-deflate; server_no_context_takeover; client_max_window_bits=15", true, false, 15, 15)]
    [InlineData("Permessage-Deflate;client_no_context_takeover; server_max_window_bits=\"10\"; client_max_window_bits=9", false, true, 10, 9)]
    [InlineData("permessage-deflate; server_max_window_bits=8", false, false, 8, 15)]
    public void Agreed_parameters_are_read_from_the_response(string header, bool serverNoContext, bool clientNoContext, int serverBits, int clientBits)
    {
        Assert.True(DeflateResponse.TryRead(header, out DeflateAgreement? agreement));
        Assert.Equal(serverNoContext, agreement!.Value.ServerNoContextTakeover);
        Assert.Equal(clientNoContext, agreement.Value.ClientNoContextTakeover);
        Assert.Equal(serverBits, agreement.Value.ServerMaxWindowBits);
        Assert.Equal(clientBits, agreement.Value.ClientMaxWindowBits);
    }

    [Theory]
    [InlineData("x-webkit-deflate-frame")] // not offered
    [InlineData("permessage-deflate, permessage-deflate")] // one offer, one answer (section 5.1)
    [InlineData("permessage-deflate; client_max_window_bits")] // a response must give the value (7.1.2.2)
    [InlineData("permessage-deflate; server_max_window_bits")] // always with a value (7.1.2.1)
    [InlineData("permessage-deflate; server_max_window_bits=08")] // no leading zero
    [InlineData("permessage-deflate; server_max_window_bits=16")]
    [InlineData("permessage-deflate; server_max_window_bits=7")]
    [InlineData("permessage-deflate; server_no_context_takeover; server_no_context_takeover")]
    [InlineData("permessage-deflate; server_no_context_takeover=1")]
    [InlineData("permessage-deflate; unknown")]
    [InlineData("permessage-deflate; =")]
    public void A_response_a_client_may_not_accept_fails_the_connection(string header)
    {
        Assert.Throws<FormatException>(() => DeflateResponse.TryRead(header, out _));
    }

    [Fact]
    public void The_offer_is_chromiums_byte_for_byte()
    {
        string request = Encoding.ASCII.GetString(UpgradeHandshake.BuildRequest(new Uri("ws://127.0.0.1:8080/echo"), "k", offerDeflate: true));
        Assert.Contains("\r\nSec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n", request);
        Assert.DoesNotContain("Sec-WebSocket-Extensions", Encoding.ASCII.GetString(UpgradeHandshake.BuildRequest(new Uri("ws://127.0.0.1:8080/echo"), "k")));
    }

    [Fact]
    public void The_response_extensions_are_handed_back_with_repeated_lines_joined()
    {
        byte[] response = Encoding.ASCII.GetBytes(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
            "Sec-WebSocket-Extensions: permessage-deflate\r\nSec-WebSocket-Extensions: x\r\n" +
            "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n");
        Assert.Equal(response.Length, UpgradeHandshake.ReadResponse(response, Key, out string? extensions));
        Assert.Equal("permessage-deflate, x", extensions);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Compressed_messages_are_inflated_whole_fragmented_and_in_context_or_not(bool serverNoContext)
    {
        byte[] json = Json(1024, seed: 1);
        byte[] big = Json(40_000, seed: 2); // beyond the client's 64-byte message buffer
        using var deflater = MessageDeflater.Create(6, 15, 8, keepsContext: !serverNoContext)!;
        var frames = new ArrayBufferWriter<byte>();
        WriteCompressed(frames, deflater, json, fragments: 1);
        int firstWire = frames.WrittenCount;
        WriteCompressed(frames, deflater, json, fragments: 1); // with context kept, a few bytes referring back
        int secondWire = frames.WrittenCount - firstWire;
        WriteCompressed(frames, deflater, big, fragments: 3);
        FrameWriter.WriteText(frames, "plain"u8);

        string agreed = "permessage-deflate" + (serverNoContext ? "; server_no_context_takeover" : "") + "; client_max_window_bits=15";
        await using var server = await FakeServer.StartAsync(agreed, frames.WrittenMemory);
        using WsClient client = await server.ConnectAsync(expectedPayload: 64);
        Assert.Equal(serverNoContext, client.Deflate!.Value.ServerNoContextTakeover);
        Assert.Contains(DeflateResponse.ChromiumOffer, server.Request);

        WsMessage first = await NextAsync(client);
        Assert.True(first.Compressed);
        Assert.Equal(json, first.Payload.ToArray());
        Assert.Equal(firstWire, first.WireBytes);
        WsMessage second = await NextAsync(client);
        Assert.Equal(json, second.Payload.ToArray());
        Assert.Equal(secondWire, second.WireBytes);
        Assert.Equal(serverNoContext, secondWire == firstWire);
        WsMessage third = await NextAsync(client);
        Assert.True(third.Compressed);
        Assert.Equal(big, third.Payload.ToArray());
        WsMessage plain = await NextAsync(client);
        Assert.False(plain.Compressed);
        Assert.Equal("plain"u8.ToArray(), plain.Payload.ToArray());
    }

    [Fact]
    public async Task Compressed_messages_after_the_first_are_read_without_allocating()
    {
        using var deflater = MessageDeflater.Create(6, 12, 5, keepsContext: false)!;
        var frames = new ArrayBufferWriter<byte>();
        const int messages = 50;
        for (int i = 0; i < messages; i++)
        {
            WriteCompressed(frames, deflater, Json(300, seed: i), fragments: 1);
        }

        await using var server = await FakeServer.StartAsync("permessage-deflate; server_no_context_takeover; server_max_window_bits=12", frames.WrittenMemory);
        using WsClient client = await server.ConnectAsync(expectedPayload: 512, receiveBuffer: 64 * 1024);
        int received = 0;
        long allocated = 0;
        while (received < messages)
        {
            while (true)
            {
                long before = GC.GetAllocatedBytesForCurrentThread();
                bool got = client.TryReadMessage(out WsMessage message);
                if (received > 0)
                {
                    allocated += GC.GetAllocatedBytesForCurrentThread() - before;
                }

                if (!got)
                {
                    break;
                }

                Assert.True(message.Compressed);
                received++;
            }

            if (received < messages)
            {
                await client.ReceiveMoreAsync();
            }
        }

        Assert.Equal(0, allocated);
    }

    [Fact]
    public async Task What_the_client_sends_is_compressed_when_it_shrinks_and_inflates_back()
    {
        await using var server = await FakeServer.StartAsync("permessage-deflate; server_no_context_takeover; client_max_window_bits=10", ReadOnlyMemory<byte>.Empty);
        using WsClient client = await server.ConnectAsync(expectedPayload: 64);
        byte[] json = Json(2000, seed: 3);
        int wire = await client.SendAsync(Opcode.Text, json);
        Assert.True(wire < json.Length / 2);
        int tiny = await client.SendAsync(Opcode.Binary, new byte[] { 1, 2, 3 }); // would not shrink: sent as it is
        Assert.Equal(2 + 4 + 3, tiny);

        byte[] sent = await server.ReadAsync(wire + tiny);
        var reader = new FrameReader(new FrameReaderOptions { IsServer = true, AllowRsv1 = true });
        var buffer = new ReadOnlySequence<byte>(sent);
        Assert.Equal(FrameReadStatus.Data, reader.Read(ref buffer, out FrameChunk chunk));
        Assert.True(chunk.IsCompressed);
        using var inflater = MessageInflater.Create(10)!;
        var inflated = new byte[json.Length + 1];
        inflater.Inflate(chunk.Payload.ToArray(), inflated, out _, out int written);
        inflater.Inflate(MessageDeflater.Tail, inflated.AsSpan(written), out _, out int more);
        Assert.Equal(json, inflated.AsSpan(0, written + more).ToArray());
        Assert.Equal(FrameReadStatus.Data, reader.Read(ref buffer, out chunk));
        Assert.False(chunk.IsCompressed);
    }

    [Fact]
    public async Task A_server_that_agrees_to_deflate_nobody_offered_fails_the_handshake()
    {
        await using var server = await FakeServer.StartAsync("permessage-deflate", ReadOnlyMemory<byte>.Empty);
        var e = await Assert.ThrowsAsync<WsClientException>(() => server.ConnectAsync(expectedPayload: 64, deflate: false));
        Assert.Equal(ErrorKind.HandshakeFailed, e.Kind);
    }

    [Fact]
    public async Task Compressed_data_that_does_not_inflate_is_a_protocol_violation()
    {
        var frames = new ArrayBufferWriter<byte>();
        FrameWriter.WriteBinary(frames, [0xFF, 0xFF, 0xFF, 0xFF], rsv1: true); // block type 3: invalid
        await using var server = await FakeServer.StartAsync("permessage-deflate", frames.WrittenMemory);
        using WsClient client = await server.ConnectAsync(expectedPayload: 64);
        var e = await Assert.ThrowsAsync<WsClientException>(() => NextAsync(client));
        Assert.Equal(ErrorKind.ProtocolViolation, e.Kind);
    }

    private static async Task<WsMessage> NextAsync(WsClient client)
    {
        while (true)
        {
            if (client.TryReadMessage(out WsMessage message))
            {
                return message;
            }

            await client.ReceiveMoreAsync();
        }
    }

    // One compressed message in `fragments` frames: RSV1 on the first only (RFC 7692 section 6.1).
    private static void WriteCompressed(ArrayBufferWriter<byte> frames, MessageDeflater deflater, byte[] payload, int fragments)
    {
        var compressed = new byte[payload.Length + 64];
        int length = deflater.Compress(new ReadOnlySequence<byte>(payload), compressed);
        Assert.True(length > 0);
        int piece = (length + fragments - 1) / fragments;
        for (int offset = 0, i = 0; offset < length; offset += piece, i++)
        {
            ReadOnlySpan<byte> part = compressed.AsSpan(offset, Math.Min(piece, length - offset));
            bool fin = offset + piece >= length;
            if (i == 0)
            {
                FrameWriter.WriteText(frames, part, fin, rsv1: true);
            }
            else
            {
                FrameWriter.WriteContinuation(frames, part, fin);
            }
        }
    }

    // Quotes as a feed sends them: repeated keys, varying digits.
    private static byte[] Json(int size, int seed)
    {
        var random = new Random(seed);
        var text = new StringBuilder("[");
        while (text.Length < size - 60)
        {
            text.Append(System.Globalization.CultureInfo.InvariantCulture, $"{{\"s\":\"SYM{random.Next(8)}\",\"b\":{random.Next(100_000)},\"v\":{random.Next(5000)}}},");
        }

        text.Append(' ', size - text.Length - 1).Append(']');
        return Encoding.ASCII.GetBytes(text.ToString());
    }

    /// <summary>A loopback server that answers the upgrade with the given extensions, then sends the given bytes.</summary>
    private sealed class FakeServer : IAsyncDisposable
    {
        private readonly TcpListener _listener;
        private readonly Task<Socket> _accepted;
        private readonly TaskCompletionSource<string> _request = new(TaskCreationOptions.RunContinuationsAsynchronously);

        private FakeServer(TcpListener listener, string extensions, ReadOnlyMemory<byte> frames)
        {
            _listener = listener;
            _accepted = Task.Run(async () =>
            {
                Socket peer = await listener.AcceptSocketAsync();
                var buffer = new byte[4096];
                int length = 0;
                while (buffer.AsSpan(0, length).IndexOf("\r\n\r\n"u8) < 0)
                {
                    length += await peer.ReceiveAsync(buffer.AsMemory(length));
                }

                string request = Encoding.ASCII.GetString(buffer, 0, length);
                _request.SetResult(request);
                string key = request.Split("\r\n").First(l => l.StartsWith("Sec-WebSocket-Key:", StringComparison.Ordinal))[18..].Trim();
                string head = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
                    $"Sec-WebSocket-Extensions: {extensions}\r\nSec-WebSocket-Accept: {AcceptKey.Compute(key)}\r\n\r\n";
                await peer.SendAsync(Encoding.ASCII.GetBytes(head));
                if (!frames.IsEmpty)
                {
                    await peer.SendAsync(frames);
                }

                return peer;
            });
        }

        public string Request => _request.Task.Result;

        public static Task<FakeServer> StartAsync(string extensions, ReadOnlyMemory<byte> frames)
        {
            var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            return Task.FromResult(new FakeServer(listener, extensions, frames));
        }

        public async Task<WsClient> ConnectAsync(int expectedPayload, int receiveBuffer = 4096, bool deflate = true)
        {
            var endpoint = (IPEndPoint)_listener.LocalEndpoint;
            var options = new WsClientOptions
            {
                Url = new Uri($"ws://127.0.0.1:{endpoint.Port}/x"),
                Server = endpoint,
                ReceiveBufferSize = receiveBuffer,
                Deflate = deflate,
            };
            WsClient client = await WsClient.ConnectAsync(options, 0, expectedPayload, CancellationToken.None);
            await _accepted;
            return client;
        }

        public async Task<byte[]> ReadAsync(int count)
        {
            Socket peer = await _accepted;
            var bytes = new byte[count];
            for (int read = 0; read < count;)
            {
                read += await peer.ReceiveAsync(bytes.AsMemory(read));
            }

            return bytes;
        }

        public async ValueTask DisposeAsync()
        {
            if (_accepted.IsCompletedSuccessfully)
            {
                (await _accepted).Dispose();
            }

            _listener.Stop();
            _listener.Dispose();
        }
    }
}
