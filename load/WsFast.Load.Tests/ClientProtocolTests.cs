using System.Buffers;
using System.Text;
using WsFast.Load.Client;
using WsFast.Load.Engine;
using WsFast.Protocol;

namespace WsFast.Load.Tests;

public class ClientProtocolTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(32)]
    [InlineData(125)]
    [InlineData(126)]
    [InlineData(70_000)]
    public void Client_frames_are_masked_and_read_back_by_a_server_reader(int size)
    {
        byte[] payload = Enumerable.Range(0, size).Select(i => (byte)('a' + i % 26)).ToArray();
        var frame = new byte[ClientFrames.FrameSize(size)];
        int written = ClientFrames.Write(frame, Opcode.Text, payload, key: 0x12345678);
        Assert.Equal(frame.Length, written);
        Assert.NotEqual(0, frame[1] & 0x80); // MASK bit
        if (size > 0)
        {
            Assert.False(frame.AsSpan(written - size).SequenceEqual(payload)); // masked on the wire
        }

        var reader = new FrameReader(new FrameReaderOptions { IsServer = true });
        var buffer = new ReadOnlySequence<byte>(frame);
        Assert.Equal(FrameReadStatus.Data, reader.Read(ref buffer, out FrameChunk chunk));
        Assert.True(chunk.IsMessageEnd);
        Assert.Equal(payload, chunk.Payload.ToArray());
    }

    [Fact]
    public void Upgrade_response_with_the_right_accept_key_is_taken_and_its_length_returned()
    {
        const string key = "dGhlIHNhbXBsZSBub25jZQ==";
        byte[] response = Encoding.ASCII.GetBytes(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
            "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n\x81\x02hi");
        Assert.Equal(response.Length - 4, UpgradeHandshake.ReadResponse(response, key));
        Assert.Equal(0, UpgradeHandshake.ReadResponse(response.AsSpan(0, 40), key)); // not complete yet
    }

    [Theory]
    [InlineData("HTTP/1.1 400 Bad Request\r\n\r\n")]
    [InlineData("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: wrong=\r\n\r\n")]
    [InlineData("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n")]
    public void Upgrade_response_that_is_not_a_valid_101_fails_the_handshake(string response)
    {
        var e = Assert.Throws<WsClientException>(() => UpgradeHandshake.ReadResponse(Encoding.ASCII.GetBytes(response), "dGhlIHNhbXBsZSBub25jZQ=="));
        Assert.Equal(ErrorKind.HandshakeFailed, e.Kind);
    }

    [Fact]
    public void Upgrade_request_asks_for_the_url_path()
    {
        string request = Encoding.ASCII.GetString(UpgradeHandshake.BuildRequest(new Uri("ws://127.0.0.1:8080/echo?x=1"), "k"));
        Assert.StartsWith("GET /echo?x=1 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n", request);
        Assert.Contains("Sec-WebSocket-Key: k\r\n", request);
        Assert.EndsWith("\r\n\r\n", request);
    }
}
