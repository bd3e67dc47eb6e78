using WsFast.Server;

namespace WsFast.ServerApp;

/// <summary><c>/ticker</c>: a text message every second to every connected client.</summary>
internal sealed class TickerHandler : WebSocketHandler
{
    /// <summary>Sends "tick N" to the endpoint's clients every second until <paramref name="stop"/> is cancelled.</summary>
    public static async Task RunAsync(WebSocketEndpoint endpoint, CancellationToken stop)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        long tick = 0;
        try
        {
            while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false))
            {
                tick++;
                if (endpoint.ConnectionCount > 0)
                {
                    endpoint.Broadcast($"tick {tick} {DateTimeOffset.UtcNow:O}");
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
