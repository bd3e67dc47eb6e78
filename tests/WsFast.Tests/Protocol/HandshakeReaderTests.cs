using WsFast.Protocol;

namespace WsFast.Tests.Protocol;

public class HandshakeReaderTests
{
    [Fact]
    public void Section_1_3_the_sample_request_is_an_upgrade()
    {
        HandshakeOutcome outcome = HandshakeInput.ReadAll(HandshakeInput.RfcSampleRequest);

        Assert.Equal(HandshakeStatus.Upgrade, outcome.Status);
        HandshakeRequest request = outcome.Request!;
        Assert.Equal("GET", request.Method);
        Assert.Equal("/chat", request.Path);
        Assert.Equal("", request.Query);
        Assert.Equal("server.example.com", request.Host);
        Assert.Equal("http://example.com", request.Origin);
        Assert.Equal("dGhlIHNhbXBsZSBub25jZQ==", request.Key);
        Assert.Equal(["chat", "superchat"], request.Subprotocols);
        Assert.Empty(request.Extensions);
        Assert.Null(request.ContentLength);
        Assert.True(request.IsWebSocketUpgrade);
        Assert.Equal(HandshakeError.None, request.NonUpgradeReason);
        Assert.Equal(HandshakeInput.RfcSampleRequest.Length, outcome.Consumed);
    }

    [Fact]
    public void A_request_captured_from_Chrome_on_Android_is_read_header_by_header()
    {
        HandshakeOutcome outcome = HandshakeInput.ReadAll(HandshakeInput.BrowserRequest);

        Assert.Equal(HandshakeStatus.Upgrade, outcome.Status);
        HandshakeRequest request = outcome.Request!;
        Assert.Equal("/", request.Path);
        Assert.Equal("192.168.11.8:9999", request.Host);
        Assert.Equal("http://192.168.11.8", request.Origin);
        Assert.Equal("QM9LlNTkaJ2ytQ5w4v4Y0w==", request.Key);
        Assert.Empty(request.Subprotocols);

        ExtensionOffer offer = Assert.Single(request.Extensions);
        Assert.Equal("permessage-deflate", offer.Name);
        ExtensionParameter parameter = Assert.Single(offer.Parameters);
        Assert.Equal(new ExtensionParameter("client_max_window_bits", null), parameter);
        Assert.True(offer.HasParameter("CLIENT_MAX_WINDOW_BITS"));
        Assert.Null(offer.GetParameterValue("client_max_window_bits"));

        Assert.Equal(
            [
                new("Host", "192.168.11.8:9999"),
                new("Connection", "Upgrade"),
                new("Pragma", "no-cache"),
                new("Cache-Control", "no-cache"),
                new("User-Agent", "Mozilla/5.0 (Linux; Android 5.0; SM-G900P Build/LRX21T) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/79.0.3945.117 Mobile Safari/537.36"),
                new("Upgrade", "websocket"),
                new("Origin", "http://192.168.11.8"),
                new("Sec-WebSocket-Version", "13"),
                new("Accept-Encoding", "gzip, deflate"),
                new("Accept-Language", "ja,en-US;q=0.9,en;q=0.8"),
                new("Sec-WebSocket-Key", "QM9LlNTkaJ2ytQ5w4v4Y0w=="),
                new KeyValuePair<string, string>("Sec-WebSocket-Extensions", "permessage-deflate; client_max_window_bits"),
            ],
            request.Headers);
    }

    [Fact]
    public void Header_lookup_ignores_case_and_combines_repeated_headers()
    {
        HandshakeRequest request = HandshakeInput.ReadAll(HandshakeInput.BrowserRequest).Request!;

        Assert.Equal("no-cache", request.GetHeader("pragma"));
        Assert.Equal("gzip, deflate", request.GetHeader("ACCEPT-ENCODING"));
        Assert.Null(request.GetHeader("Cookie"));

        HandshakeRequest repeated = HandshakeInput.ReadAll(HandshakeInput.Upgrade("X-Tag: a\r\nx-tag: b\r\n")).Request!;
        Assert.Equal("a, b", repeated.GetHeader("X-TAG"));
    }

    [Fact]
    public void Section_4_2_1_header_names_are_case_insensitive()
    {
        HandshakeOutcome outcome = HandshakeInput.ReadAll(
            "GET /ws HTTP/1.1\r\n" +
            "host: example.com\r\n" +
            "UPGRADE: websocket\r\n" +
            "connection: upgrade\r\n" +
            "sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
            "SEC-WEBSOCKET-VERSION: 13\r\n" +
            "sec-websocket-protocol: chat\r\n" +
            "\r\n");

        Assert.Equal(HandshakeStatus.Upgrade, outcome.Status);
        Assert.Equal("example.com", outcome.Request!.Host);
        Assert.Equal("dGhlIHNhbXBsZSBub25jZQ==", outcome.Request.Key);
        Assert.Equal(["chat"], outcome.Request.Subprotocols);
    }

