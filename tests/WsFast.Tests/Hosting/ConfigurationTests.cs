using System.Net.WebSockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using WsFast.Tests.Server;

namespace WsFast.Tests.Hosting;

/// <summary>
/// <c>AddWsFast(configuration.GetSection("WsFast"))</c>: every option from <c>appsettings.json</c>, through
/// <see cref="IOptions{TOptions}"/>, so that the usual <c>Configure</c> and <c>PostConfigure</c> apply too.
/// </summary>
public class ConfigurationTests
{
    [Fact]
    public async Task A_server_configured_from_appsettings_json_listens_on_its_urls_and_serves_its_endpoints()
    {
        HostApplicationBuilder builder = TestHost.Create($$"""
            {
              "WsFast": {
                "Urls": [ "http://127.0.0.1:0" ],
                "MaxMessageSize": 4096,
                "SocketEngine": "{{TestHost.Engine}}"
              }
            }
            """);
        builder.Services.AddWsFast(builder.Configuration.GetSection("WsFast")).Map("/echo", new EchoHandler());
        using IHost host = builder.Build();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await host.StartAsync(timeout.Token);
        WsFastServer server = host.Services.GetRequiredService<WsFastServer>();

        Assert.Same(host.Services.GetRequiredService<IOptions<WsFastServerOptions>>().Value, server.Options);
        Assert.Equal(4096, server.Options.MaxMessageSize);
        Assert.Equal(["http://127.0.0.1:0"], server.Options.Urls);
        Assert.Equal(System.Net.IPAddress.Loopback, server.EndPoints[0].Address);
        using ClientWebSocket client = await TestHost.ConnectAsync(new Uri($"ws://127.0.0.1:{server.EndPoints[0].Port}/echo"), timeout.Token);
        await client.SendTextAsync("from configuration", timeout.Token);
        Assert.Equal("from configuration", await client.ReceiveTextAsync(timeout.Token));
        await host.StopAsync(timeout.Token);
    }
}
