using System.Net.WebSockets;
using System.Text;
using WsFast.Server;
using WsFast.Tests.Broadcast;
using WsFast.Tests.Protocol.Hixie76;

namespace WsFast.Tests.Server.Legacy;

/// <summary>
/// Draft-76 clients (<see cref="WebSocketEndpoint.LegacyHixie76"/>) through the server's public interface: the
/// draft's own handshake example over a raw socket, echo, the closing handshake, the limits, refusals.
/// </summary>
public class Hixie76EndpointTests
{
    private const string Path = "/legacy";

    private static Task<TestServer> StartAsync(Action<WsFastServerOptions>? configure = null) =>
        TestServer.StartAsync(options =>
        {
            options.PingInterval = TimeSpan.Zero;
            options.ShutdownTimeout = TimeSpan.FromSeconds(1);
            configure?.Invoke(options);
        }, server => server.Map(Path, new EchoHandler()).LegacyHixie76 = true);

    [Fact]
    public async Task The_drafts_example_handshake_is_answered_with_its_md5_and_the_draft_76_headers()
    {
        await using TestServer server = await StartAsync();
        using Hixie76Client client = await Hixie76Client.OpenAsync(server.Port,
            Hixie76Client.Request(server.Port, Path + "?room=1", extraHeaders: "Sec-WebSocket-Protocol: sample\r\n"));

        Assert.Equal(101, client.Response.Status);
        Assert.Equal("WebSocket", client.Response.Header("Upgrade"));
        Assert.Equal("Upgrade", client.Response.Header("Connection"));
        Assert.Equal("http://example.com", client.Response.Header("Sec-WebSocket-Origin"));
        Assert.Equal($"ws://127.0.0.1:{server.Port}{Path}?room=1", client.Response.Header("Sec-WebSocket-Location"));
        Assert.Null(client.Response.Header("Sec-WebSocket-Protocol"));   // not offered by the endpoint
        Assert.Equal(Hixie76HandshakeTests.DraftAnswer, Encoding.Latin1.GetString(client.Answer));
    }

    [Fact]
    public async Task A_subprotocol_the_endpoint_speaks_is_selected()
    {
        await using TestServer server = await StartAsync();
        server.Server.Endpoints[Path].SubProtocols.Add("sample");
        using Hixie76Client client = await Hixie76Client.OpenAsync(server.Port,
            Hixie76Client.Request(server.Port, Path, extraHeaders: "Sec-WebSocket-Protocol: sample\r\n"));

        Assert.Equal("sample", client.Response.Header("Sec-WebSocket-Protocol"));
    }

    [Fact]
    public async Task Text_is_echoed_whole_split_byte_by_byte_and_after_a_discarded_frame()
    {
        await using TestServer server = await StartAsync();
        using Hixie76Client client = await Hixie76Client.ConnectAsync(server.Port, Path);

        await client.SendTextAsync("hello");
        Assert.Equal("hello", await client.ReadAsync());

        foreach (byte b in Hixie76Client.TextFrame("κόσμε 😀"))
        {
            await client.SendAsync([b]);
        }

        Assert.Equal("κόσμε 😀", await client.ReadAsync());

        // A length-prefixed frame (section 5.3: read and discarded), then text.
        await client.SendAsync([0x80, 0x81, 0x00, .. new byte[128], .. Hixie76Client.TextFrame("after")]);
        Assert.Equal("after", await client.ReadAsync());
        Assert.Equal(3, server.Server.Counters.MessagesIn);
    }

    [Fact]
    public async Task The_closing_handshake_is_answered_and_the_connection_ends()
    {
        await using TestServer server = await StartAsync();
        using Hixie76Client client = await Hixie76Client.ConnectAsync(server.Port, Path);

        await client.SendAsync([0xFF, 0x00]);

        Assert.Equal("close", await client.ReadAsync());
        Assert.True(await client.Connection.EndsWithinAsync(BroadcastKit.Timeout));
        client.Dispose();   // our side of TCP too: the server's transport waits for it
        await BroadcastKit.WaitUntilAsync(() => server.Server.ConnectionCount == 0, "the connection is gone");
        Assert.Equal(1, server.Server.Counters.ClosedWith(1000));
    }

    [Fact]
    public async Task Shutdown_sends_the_closing_frame()
    {
        TestServer server = await StartAsync();
        using Hixie76Client client = await Hixie76Client.ConnectAsync(server.Port, Path);
        await BroadcastKit.WaitUntilAsync(() => server.Server.Endpoints[Path].ConnectionCount == 1, "the client is open");

        Task stopping = server.Server.StopAsync();
        Assert.Equal("close", await client.ReadAsync());
        await client.SendAsync([0xFF, 0x00]);
        await stopping;
        await server.DisposeAsync();
    }

