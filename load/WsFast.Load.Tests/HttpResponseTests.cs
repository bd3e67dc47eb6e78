using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Text;
using WsFast.Load.Client;
using WsFast.Load.Client.Http;
using WsFast.Load.Engine;

namespace WsFast.Load.Tests;

public class HttpResponseTests
{
    private const string ChunkedJson =
        "HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=utf-8\r\nDate: Mon, 01 Jan 2024 00:00:00 GMT\r\n" +
        "Server: Kestrel\r\nTransfer-Encoding: chunked\r\n\r\n" +
        "7;name=value\r\n{\"a\":12\r\n" + "19\r\n,\"b\":\"abcdefghijklmnopq\"}\r\n" + "0\r\nX-Trailer: 1\r\n\r\n";

    [Fact]
    public void Head_gives_status_headers_and_length()
    {
        byte[] bytes = Encoding.ASCII.GetBytes("HTTP/1.1 404 Not Found\r\nContent-Length: 10\r\nconnection: Close\r\n\r\nno such..\n");
        HttpResponseHead head = HttpResponseHead.TryParse(bytes)!;
        Assert.Equal(404, head.Status);
        Assert.Equal("Not Found", head.Reason);
        Assert.Equal(10, head.ContentLength);
        Assert.False(head.IsChunked);
        Assert.False(head.KeepAlive);
        Assert.Equal(bytes.Length - 10, head.Length);
        Assert.Null(HttpResponseHead.TryParse(bytes.AsSpan(0, 30)));
    }

    [Theory]
    [InlineData("HTTP/1.1 2OO OK\r\n\r\n")]
    [InlineData("ICY 200 OK\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nno colon here\r\n\r\n")]
    public void Malformed_heads_are_refused(string response)
    {
        var e = Assert.Throws<WsClientException>(() => HttpResponseHead.TryParse(Encoding.ASCII.GetBytes(response)));
        Assert.Equal(ErrorKind.HttpFailed, e.Kind);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(1000)]
    public void Chunked_body_is_decoded_from_pieces_of_any_size_and_stops_at_its_end(int piece)
    {
        byte[] bytes = Encoding.ASCII.GetBytes(ChunkedJson + "HTTP/1.1 200 OK\r\n");
        HttpResponseHead head = HttpResponseHead.TryParse(bytes)!;
        Assert.True(head.IsChunked);
        HttpBodyDecoder decoder = HttpBodyDecoder.For(head);
        var body = new ArrayBufferWriter<byte>();
        int offset = head.Length;
        while (!decoder.IsComplete)
        {
            int length = Math.Min(piece, bytes.Length - offset);
            Assert.True(length > 0, "the body never completed");
            offset += decoder.Decode(bytes.AsSpan(offset, length), body);
        }

        Assert.Equal("{\"a\":12,\"b\":\"abcdefghijklmnopq\"}", Encoding.ASCII.GetString(body.WrittenSpan));
        Assert.Equal("HTTP/1.1 200 OK\r\n", Encoding.ASCII.GetString(bytes.AsSpan(offset))); // the next response is left
    }

    [Theory]
    [InlineData("zz\r\n")]
    [InlineData("3\r\nabcdef\r\n")]
    [InlineData("\r\n")]
    public void Malformed_chunks_are_refused(string chunks)
    {
        HttpBodyDecoder decoder = HttpBodyDecoder.For(HttpResponseHead.TryParse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"u8)!);
        var e = Assert.Throws<WsClientException>(() => decoder.Decode(Encoding.ASCII.GetBytes(chunks), new ArrayBufferWriter<byte>()));
        Assert.Equal(ErrorKind.HttpFailed, e.Kind);
    }

    [Fact]
    public void Content_length_body_takes_exactly_its_length()
    {
        HttpBodyDecoder decoder = HttpBodyDecoder.For(HttpResponseHead.TryParse("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"u8)!);
        var body = new ArrayBufferWriter<byte>();
        Assert.Equal(3, decoder.Decode("abc"u8, body));
        Assert.False(decoder.IsComplete);
        Assert.Equal(2, decoder.Decode("deHTTP"u8, body));
        Assert.True(decoder.IsComplete);
        Assert.Equal("abcde", Encoding.ASCII.GetString(body.WrittenSpan));
        Assert.True(HttpBodyDecoder.For(HttpResponseHead.TryParse("HTTP/1.1 204 No Content\r\n\r\n"u8)!).IsComplete);
        Assert.True(HttpBodyDecoder.For(HttpResponseHead.TryParse("HTTP/1.1 200 OK\r\n\r\n"u8)!).EndsAtClose);
    }

    [Fact]
    public async Task Connection_reads_responses_back_to_back_from_a_trickling_socket_and_counts_every_byte()
    {
        string second = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
        byte[] wire = Encoding.ASCII.GetBytes(ChunkedJson + second);
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        Task serve = Task.Run(async () =>
        {
            using Socket peer = await listener.AcceptSocketAsync();
            var request = new byte[64];
            await peer.ReceiveAsync(request);
            for (int i = 0; i < wire.Length; i += 7)
            {
                await peer.SendAsync(wire.AsMemory(i, Math.Min(7, wire.Length - i)));
                await Task.Delay(1);
            }
        });

        var stats = new WorkerStats();
        using HttpConnection connection = await HttpConnection.ConnectAsync((IPEndPoint)listener.LocalEndpoint, null, stats, 64, CancellationToken.None);
        Assert.Equal(4, await connection.SendAsync("GET "u8.ToArray()));
        var body = new ArrayBufferWriter<byte>();
        HttpResponseHead first = await connection.ReadResponseAsync(body);
        Assert.Equal(200, first.Status);
        Assert.Equal("{\"a\":12,\"b\":\"abcdefghijklmnopq\"}", Encoding.ASCII.GetString(body.WrittenSpan));
        body.ResetWrittenCount();
        HttpResponseHead next = await connection.ReadResponseAsync(body);
        Assert.Equal(2, next.ContentLength);
        Assert.Equal("ok", Encoding.ASCII.GetString(body.WrittenSpan));
        await serve;
        Assert.Equal(wire.Length, stats.BytesReceived);
    }
}
