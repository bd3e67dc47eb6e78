using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using WsFast.Server;
using ServerState = WsFast.ConnectionState;

namespace WsFast.Tests.Server;

/// <summary>RFC 6455 section 4.2: which upgrade requests an endpoint accepts, and what it negotiates.</summary>
public class HandshakeRoutingTests
{
    [Fact]
    public async Task Section_4_2_2_an_upgrade_on_a_path_with_no_endpoint_gets_404()
    {
        await using TestServer server = await TestServer.StartAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));

        Assert.Equal(HttpStatusCode.NotFound, await ClientSupport.ConnectExpectingRefusalAsync(server, "/nowhere"));
        string head = await ClientSupport.RawRequestAsync(server.Port, ClientSupport.UpgradeRequest("/nowhere"), timeout.Token);
        Assert.Equal(404, ClientSupport.StatusOf(head));

        // Paths match exactly: case and a trailing slash count.
        Assert.Equal(HttpStatusCode.NotFound, await ClientSupport.ConnectExpectingRefusalAsync(server, "/Echo"));
        Assert.Equal(HttpStatusCode.NotFound, await ClientSupport.ConnectExpectingRefusalAsync(server, "/echo/"));
    }

    [Fact]
    public async Task Section_10_2_an_origin_outside_the_allow_list_gets_403_and_an_allowed_one_is_accepted()
    {
        await using TestServer server = await TestServer.StartAsync(options => options.AllowedOrigins.Add("https://good.example"));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));

        Assert.Equal(HttpStatusCode.Forbidden, await ClientSupport.ConnectExpectingRefusalAsync(server, "/echo",
            o => o.SetRequestHeader("Origin", "https://evil.example")));
        string head = await ClientSupport.RawRequestAsync(server.Port,
            ClientSupport.UpgradeRequest("/echo", "Origin: https://evil.example\r\n"), timeout.Token);
        Assert.Equal(403, ClientSupport.StatusOf(head));

        // With an allow-list, a request that names no origin is not let through either.
        Assert.Equal(HttpStatusCode.Forbidden, await ClientSupport.ConnectExpectingRefusalAsync(server, "/echo"));

        // Origins compare case-insensitively (RFC 6454 section 6.2 serializes scheme and host in lower case).
        foreach (string origin in new[] { "https://good.example", "HTTPS://GOOD.EXAMPLE" })
        {
            using ClientWebSocket client = await server.ConnectAsync(configure: o => o.SetRequestHeader("Origin", origin));
            await client.SendTextAsync("allowed", timeout.Token);
            Assert.Equal("allowed", await client.ReceiveTextAsync(timeout.Token));
            await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "", timeout.Token);
        }
    }

    [Fact]
    public async Task Section_10_2_an_endpoint_allow_list_replaces_the_server_list_for_that_endpoint()
    {
        await using TestServer server = await TestServer.StartAsync(
            options => options.AllowedOrigins.Add("https://server.example"),
            s => s.Map("/narrow", new TestServer.Echo()).AllowedOrigins.Add("https://endpoint.example"));

        Assert.Equal(HttpStatusCode.Forbidden, await ClientSupport.ConnectExpectingRefusalAsync(server, "/narrow",
            o => o.SetRequestHeader("Origin", "https://server.example")));
        using ClientWebSocket narrow = await server.ConnectAsync("/narrow", o => o.SetRequestHeader("Origin", "https://endpoint.example"));
        using ClientWebSocket echo = await server.ConnectAsync("/echo", o => o.SetRequestHeader("Origin", "https://server.example"));
        Assert.Equal(System.Net.WebSockets.WebSocketState.Open, narrow.State);
        Assert.Equal(System.Net.WebSockets.WebSocketState.Open, echo.State);
    }

    [Fact]
    public async Task Section_10_2_a_subdomain_pattern_allows_every_subdomain_of_the_name_and_nothing_else()
    {
        await using TestServer server = await TestServer.StartAsync(options =>
        {
            options.AllowedOrigins.Add("https://*.example.com");
            options.AllowedOrigins.Add("http://*.dev.example:8443");
        });
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));

        foreach (string origin in new[] { "https://app.example.com", "https://a.b.example.com", "HTTPS://APP.EXAMPLE.COM", "http://x.dev.example:8443" })
        {
            string head = await ClientSupport.RawRequestAsync(server.Port, ClientSupport.UpgradeRequest("/echo", $"Origin: {origin}\r\n"), timeout.Token);
            Assert.True(ClientSupport.StatusOf(head) == 101, $"{origin} should be allowed: {head}");
        }

        // Cross-site WebSocket hijacking attempts that a loose suffix or prefix test would let through: the name
        // itself (no subdomain), a look-alike name, another scheme, another port, a name that only starts alike.
        foreach (string origin in new[]
        {
            "https://example.com", "https://evilexample.com", "https://example.com.evil.net", "http://app.example.com",
            "https://app.example.com:8443", "https://.example.com", "http://x.dev.example", "http://x.dev.example:84430",
            "null", "https://app.example.com/",
        })
        {
            string head = await ClientSupport.RawRequestAsync(server.Port, ClientSupport.UpgradeRequest("/echo", $"Origin: {origin}\r\n"), timeout.Token);
            Assert.True(ClientSupport.StatusOf(head) == 403, $"{origin} should be refused: {head}");
        }
    }

    [Theory]
    [InlineData("https://example.com/", "trailing slash")]
    [InlineData("https://example.com/app", "trailing slash")]
    [InlineData("example.com", "scheme")]
    [InlineData("*", "leave the list empty")]
    [InlineData("https://app*.example.com", "whole labels")]
    [InlineData("https://*example.com", "whole labels")]
    [InlineData("https://example.com:port", "port")]
    public async Task An_origin_entry_that_could_never_match_is_refused_when_the_server_is_made_or_started(string entry, string expected)
    {
        var options = new WsFastServerOptions();
        options.AllowedOrigins.Add(entry);
        ArgumentException made = Assert.ThrowsAny<ArgumentException>(() => new WsFastServer(options));
        Assert.Contains(expected, made.Message);

        await using var server = new WsFastServer(new WsFastServerOptions { Endpoints = { new IPEndPoint(IPAddress.Loopback, 0) } });
        server.Map("/echo", new EchoHandler()).AllowedOrigins.Add(entry);
        ArgumentException started = await Assert.ThrowsAnyAsync<ArgumentException>(() => server.StartAsync());
        Assert.Contains("/echo", started.Message);
        Assert.Empty(server.EndPoints);
    }

    [Fact]
    public async Task Section_4_2_2_the_first_subprotocol_the_client_offers_that_the_endpoint_speaks_is_selected()
    {
        var recorder = new TestServer.Recorder();
        await using TestServer server = await TestServer.StartAsync(map: s => s.Map("/proto", recorder).SubProtocols.AddRange(["b", "c"]));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));

        using ClientWebSocket client = await server.ConnectAsync("/proto", o =>
        {
            o.AddSubProtocol("a");
            o.AddSubProtocol("c");
            o.AddSubProtocol("b");
        });

        // The client's order decides, not the endpoint's: "c" comes before "b" in the offer.
        Assert.Equal("c", client.SubProtocol);
        await ClientSupport.WaitUntilAsync(() => recorder.Last is not null, timeout.Token);
        Assert.Equal("c", recorder.Last!.SubProtocol);
        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "", timeout.Token);
    }

    [Fact]
    public async Task Section_4_2_2_a_client_offering_no_subprotocol_the_endpoint_speaks_is_accepted_without_one()
    {
        var recorder = new TestServer.Recorder();
        await using TestServer server = await TestServer.StartAsync(map: s => s.Map("/proto", recorder).SubProtocols.AddRange(["b", "c"]));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));

        // The raw response must carry no Sec-WebSocket-Protocol header at all (section 4.2.2, item 5.4).
        string head = await ClientSupport.RawRequestAsync(server.Port,
            ClientSupport.UpgradeRequest("/proto", "Sec-WebSocket-Protocol: x, y\r\n"), timeout.Token);
        Assert.Equal(101, ClientSupport.StatusOf(head));
        Assert.DoesNotContain("Sec-WebSocket-Protocol", head, StringComparison.OrdinalIgnoreCase);

        using ClientWebSocket client = await server.ConnectAsync("/proto", o => o.AddSubProtocol("x"));
        Assert.Null(client.SubProtocol);
        await ClientSupport.WaitUntilAsync(() => recorder.Events.Count(e => e == "connected") == 2, timeout.Token);
        Assert.Null(recorder.Last!.SubProtocol);
        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "", timeout.Token);
    }

    [Fact]
    public async Task Section_4_2_2_the_101_accept_key_is_the_one_computed_in_the_rfc_example()
    {
        await using TestServer server = await TestServer.StartAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));

        // The request uses the key of section 1.3, "dGhlIHNhbXBsZSBub25jZQ==".
        string head = await ClientSupport.RawRequestAsync(server.Port, ClientSupport.UpgradeRequest("/echo"), timeout.Token);

        Assert.StartsWith("HTTP/1.1 101 ", head);
        Assert.Contains("\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n", head);
        Assert.Contains("\r\nUpgrade: websocket\r\n", head, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("\r\nConnection: Upgrade\r\n", head, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task The_handler_sees_the_connection_id_remote_end_point_path_query_and_request_headers_on_connect()
    {
        var seen = new Properties();
        await using TestServer server = await TestServer.StartAsync(map: s => s.Map("/props", seen));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));

        // Connecting through our own socket tells us the client's address as the server should see it.
        var localEndPoints = new ConcurrentQueue<EndPoint>();
        using var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                localEndPoints.Enqueue(socket.LocalEndPoint!);
                return new NetworkStream(socket, ownsSocket: true);
            },
        };
        using var invoker = new HttpMessageInvoker(handler, disposeHandler: false);
        var clients = new List<ClientWebSocket>();
        try
        {
            for (int i = 0; i < 2; i++)
            {
                var client = new ClientWebSocket();
                clients.Add(client);
                client.Options.SetRequestHeader("X-Test", $"hello {i}");
                await client.ConnectAsync(new Uri($"ws://127.0.0.1:{server.Port}/props?x={i + 1}"), invoker, timeout.Token);
            }

            await ClientSupport.WaitUntilAsync(() => seen.Connections.Count == 2, timeout.Token);
            Snapshot[] snapshots = [.. seen.Connections];
            Assert.NotEqual(snapshots[0].Id, snapshots[1].Id);
            Assert.Equal(localEndPoints.ToHashSet(), snapshots.Select(s => s.RemoteEndPoint!).ToHashSet());
            Assert.All(snapshots, s => Assert.Equal(IPAddress.Loopback, ((IPEndPoint)s.RemoteEndPoint!).Address));
            Assert.All(snapshots, s => Assert.Equal("/props", s.Path));
            Assert.Equal(["x=1", "x=2"], snapshots.Select(s => s.Query).Order());
            Assert.Equal(["hello 0", "hello 1"], snapshots.Select(s => s.Header).Order());
            Assert.All(snapshots, s => Assert.Equal(ServerState.Open, s.State));
        }
        finally
        {
            foreach (ClientWebSocket client in clients)
            {
                client.Dispose();
            }
        }
    }

    private sealed record Snapshot(long Id, EndPoint? RemoteEndPoint, string Path, string Query, string? Header, ServerState State);

    /// <summary>Notes what a connection shows its handler when it opens.</summary>
    private sealed class Properties : WebSocketHandler
    {
        public ConcurrentQueue<Snapshot> Connections { get; } = new();

        public override ValueTask OnConnectedAsync(WebSocketConnection connection)
        {
            Connections.Enqueue(new Snapshot(connection.Id, connection.RemoteEndPoint, connection.Path, connection.Query,
                connection.Request.GetHeader("X-Test"), connection.State));
            return default;
        }
    }
}
