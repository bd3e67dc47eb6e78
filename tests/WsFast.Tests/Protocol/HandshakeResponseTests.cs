using System.Buffers;
using System.Text;
using WsFast.Protocol;

namespace WsFast.Tests.Protocol;

public class HandshakeResponseTests
{
    private static string Text(ReadOnlySpan<byte> bytes) => Encoding.ASCII.GetString(bytes);

    [Fact]
    public void Section_1_3_the_sample_response_is_written_byte_for_byte()
    {
        HandshakeRequest request = HandshakeInput.ReadAll(HandshakeInput.RfcSampleRequest).Request!;
        Span<byte> buffer = stackalloc byte[256];

        Assert.True(HandshakeResponse.TryWriteAccept(request.Key, request.Subprotocols[0], null, buffer, out int written));

        Assert.Equal(
            "HTTP/1.1 101 Switching Protocols\r\n" +
            "Upgrade: websocket\r\n" +
            "Connection: Upgrade\r\n" +
            "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n" +
            "Sec-WebSocket-Protocol: chat\r\n" +
            "\r\n",
            Text(buffer[..written]));
    }

    [Fact]
    public void Section_4_2_2_the_accepted_extensions_are_echoed_and_nothing_optional_is_sent_unasked()
    {
        var writer = new ArrayBufferWriter<byte>();
        HandshakeResponse.WriteAccept(writer, "QM9LlNTkaJ2ytQ5w4v4Y0w==", extensions: "permessage-deflate; client_max_window_bits=15");

        Assert.Equal(
            "HTTP/1.1 101 Switching Protocols\r\n" +
            "Upgrade: websocket\r\n" +
            "Connection: Upgrade\r\n" +
            "Sec-WebSocket-Accept: xz5za8NREwQU5Q7cx9Dn8XzG9HA=\r\n" +
            "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits=15\r\n" +
            "\r\n",
            Text(writer.WrittenSpan));

        writer.Clear();
        HandshakeResponse.WriteAccept(writer, "dGhlIHNhbXBsZSBub25jZQ==");
        Assert.DoesNotContain("Sec-WebSocket-Protocol", Text(writer.WrittenSpan));
        Assert.DoesNotContain("Sec-WebSocket-Extensions", Text(writer.WrittenSpan));
    }

    [Fact]
    public void A_destination_too_small_is_reported_by_returning_false()
    {
        byte[] exact = new byte[256];
        Assert.True(HandshakeResponse.TryWriteAccept("dGhlIHNhbXBsZSBub25jZQ==", "chat", null, exact, out int needed));

        Assert.False(HandshakeResponse.TryWriteAccept("dGhlIHNhbXBsZSBub25jZQ==", "chat", null, new byte[needed - 1], out int written));
        Assert.Equal(0, written);
        Assert.True(HandshakeResponse.TryWriteAccept("dGhlIHNhbXBsZSBub25jZQ==", "chat", null, new byte[needed], out written));
        Assert.Equal(needed, written);
        Assert.False(HandshakeResponse.TryWriteRefusal(HandshakeError.MissingKey, new byte[20], out _));
    }

    [Fact]
    public void Values_that_could_split_the_response_are_rejected()
    {
        byte[] buffer = new byte[512];
        Assert.Throws<ArgumentException>(() => HandshakeResponse.TryWriteAccept("dGhlIHNhbXBsZSBub25jZQ==", "chat\r\nX: y", null, buffer, out _));
        Assert.Throws<ArgumentException>(() => HandshakeResponse.TryWriteAccept("dGhlIHNhbXBsZSBub25jZQ==", null, "a\nb", buffer, out _));
        Assert.Throws<ArgumentException>(() => HandshakeResponse.TryWriteHttp(200, [new("X", "a\r\nb")], default, buffer, out _));
        Assert.Throws<ArgumentException>(() => HandshakeResponse.TryWriteHttp(200, [new("Content-Length", "1")], default, buffer, out _));
        Assert.Throws<ArgumentException>(() => HandshakeResponse.TryWriteRefusal(HandshakeError.None, buffer, out _));
    }