    [Fact]
    public async Task A_text_frame_that_never_ends_closes_the_connection_at_the_message_size()
    {
        await using TestServer server = await StartAsync(options => options.MaxMessageSize = 1024);
        using Hixie76Client client = await Hixie76Client.ConnectAsync(server.Port, Path);

        // Exactly the limit is fine.
        await client.SendTextAsync(new string('a', 1024));
        Assert.Equal(new string('a', 1024), await client.ReadAsync());

        await client.SendAsync([0x00, .. Encoding.ASCII.GetBytes(new string('b', 1025))]);

        Assert.True(await client.Connection.EndsWithinAsync(BroadcastKit.Timeout));
        Assert.True(await server.Log.WaitForAsync("draft-76 frame too big"));
        client.Dispose();
        await BroadcastKit.WaitUntilAsync(() => server.Server.Counters.ClosedWith(1009) == 1, "counted as too big");
    }

    [Fact]
    public async Task A_declared_length_beyond_the_message_size_closes_the_connection()
    {
        await using TestServer server = await StartAsync(options => options.MaxMessageSize = 1024);
        using Hixie76Client client = await Hixie76Client.ConnectAsync(server.Port, Path);

        await client.SendAsync([0x80, 0x88, 0x01]);   // 1025

        Assert.True(await client.Connection.EndsWithinAsync(BroadcastKit.Timeout));
    }

    [Fact]
    public async Task Invalid_utf8_closes_the_connection()
    {
        await using TestServer server = await StartAsync();
        using Hixie76Client client = await Hixie76Client.ConnectAsync(server.Port, Path);

        await client.SendAsync([0x00, 0x61, 0xC3, 0x28, 0xFF]);

        Assert.True(await client.Connection.EndsWithinAsync(BroadcastKit.Timeout));
        Assert.True(await server.Log.WaitForAsync("not valid UTF-8"));
    }

    [Fact]
    public async Task The_idle_timeout_sends_the_closing_frame()
    {
        await using TestServer server = await StartAsync(options => options.IdleTimeout = TimeSpan.FromMilliseconds(300));
        using Hixie76Client client = await Hixie76Client.ConnectAsync(server.Port, Path);

        Assert.Equal("close", await client.ReadAsync());
    }

    [Theory]
    [InlineData("12345", Hixie76HandshakeTests.DraftKey2)]            // no spaces
    [InlineData("1 2 3  ", Hixie76HandshakeTests.DraftKey2)]          // 123 is not a multiple of 4
    [InlineData(Hixie76HandshakeTests.DraftKey1, "4294967296 ")]      // beyond 32 bits
    [InlineData(Hixie76HandshakeTests.DraftKey1, "no digits ")]
    public async Task Bad_keys_are_refused_with_400(string key1, string key2)
    {
        await using TestServer server = await StartAsync();
        using Hixie76Client client = await Hixie76Client.OpenAsync(server.Port, Hixie76Client.Request(server.Port, Path, key1, key2));

        Assert.Equal(400, client.Response.Status);
        Assert.Equal(0, server.Server.Counters.Opened);
    }

    [Fact]
    public async Task The_checks_of_an_upgrade_apply()
    {
        await using TestServer server = await StartAsync(options =>
        {
            options.AllowedOrigins.Add("http://example.com");
            options.AllowedHosts.Add("127.0.0.1");
        });

        using (Hixie76Client client = await Hixie76Client.OpenAsync(server.Port, Hixie76Client.Request(server.Port, Path, origin: "http://evil.example")))
        {
            Assert.Equal(403, client.Response.Status);
        }

        using (Hixie76Client client = await Hixie76Client.OpenAsync(server.Port, Hixie76Client.Request(server.Port, "/nowhere")))
        {
            Assert.Equal(404, client.Response.Status);
        }

        using (Hixie76Client client = await Hixie76Client.OpenAsync(server.Port,
            Hixie76Client.Request(server.Port, Path).Replace($"Host: 127.0.0.1:{server.Port}", "Host: rebound.example")))
        {
            Assert.Equal(400, client.Response.Status);
        }

        Assert.Equal(0, server.Server.Counters.Opened);
    }

    [Fact]
    public async Task An_endpoint_without_the_option_refuses_draft_76_with_426_as_before()
    {
        // With no endpoint speaking draft 76 at all, and with another one that does.
        await using TestServer plain = await TestServer.StartAsync();
        await using TestServer mixed = await StartAsync();

        foreach (TestServer server in new[] { plain, mixed })
        {
            using Hixie76Client client = await Hixie76Client.OpenAsync(server.Port, Hixie76Client.Request(server.Port, "/echo"));
            Assert.Equal(426, client.Response.Status);
            Assert.Equal("13", client.Response.Header("Sec-WebSocket-Version"));
            Assert.Equal(0, server.Server.Counters.Opened);
        }
    }

    [Fact]
    public async Task An_RFC_6455_client_of_the_same_endpoint_is_unaffected()
    {
        await using TestServer server = await StartAsync();
        using ClientWebSocket client = await server.ConnectAsync(Path);

        await BroadcastKit.SendTextAsync(client, "still RFC 6455");

        Assert.Equal("still RFC 6455", await BroadcastKit.ReceiveTextAsync(client));
        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None);
    }
}
