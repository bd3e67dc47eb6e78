using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace WsFast.Hosting;

/// <summary>
/// Starts one <see cref="WsFastServer"/> (the unnamed one, or a named one) with the host, and shuts it down
/// gracefully (1001 to every client) when the host stops. The server is made at start, after the host has
/// validated the options.
/// </summary>
internal sealed class WsFastHostedService(IServiceProvider services, string name) : IHostedService
{
    private WsFastServer? _server;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _server = WsFastServerRegistration.Resolve(services, name);
        return _server.StartAsync(cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => _server?.StopAsync(cancellationToken) ?? Task.CompletedTask;
}
