using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using WsFast.Server;

namespace WsFast.Hosting;

/// <summary>
/// The endpoint's handler for <see cref="WsFastServer.Map{THandler}"/>: a stand-in whose events do nothing. Each
/// connection leases a handler of its own (<see cref="LeaseAsync"/>) when it opens and calls that one directly, so
/// a message costs the same one virtual call as with a shared handler.
/// </summary>
internal abstract class ScopedHandler : WebSocketHandler
{
    /// <summary>
    /// A new service scope and the connection's handler made in it; null, the failure logged, when the handler
    /// cannot be made (the connection then closes with 1011).
    /// </summary>
    public abstract ValueTask<HandlerLease?> LeaseAsync(WebSocketConnection connection);
}

/// <inheritdoc cref="ScopedHandler"/>
internal sealed class ScopedHandler<THandler>(IServiceProvider services, ILogger logger) : ScopedHandler
    where THandler : WebSocketHandler
{
    private readonly IServiceScopeFactory _scopes = services.GetRequiredService<IServiceScopeFactory>();
    private readonly LogLimiter _failures = new();
    private ObjectFactory<THandler>? _construct; // made at the first connection that needs it

    public override async ValueTask<HandlerLease?> LeaseAsync(WebSocketConnection connection)
    {
        AsyncServiceScope scope = _scopes.CreateAsyncScope();
        try
        {
            // A registered handler comes from its registration (and the scope disposes it); an unregistered one is
            // constructed with its dependencies from the scope, as SignalR activates hubs, and disposed by the lease.
            if (scope.ServiceProvider.GetService<THandler>() is { } registered)
            {
                return new HandlerLease(scope, registered, ownsHandler: false);
            }

            _construct ??= ActivatorUtilities.CreateFactory<THandler>([]);
            return new HandlerLease(scope, _construct(scope.ServiceProvider, null), ownsHandler: true);
        }
        catch (Exception e)
        {
            await scope.DisposeAsync().ConfigureAwait(false);

            // A misconfigured handler fails every connection alike: one line a second says it, with the count.
            if (logger.IsEnabled(LogLevel.Error) && _failures.TryWrite(Environment.TickCount64, out int suppressed))
            {
                HostingLog.HandlerNotMade(logger, e, typeof(THandler).Name, connection.Path, connection.Id,
                    suppressed > 0 ? $" ({suppressed} more like it since the last such line)" : "");
            }

            return null;
        }
    }
}
