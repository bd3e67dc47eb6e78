using Microsoft.Extensions.Hosting;

namespace WsFast.ServerApp;

/// <summary><c>/ticker</c>: a text message every second to every connected client, for as long as the host runs.</summary>
internal sealed class TickerService(ServedEndpoints served) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (served.Ticker is not WebSocketEndpoint endpoint)
        {
            return;
        }

        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        long tick = 0;
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
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
