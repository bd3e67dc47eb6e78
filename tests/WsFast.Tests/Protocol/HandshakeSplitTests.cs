using WsFast.Protocol;

namespace WsFast.Tests.Protocol;

public class HandshakeSplitTests
{
    public static TheoryData<string> Requests => new()
    {
        HandshakeInput.RfcSampleRequest,
        HandshakeInput.BrowserRequest,
        "POST /publish/x HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\n",
        HandshakeInput.Upgrade(requestLine: "POST /ws HTTP/1.1"),
        HandshakeInput.Upgrade("Sec-WebSocket-Extensions: a; b=\"c\"\r\n"),
        "GET / HTTP/1.1\r\nHost: a\nX: b\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n",
    };

    [Theory]
    [MemberData(nameof(Requests))]
    public void Every_split_point_gives_the_same_result_as_reading_in_one_piece(string text)
    {
        byte[] data = HandshakeInput.Bytes(text);
        string expected = HandshakeInput.ReadAll(new HandshakeReader(), data).Describe();

        for (int split = 1; split < data.Length; split++)
        {
            HandshakeOutcome outcome = HandshakeInput.Feed(new HandshakeReader(), data, [split, data.Length]);
            Assert.Equal(expected, outcome.Describe());
        }
    }

    [Theory]
    [MemberData(nameof(Requests))]
    public void Byte_by_byte_arrival_gives_the_same_result_as_reading_in_one_piece(string text)
    {
        byte[] data = HandshakeInput.Bytes(text);
        string expected = HandshakeInput.ReadAll(new HandshakeReader(), data).Describe();

        Assert.Equal(expected, HandshakeInput.Feed(new HandshakeReader(), data, [1]).Describe());
    }

    [Fact]
    public void A_request_is_incomplete_until_its_last_byte()
    {
        byte[] data = HandshakeInput.Bytes(HandshakeInput.RfcSampleRequest);
        var reader = new HandshakeReader();

        for (int length = 1; length < data.Length; length++)
        {
            Assert.Equal(HandshakeStatus.Incomplete, reader.TryRead(new(data, 0, length), out _, out _, out _, out _));
        }

        Assert.Equal(HandshakeStatus.Upgrade, reader.TryRead(new(data), out _, out _, out _, out _));
    }

    [Fact]
    public void Section_4_1_frames_sent_right_after_the_handshake_are_left_unconsumed()
    {
        byte[] head = HandshakeInput.Bytes(HandshakeInput.RfcSampleRequest);
        byte[] frame = [0x81, 0x85, 0x37, 0xFA, 0x21, 0x3D, 0x7F, 0x9F, 0x4D, 0x51, 0x58];
        byte[] data = [.. head, .. frame];

        for (int split = 1; split < data.Length; split++)
        {
            HandshakeOutcome outcome = HandshakeInput.Feed(new HandshakeReader(), data, [split, data.Length]);
            Assert.Equal(HandshakeStatus.Upgrade, outcome.Status);
            Assert.Equal(head.Length, outcome.Consumed);
        }
    }

    [Fact]
    public void Pipelined_plain_requests_are_read_one_after_the_other()
    {
        byte[] data = HandshakeInput.Bytes("GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n");
        var reader = new HandshakeReader();
        var buffer = new System.Buffers.ReadOnlySequence<byte>(data);

        Assert.Equal(HandshakeStatus.PlainRequest, reader.TryRead(buffer, out var consumed, out _, out var first, out _));
        buffer = buffer.Slice(consumed);
        Assert.Equal(HandshakeStatus.PlainRequest, reader.TryRead(buffer, out consumed, out _, out var second, out _));

        Assert.Equal("/a", first!.Path);
        Assert.Equal("/b", second!.Path);
        Assert.Equal(buffer.End, consumed);
    }
}
