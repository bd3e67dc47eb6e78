using System.Net;
using System.Net.WebSockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using WsFast.Tests.Server;
using WsFast.Tests.Tls;

namespace WsFast.Tests.Hosting;

/// <summary>
/// <c>AddWsFast(configuration.GetSection("WsFast"))</c>: every option from <c>appsettings.json</c>, through
/// <see cref="IOptions{TOptions}"/>, so that the usual <c>Configure</c> and <c>PostConfigure</c> apply too.
/// </summary>
public class ConfigurationTests
{
    [Fact]
    public async Task Every_option_binds_from_appsettings_json_nested_ones_times_lists_networks_and_tls_certificates_included()
    {
        using TestCertificates certificates = TestCertificates.Create();
        (string certificatePath, string keyPath) = certificates.WriteServerCertificate("server", "server");
        string pfxPath = Path.Combine(certificates.Folder, "api.pfx");
        using (X509Certificate2 api = certificates.IssueServerCertificate("api", out ECDsa key, "api.example.com"))
        using (key)
        {
            File.WriteAllBytes(pfxPath, api.Export(X509ContentType.Pfx, "pfx password"));
        }

        HostApplicationBuilder builder = TestHost.Create($$"""
            {
              "WsFast": {
                "Urls": [ "http://127.0.0.1:0", "https://127.0.0.1:0" ],
                "Endpoints": [ "127.0.0.1:0" ],
                "HandshakeTimeout": "00:00:07",
                "CloseTimeout": "00:00:04",
                "PingInterval": "00:00:40",
                "PingTimeout": "00:00:15",
                "IdleTimeout": "00:05:00",
                "SendStallTimeout": "00:00:20",
                "ShutdownTimeout": "00:00:01",
                "MaxMessageSize": 65536,
                "MaxHeaderBytes": 4096,
                "MaxHeaderCount": 50,
                "MaxConnections": 500,
                "MaxQueuedOutboundBytes": 262144,
                "MaxQueuedOutboundMessages": 256,
                "MaxUnreadInputBytes": 131072,
                "MemoryBudget": 134217728,
                "AllowedOrigins": [ "https://example.com", "https://*.example.com" ],
                "AllowedHosts": [ "localhost", "api.example.com" ],
                "TrustedProxies": [ "10.0.0.0/8", "fd00::/8", "192.168.1.1" ],
                "MetricsIncludeTopics": true,
                "MetricsRequireToken": true,
                "SocketEngine": "{{TestHost.Engine}}",
                "ClientLimits": {
                  "MaxConnectionsPerAddress": 10, "HandshakesPerSecond": 2.5, "HandshakeBurst": 5,
                  "MessagesPerSecond": 100, "MessageBurst": 200, "BytesPerSecond": 1000000, "ByteBurst": 2000000,
                  "MaxTrackedAddresses": 1000
                },
                "Broadcast": {
                  "HistorySize": 10, "HistoryBytes": 65536, "MaxHistoryBytes": 1048576, "TopicTimeToLive": "00:01:00",
                  "MaxTopics": 50, "PublishToken": "publish secret", "MaxPublishBytes": 4096, "RelayRate": 5,
                  "LongPollTimeout": "00:00:10", "PublishPath": "/pub", "EventStreamPath": "/events", "PollPath": "/p"
                },
                "PerMessageDeflate": {
                  "CompressionLevel": 3, "MemoryLevel": 4, "ServerMaxWindowBits": 10, "ClientMaxWindowBits": 11,
                  "ServerContextTakeover": true, "ClientContextTakeover": true, "MinimumMessageSize": 128,
                  "CompressBroadcastsPerConnection": true, "MaxConcurrentCompressions": 2, "IdleRelease": "00:00:05"
                },
                "Tls": {
                  "Certificate": { "Path": {{JsonSerializer.Serialize(certificatePath)}}, "KeyPath": {{JsonSerializer.Serialize(keyPath)}} },
                  "HostCertificates": { "api.example.com": { "Path": {{JsonSerializer.Serialize(pfxPath)}}, "Password": "pfx password" } },
                  "Protocols": "Tls12, Tls13"
                }
              }
            }
            """);
        builder.Services.AddWsFast(builder.Configuration.GetSection("WsFast")).Map("/echo", new EchoHandler());
        using IHost host = builder.Build();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await host.StartAsync(timeout.Token);
        WsFastServer server = host.Services.GetRequiredService<WsFastServer>();
        WsFastServerOptions options = server.Options;

        Assert.Same(host.Services.GetRequiredService<IOptions<WsFastServerOptions>>().Value, options);
        Assert.Equal(["http://127.0.0.1:0", "https://127.0.0.1:0"], options.Urls);
        Assert.Equal([new IPEndPoint(IPAddress.Loopback, 0)], options.Endpoints);
        Assert.Equal(
            [TimeSpan.FromSeconds(7), TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(40), TimeSpan.FromSeconds(15), TimeSpan.FromMinutes(5), TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(1)],
            [options.HandshakeTimeout, options.CloseTimeout, options.PingInterval, options.PingTimeout, options.IdleTimeout, options.SendStallTimeout, options.ShutdownTimeout]);
        Assert.Equal(
            [65536L, 4096, 50, 500, 262144, 256, 131072, 134217728],
            [options.MaxMessageSize, options.MaxHeaderBytes, options.MaxHeaderCount, options.MaxConnections, options.MaxQueuedOutboundBytes, options.MaxQueuedOutboundMessages, options.MaxUnreadInputBytes, options.MemoryBudget]);
        Assert.Equal(["https://example.com", "https://*.example.com"], options.AllowedOrigins);
        Assert.Equal(["localhost", "api.example.com"], options.AllowedHosts);
        Assert.Equal([IPNetwork.Parse("10.0.0.0/8"), IPNetwork.Parse("fd00::/8"), IPNetwork.Parse("192.168.1.1/32")], options.TrustedProxies);
        Assert.True(options.MetricsIncludeTopics && options.MetricsRequireToken);
        Assert.Equal(TestServer.Engine, options.SocketEngine);

        ClientLimitOptions limits = options.ClientLimits;
        Assert.Equal((10, 2.5, 5, 100, 200, 1000000L, 2000000L, 1000),
            (limits.MaxConnectionsPerAddress, limits.HandshakesPerSecond, limits.HandshakeBurst, limits.MessagesPerSecond, limits.MessageBurst, limits.BytesPerSecond, limits.ByteBurst, limits.MaxTrackedAddresses));

        BroadcastOptions broadcast = options.Broadcast;
        Assert.Equal((10, 65536L, 1048576L, TimeSpan.FromMinutes(1), 50, "publish secret", 4096, 5, TimeSpan.FromSeconds(10)),
            (broadcast.HistorySize, broadcast.HistoryBytes, broadcast.MaxHistoryBytes, broadcast.TopicTimeToLive, broadcast.MaxTopics, broadcast.PublishToken, broadcast.MaxPublishBytes, broadcast.RelayRate, broadcast.LongPollTimeout));
        Assert.Equal(("/pub", "/events", "/p"), (broadcast.PublishPath, broadcast.EventStreamPath, broadcast.PollPath));

        PerMessageDeflateOptions deflate = Assert.IsType<PerMessageDeflateOptions>(options.PerMessageDeflate);
        Assert.Equal((3, 4, 10, 11, true, true, 128, true, 2, TimeSpan.FromSeconds(5)),
            (deflate.CompressionLevel, deflate.MemoryLevel, deflate.ServerMaxWindowBits, deflate.ClientMaxWindowBits, deflate.ServerContextTakeover, deflate.ClientContextTakeover, deflate.MinimumMessageSize, deflate.CompressBroadcastsPerConnection, deflate.MaxConcurrentCompressions, deflate.IdleRelease));

        TlsOptions tls = Assert.IsType<TlsOptions>(options.Tls);
        Assert.Equal(SslProtocols.Tls12 | SslProtocols.Tls13, tls.Protocols);
        Assert.Equal($"{certificatePath} + {keyPath}", tls.Certificate!.ToString());
        Assert.Equal(pfxPath, tls.HostCertificates["API.example.com"].ToString());

        // Listening as configured: the plain URL and endpoint, the https URL with the PEM certificate, and the
        // PFX for the host that asks for it.
        Assert.Equal(2, server.EndPoints.Count);
        int tlsPort = Assert.Single(server.TlsEndPoints).Port;
        using var client = new ClientWebSocket();
        client.Options.KeepAliveInterval = TimeSpan.Zero;
        client.Options.SetRequestHeader("Origin", "https://app.example.com");
        client.Options.RemoteCertificateValidationCallback = (_, certificate, _, errors) => certificates.Validate(certificate, errors);
        await client.ConnectAsync(new Uri($"wss://localhost:{tlsPort}/echo"), timeout.Token);
        await client.AssertEchoesAsync("over TLS, configured");
        (var stream, X509Certificate2 presented) = await TlsKit.HandshakeAsync(tlsPort, "api.example.com");
        await stream.DisposeAsync();
        Assert.Equal("CN=api", presented.Subject);

        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "", timeout.Token);
        await host.StopAsync(timeout.Token);
    }

    [Fact]
    public async Task A_pem_certificate_whose_key_is_encrypted_is_read_with_its_password()
    {
        using TestCertificates certificates = TestCertificates.Create();
        string certificatePath = Path.Combine(certificates.Folder, "encrypted.crt");
        string keyPath = Path.Combine(certificates.Folder, "encrypted.key");
        using (X509Certificate2 certificate = certificates.IssueServerCertificate("encrypted", out ECDsa key))
        using (key)
        {
            File.WriteAllText(certificatePath, certificate.ExportCertificatePem());
            File.WriteAllText(keyPath, key.ExportEncryptedPkcs8PrivateKeyPem("key password", new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, 1000)));
        }

        HostApplicationBuilder builder = TestHost.Create($$"""
            {
              "WsFast": {
                "Urls": [ "wss://127.0.0.1:0" ],
                "SocketEngine": "{{TestHost.Engine}}",
                "Tls": { "Certificate": { "Path": {{JsonSerializer.Serialize(certificatePath)}}, "KeyPath": {{JsonSerializer.Serialize(keyPath)}}, "Password": "key password" } }
              }
            }
            """);
        builder.Services.AddWsFast(builder.Configuration.GetSection("WsFast")).Map("/echo", new EchoHandler());
        using IHost host = builder.Build();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await host.StartAsync(timeout.Token);
        WsFastServer server = host.Services.GetRequiredService<WsFastServer>();

        Assert.Empty(server.EndPoints);
        (var stream, X509Certificate2 presented) = await TlsKit.HandshakeAsync(Assert.Single(server.TlsEndPoints).Port, "localhost");
        await stream.DisposeAsync();
        Assert.Equal("CN=encrypted", presented.Subject);
        await host.StopAsync(timeout.Token);
    }

    [Fact]
    public async Task Configure_and_PostConfigure_after_AddWsFast_apply_to_the_options_of_the_configuration()
    {
        HostApplicationBuilder builder = TestHost.Create($$"""
            { "WsFast": { "Urls": [ "http://127.0.0.1:0" ], "MaxMessageSize": 1000, "MaxConnections": 10, "SocketEngine": "{{TestHost.Engine}}" } }
            """);
        builder.Services.Configure<WsFastServerOptions>(options => options.MaxConnections = 20); // before: the configuration wins
        builder.Services.AddWsFast(builder.Configuration.GetSection("WsFast")).Map("/echo", new EchoHandler());
        builder.Services.Configure<WsFastServerOptions>(options => options.MaxMessageSize *= 2);
        builder.Services.PostConfigure<WsFastServerOptions>(options => options.AllowedHosts.Add("localhost"));
        using IHost host = builder.Build();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await host.StartAsync(timeout.Token);
        WsFastServer server = host.Services.GetRequiredService<WsFastServer>();

        Assert.Equal(2000, server.Options.MaxMessageSize);
        Assert.Equal(10, server.Options.MaxConnections);
        Assert.Equal(["localhost"], server.Options.AllowedHosts);
        Assert.Null(server.Options.PerMessageDeflate);

        // The host check from PostConfigure is in force: a request by another name gets 400.
        string response = await ClientSupport.RawRequestAsync(server.EndPoints[0].Port,
            "GET /echo HTTP/1.1\r\nHost: elsewhere.example\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", timeout.Token);
        Assert.Equal(400, ClientSupport.StatusOf(response));
        await host.StopAsync(timeout.Token);
    }

    [Theory]
    [InlineData("""{ "PerMessageDeflate": {} }""", true)]
    [InlineData("""{ "PerMessageDeflate": true }""", true)]
    [InlineData("""{ "PerMessageDeflate": { "CompressionLevel": 1 } }""", true)]
    [InlineData("""{ "MaxConnections": 5 }""", false)]
    [InlineData("""{ "PerMessageDeflate": false }""", false)]
    public void A_PerMessageDeflate_section_turns_deflate_on_even_empty(string section, bool on)
    {
        HostApplicationBuilder builder = TestHost.Create($$"""{ "WsFast": {{section}} }""");
        builder.Services.AddWsFast(builder.Configuration.GetSection("WsFast"));
        using IHost host = builder.Build();

        WsFastServerOptions options = host.Services.GetRequiredService<IOptions<WsFastServerOptions>>().Value;

        Assert.Equal(on, options.PerMessageDeflate is not null);
    }

    [Fact]
    public void PerMessageDeflate_false_from_a_later_layer_turns_deflate_off_whatever_settings_an_earlier_layer_gave_it()
    {
        HostApplicationBuilder builder = TestHost.Create("""{ "WsFast": { "PerMessageDeflate": { "CompressionLevel": 9 } } }""");
        builder.Configuration.AddInMemoryCollection([new("WsFast:PerMessageDeflate", "false")]); // as WsFast__PerMessageDeflate=false
        builder.Services.AddWsFast(builder.Configuration.GetSection("WsFast"));
        using IHost host = builder.Build();

        Assert.Null(host.Services.GetRequiredService<IOptions<WsFastServerOptions>>().Value.PerMessageDeflate);
    }

    [Fact]
    public void Urls_may_be_one_string_separated_by_semicolons_as_ASPNETCORE_URLS()
    {
        HostApplicationBuilder builder = TestHost.Create("""{ "WsFast": { "Urls": "http://127.0.0.1:0; http://[::1]:0" } }""");
        builder.Services.AddWsFast(builder.Configuration.GetSection("WsFast"));
        using IHost host = builder.Build();

        Assert.Equal(["http://127.0.0.1:0", "http://[::1]:0"], host.Services.GetRequiredService<IOptions<WsFastServerOptions>>().Value.Urls);
    }
}
