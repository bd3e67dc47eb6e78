using System.Net;
using System.Net.WebSockets;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using WsFast.Protocol;
using WsFast.Tests.Server;
using WsFast.Tests.Support;

namespace WsFast.Tests.Observability;

/// <summary>
/// <c>/healthz</c> for load balancers (a status word, 503 while draining), its details for operators (the admin
/// port, or where <c>/metrics</c> is served without one), and the <see cref="WsFastHealthCheck"/> of ASP.NET Core's
/// health checks.
/// </summary>
public class HealthTests
{
    [Fact]
    public async Task Public_healthz_tells_the_status_and_nothing_else()
    {
        await using ObservedServer server = await ObservedServer.StartAsync();
        using var http = new HttpClient { Timeout = ObservedServer.Timeout };

        using HttpResponseMessage response = await http.GetAsync(server.Http("/healthz"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("""{"status":"ok"}""", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Without_an_admin_port_the_details_are_where_metrics_is_and_need_its_token_when_it_does()
    {
        await using ObservedServer open = await ObservedServer.StartAsync();
        await using ObservedServer guarded = await ObservedServer.StartAsync(options =>
        {
            options.Broadcast.PublishToken = "s3cret";
            options.MetricsRequireToken = true;
        });
        using var http = new HttpClient { Timeout = ObservedServer.Timeout };

        using JsonDocument details = JsonDocument.Parse(await http.GetStringAsync(open.Http("/healthz?details")));
        Assert.Equal("ok", details.RootElement.GetProperty("status").GetString());
        Assert.True(details.RootElement.GetProperty("allocatedBytes").GetInt64() > 0);
        Assert.Equal(1, details.RootElement.GetProperty("connections").GetInt32()); // this request's

        using (HttpResponseMessage anonymous = await http.GetAsync(guarded.Http("/healthz?details")))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        }

        using (HttpResponseMessage status = await http.GetAsync(guarded.Http("/healthz")))
        {
            Assert.Equal(HttpStatusCode.OK, status.StatusCode);
            Assert.Equal("""{"status":"ok"}""", await status.Content.ReadAsStringAsync());
        }

        var request = new HttpRequestMessage(HttpMethod.Get, guarded.Http("/healthz?details"));
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "s3cret");
        using HttpResponseMessage authorized = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, authorized.StatusCode);
        Assert.Contains("\"messagesIn\":", await authorized.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_details_give_the_managed_heap_and_the_pinned_heap_the_socket_blocks_live_on()
    {
        await using ObservedServer server = await ObservedServer.StartAsync();
        using var http = new HttpClient { Timeout = ObservedServer.Timeout };

        // A connection's receive blocks come from the pinned pool; a collection makes the figures current.
        using var socket = new ClientWebSocket();
        await socket.ConnectAsync(server.Ws("/echo"), CancellationToken.None);
        GC.Collect();
        using JsonDocument details = JsonDocument.Parse(await http.GetStringAsync(server.Http("/healthz?details")));

        long heap = details.RootElement.GetProperty("gcHeapBytes").GetInt64();
        long pinned = details.RootElement.GetProperty("pinnedBytes").GetInt64();
        Assert.True(heap > 0, $"gcHeapBytes {heap}");
        Assert.True(pinned >= 4096, $"pinnedBytes {pinned}: at least one 4 KiB socket block is pinned");
        Assert.True(pinned < heap, $"pinnedBytes {pinned} is part of gcHeapBytes {heap}");
        Assert.True(details.RootElement.GetProperty("gcFullCollections").GetInt32() >= 1, "the GC.Collect() above was a full collection");
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
    }

    [Fact]
    public async Task With_an_admin_port_metrics_and_the_details_are_served_there_only()
    {
        await using ObservedServer server = await ObservedServer.StartAsync(admin: true);
        using var http = new HttpClient { Timeout = ObservedServer.Timeout };

        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(server.Http("/metrics"))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(server.Http("/healthz?details"))).StatusCode);
        Assert.Equal("""{"status":"ok"}""", await http.GetStringAsync(server.Http("/healthz")));

        using JsonDocument details = JsonDocument.Parse(await http.GetStringAsync(server.Admin("/healthz")));
        Assert.Equal("ok", details.RootElement.GetProperty("status").GetString());
        Assert.True(details.RootElement.TryGetProperty("bufferedBytes", out _));
        Assert.Contains("\nwsfast_connections_accepted_total ", await http.GetStringAsync(server.Admin("/metrics")), StringComparison.Ordinal);

        // Nothing else is there: no content, no WebSocket, no other method.
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(server.Admin("/"))).StatusCode);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, (await http.PostAsync(server.Admin("/metrics"), null)).StatusCode);
        using var timeout = new CancellationTokenSource(ObservedServer.Timeout);
        string refused = await ClientSupport.RawRequestAsync(server.Server.AdminEndPoints[0].Port, ClientSupport.UpgradeRequest("/echo"), timeout.Token);
        Assert.Equal(404, ClientSupport.StatusOf(refused));
    }

    [Fact]
    public async Task Healthz_answers_503_stopping_while_the_server_drains()
    {
        await using ObservedServer server = await ObservedServer.StartAsync(options => options.ShutdownTimeout = TimeSpan.FromSeconds(2), admin: true);
        var check = new WsFastHealthCheck(server.Server);
        using var http = new HttpClient { Timeout = ObservedServer.Timeout };
        Assert.Equal(HealthStatus.Healthy, (await CheckAsync(check)).Status);

        // A client that never answers the 1001: the drain lasts the shutdown timeout.
        await using RawClient client = await RawClient.OpenAsync(server.Port);
        Task stopping = server.Server.StopAsync();
        Assert.Equal((ushort)1001, (await client.ReadFrameAsync()).CloseCode);

        using (HttpResponseMessage response = await http.GetAsync(server.Admin("/healthz")))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            using JsonDocument health = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            Assert.Equal("stopping", health.RootElement.GetProperty("status").GetString());
            Assert.Equal(2, health.RootElement.GetProperty("connections").GetInt32()); // the one draining, and this request
        }

        Assert.False(stopping.IsCompleted);
        HealthCheckResult result = await CheckAsync(check);
        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        Assert.Contains("stopping", result.Description, StringComparison.Ordinal);
        await stopping.WaitAsync(ObservedServer.Timeout);
    }

    [Fact]
    public async Task The_registered_health_check_is_unhealthy_until_started_then_degraded_while_over_the_memory_budget()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddWsFast(
            options =>
            {
                options.SocketEngine = TestServer.Engine;
                options.Endpoints.Add(new IPEndPoint(IPAddress.Loopback, 0));
                options.MemoryBudget = 1024 * 1024;

                // 4 s deadlines: the timer that judges the budget ticks once a second.
                options.HandshakeTimeout = options.CloseTimeout = options.SendStallTimeout = TimeSpan.FromSeconds(4);
            })
            .Map("/echo", new TestServer.Echo());
        services.AddHealthChecks().AddWsFast();
        await using ServiceProvider provider = services.BuildServiceProvider();
        HealthCheckService health = provider.GetRequiredService<HealthCheckService>();
        WsFastServer server = provider.GetRequiredService<WsFastServer>();

        HealthReport before = await health.CheckHealthAsync();
        Assert.Equal(HealthStatus.Unhealthy, before.Entries["wsfast"].Status);
        Assert.Equal("not started", before.Entries["wsfast"].Description);

        await server.StartAsync();
        Assert.Equal(HealthStatus.Healthy, (await health.CheckHealthAsync()).Status);

        // 1.5 MiB of a 2 MiB message: held while it is assembled, over the 1 MiB budget until the server closes it.
        await using RawClient client = await RawClient.OpenAsync(server.EndPoints[0].Port);
        byte[] frame = ClientFrames.Frame(Opcode.Binary, new byte[2 * 1024 * 1024]);
        await client.SendAsync(frame.AsMemory(0, 1536 * 1024));
        HealthReport over = await UntilAsync(health, HealthStatus.Degraded);
        Assert.Contains("memory budget", over.Entries["wsfast"].Description, StringComparison.Ordinal);
        Assert.Equal((ushort)1009, (await client.ReadFrameAnsweringPingsAsync()).CloseCode);
        await UntilAsync(health, HealthStatus.Healthy);
        await server.DisposeAsync();
    }

    private static Task<HealthCheckResult> CheckAsync(WsFastHealthCheck check) =>
        check.CheckHealthAsync(new HealthCheckContext { Registration = new HealthCheckRegistration("wsfast", check, HealthStatus.Unhealthy, null) });

    private static async Task<HealthReport> UntilAsync(HealthCheckService health, HealthStatus status)
    {
        DateTime until = DateTime.UtcNow + ObservedServer.Timeout;
        while (true)
        {
            HealthReport report = await health.CheckHealthAsync();
            if (report.Status == status)
            {
                return report;
            }

            Assert.True(DateTime.UtcNow < until, $"the check never said {status}; last: {report.Status}");
            await Task.Delay(10);
        }
    }
}