    [Fact]
    public void Section_4_2_1_the_Upgrade_token_is_case_insensitive()
    {
        HandshakeOutcome outcome = HandshakeInput.ReadAll(HandshakeInput.Upgrade().Replace("Upgrade: websocket", "Upgrade: WebSocket"));

        Assert.Equal(HandshakeStatus.Upgrade, outcome.Status);
    }

    [Fact]
    public void Section_4_2_1_Connection_is_a_token_list_that_only_has_to_include_Upgrade()
    {
        HandshakeOutcome outcome = HandshakeInput.ReadAll(HandshakeInput.Upgrade().Replace("Connection: Upgrade", "Connection: keep-alive, Upgrade"));

        Assert.Equal(HandshakeStatus.Upgrade, outcome.Status);
    }

    [Fact]
    public void Upgrade_is_a_token_list_too()
    {
        HandshakeOutcome outcome = HandshakeInput.ReadAll(HandshakeInput.Upgrade().Replace("Upgrade: websocket", "Upgrade: h2c, websocket"));

        Assert.Equal(HandshakeStatus.Upgrade, outcome.Status);
    }

    [Fact]
    public void Optional_whitespace_around_values_is_trimmed()
    {
        HandshakeOutcome outcome = HandshakeInput.ReadAll(
            "GET /ws HTTP/1.1\r\n" +
            "Host:example.com\r\n" +
            "Upgrade: \t websocket \t\r\n" +
            "Connection:Upgrade   \r\n" +
            "Sec-WebSocket-Key:   dGhlIHNhbXBsZSBub25jZQ==  \r\n" +
            "Sec-WebSocket-Version:\t13\t\r\n" +
            "\r\n");

        Assert.Equal(HandshakeStatus.Upgrade, outcome.Status);
        Assert.Equal("example.com", outcome.Request!.Host);
        Assert.Equal("dGhlIHNhbXBsZSBub25jZQ==", outcome.Request.Key);
    }

    [Fact]
    public void The_query_is_split_from_the_path_at_the_first_question_mark()
    {
        HandshakeRequest request = HandshakeInput.ReadAll(HandshakeInput.Upgrade(requestLine: "GET /chat/room%201?token=a?b&x=1 HTTP/1.1")).Request!;

        Assert.Equal("/chat/room%201", request.Path);
        Assert.Equal("token=a?b&x=1", request.Query);
    }

    [Fact]
    public void Section_4_1_subprotocols_from_repeated_headers_keep_their_order()
    {
        HandshakeRequest request = HandshakeInput.ReadAll(HandshakeInput.Upgrade(
            "Sec-WebSocket-Protocol: v2.chat, ,v1.chat\r\nSec-WebSocket-Protocol: mqtt\r\n")).Request!;

        Assert.Equal(["v2.chat", "v1.chat", "mqtt"], request.Subprotocols);
    }

    [Fact]
    public void Section_9_1_extension_offers_with_token_and_quoted_values()
    {
        HandshakeRequest request = HandshakeInput.ReadAll(HandshakeInput.Upgrade(
            "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits; server_max_window_bits=\"10\", x-webkit-deflate-frame\r\n" +
            "Sec-WebSocket-Extensions: foo ; bar = baz ; q=\"a\\-b\"\r\n")).Request!;

        Assert.Equal(3, request.Extensions.Count);
        ExtensionOffer deflate = request.Extensions[0];
        Assert.Equal("permessage-deflate", deflate.Name);
        Assert.Equal(
            [new("client_max_window_bits", null), new ExtensionParameter("server_max_window_bits", "10")],
            deflate.Parameters);
        Assert.Equal("10", deflate.GetParameterValue("Server_Max_Window_Bits"));

        Assert.Equal("x-webkit-deflate-frame", request.Extensions[1].Name);
        Assert.Empty(request.Extensions[1].Parameters);

        Assert.Equal("foo", request.Extensions[2].Name);
        Assert.Equal([new("bar", "baz"), new ExtensionParameter("q", "a-b")], request.Extensions[2].Parameters);
        Assert.Equal("foo; bar=baz; q=a-b", request.Extensions[2].ToString());
    }

    [Fact]
    public void A_plain_GET_is_a_plain_request_that_says_why_it_is_no_upgrade()
    {
        HandshakeOutcome outcome = HandshakeInput.ReadAll("GET /healthz?full=1 HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\n");

        Assert.Equal(HandshakeStatus.PlainRequest, outcome.Status);
        HandshakeRequest request = outcome.Request!;
        Assert.False(request.IsWebSocketUpgrade);
        Assert.Equal(HandshakeError.MissingUpgrade, request.NonUpgradeReason);
        Assert.Equal(426, request.NonUpgradeReason.ToStatusCode());
        Assert.Equal("GET", request.Method);
        Assert.Equal("/healthz", request.Path);
        Assert.Equal("full=1", request.Query);
        Assert.Equal("*/*", request.GetHeader("accept"));
        Assert.Equal("", request.Key);
    }

