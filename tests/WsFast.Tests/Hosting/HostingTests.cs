using System.Net;
using System.Net.WebSockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using WsFast.Tests.Server;

namespace WsFast.Tests.Hosting;

/// <summary>The server inside a .NET Generic Host, registered with <c>AddWsFast</c>: its life follows the host's.</summary>
public class HostingTests
{
    [Fact]
    public async Task Starting_the_host_starts_the_server_and_stopping_it_closes_clients_with_1001()
    {
        HostApplicationBuilder builder = TestHost.Create();
        builder.Services.AddSingleton<TestServer.Echo>();
        builder.Services.AddWsFast(options =>
            {
                options.Urls.Add("http://127.0.0.1:0");
                options.ShutdownTimeout = TimeSpan.FromSeconds(3);
                options.SocketEngine = TestServer.Engine;
            })
            .Configure((server, services) => server.Map("/echo", services.GetRequiredService<TestServer.Echo>()));
        using IHost host = builder.Build();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));

        await host.StartAsync(timeout.Token);
        WsFastServer server = host.Services.GetRequiredService<WsFastServer>();
        Assert.Single(server.EndPoints);
        Assert.NotEqual(0, server.EndPoints[0].Port);

        using ClientWebSocket client = await TestHost.ConnectAsync(new Uri($"ws://127.0.0.1:{server.EndPoints[0].Port}/echo"), timeout.Token);
        await client.SendTextAsync("hosted", timeout.Token);
        Assert.Equal("hosted", await client.ReceiveTextAsync(timeout.Token));

        Task<(WebSocketCloseStatus? Status, string? Reason)> closing = client.ExpectCloseAsync(timeout.Token);
        await host.StopAsync(timeout.Token);

        (WebSocketCloseStatus? status, _) = await closing;
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, status);
        Assert.Equal(0, server.ConnectionCount);
    }

    [Fact]
    public async Task The_server_is_a_singleton_and_after_the_host_stops_new_connections_are_refused()
    {
        HostApplicationBuilder builder = TestHost.Create();
        builder.Services.AddWsFast(options =>
            {
                options.Endpoints.Add(new IPEndPoint(IPAddress.Loopback, 0));
                options.SocketEngine = TestServer.Engine;
            })
            .Map("/echo", new TestServer.Echo());
        using IHost host = builder.Build();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));

        await host.StartAsync(timeout.Token);
        WsFastServer server = host.Services.GetRequiredService<WsFastServer>();
        Assert.Same(server, host.Services.GetRequiredService<WsFastServer>());
        int port = server.EndPoints[0].Port;
        await host.StopAsync(timeout.Token);

        using var client = new ClientWebSocket();
        await Assert.ThrowsAsync<WebSocketException>(() => client.ConnectAsync(new Uri($"ws://127.0.0.1:{port}/echo"), timeout.Token));
    }
}
