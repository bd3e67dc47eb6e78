using System.Net.WebSockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using WsFast.Tests.Server;

namespace WsFast.Tests.Hosting;

/// <summary>Several servers in one host: each named, with named options, resolved as a keyed service.</summary>
public class NamedServerTests
{
    [Fact]
    public async Task Two_named_servers_have_their_own_options_endpoints_and_lifetimes_in_one_host()
    {
        HostApplicationBuilder builder = TestHost.Create($$"""
            {
              "Public": { "Urls": [ "http://127.0.0.1:0" ], "MaxMessageSize": 1024, "SocketEngine": "{{TestHost.Engine}}" },
              "Admin": { "Urls": [ "http://127.0.0.1:0" ], "SocketEngine": "{{TestHost.Engine}}" }
            }
            """);
        WsFastBuilder publicServer = builder.Services.AddWsFast("public", builder.Configuration.GetSection("Public")).Map("/echo", new EchoHandler());
        builder.Services.AddWsFast("admin", builder.Configuration.GetSection("Admin")).MapBroadcast("/events");
        builder.Services.Configure<WsFastServerOptions>("admin", options => options.MaxMessageSize = 2048);
        using IHost host = builder.Build();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await host.StartAsync(timeout.Token);

        WsFastServer server = host.Services.GetRequiredKeyedService<WsFastServer>("public");
        WsFastServer admin = host.Services.GetRequiredKeyedService<WsFastServer>("admin");
        Assert.Equal("public", publicServer.Name);
        Assert.NotSame(server, admin);
        Assert.Null(host.Services.GetService<WsFastServer>());
        Assert.Same(host.Services.GetRequiredService<IOptionsMonitor<WsFastServerOptions>>().Get("admin"), admin.Options);
        Assert.Equal((1024L, 2048L), (server.Options.MaxMessageSize, admin.Options.MaxMessageSize));
        Assert.Equal(["/echo"], server.Endpoints.Keys);
        Assert.Equal(["/events"], admin.Endpoints.Keys);

        using ClientWebSocket subscriber = await TestHost.ConnectAsync(new Uri($"ws://127.0.0.1:{admin.EndPoints[0].Port}/events"), timeout.Token);
        using ClientWebSocket client = await TestHost.ConnectAsync(new Uri($"ws://127.0.0.1:{server.EndPoints[0].Port}/echo"), timeout.Token);
        await client.SendTextAsync("public", timeout.Token);
        Assert.Equal("public", await client.ReceiveTextAsync(timeout.Token));
        await ClientSupport.WaitUntilAsync(() => admin.Topics.Publish("default", "to the admin").Subscribers > 0, timeout.Token);
        Assert.Equal("to the admin", await subscriber.ReceiveTextAsync(timeout.Token));

        // Both stop with the host, each closing its clients with 1001.
        Task<(WebSocketCloseStatus? Status, string? Reason)> clientClosed = client.ExpectCloseAsync(timeout.Token);
        Task<(WebSocketCloseStatus? Status, string? Reason)> subscriberClosed = subscriber.ExpectCloseAsync(timeout.Token);
        await host.StopAsync(timeout.Token);
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, (await clientClosed).Status);
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, (await subscriberClosed).Status);
    }

    [Fact]
    public void A_second_AddWsFast_of_the_same_name_or_a_path_mapped_twice_is_refused_at_once()
    {
        var services = new ServiceCollection();
        WsFastBuilder builder = services.AddWsFast(options => { }).Map("/chat", new EchoHandler());

        Assert.Contains("twice for the unnamed server", Assert.Throws<InvalidOperationException>(() => services.AddWsFast(options => { })).Message);
        services.AddWsFast("other", options => { });
        Assert.Contains("twice for the server 'other'", Assert.Throws<InvalidOperationException>(() => services.AddWsFast("other", options => { })).Message);
        Assert.Contains("'/chat' is mapped already", Assert.Throws<ArgumentException>(() => builder.MapBroadcast("/chat")).Message);
        Assert.Contains("starts with '/'", Assert.Throws<ArgumentException>(() => builder.Map<EchoHandler>("chat")).Message);
    }
}
