using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace WsFast;

/// <summary>
/// The health of a <see cref="WsFastServer"/> for ASP.NET Core's health checks: Healthy while it serves,
/// Degraded while the bytes it holds for peers are over <see cref="WsFastServerOptions.MemoryBudget"/> (it refuses
/// new connections then), Unhealthy before it starts and while it stops. Register it with
/// <see cref="WsFastHealthChecksBuilderExtensions.AddWsFast"/>.
/// </summary>
/// <param name="server">The server to report on.</param>
public sealed class WsFastHealthCheck(WsFastServer server) : IHealthCheck
{
    /// <inheritdoc/>
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var data = new Dictionary<string, object>
        {
            ["connections"] = server.ConnectionCount,
            ["bufferedBytes"] = server.BufferedBytes,
            ["memoryBudget"] = server.Options.MemoryBudget,
        };
        HealthCheckResult result =
            !server.IsStarted ? new HealthCheckResult(context.Registration.FailureStatus, "not started", data: data)
            : server.IsStopping ? new HealthCheckResult(context.Registration.FailureStatus, "stopping: draining its connections", data: data)
            : server.IsOverBudget ? HealthCheckResult.Degraded("over its memory budget: refusing new connections", data: data)
            : !server.Topics.Broker.IsConnected ? HealthCheckResult.Degraded("the broker that shares topics is unreachable: refusing publishes", data: data)
            : HealthCheckResult.Healthy("serving", data);
        return Task.FromResult(result);
    }
}
