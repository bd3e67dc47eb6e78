using System.Text;
using WsFast.Protocol;

namespace WsFast.Tests.Protocol;

public class HandshakeRefusalTests
{
    private static void AssertRefused(string text, HandshakeError expected, int status)
    {
        HandshakeOutcome outcome = HandshakeInput.ReadAll(text);
        Assert.Equal(HandshakeStatus.Refused, outcome.Status);
        Assert.Equal(expected, outcome.Error);
        Assert.Equal(status, outcome.Error.ToStatusCode());
    }

    private static string Refusal(HandshakeError error)
    {
        Span<byte> buffer = stackalloc byte[512];
        Assert.True(HandshakeResponse.TryWriteRefusal(error, buffer, out int written));
        return Encoding.ASCII.GetString(buffer[..written]);
    }

    [Fact]
    public void Section_4_1_an_HTTP_1_0_request_is_refused_with_400() =>
        AssertRefused(HandshakeInput.Upgrade(requestLine: "GET /ws HTTP/1.0"), HandshakeError.ObsoleteHttpVersion, 400);

    [Theory]
    [InlineData("GET /ws HTTP/2.0")]
    [InlineData("GET /ws HTTP/0.9")]
    [InlineData("GET /ws HTTP/3.1")]
    public void RFC_7231_section_6_6_6_another_major_HTTP_version_is_refused_with_505(string requestLine) =>
        AssertRefused(HandshakeInput.Upgrade(requestLine: requestLine), HandshakeError.UnsupportedHttpVersion, 505);

    [Theory]
    [InlineData("GET /ws")]
    [InlineData("GET /ws HTTP/1.1 ")]
    [InlineData("GET  /ws HTTP/1.1")]
    [InlineData("GET /ws http/1.1")]
    [InlineData("GET /ws HTTP/1.11")]
    [InlineData("GET /ws HTTP/1")]
    [InlineData(" GET /ws HTTP/1.1")]
    [InlineData("G(T /ws HTTP/1.1")]
    public void RFC_7230_section_3_1_1_a_malformed_request_line_is_refused_with_400(string requestLine) =>
        AssertRefused(HandshakeInput.Upgrade(requestLine: requestLine), HandshakeError.MalformedRequestLine, 400);

    [Theory]
    [InlineData("GET ws HTTP/1.1")]
    [InlineData("GET http://example.com/ws HTTP/1.1")]
    [InlineData("GET * HTTP/1.1")]
    [InlineData("GET /ws#frag HTTP/1.1")]
    [InlineData("GET /w\u00e9 HTTP/1.1")]
    public void Section_4_1_a_request_target_that_is_not_an_absolute_path_is_refused_with_400(string requestLine) =>
        AssertRefused(HandshakeInput.Upgrade(requestLine: requestLine), HandshakeError.InvalidRequestTarget, 400);

    [Fact]
    public void Section_4_2_1_a_request_without_Host_is_refused_with_400() =>
        AssertRefused(HandshakeInput.Upgrade().Replace("Host: example.com\r\n", ""), HandshakeError.MissingHost, 400);

    [Fact]
    public void RFC_7230_section_5_4_a_request_with_two_Hosts_is_refused_with_400() =>
        AssertRefused(HandshakeInput.Upgrade("host: evil.example\r\n"), HandshakeError.DuplicateHost, 400);

    [Fact]
    public void A_plain_request_without_Host_is_refused_too() =>
        AssertRefused("GET /healthz HTTP/1.1\r\n\r\n", HandshakeError.MissingHost, 400);

    [Fact]
    public void Section_4_2_1_an_upgrade_by_POST_is_refused_with_405_and_Allow_GET()
    {
        AssertRefused(HandshakeInput.Upgrade(requestLine: "POST /ws HTTP/1.1"), HandshakeError.MethodNotAllowed, 405);
        Assert.Contains("\r\nAllow: GET\r\n", Refusal(HandshakeError.MethodNotAllowed));
    }

    [Fact]
    public void Methods_are_case_sensitive_so_a_lowercase_get_upgrade_is_refused_with_405() =>
        AssertRefused(HandshakeInput.Upgrade(requestLine: "get /ws HTTP/1.1"), HandshakeError.MethodNotAllowed, 405);

