using System.Buffers;
using System.Diagnostics;
using System.Net;
using System.Net.WebSockets;
using System.Text;
using WsFast.Server;
using WsFast.Tests.Server;

namespace WsFast.Tests.Broadcast;

/// <summary><c>POST /publish/{topic}</c>: authorization, body limit, content types and HTTP errors.</summary>
public class PublishRouteTests
{
    [Fact]
    public async Task Without_a_configured_token_publishing_needs_no_authorization()
    {
        await using TestServer server = await BroadcastKit.StartAsync();
        using HttpClient http = BroadcastKit.HttpClient(server);

        using HttpResponseMessage response = await BroadcastKit.PostTextAsync(http, "open", "anyone may");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, server.Server.Topics.Find("open")!.LastSequence);
    }

    [Fact]
    public async Task With_a_configured_token_publishing_needs_that_bearer_token()
    {
        await using TestServer server = await BroadcastKit.StartAsync(options => options.Broadcast.PublishToken = "s3cret-token");
        using HttpClient http = BroadcastKit.HttpClient(server);

        using (HttpResponseMessage none = await BroadcastKit.PostTextAsync(http, "guarded", "x"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
            Assert.Contains(none.Headers.WwwAuthenticate, challenge => challenge.Scheme == "Bearer");
        }

        using (HttpResponseMessage wrong = await BroadcastKit.PostTextAsync(http, "guarded", "x", token: "s3cret-tokem"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, wrong.StatusCode);
        }

        using (HttpResponseMessage prefix = await BroadcastKit.PostTextAsync(http, "guarded", "x", token: "s3cret"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, prefix.StatusCode);
        }

        var basic = new HttpRequestMessage(HttpMethod.Post, "/publish/guarded") { Content = new StringContent("x") };
        basic.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic", "czNjcmV0LXRva2Vu");
        using (HttpResponseMessage otherScheme = await http.SendAsync(basic))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, otherScheme.StatusCode);
        }

        // Nothing refused was published.
        Assert.Equal(0, server.Server.Topics.Find("guarded")?.LastSequence ?? 0);

        using (HttpResponseMessage right = await BroadcastKit.PostTextAsync(http, "guarded", "x", token: "s3cret-token"))
        {
            Assert.Equal(HttpStatusCode.OK, right.StatusCode);
        }

        Assert.Equal(1, server.Server.Topics.Find("guarded")!.LastSequence);
    }

    [Fact]
    public async Task A_body_of_exactly_MaxPublishBytes_is_published_and_one_byte_more_gets_413()
    {
        const int Max = 1000;
        await using TestServer server = await BroadcastKit.StartAsync(options => options.Broadcast.MaxPublishBytes = Max);
        using HttpClient http = BroadcastKit.HttpClient(server);

        using (HttpResponseMessage atLimit = await BroadcastKit.PostAsync(http, "sized", new byte[Max], "application/octet-stream"))
        {
            Assert.Equal(HttpStatusCode.OK, atLimit.StatusCode);
        }

        using (HttpResponseMessage over = await BroadcastKit.PostAsync(http, "sized", new byte[Max + 1], "application/octet-stream"))
        {
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, over.StatusCode);
        }

        Assert.Equal(1, server.Server.Topics.Find("sized")!.LastSequence);
    }

    [Fact]
    public async Task The_content_type_decides_text_or_binary_and_text_must_be_utf8()
    {
        await using TestServer server = await BroadcastKit.StartAsync();
        ClientWebSocket[] clients = await BroadcastKit.SubscribeAsync(server, "/broadcast/typed", "typed", 1);
        using HttpClient http = BroadcastKit.HttpClient(server);
        byte[] utf8 = Encoding.UTF8.GetBytes("κόσμε");
        byte[] bytes = [0xC3, 0x28, 0x00, 0xFF];

        using (HttpResponseMessage text = await BroadcastKit.PostAsync(http, "typed", utf8, "text/plain; charset=utf-8"))
        {
            Assert.Equal(HttpStatusCode.OK, text.StatusCode);
        }

        using (HttpResponseMessage binary = await BroadcastKit.PostAsync(http, "typed", bytes, "application/octet-stream"))
        {
            Assert.Equal(HttpStatusCode.OK, binary.StatusCode);
        }

        using (HttpResponseMessage invalid = await BroadcastKit.PostAsync(http, "typed", bytes, "text/plain"))
        {
            Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        }

        // The same bytes are fine as binary: only text/* is held to UTF-8.
        Assert.Equal(2, server.Server.Topics.Find("typed")!.LastSequence);
        (System.Net.WebSockets.WebSocketMessageType firstType, byte[] first) = await BroadcastKit.ReceiveAsync(clients[0]);
        (System.Net.WebSockets.WebSocketMessageType secondType, byte[] second) = await BroadcastKit.ReceiveAsync(clients[0]);
        Assert.Equal(System.Net.WebSockets.WebSocketMessageType.Text, firstType);
        Assert.Equal(utf8, first);
        Assert.Equal(System.Net.WebSockets.WebSocketMessageType.Binary, secondType);
        Assert.Equal(bytes, second);
        await BroadcastKit.CloseAllAsync(clients);
    }

    [Fact]
    public async Task Publish_answers_405_with_Allow_POST_to_other_methods()
    {
        await using TestServer server = await BroadcastKit.StartAsync();
        using HttpClient http = BroadcastKit.HttpClient(server);

        using HttpResponseMessage get = await http.GetAsync("/publish/x");
        using HttpResponseMessage put = await http.PutAsync("/publish/x", new StringContent("x"));

        Assert.Equal(HttpStatusCode.MethodNotAllowed, get.StatusCode);
        Assert.Equal(["POST"], get.Content.Headers.Allow);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, put.StatusCode);
        Assert.Null(server.Server.Topics.Find("x"));
    }

    [Fact]
    public async Task Publish_without_Content_Length_gets_411()
    {
        await using TestServer server = await BroadcastKit.StartAsync();
        using RawConnection connection = await RawConnection.ConnectAsync(server.Port);

        await connection.SendAsync($"POST /publish/x HTTP/1.1\r\nHost: 127.0.0.1:{server.Port}\r\nContent-Type: text/plain\r\n\r\n");
        RawResponse response = await connection.ReadResponseAsync();

        Assert.Equal(411, response.Status);
        Assert.Equal(0, server.Server.Topics.Find("x")?.LastSequence ?? 0);
    }

    [Fact]
    public async Task Publishes_share_one_keep_alive_connection()
    {
        await using TestServer server = await BroadcastKit.StartAsync();
        using RawConnection connection = await RawConnection.ConnectAsync(server.Port);

        for (int i = 1; i <= 3; i++)
        {
            await connection.SendAsync(
                $"POST /publish/kept HTTP/1.1\r\nHost: 127.0.0.1:{server.Port}\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nm{i}");
            RawResponse response = await connection.ReadResponseAsync();
            Assert.Equal(200, response.Status);
            Assert.Equal("keep-alive", response.Header("Connection"));
            Assert.Contains($"\"sequence\":{i}", response.Text);
        }

        Assert.Equal(1, server.Server.Counters.Accepted);
    }

    [Fact]
    public async Task A_body_declared_at_MaxPublishBytes_that_arrives_in_pieces_is_published_whole_and_its_length_is_not_reserved_up_front()
    {
        const int Length = 1024 * 1024;
        // A short close timeout makes the server's timer, which measures what each connection holds, tick every 100 ms.
        await using TestServer server = await BroadcastKit.StartAsync(options => options.CloseTimeout = TimeSpan.FromMilliseconds(400));
        Assert.Equal(Length, server.Server.Options.Broadcast.MaxPublishBytes);
        byte[] body = new byte[Length];
        new Random(17).NextBytes(body);
        ClientWebSocket[] subscriber = await BroadcastKit.SubscribeAsync(server, "/broadcast/trickled", "trickled", 1);
        using RawConnection connection = await RawConnection.ConnectAsync(server.Port);

        await connection.SendAsync(Encoding.ASCII.GetBytes(
            $"POST /publish/trickled HTTP/1.1\r\nHost: 127.0.0.1:{server.Port}\r\nContent-Type: application/octet-stream\r\nContent-Length: {Length}\r\n\r\n"));
        await connection.SendAsync(body[..10]);

        // Ten bytes of a megabyte have come: the server holds memory for what came, not for what was announced.
        long most = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromMilliseconds(600))
        {
            most = Math.Max(most, server.Server.BufferedBytes);
            await Task.Delay(10);
        }

        Assert.InRange(most, 1, 64 * 1024);

        // The rest arrives in pieces over a few hundred milliseconds, and the whole body is the message.
        for (int offset = 10; offset < Length; offset += 64 * 1024)
        {
            await connection.SendAsync(body[offset..Math.Min(Length, offset + 64 * 1024)]);
            await Task.Delay(20);
        }

        RawResponse response = await connection.ReadResponseAsync();
        Assert.Equal(200, response.Status);
        Assert.Contains("\"sequence\":1", response.Text);
        (System.Net.WebSockets.WebSocketMessageType type, byte[] published) = await BroadcastKit.ReceiveAsync(subscriber[0]);
        Assert.Equal(System.Net.WebSockets.WebSocketMessageType.Binary, type);
        Assert.True(body.AsSpan().SequenceEqual(published), $"{published.Length} bytes were published, not the {Length} sent");
        await BroadcastKit.CloseAllAsync(subscriber);
    }

    [Fact]
    public void A_request_body_holds_memory_for_the_bytes_that_came_not_for_its_declared_length()
    {
        const int Length = 1024 * 1024;
        byte[] bytes = new byte[Length];
        new Random(18).NextBytes(bytes);
        using var body = new RequestBody();

        body.Append(new ReadOnlySequence<byte>(bytes, 0, 10), Length);
        Assert.Equal(10, body.Length);
        Assert.InRange(body.Capacity, 10, 16 * 1024);

        for (int offset = 10; offset < Length; offset += 1000)
        {
            body.Append(new ReadOnlySequence<byte>(bytes, offset, Math.Min(1000, Length - offset)), Length);
            Assert.InRange(body.Capacity, body.Length, Math.Max(16 * 1024, 2L * body.Length + 1000));
        }

        Assert.Equal(Length, body.Length);
        Assert.True(body.Span.SequenceEqual(bytes));
    }
}
