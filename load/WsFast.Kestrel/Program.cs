using WsFast.Kestrel;

// The ASP.NET Core (Kestrel) peer of src/WsFast.Server: /echo, /broadcast[/{topic}], POST /publish/{topic},
// GET /sse/{topic}, GET /poll/{topic} and /healthz with the same wire formats, for side-by-side load tests.
//
//   dotnet run -c Release --project load/WsFast.Kestrel -- --urls http://127.0.0.1:8081
//
// Settings are ordinary ASP.NET Core configuration: --urls, --Logging:LogLevel:Default=Information, and the
// WsFast section (ServerOptions), e.g. --WsFast:HistorySize=50 or the environment's WsFast__HistorySize=50.
// TLS is Kestrel's own endpoint configuration, a PEM certificate and key beside a plain endpoint:
//
//   ... --Kestrel:Endpoints:Http:Url=http://127.0.0.1:8081 --Kestrel:Endpoints:Https:Url=https://127.0.0.1:8441 \
//       --Kestrel:Endpoints:Https:Certificate:Path=server.pem --Kestrel:Endpoints:Https:Certificate:KeyPath=server.key
WebApplicationBuilder builder = WebApplication.CreateBuilder(args);

// Warning unless configured: per-request Information logs (hosting, routing) would cost throughput.
builder.Logging.SetMinimumLevel(LogLevel.Warning);

ServerOptions options = builder.Configuration.GetSection("WsFast").Get<ServerOptions>() ?? new ServerOptions();
options.PublishToken ??= Environment.GetEnvironmentVariable("WSFAST_PUBLISH_TOKEN") is { Length: > 0 } token ? token : null;
if (options.Validate() is { } problem)
{
    Console.Error.WriteLine($"wsfast-kestrel: {problem}");
    return 2;
}

// Without --urls (or ASPNETCORE_URLS / ASPNETCORE_HTTP_PORTS) or Kestrel:Endpoints, loopback on 8081: next to
// WsFast's 8080, and never every interface by surprise.
if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["http_ports"])
    && !builder.Configuration.GetSection("Kestrel:Endpoints").Exists())
{
    builder.WebHost.UseUrls("http://127.0.0.1:8081");
}

var stats = new ServerStats();
builder.Services.AddSingleton(options);
builder.Services.AddSingleton(stats);
builder.Services.AddSingleton<TopicRegistry>();
builder.Services.ConfigureHttpJsonOptions(json => json.SerializerOptions.TypeInfoResolverChain.Insert(0, AppJsonContext.Default));

builder.WebHost.ConfigureKestrel(kestrel =>
{
    kestrel.AddServerHeader = false;

    // Only POST /publish has a body; upgraded (WebSocket) requests are not subject to this limit.
    kestrel.Limits.MaxRequestBodySize = options.MaxPublishBytes;

    // Connection middleware: counts open TCP connections for /healthz, as WsFast counts its connections.
    kestrel.ConfigureEndpointDefaults(listen => listen.Use(next => async connection =>
    {
        stats.OnConnectionOpened();
        try
        {
            await next(connection);
        }
        finally
        {
            stats.OnConnectionClosed();
        }
    }));
});

WebApplication app = builder.Build();

// No HTTPS redirection, HSTS, static files or developer exception page: plain HTTP on loopback, as WsFast
// serves it, and nothing in the pipeline that WsFast does not do.
app.UseWebSockets(new WebSocketOptions
{
    // Pings as WsFast's heartbeat: after 30 s of silence, dropped when unanswered for 20 s.
    KeepAliveInterval = options.PingInterval,
    KeepAliveTimeout = options.PingIntervalSeconds > 0 ? options.PingTimeout : Timeout.InfiniteTimeSpan,
});

app.MapWebSocketEndpoints();
app.MapHttpRoutes();

// Logs are at Warning, so say where it listens (with the real port when given :0) for scripts to read.
app.Lifetime.ApplicationStarted.Register(() =>
{
    foreach (string url in app.Urls)
    {
        Console.WriteLine($"WsFast.Kestrel listening on {url}");
    }
});

await app.RunAsync();
return 0;
