using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using WsFast.Tests.Server;

namespace WsFast.Tests.Hosting;

/// <summary>
/// <c>Urls</c>, as Kestrel's: <c>scheme://host:port</c> with the host <c>*</c>, <c>+</c>, <c>localhost</c> or an IP
/// address; what a listener cannot honour (a path, a host name) is refused with the reason.
/// </summary>
public class UrlTests
{
    [Theory]
    [InlineData("localhost", "127.0.0.1", "::1")]
    [InlineData("*", "0.0.0.0", "::")]
    [InlineData("+", "0.0.0.0", "::")]
    public async Task A_host_of_both_families_listens_on_both_and_clients_of_each_connect(string host, string ipv4, string ipv6)
    {
        int port = FreePort();
        await using IAsyncDisposable running = await StartAsync($"ws://{host}:{port}", out WsFastServer server);

        Assert.Equal([new IPEndPoint(IPAddress.Parse(ipv4), port), new IPEndPoint(IPAddress.Parse(ipv6), port)], server.EndPoints);
        await AssertEchoesAsync($"ws://127.0.0.1:{port}/echo");
        await AssertEchoesAsync($"ws://[::1]:{port}/echo");
    }

    [Fact]
    public async Task Port_0_picks_a_free_port_on_each_literal_address_and_urls_add_to_the_endpoints()
    {
        await using IAsyncDisposable running = await StartAsync("http://0.0.0.0:0;http://[::1]:0;HTTP://127.0.0.1:0/", out WsFastServer server,
            options => options.Endpoints.Add(new IPEndPoint(IPAddress.Loopback, 0)));

        Assert.Equal(4, server.EndPoints.Count);
        Assert.All(server.EndPoints, endPoint => Assert.NotEqual(0, endPoint.Port));
        Assert.Equal([IPAddress.Loopback, IPAddress.Any, IPAddress.IPv6Loopback, IPAddress.Loopback], server.EndPoints.Select(e => e.Address));
        await AssertEchoesAsync($"ws://127.0.0.1:{server.EndPoints[1].Port}/echo");
        await AssertEchoesAsync($"ws://[::1]:{server.EndPoints[2].Port}/echo");
    }

    [Theory]
    [InlineData("http://127.0.0.1:8080/chat", "has a path: the server serves the paths it maps on every address it listens on")]
    [InlineData("http://example.com:8080", "has the host 'example.com': a server listens on addresses")]
    [InlineData("http://localhost:0", "has port 0 on 'localhost', which is 2 addresses: each would pick a different port")]
    [InlineData("ftp://127.0.0.1:21", "has the scheme 'ftp': it must be http or https")]
    [InlineData("http://127.0.0.1:99999", "has the port '99999': a port is a number from 0 (any free port) to 65535")]
    [InlineData("http://::1:80", "has an IPv6 address without brackets")]
    [InlineData("127.0.0.1:8080", "is not a URL")]
    public void A_url_a_listener_cannot_honour_is_refused_with_the_reason(string url, string reason)
    {
        HostApplicationBuilder builder = TestHost.Create();
        builder.Services.AddWsFast(options => options.Urls.Add(url));
        using IHost host = builder.Build();

        OptionsValidationException failed = Assert.Throws<OptionsValidationException>(() => host.Services.GetRequiredService<IOptions<WsFastServerOptions>>().Value);

        string failure = Assert.Single(failed.Failures);
        Assert.StartsWith($"Urls[0] '{url}' {reason}", failure);
    }

    [Fact]
    public async Task Without_services_the_same_rules_apply_when_the_server_is_made()
    {
        var options = new WsFastServerOptions { Urls = { "http://example.com:80" } };
        ArgumentException refused = Assert.ThrowsAny<ArgumentException>(() => new WsFastServer(options));
        Assert.Contains("has the host 'example.com'", refused.Message);

        await using var server = new WsFastServer(new WsFastServerOptions { Urls = { "http://127.0.0.1:0" }, SocketEngine = TestServer.Engine });
        server.Map("/echo", new EchoHandler());
        await server.StartAsync();
        await AssertEchoesAsync($"ws://127.0.0.1:{Assert.Single(server.EndPoints).Port}/echo");
    }

    private static Task<IAsyncDisposable> StartAsync(string urls, out WsFastServer server, Action<WsFastServerOptions>? configure = null)
    {
        HostApplicationBuilder builder = TestHost.Create($$"""{ "WsFast": { "Urls": "{{urls}}", "SocketEngine": "{{TestHost.Engine}}", "ShutdownTimeout": "00:00:01" } }""");
        builder.Services.AddWsFast(builder.Configuration.GetSection("WsFast")).Map("/echo", new EchoHandler());
        if (configure is not null)
        {
            builder.Services.Configure(configure);
        }

        IHost host = builder.Build();
        server = host.Services.GetRequiredService<WsFastServer>();
        return StartedAsync(host);

        static async Task<IAsyncDisposable> StartedAsync(IHost host)
        {
            await host.StartAsync();
            return new Stopping(host);
        }
    }

    private static async Task AssertEchoesAsync(string uri)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        using ClientWebSocket client = await TestHost.ConnectAsync(new Uri(uri), timeout.Token);
        await client.SendTextAsync(uri, timeout.Token);
        Assert.Equal(uri, await client.ReceiveTextAsync(timeout.Token));
        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "", timeout.Token);
    }

    private static int FreePort()
    {
        // Free on both families, for hosts that listen on both.
        using var ipv6 = new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp) { DualMode = true };
        ipv6.Bind(new IPEndPoint(IPAddress.IPv6Any, 0));
        return ((IPEndPoint)ipv6.LocalEndPoint!).Port;
    }

    private sealed class Stopping(IHost host) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await host.StopAsync();
            host.Dispose();
        }
    }
}