    [Theory]
    [InlineData("Sec-WebSocket-Version: 8")]
    [InlineData("Sec-WebSocket-Version: 13, 8")]
    [InlineData("Sec-WebSocket-Version: 013")]
    public void Section_4_4_an_unsupported_version_is_refused_with_426_naming_version_13(string versionLine)
    {
        AssertRefused(HandshakeInput.Upgrade().Replace("Sec-WebSocket-Version: 13", versionLine), HandshakeError.UnsupportedVersion, 426);
        Assert.Contains("\r\nSec-WebSocket-Version: 13\r\n", Refusal(HandshakeError.UnsupportedVersion));
    }

    [Fact]
    public void Section_4_2_1_a_missing_version_is_refused_with_426() =>
        AssertRefused(HandshakeInput.Upgrade().Replace("Sec-WebSocket-Version: 13\r\n", ""), HandshakeError.UnsupportedVersion, 426);

    [Fact]
    public void Section_11_3_5_a_repeated_version_is_refused_with_426() =>
        AssertRefused(HandshakeInput.Upgrade("Sec-WebSocket-Version: 13\r\n"), HandshakeError.UnsupportedVersion, 426);

    [Fact]
    public void Section_4_2_1_a_missing_key_is_refused_with_400() =>
        AssertRefused(HandshakeInput.Upgrade().Replace("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", ""), HandshakeError.MissingKey, 400);

    [Fact]
    public void Section_11_3_1_a_repeated_key_is_refused_with_400() =>
        AssertRefused(HandshakeInput.Upgrade("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"), HandshakeError.DuplicateKey, 400);

    [Theory]
    [InlineData("AAAAAAAAAAAAAAAAAAAA")]              // 15 bytes
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAA=")]          // 17 bytes
    [InlineData("AAAAAAAAAAAAAAAAAAAAAA")]            // 16 bytes without padding
    [InlineData("AAAAAAAAAAAAAAAAAAAAA*==")]          // not base64
    [InlineData("AAAAAAAAAAAA AAAAAAAAA==")]          // whitespace inside
    [InlineData("")]
    public void Section_4_2_1_a_key_that_is_not_base64_of_16_bytes_is_refused_with_400(string key) =>
        AssertRefused(HandshakeInput.Upgrade().Replace("dGhlIHNhbXBsZSBub25jZQ==", key), HandshakeError.InvalidKey, 400);

    [Fact]
    public void Section_4_2_1_a_key_decoding_to_16_bytes_is_accepted() =>
        Assert.Equal(HandshakeStatus.Upgrade, HandshakeInput.ReadAll(HandshakeInput.Upgrade().Replace("dGhlIHNhbXBsZSBub25jZQ==", "AAAAAAAAAAAAAAAAAAAAAA==")).Status);

    [Theory]
    [InlineData("Host example.com")]
    [InlineData("Host : example.com")]
    [InlineData("Host\t: example.com")]
    [InlineData(": example.com")]
    [InlineData("Ho(st: example.com")]
    [InlineData("X-Nul: a\0b")]
    [InlineData("X-Ctl: a\u0001b")]
    [InlineData("X-Del: a\u007Fb")]
    [InlineData("X-Cr: a\rb")]
    public void RFC_7230_section_3_2_a_malformed_header_line_is_refused_with_400(string line) =>
        AssertRefused(HandshakeInput.Upgrade(line + "\r\n"), HandshakeError.MalformedHeader, 400);

    [Fact]
    public void RFC_7230_section_3_2_4_a_folded_header_line_is_refused_with_400() =>
        AssertRefused(HandshakeInput.Upgrade("X-Long: a\r\n  b\r\n"), HandshakeError.ObsoleteLineFolding, 400);

    [Fact]
    public void RFC_7230_section_3_5_a_lone_LF_in_the_headers_is_refused_with_400() =>
        AssertRefused("GET / HTTP/1.1\r\nHost: a\nUpgrade: websocket\r\n\r\n", HandshakeError.MalformedHeader, 400);

    [Fact]
    public void RFC_7230_section_3_5_a_lone_LF_ending_the_request_line_is_refused_with_400() =>
        AssertRefused("GET / HTTP/1.1\nHost: a\n\n", HandshakeError.MalformedRequestLine, 400);

    [Fact]
    public void A_lone_LF_is_refused_as_soon_as_it_arrives()
    {
        byte[] data = HandshakeInput.Bytes("GET / HTTP/1.1\nHost: a");
        var reader = new HandshakeReader();

        Assert.Equal(HandshakeStatus.Refused, reader.TryRead(new(data), out _, out _, out _, out HandshakeError error));
        Assert.Equal(HandshakeError.MalformedRequestLine, error);
    }

