using Microsoft.Extensions.DependencyInjection;

namespace WsFast.Hosting;

/// <summary>
/// A connection's own handler (<see cref="WsFastServer.Map{THandler}"/>) and the service scope it was made in,
/// disposed together once the connection has ended and its handler has heard so.
/// </summary>
internal sealed class HandlerLease(AsyncServiceScope scope, WebSocketHandler handler, bool ownsHandler) : IAsyncDisposable
{
    public WebSocketHandler Handler => handler;

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (ownsHandler)
            {
                if (handler is IAsyncDisposable asyncDisposable)
                {
                    await asyncDisposable.DisposeAsync().ConfigureAwait(false);
                }
                else if (handler is IDisposable disposable)
                {
                    disposable.Dispose();
                }
            }
        }
        finally
        {
            await scope.DisposeAsync().ConfigureAwait(false);
        }
    }
}
