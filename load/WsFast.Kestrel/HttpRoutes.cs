namespace WsFast.Kestrel;

/// <summary>
/// The plain HTTP routes, as minimal APIs: the health check. Error answers are one line of plain text with
/// src/WsFast's status codes and wording.
/// </summary>
public static class HttpRoutes
{
    public const string NoSuchTopic = "no such topic: invalid name, or the topic limit is reached";

    public static void MapHttpRoutes(this IEndpointRouteBuilder app)
    {
        // Not the health checks middleware: the answer carries src/WsFast's keys, so a load tool reads both alike.
        app.MapGet("/healthz", (ServerStats stats, IHostApplicationLifetime lifetime, HttpContext context) =>
        {
            context.Response.Headers.CacheControl = "no-store";
            return TypedResults.Json(
                new HealthResponse(
                    lifetime.ApplicationStopping.IsCancellationRequested ? "stopping" : "ok",
                    stats.Connections,
                    Math.Round(stats.Uptime.TotalSeconds, 1),
                    stats.MessagesIn,
                    stats.MessagesOut,
                    GC.GetTotalAllocatedBytes(precise: false),
                    stats.Dropped,
                    stats.SlowConsumerDisconnects),
                AppJsonContext.Default.HealthResponse);
        });
    }

    /// <summary>Writes a one-line plain-text answer, as src/WsFast's errors are.</summary>
    public static Task TextAsync(HttpContext context, int status, string reason) =>
        Results.Text(reason + "\n", "text/plain; charset=utf-8", statusCode: status).ExecuteAsync(context);
}
