using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace WsFast.Tests.Hosting;

/// <summary>
/// The options are validated when the host starts (<c>ValidateOnStart</c>) with the server's own checks: one
/// <see cref="OptionsValidationException"/> lists every problem, each naming the setting as it was configured,
/// and nothing listens.
/// </summary>
public class ValidationTests
{
    [Fact]
    public async Task Every_bad_setting_is_listed_by_its_configuration_path_and_the_host_starts_nothing()
    {
        int free = FreePort();
        HostApplicationBuilder builder = TestHost.Create($$"""
            {
              "WsFast": {
                "Urls": [ "http://127.0.0.1:{{free}}", "http://127.0.0.1:{{free}}", "http//nowhere", "https://127.0.0.1:0" ],
                "MaxMessageSize": -1,
                "PingInterval": "-00:00:01",
                "Broadcast": { "HistorySize": -5 },
                "ClientLimits": { "MessagesPerSecond": -1 },
                "PerMessageDeflate": { "CompressionLevel": 12 },
                "TrustedProxies": [ "10.0.0.1/8", "not-an-address" ],
                "AllowedOrigins": [ "https://example.com/" ]
              }
            }
            """);
        builder.Services.AddWsFast(builder.Configuration.GetSection("WsFast")).Map("/echo", new EchoHandler());
        using IHost host = builder.Build();

        OptionsValidationException failed = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        string[] expected =
        [
            "WsFast:MaxMessageSize must be at least 1 (was -1).",
            "WsFast:PingInterval must not be negative (was -00:00:01).",
            "WsFast:Broadcast:HistorySize must be at least 0 (was -5).",
            "WsFast:ClientLimits:MessagesPerSecond must be at least 0 (was -1).",
            "WsFast:PerMessageDeflate:CompressionLevel must be from 1 to 9 (was 12).",
            "WsFast:TrustedProxies:0 '10.0.0.1/8' is neither an IP address nor a network such as 10.0.0.0/8 or fd00::/8.",
            "WsFast:TrustedProxies:1 'not-an-address' is neither an IP address nor a network such as 10.0.0.0/8 or fd00::/8.",
            "WsFast:Urls:2 'http//nowhere' is not a URL such as http://0.0.0.0:8080 or https://*:8443.",
            "WsFast:Urls:3 'https://127.0.0.1:0' listens with TLS and needs a certificate: set WsFast:Tls:Certificate.",
            $"WsFast:Urls and Endpoints listen on 127.0.0.1:{free} twice (the same address): each address and port can be listened on once, with or without TLS.",
        ];
        foreach (string problem in expected)
        {
            Assert.Contains(problem, failed.Failures);
        }

        Assert.Contains(failed.Failures, f => f.StartsWith("WsFast:AllowedOrigins has 'https://example.com/'", StringComparison.Ordinal));
        Assert.Equal(expected.Length + 1, failed.Failures.Count());

        // Nothing was bound: the port is still free.
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, free));
    }

    [Fact]
    public async Task A_value_the_binder_cannot_convert_is_named_with_its_path()
    {
        HostApplicationBuilder builder = TestHost.Create("""{ "WsFast": { "MaxConnections": "lots" } }""");
        builder.Services.AddWsFast(builder.Configuration.GetSection("WsFast"));
        using IHost host = builder.Build();

        OptionsValidationException failed = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        string failure = Assert.Single(failed.Failures);
        Assert.Contains("'lots'", failure);
        Assert.Contains("WsFast:MaxConnections", failure);
    }

    [Fact]
    public async Task Options_set_in_code_are_named_as_in_code()
    {
        HostApplicationBuilder builder = TestHost.Create();
        builder.Services.AddWsFast(options =>
        {
            options.Urls.Add("http://127.0.0.1:0");
            options.MaxHeaderBytes = 100;
            options.Broadcast.MaxTopics = 0;
        });
        using IHost host = builder.Build();

        OptionsValidationException failed = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Equal(
            ["Broadcast.MaxTopics must be at least 1 (was 0).", "MaxHeaderBytes must be at least 256 (was 100)."],
            failed.Failures.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Two_named_servers_that_are_both_misconfigured_are_both_reported()
    {
        HostApplicationBuilder builder = TestHost.Create("""
            { "Public": { "MaxConnections": 0 }, "Admin": { "CloseTimeout": "00:00:00" } }
            """);
        builder.Services.AddWsFast("public", builder.Configuration.GetSection("Public"));
        builder.Services.AddWsFast("admin", builder.Configuration.GetSection("Admin"));
        using IHost host = builder.Build();

        AggregateException failed = await Assert.ThrowsAsync<AggregateException>(() => host.StartAsync());

        string[] failures = [.. failed.InnerExceptions.OfType<OptionsValidationException>().SelectMany(e => e.Failures).Order(StringComparer.Ordinal)];
        Assert.Equal(["Admin:CloseTimeout must be positive (was 00:00:00).", "Public:MaxConnections must be at least 1 (was 0)."], failures);
    }

    private static int FreePort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}
