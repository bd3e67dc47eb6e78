using System.Text;
using WsFast.Protocol;
using WsFast.Protocol.Hixie76;

namespace WsFast.Tests.Protocol.Hixie76;

public class Hixie76HandshakeTests
{
    // draft-hixie-thewebsocketprotocol-76 section 1.3 and 5.2: the draft's own example.
    internal const string DraftKey1 = "4 @1  46546xW%0l 1 5";
    internal const string DraftKey2 = "12998 5 Y3 1  .P00";
    internal const string DraftKey3 = "^n:ds[4U";
    internal const string DraftAnswer = "8jKS'y:G*Co,Wxa-";

    internal const string DraftRequest =
        "GET /demo HTTP/1.1\r\n" +
        "Host: example.com\r\n" +
        "Connection: Upgrade\r\n" +
        "Sec-WebSocket-Key2: " + DraftKey2 + "\r\n" +
        "Sec-WebSocket-Protocol: sample\r\n" +
        "Upgrade: WebSocket\r\n" +
        "Sec-WebSocket-Key1: " + DraftKey1 + "\r\n" +
        "Origin: http://example.com\r\n" +
        "\r\n";

    [Fact]
    public void The_drafts_example_keys_divide_to_its_numbers()
    {
        Assert.Equal(Hixie76KeyError.None, Hixie76Handshake.TryReadKey(DraftKey1, out uint part1));
        Assert.Equal(Hixie76KeyError.None, Hixie76Handshake.TryReadKey(DraftKey2, out uint part2));
        Assert.Equal(4146546015u / 5, part1);
        Assert.Equal(1299853100u / 5, part2);
    }

    [Fact]
    public void The_drafts_example_answer_is_the_md5_of_both_numbers_and_key3()
    {
        Hixie76Handshake.TryReadKey(DraftKey1, out uint part1);
        Hixie76Handshake.TryReadKey(DraftKey2, out uint part2);
        Span<byte> answer = stackalloc byte[Hixie76Handshake.AnswerLength];

        Hixie76Handshake.WriteAnswer(part1, part2, Encoding.Latin1.GetBytes(DraftKey3), answer);

        Assert.Equal(DraftAnswer, Encoding.Latin1.GetString(answer));
    }

    [Theory]
    [InlineData("12345", nameof(Hixie76KeyError.NoSpaces))]
    [InlineData("a b c", nameof(Hixie76KeyError.NoDigits))]
    [InlineData("1 2", nameof(Hixie76KeyError.None))]                      // 12 / 1
    [InlineData("1 2 ", nameof(Hixie76KeyError.None))]                     // 12 / 2
    [InlineData("1 2 3  ", nameof(Hixie76KeyError.NotMultiple))]           // 123 / 4
    [InlineData("4294967295 ", nameof(Hixie76KeyError.None))]              // the largest number a client sends
    [InlineData("4294967296 ", nameof(Hixie76KeyError.Overflow))]
    [InlineData("99999999999999999999999 ", nameof(Hixie76KeyError.Overflow))]
    public void A_key_is_judged_as_section_5_2_says(string key, string expected)
    {
        Assert.Equal(Enum.Parse<Hixie76KeyError>(expected), Hixie76Handshake.TryReadKey(key, out _));
    }

    [Fact]
    public void The_response_carries_origin_location_protocol_and_answer()
    {
        byte[] answer = Encoding.Latin1.GetBytes(DraftAnswer);
        var buffer = new byte[512];

        Assert.True(Hixie76Handshake.TryWriteResponse("http://example.com", "example.com", "/demo", "sample", answer, buffer, out int written));

        Assert.Equal(
            "HTTP/1.1 101 WebSocket Protocol Handshake\r\n" +
            "Upgrade: WebSocket\r\n" +
            "Connection: Upgrade\r\n" +
            "Sec-WebSocket-Origin: http://example.com\r\n" +
            "Sec-WebSocket-Location: ws://example.com/demo\r\n" +
            "Sec-WebSocket-Protocol: sample\r\n" +
            "\r\n" + DraftAnswer,
            Encoding.Latin1.GetString(buffer, 0, written));
    }

    [Fact]
    public void A_response_that_does_not_fit_is_reported()
    {
        var buffer = new byte[40];
        Assert.False(Hixie76Handshake.TryWriteResponse("http://example.com", "example.com", "/demo", null, new byte[16], buffer, out int written));
        Assert.Equal(0, written);
    }

    [Fact]
    public void A_reader_told_to_recognize_draft_76_reads_the_drafts_example_and_leaves_key3_unread()
    {
        byte[] data = HandshakeInput.Bytes(DraftRequest + DraftKey3);

        HandshakeOutcome outcome = HandshakeInput.ReadAll(new HandshakeReader(recognizeHixie76: true), data);

        Assert.Equal(HandshakeStatus.Hixie76Upgrade, outcome.Status);
        Assert.Equal(DraftRequest.Length, outcome.Consumed);
        Assert.Equal(DraftKey1, outcome.Request!.Hixie76Key1);
        Assert.Equal(DraftKey2, outcome.Request.Hixie76Key2);
        Assert.Equal(["sample"], outcome.Request.Subprotocols);
        Assert.False(outcome.Request.IsWebSocketUpgrade);
    }

    [Fact]
    public void A_reader_not_told_refuses_draft_76_as_it_always_did()
    {
        HandshakeOutcome outcome = HandshakeInput.ReadAll(DraftRequest);

        Assert.Equal(HandshakeStatus.Refused, outcome.Status);
        Assert.Equal(HandshakeError.UnsupportedVersion, outcome.Error);
    }

    [Theory]
    [InlineData("Sec-WebSocket-Key1: 1 1\r\n")]          // a key repeated
    [InlineData("Sec-WebSocket-Version: 13\r\n")]        // a version: an RFC 6455 request, and a broken one
    [InlineData("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n")]
    public void Only_exactly_the_draft_76_shape_is_recognized(string extra)
    {
        string request = DraftRequest.Replace("\r\n\r\n", "\r\n" + extra + "\r\n");

        HandshakeOutcome outcome = HandshakeInput.ReadAll(new HandshakeReader(recognizeHixie76: true), HandshakeInput.Bytes(request));

        Assert.Equal(HandshakeStatus.Refused, outcome.Status);
    }

    [Fact]
    public void Every_split_point_of_the_drafts_handshake_gives_the_same_result()
    {
        byte[] data = HandshakeInput.Bytes(DraftRequest + DraftKey3);
        string expected = HandshakeInput.ReadAll(new HandshakeReader(recognizeHixie76: true), data).Describe();

        for (int split = 1; split < data.Length; split++)
        {
            Assert.Equal(expected, HandshakeInput.Feed(new HandshakeReader(recognizeHixie76: true), data, [split, data.Length]).Describe());
        }

        Assert.Equal(expected, HandshakeInput.Feed(new HandshakeReader(recognizeHixie76: true), data, [1]).Describe());
    }
}
