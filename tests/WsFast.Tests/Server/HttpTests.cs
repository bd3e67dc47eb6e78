using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace WsFast.Tests.Server;

/// <summary>Plain HTTP/1.1 requests on the WebSocket port, made with <see cref="HttpClient"/>.</summary>
public class HttpTests
{
    [Fact]
    public async Task GET_healthz_details_is_200_json_counting_every_connection_held_including_its_own()
    {
        await using TestServer server = await TestServer.StartAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        using ClientWebSocket client = await server.ConnectAsync();
        using var http = new HttpClient();

        using HttpResponseMessage response = await http.GetAsync(server.Http("/healthz?details"), timeout.Token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using JsonDocument health = JsonDocument.Parse(await response.Content.ReadAsStringAsync(timeout.Token));
        Assert.Equal("ok", health.RootElement.GetProperty("status").GetString());

        // The WebSocket client and this HTTP connection.
        Assert.Equal(2, health.RootElement.GetProperty("connections").GetInt32());
        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "", timeout.Token);
    }

    [Fact]
    public async Task GET_of_a_MapContent_path_returns_its_body_and_content_type()
    {
        byte[] page = Encoding.UTF8.GetBytes("<!doctype html><title>WsFast</title><p>héllo</p>");
        await using TestServer server = await TestServer.StartAsync(map: s => s.MapContent("/index.html", "text/html; charset=utf-8", page));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        using var http = new HttpClient();

        using HttpResponseMessage response = await http.GetAsync(server.Http("/index.html"), timeout.Token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("utf-8", response.Content.Headers.ContentType?.CharSet);
        Assert.Equal(page, await response.Content.ReadAsByteArrayAsync(timeout.Token));
        Assert.Equal(page.Length, response.Content.Headers.ContentLength);
    }

    [Fact]
    public async Task A_plain_GET_on_a_WebSocket_path_is_426_with_Upgrade_websocket_and_Sec_WebSocket_Version_13()
    {
        await using TestServer server = await TestServer.StartAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        using var http = new HttpClient();

        using HttpResponseMessage response = await http.GetAsync(server.Http("/echo"), timeout.Token);

        Assert.Equal(HttpStatusCode.UpgradeRequired, response.StatusCode);
        Assert.Equal("websocket", Assert.Single(response.Headers.Upgrade).Name, ignoreCase: true);
        Assert.Equal("13", Assert.Single(response.Headers.GetValues("Sec-WebSocket-Version")));
        Assert.Contains("Upgrade", response.Headers.Connection, StringComparer.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task GET_of_an_unknown_path_is_404()
    {
        await using TestServer server = await TestServer.StartAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        using var http = new HttpClient();

        using HttpResponseMessage response = await http.GetAsync(server.Http("/missing"), timeout.Token);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Theory]
    [InlineData("POST", "/healthz")]
    [InlineData("PUT", "/echo")]
    [InlineData("DELETE", "/missing")]
    public async Task A_method_other_than_GET_is_405_with_Allow_GET(string method, string path)
    {
        await using TestServer server = await TestServer.StartAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(new HttpMethod(method), server.Http(path))
        {
            Content = new StringContent("body", Encoding.UTF8, "text/plain"),
        };

        using HttpResponseMessage response = await http.SendAsync(request, timeout.Token);

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.Equal(["GET"], response.Content.Headers.Allow);
    }

    [Fact]
    public async Task Keep_alive_several_GETs_travel_on_one_connection()
    {
        await using TestServer server = await TestServer.StartAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        int connections = 0;
        using var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = 1,
            ConnectCallback = async (context, cancellationToken) =>
            {
                Interlocked.Increment(ref connections);
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            },
        };
        using var http = new HttpClient(handler);

        for (int i = 0; i < 3; i++)
        {
            using HttpResponseMessage response = await http.GetAsync(server.Http("/healthz?details"), timeout.Token);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.False(response.Headers.ConnectionClose ?? false);
            using JsonDocument health = JsonDocument.Parse(await response.Content.ReadAsStringAsync(timeout.Token));

            // The one kept-alive connection, the only one the server holds.
            Assert.Equal(1, health.RootElement.GetProperty("connections").GetInt32());
        }

        Assert.Equal(1, Volatile.Read(ref connections));
    }

    [Fact]
    public async Task A_connection_kept_alive_after_a_plain_GET_can_then_upgrade()
    {
        await using TestServer server = await TestServer.StartAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        using Socket raw = await ClientSupport.ConnectRawAsync(server.Port, timeout.Token);

        await raw.SendAsync(Encoding.ASCII.GetBytes("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"), SocketFlags.None, timeout.Token);
        string health = await ClientSupport.ReadResponseHeadAsync(raw, timeout.Token);
        Assert.Equal(200, ClientSupport.StatusOf(health));
        Assert.Contains("\r\nConnection: keep-alive\r\n", health, StringComparison.OrdinalIgnoreCase);
        int length = int.Parse(health.Split("\r\n").Single(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))[15..],
            System.Globalization.CultureInfo.InvariantCulture);
        await ReceiveExactlyAsync(raw, new byte[length], timeout.Token);

        await raw.SendAsync(Encoding.ASCII.GetBytes(ClientSupport.UpgradeRequest("/echo")), SocketFlags.None, timeout.Token);
        Assert.Equal(101, ClientSupport.StatusOf(await ClientSupport.ReadResponseHeadAsync(raw, timeout.Token)));

        // And it is a WebSocket now: a masked "hi" comes back as an unmasked text frame.
        await raw.SendAsync(WsFast.Tests.Support.ClientFrames.Text("hi"), SocketFlags.None, timeout.Token);
        var echo = new byte[4];
        await ReceiveExactlyAsync(raw, echo, timeout.Token);
        Assert.Equal(new byte[] { 0x81, 0x02, (byte)'h', (byte)'i' }, echo);
    }

    [Fact]
    public async Task Pipelined_GETs_sent_in_one_packet_are_answered_in_order_on_one_connection()
    {
        byte[] page = Encoding.UTF8.GetBytes("page body");
        await using TestServer server = await TestServer.StartAsync(map: s => s.MapContent("/page", "text/plain", page));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        using Socket raw = await ClientSupport.ConnectRawAsync(server.Port, timeout.Token);

        // RFC 7230 section 6.3.2: a server answers pipelined requests in the order they came.
        const string Get = "GET /page HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
        await raw.SendAsync(Encoding.ASCII.GetBytes(Get + Get + "GET /nowhere HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"), SocketFlags.None, timeout.Token);

        for (int i = 0; i < 2; i++)
        {
            string head = await ClientSupport.ReadResponseHeadAsync(raw, timeout.Token);
            Assert.Equal(200, ClientSupport.StatusOf(head));
            Assert.Contains($"\r\nContent-Length: {page.Length}\r\n", head, StringComparison.OrdinalIgnoreCase);
            var body = new byte[page.Length];
            await ReceiveExactlyAsync(raw, body, timeout.Token);
            Assert.Equal(page, body);
        }

        Assert.Equal(404, ClientSupport.StatusOf(await ClientSupport.ReadResponseHeadAsync(raw, timeout.Token)));
    }

    [Fact]
    public async Task A_kept_alive_connection_left_idle_is_dropped_after_the_handshake_timeout()
    {
        await using TestServer server = await TestServer.StartAsync(options => options.HandshakeTimeout = TimeSpan.FromMilliseconds(300));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        using Socket raw = await ClientSupport.ConnectRawAsync(server.Port, timeout.Token);

        await raw.SendAsync(Encoding.ASCII.GetBytes("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"), SocketFlags.None, timeout.Token);
        Assert.Equal(200, ClientSupport.StatusOf(await ClientSupport.ReadResponseHeadAsync(raw, timeout.Token)));

        // The body, then nothing more: the connection ends by itself, well before the test's timeout.
        await ClientSupport.ReadUntilClosedAsync(raw, timeout.Token);
        await ClientSupport.WaitUntilAsync(() => server.Server.ConnectionCount == 0, timeout.Token);
    }

    [Theory]
    [InlineData("example.com", true)]
    [InlineData("example.com:8080", true)]
    [InlineData("EXAMPLE.COM", true)]
    [InlineData("example.com.", true)]          // the same name, its root label written out
    [InlineData("example.com.:8080", true)]
    [InlineData("a.example.org", true)]
    [InlineData("A.Example.Org:443", true)]
    [InlineData("deep.a.example.org", true)]
    [InlineData("evil.com", false)]
    [InlineData("example.com.evil", false)]
    [InlineData("example.com.evil:80", false)]
    [InlineData("sub.example.com", false)]      // only the wildcard entry admits subdomains
    [InlineData("example.org", false)]          // the bare parent of a wildcard
    [InlineData("notexample.org", false)]
    [InlineData("evil.com:example.com", false)]
    public async Task AllowedHosts_admits_the_listed_names_and_the_subdomains_of_a_wildcard_on_plain_requests_and_upgrades_alike(string host, bool allowed)
    {
        await using TestServer server = await TestServer.StartAsync(options => options.AllowedHosts.AddRange(["example.com", "*.example.org"]));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));

        string plain = await ClientSupport.RawRequestAsync(server.Port, $"GET /healthz HTTP/1.1\r\nHost: {host}\r\n\r\n", timeout.Token);
        string upgrade = await ClientSupport.RawRequestAsync(server.Port,
            ClientSupport.UpgradeRequest("/echo").Replace("Host: 127.0.0.1\r\n", $"Host: {host}\r\n", StringComparison.Ordinal), timeout.Token);

        Assert.Equal(allowed ? 200 : 400, ClientSupport.StatusOf(plain));
        Assert.Equal(allowed ? 101 : 400, ClientSupport.StatusOf(upgrade));
        if (!allowed)
        {
            Assert.True(await server.Log.WaitForAsync("400 host not allowed"));
            Assert.Equal(0, server.Server.Counters.Opened);
        }
    }

    private static async Task ReceiveExactlyAsync(Socket socket, byte[] buffer, CancellationToken cancellationToken)
    {
        int received = 0;
        while (received < buffer.Length)
        {
            int read = await socket.ReceiveAsync(buffer.AsMemory(received), SocketFlags.None, cancellationToken);
            Assert.NotEqual(0, read);
            received += read;
        }
    }
}
