using System.Net;
using System.Net.WebSockets;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using WsFast.Tests.Broadcast;
using WsFast.Tests.Executable;
using WsFast.Tests.Hosting;
using WsFast.Tests.Server;

namespace WsFast.Tests.Brokers;

/// <summary>
/// Choosing where topics live: the in-memory broker by default (one server, nothing else to run, as before), Redis
/// by configuration, and what is refused before anything starts.
/// </summary>
public class BrokerOptionsTests
{
    [Fact]
    public void Redis_needs_a_configuration_string_and_a_key_prefix_without_braces_both_named_in_one_error()
    {
        var options = new WsFastServerOptions();
        options.Broker.Kind = BrokerKind.Redis;
        options.Broker.KeyPrefix = "app{1}";

        ArgumentException failed = Assert.ThrowsAny<ArgumentException>(() => new WsFastServer(options));

        Assert.Contains("Broker.Redis is required when Broker.Kind is Redis", failed.Message, StringComparison.Ordinal);
        Assert.Contains("Broker.KeyPrefix must be non-empty, without '{' or '}' (was 'app{1}')", failed.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_broker_section_binds_from_configuration()
    {
        HostApplicationBuilder builder = TestHost.Create("""
            { "WsFast": { "Broker": { "Kind": "redis", "Redis": "127.0.0.1:6390,password=secret", "KeyPrefix": "app",
                                      "UnsubscribeDelay": "00:00:05", "PresenceInterval": "00:00:02", "SyncTimeout": "00:00:03" } } }
            """);
        builder.Services.AddWsFast(builder.Configuration.GetSection("WsFast"));
        using IHost host = builder.Build();

        BrokerOptions broker = host.Services.GetRequiredService<IOptions<WsFastServerOptions>>().Value.Broker;

        Assert.Equal(
            (BrokerKind.Redis, "127.0.0.1:6390,password=secret", "app", TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(3)),
            (broker.Kind, broker.Redis, broker.KeyPrefix, broker.UnsubscribeDelay, broker.PresenceInterval, broker.SyncTimeout));
    }

    [Fact]
    public async Task The_executable_with_broker_redis_and_no_redis_stops_the_start_with_exit_code_2_naming_it()
    {
        await using HostedExecutable server = HostedExecutable.Start(["--port", "0", "--broker", "redis"]);

        Assert.Equal(2, await server.ExitCodeAsync());
        Assert.StartsWith("wsfast: ", server.Stderr, StringComparison.Ordinal);
        Assert.Contains("WsFast:Broker:Redis is required", server.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_a_broker_a_publish_answers_the_subscribers_it_reached_with_the_topics_epoch_and_cursor()
    {
        await using TestServer server = await BroadcastKit.StartAsync();
        ClientWebSocket[] clients = await BroadcastKit.SubscribeAsync(server, "/broadcast/news", "news", 2);
        using HttpClient http = BroadcastKit.HttpClient(server);

        using HttpResponseMessage response = await BroadcastKit.PostTextAsync(http, "news", "hello");
        JsonElement answer = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

        long epoch = server.Server.Topics.Find("news")!.Epoch;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal((1L, 2, epoch, $"{epoch}:1"), (answer.GetProperty("sequence").GetInt64(), answer.GetProperty("subscribers").GetInt32(),
            answer.GetProperty("epoch").GetInt64(), answer.GetProperty("cursor").GetString()));
        Assert.Equal(new PublishResult(2, 2) { Epoch = epoch }, await server.Server.Topics.PublishAsync("news", "again"));
        Assert.False(server.Server.Topics.Broker.IsShared);
        await BroadcastKit.CloseAllAsync(clients);
    }
}

/// <summary>
/// <c>GET /topics/{topic}</c>: a topic's subscribers over every server, the servers with any, this server's, its
/// epoch and last sequence number; served where <c>/metrics</c> is, under its rule.
/// </summary>
public class TopicInfoTests
{
    [Fact]
    public async Task Without_a_broker_it_tells_this_servers_subscribers_epoch_and_last_sequence_number()
    {
        await using TestServer server = await BroadcastKit.StartAsync();
        ClientWebSocket[] clients = await BroadcastKit.SubscribeAsync(server, "/broadcast/news", "news", 2);
        server.Server.Topics.Publish("news", "one");
        long epoch = server.Server.Topics.Find("news")!.Epoch;

        (int status, JsonElement info) = await BrokerKit.GetJsonAsync(server, "/topics/news");

        Assert.Equal(200, status);
        Assert.Equal(("news", 2L, 1, 2, epoch, 1L, $"{epoch}:1"), (info.GetProperty("topic").GetString(), info.GetProperty("subscribers").GetInt64(),
            info.GetProperty("servers").GetInt32(), info.GetProperty("here").GetInt32(), info.GetProperty("epoch").GetInt64(),
            info.GetProperty("last").GetInt64(), info.GetProperty("cursor").GetString()));
        (status, info) = await BrokerKit.GetJsonAsync(server, "/topics/nobody");
        Assert.Equal((200, 0L, 0, 0L), (status, info.GetProperty("subscribers").GetInt64(), info.GetProperty("servers").GetInt32(), info.GetProperty("epoch").GetInt64()));
        Assert.Equal(400, (await BrokerKit.GetJsonAsync(server, "/topics/bad%20name")).Status);
        await BroadcastKit.CloseAllAsync(clients);
    }

    [Fact]
    public async Task It_follows_the_metrics_rule_the_token_when_metrics_require_it_and_the_admin_port_only_when_there_is_one()
    {
        await using (TestServer guarded = await BroadcastKit.StartAsync(options =>
        {
            options.MetricsRequireToken = true;
            options.Broadcast.PublishToken = "operator-token";
        }))
        {
            Assert.Equal(401, (await BrokerKit.GetJsonAsync(guarded, "/topics/news")).Status);
            Assert.Equal(403, (await BrokerKit.GetJsonAsync(guarded, "/topics/news", token: "guess")).Status);
            Assert.Equal(200, (await BrokerKit.GetJsonAsync(guarded, "/topics/news", token: "operator-token")).Status);
        }

        await using TestServer withAdmin = await BroadcastKit.StartAsync(options => options.AdminEndpoints.Add(new IPEndPoint(IPAddress.Loopback, 0)));
        Assert.Equal(404, (await BrokerKit.GetJsonAsync(withAdmin, "/topics/news")).Status);
        using var admin = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{withAdmin.Server.AdminEndPoints[0].Port}/"), Timeout = BroadcastKit.Timeout };
        using HttpResponseMessage answer = await admin.GetAsync("/topics/news");
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.Equal("news", JsonDocument.Parse(await answer.Content.ReadAsStringAsync()).RootElement.GetProperty("topic").GetString());
    }
}