    [Fact]
    public void RFC_7230_section_6_7_an_Upgrade_not_listed_in_Connection_is_no_upgrade()
    {
        HandshakeOutcome outcome = HandshakeInput.ReadAll(HandshakeInput.Upgrade().Replace("Connection: Upgrade", "Connection: keep-alive"));

        Assert.Equal(HandshakeStatus.PlainRequest, outcome.Status);
        Assert.Equal(HandshakeError.MissingConnectionUpgrade, outcome.Request!.NonUpgradeReason);
    }

    [Fact]
    public void A_plain_POST_is_reported_with_its_method_and_Content_Length_and_its_body_is_left_unread()
    {
        byte[] data = HandshakeInput.Bytes("POST /publish/news HTTP/1.1\r\nHost: example.com\r\nContent-Length: 5\r\n\r\nhello");

        HandshakeOutcome outcome = HandshakeInput.ReadAll(new HandshakeReader(), data);

        Assert.Equal(HandshakeStatus.PlainRequest, outcome.Status);
        Assert.Equal("POST", outcome.Request!.Method);
        Assert.Equal("/publish/news", outcome.Request.Path);
        Assert.Equal(5, outcome.Request.ContentLength);
        Assert.Equal(data.Length - 5, outcome.Consumed);
    }

    [Fact]
    public void Section_2_6_of_RFC_7230_a_higher_minor_version_is_read_as_HTTP_1_1()
    {
        Assert.Equal(HandshakeStatus.Upgrade, HandshakeInput.ReadAll(HandshakeInput.Upgrade(requestLine: "GET / HTTP/1.2")).Status);
    }

    [Fact]
    public void Header_bytes_above_0x7F_are_kept_as_Latin_1_characters()
    {
        HandshakeRequest request = HandshakeInput.ReadAll(HandshakeInput.Upgrade("X-Name: caf\u00e9\r\n")).Request!;

        Assert.Equal("caf\u00e9", request.GetHeader("x-name"));
    }

    [Fact]
    public void A_head_of_exactly_the_limit_is_accepted_and_so_are_exactly_as_many_headers_as_allowed()
    {
        byte[] data = HandshakeInput.Bytes(HandshakeInput.Upgrade());
        Assert.Equal(HandshakeStatus.Upgrade, HandshakeInput.ReadAll(new HandshakeReader(maxHeaderBytes: data.Length, maxHeaderCount: 5), data).Status);
    }

    [Fact]
    public void The_reader_is_ready_for_the_next_request_after_one_completes()
    {
        var reader = new HandshakeReader();
        byte[] first = HandshakeInput.Bytes("GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
        byte[] second = HandshakeInput.Bytes(HandshakeInput.RfcSampleRequest);

        Assert.Equal("/a", HandshakeInput.Feed(reader, first, [3]).Request!.Path);
        Assert.Equal("/chat", HandshakeInput.Feed(reader, second, [7]).Request!.Path);
    }

    [Fact]
    public void A_buffer_shorter_than_what_was_already_seen_breaks_the_contract()
    {
        var reader = new HandshakeReader();
        byte[] data = HandshakeInput.Bytes("GET / HTTP/1.1\r\n");
        reader.TryRead(new System.Buffers.ReadOnlySequence<byte>(data), out _, out _, out _, out _);

        Assert.Throws<ArgumentException>(() =>
            reader.TryRead(new System.Buffers.ReadOnlySequence<byte>(data, 0, 4), out _, out _, out _, out _));
    }

    [Fact]
    public void Nothing_is_allocated_while_a_request_is_incomplete_or_when_it_is_refused()
    {
        var reader = new HandshakeReader();
        var buffer = new System.Buffers.ReadOnlySequence<byte>(HandshakeInput.Bytes(HandshakeInput.BrowserRequest));
        reader.TryRead(buffer, out _, out _, out _, out _);

        // Nothing while incomplete.
        var partial = buffer.Slice(0, 300);
        long before = GC.GetAllocatedBytesForCurrentThread();
        HandshakeStatus status = reader.TryRead(partial, out _, out _, out _, out _);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(HandshakeStatus.Incomplete, status);
        Assert.Equal(0, allocated);

        // Nothing for a refusal either.
        var refusing = new HandshakeReader();
        var refused = new System.Buffers.ReadOnlySequence<byte>(HandshakeInput.Bytes(HandshakeInput.Upgrade(requestLine: "POST / HTTP/1.1")));
        refusing.TryRead(refused, out _, out _, out _, out _);
        before = GC.GetAllocatedBytesForCurrentThread();
        status = refusing.TryRead(refused, out _, out _, out _, out HandshakeError error);
        allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(HandshakeStatus.Refused, status);
        Assert.Equal(HandshakeError.MethodNotAllowed, error);
        Assert.Equal(0, allocated);
    }
}
