using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace WsFast;

/// <summary>Runs a <see cref="WsFastServer"/> inside a .NET Generic Host.</summary>
public static class WsFastServiceCollectionExtensions
{
    /// <summary>
    /// Registers a <see cref="WsFastServer"/> as a singleton and as a hosted service that starts it with the
    /// host and shuts it down gracefully (1001 to every client) when the host stops.
    /// </summary>
    /// <param name="services">The host's services.</param>
    /// <param name="configure">Sets the options (addresses, limits, timeouts).</param>
    /// <param name="map">Maps endpoints and content; it may resolve handlers from the service provider.</param>
    public static IServiceCollection AddWsFast(
        this IServiceCollection services,
        Action<WsFastServerOptions> configure,
        Action<WsFastServer, IServiceProvider> map)
    {
        ArgumentNullException.ThrowIfNull(configure);
        ArgumentNullException.ThrowIfNull(map);
        services.AddSingleton(provider =>
        {
            var options = new WsFastServerOptions();
            configure(options);
            var server = new WsFastServer(options, provider.GetService<ILoggerFactory>(), provider.GetService<System.Diagnostics.Metrics.IMeterFactory>());
            map(server, provider);
            return server;
        });
        services.AddHostedService<WsFastHostedService>();
        return services;
    }
}

/// <summary>Starts and stops the registered <see cref="WsFastServer"/> with the host.</summary>
internal sealed class WsFastHostedService(WsFastServer server) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => server.StartAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => server.StopAsync(cancellationToken);
}
