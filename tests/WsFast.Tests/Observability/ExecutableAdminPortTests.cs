using System.Net;
using System.Text.Json;
using WsFast.Tests.Support;

namespace WsFast.Tests.Observability;

/// <summary>The executable with <c>--admin-port</c>: <c>/metrics</c> and the detailed <c>/healthz</c> there, not on <c>--port</c>.</summary>
public class ExecutableAdminPortTests
{
    [Fact]
    public async Task Admin_port_serves_metrics_and_health_details_and_the_public_port_does_not()
    {
        int adminPort = ObservedServer.FreePort();
        await using ServerProcess server = await ServerProcess.StartAsync(["--admin-port", adminPort.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        using var http = new HttpClient { Timeout = ObservedServer.Timeout };
        var admin = new Uri($"http://127.0.0.1:{adminPort}");

        Assert.Contains("\nwsfast_connections_open ", await http.GetStringAsync(new Uri(admin, "/metrics")), StringComparison.Ordinal);
        using JsonDocument details = JsonDocument.Parse(await http.GetStringAsync(new Uri(admin, "/healthz")));
        Assert.True(details.RootElement.GetProperty("allocatedBytes").GetInt64() > 0);

        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(server.Http("/metrics"))).StatusCode);
        Assert.Equal("""{"status":"ok"}""", await http.GetStringAsync(server.Http("/healthz")));
    }
}