    [Fact]
    public void An_empty_line_before_the_request_line_is_refused_with_400() =>
        AssertRefused("\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", HandshakeError.MalformedRequestLine, 400);

    [Theory]
    [InlineData("Content-Length: -1")]
    [InlineData("Content-Length: 1x")]
    [InlineData("Content-Length: 5, 5")]
    [InlineData("Content-Length: 99999999999999999999")]
    [InlineData("Content-Length: 5\r\nContent-Length: 5")]
    public void RFC_7230_section_3_3_2_an_invalid_Content_Length_is_refused_with_400(string lines) =>
        AssertRefused("POST /x HTTP/1.1\r\nHost: a\r\n" + lines + "\r\n\r\n", HandshakeError.InvalidContentLength, 400);

    [Fact]
    public void RFC_7230_section_3_3_1_a_Transfer_Encoding_is_refused_with_501() =>
        AssertRefused("POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", HandshakeError.UnsupportedTransferEncoding, 501);

    [Theory]
    [InlineData("Sec-WebSocket-Protocol: chat, sup er")]
    [InlineData("Sec-WebSocket-Protocol: \"chat\"")]
    public void Section_4_1_a_subprotocol_that_is_not_a_token_is_refused_with_400(string line) =>
        AssertRefused(HandshakeInput.Upgrade(line + "\r\n"), HandshakeError.InvalidSubprotocol, 400);

    [Theory]
    [InlineData("Sec-WebSocket-Extensions: ;a")]
    [InlineData("Sec-WebSocket-Extensions: a;")]
    [InlineData("Sec-WebSocket-Extensions: a; b=")]
    [InlineData("Sec-WebSocket-Extensions: a; b=\"c")]
    [InlineData("Sec-WebSocket-Extensions: a; b=\"c d\"")]
    [InlineData("Sec-WebSocket-Extensions: a; b=\"\"")]
    [InlineData("Sec-WebSocket-Extensions: a b")]
    public void Section_9_1_malformed_extension_offers_are_refused_with_400(string line) =>
        AssertRefused(HandshakeInput.Upgrade(line + "\r\n"), HandshakeError.InvalidExtensions, 400);

    [Fact]
    public void RFC_6585_section_5_a_head_over_8_KiB_is_refused_with_431()
    {
        string big = HandshakeInput.Upgrade("X-Padding: " + new string('a', 8 * 1024) + "\r\n");
        AssertRefused(big, HandshakeError.HeaderTooLarge, 431);
    }

    [Fact]
    public void A_head_arriving_in_small_pieces_is_refused_as_soon_as_it_passes_8_KiB()
    {
        byte[] data = HandshakeInput.Bytes("GET / HTTP/1.1\r\nX-Slow: " + new string('a', 20_000));
        var reader = new HandshakeReader();
        int received = 0;
        HandshakeStatus status = HandshakeStatus.Incomplete;
        HandshakeError error = HandshakeError.None;
        while (status == HandshakeStatus.Incomplete)
        {
            received += 100;
            status = reader.TryRead(new(data, 0, received), out _, out _, out _, out error);
        }

        Assert.Equal(HandshakeStatus.Refused, status);
        Assert.Equal(HandshakeError.HeaderTooLarge, error);
        Assert.Equal(8 * 1024 + 100 - (8 * 1024 % 100), received);
    }

    [Fact]
    public void RFC_6585_section_5_more_headers_than_allowed_are_refused_with_431()
    {
        var lines = new StringBuilder();
        for (int i = 0; i < 100; i++)
        {
            lines.Append("X-H").Append(i).Append(": v\r\n");
        }

        AssertRefused(HandshakeInput.Upgrade(lines.ToString()), HandshakeError.TooManyHeaders, 431);
    }

    [Fact]
    public void Too_many_headers_are_refused_before_the_head_ends()
    {
        byte[] data = HandshakeInput.Bytes("GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\n");
        var reader = new HandshakeReader(maxHeaderCount: 2);

        Assert.Equal(HandshakeStatus.Refused, reader.TryRead(new(data), out _, out _, out _, out HandshakeError error));
        Assert.Equal(HandshakeError.TooManyHeaders, error);
    }

    [Fact]
    public void Every_refusal_maps_to_a_4xx_or_5xx_status_and_a_reason()
    {
        foreach (HandshakeError error in Enum.GetValues<HandshakeError>().Where(e => e != HandshakeError.None))
        {
            Assert.InRange(error.ToStatusCode(), 400, 599);
            Assert.False(string.IsNullOrEmpty(error.ToReason()));
        }
    }
}