    [Fact]
    public void A_refusal_has_its_status_a_plain_text_reason_and_closes_the_connection()
    {
        Span<byte> buffer = stackalloc byte[512];
        Assert.True(HandshakeResponse.TryWriteRefusal(HandshakeError.MissingKey, buffer, out int written));

        Assert.Equal(
            "HTTP/1.1 400 Bad Request\r\n" +
            "Connection: close\r\n" +
            "Content-Type: text/plain; charset=utf-8\r\n" +
            "Content-Length: 26\r\n" +
            "\r\n" +
            "missing Sec-WebSocket-Key\n",
            Text(buffer[..written]));
    }

    [Fact]
    public void RFC_7231_section_6_5_15_a_426_names_the_protocol_to_upgrade_to_and_RFC_6455_section_4_4_the_version()
    {
        var writer = new ArrayBufferWriter<byte>();
        HandshakeResponse.WriteRefusal(writer, HandshakeError.UnsupportedVersion);

        Assert.Equal(
            "HTTP/1.1 426 Upgrade Required\r\n" +
            "Upgrade: websocket\r\n" +
            "Connection: Upgrade, close\r\n" +
            "Sec-WebSocket-Version: 13\r\n" +
            "Content-Type: text/plain; charset=utf-8\r\n" +
            "Content-Length: 34\r\n" +
            "\r\n" +
            "Sec-WebSocket-Version 13 required\n",
            Text(writer.WrittenSpan));
    }

    [Fact]
    public void RFC_7231_section_6_5_5_a_405_lists_the_allowed_method()
    {
        var writer = new ArrayBufferWriter<byte>();
        HandshakeResponse.WriteRefusal(writer, HandshakeError.MethodNotAllowed);

        Assert.StartsWith("HTTP/1.1 405 Method Not Allowed\r\nConnection: close\r\nAllow: GET\r\n", Text(writer.WrittenSpan));
    }

    [Fact]
    public void Every_refusal_declares_the_length_of_its_body()
    {
        foreach (HandshakeError error in Enum.GetValues<HandshakeError>().Where(e => e != HandshakeError.None))
        {
            var writer = new ArrayBufferWriter<byte>();
            HandshakeResponse.WriteRefusal(writer, error);
            string text = Text(writer.WrittenSpan);

            Assert.StartsWith($"HTTP/1.1 {error.ToStatusCode()} ", text);
            int bodyStart = text.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4;
            Assert.Contains($"\r\nContent-Length: {text.Length - bodyStart}\r\n", text);
        }
    }

    [Fact]
    public void A_simple_response_carries_the_given_headers_and_body()
    {
        Span<byte> buffer = stackalloc byte[256];
        Assert.True(HandshakeResponse.TryWriteHttp(
            404, [new("Content-Type", "text/plain"), new("Connection", "close")], "no such path\n"u8, buffer, out int written));

        Assert.Equal(
            "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: 13\r\n\r\nno such path\n",
            Text(buffer[..written]));
    }

    [Fact]
    public void A_204_has_no_Content_Length_and_an_unknown_status_an_empty_reason_phrase()
    {
        var writer = new ArrayBufferWriter<byte>();
        HandshakeResponse.WriteHttp(writer, 204, [], default);
        Assert.Equal("HTTP/1.1 204 No Content\r\n\r\n", Text(writer.WrittenSpan));

        writer.Clear();
        HandshakeResponse.WriteHttp(writer, 599, [], "x"u8);
        Assert.Equal("HTTP/1.1 599 \r\nContent-Length: 1\r\n\r\nx", Text(writer.WrittenSpan));
    }

    [Fact]
    public void Writing_the_101_allocates_nothing()
    {
        byte[] buffer = new byte[256];
        HandshakeResponse.TryWriteAccept("dGhlIHNhbXBsZSBub25jZQ==", "chat", "permessage-deflate", buffer, out _);

        long before = GC.GetAllocatedBytesForCurrentThread();
        HandshakeResponse.TryWriteAccept("dGhlIHNhbXBsZSBub25jZQ==", "chat", "permessage-deflate", buffer, out _);
        HandshakeResponse.TryWriteRefusal(HandshakeError.UnsupportedVersion, buffer, out _);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
