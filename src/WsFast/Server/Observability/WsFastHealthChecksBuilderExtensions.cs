using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace WsFast;

/// <summary>Registers <see cref="WsFastHealthCheck"/> with ASP.NET Core's health checks.</summary>
public static class WsFastHealthChecksBuilderExtensions
{
    /// <summary>
    /// Adds a check of the <see cref="WsFastServer"/> registered in the services (by <c>AddWsFast</c>):
    /// <c>services.AddHealthChecks().AddWsFast()</c>.
    /// </summary>
    /// <param name="builder">The health checks builder.</param>
    /// <param name="name">The check's name. Default <c>wsfast</c>.</param>
    /// <param name="failureStatus">What the check reports before the server starts and while it stops. Default Unhealthy.</param>
    /// <param name="tags">Tags to filter checks by, such as <c>ready</c>.</param>
    public static IHealthChecksBuilder AddWsFast(this IHealthChecksBuilder builder, string name = "wsfast", HealthStatus? failureStatus = null, IEnumerable<string>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Add(new HealthCheckRegistration(
            name, provider => new WsFastHealthCheck(provider.GetRequiredService<WsFastServer>()), failureStatus, tags));
    }
}
