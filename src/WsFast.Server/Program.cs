using System.CommandLine;
using System.Reflection;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using WsFast;
using WsFast.ServerApp;

// Socket completions run inline on the I/O threads rather than hopping to the thread pool: the handlers here
// never block, and it cuts the server's CPU per echo by a third (load/RESULTS.md). The runtime reads the
// variable once, when the first socket is made, so it is set before anything else; an explicit setting wins.
if (Environment.GetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS") is null)
{
    Environment.SetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1");
}

var root = new RootCommand("WsFast: a fast RFC 6455 WebSocket server. Serves /echo, /broadcast, /ticker, a demo page at / and /healthz.");
foreach (Option option in ServerSettings.All)
{
    root.Options.Add(option);
}

root.SetAction(async (parse, cancellationToken) =>
{
    ServerSettings settings;
    try
    {
        settings = ServerSettings.Resolve(parse);
    }
    catch (FormatException e)
    {
        Console.Error.WriteLine($"wsfast: {e.Message}");
        return 2;
    }

    return await RunAsync(settings);
});

return await root.Parse(args).InvokeAsync();

static async Task<int> RunAsync(ServerSettings settings)
{
    using ILoggerFactory loggers = LoggerFactory.Create(builder => builder
        .SetMinimumLevel(settings.LogLevel)
        .AddSimpleConsole(console =>
        {
            console.SingleLine = true;
            console.TimestampFormat = "HH:mm:ss.fff ";
        }));
    ILogger log = loggers.CreateLogger("WsFast.Server");

    WsFastServer server;
    try
    {
        server = new WsFastServer(settings.Options, loggers);
    }
    catch (ArgumentException e)
    {
        Console.Error.WriteLine($"wsfast: {e.Message}");
        return 2;
    }

    // Dedicated mode serves topics alone: the broadcast endpoint with its HTTP routes, metrics and the page.
    WebSocketEndpoint? ticker = null;
    if (!settings.Dedicated && settings.EchoPathValue.Length > 0)
    {
        WebSocketEndpoint echo = server.Map(settings.EchoPathValue, new EchoHandler());
        echo.SubProtocols.AddRange(settings.SubProtocolsValue);
        echo.LegacyHixie76 = settings.LegacyHixie76Value;
    }

    if (settings.BroadcastPathValue.Length > 0 || settings.Dedicated)
    {
        WebSocketEndpoint broadcast = server.MapBroadcast(
            settings.BroadcastPathValue.Length > 0 ? settings.BroadcastPathValue : "/broadcast", settings.RelayClientMessages);
        broadcast.SubProtocols.AddRange(settings.SubProtocolsValue);
        broadcast.SlowConsumerPolicy = settings.SlowConsumerPolicy;
        broadcast.LegacyHixie76 = settings.LegacyHixie76Value;
    }

    if (!settings.Dedicated && settings.TickerPathValue.Length > 0)
    {
        ticker = server.Map(settings.TickerPathValue, new TickerHandler());
    }

    foreach (string path in settings.NoDeflateOnValue)
    {
        if (!server.Endpoints.TryGetValue(path, out WebSocketEndpoint? plain))
        {
            Console.Error.WriteLine($"wsfast: --no-deflate-on {path}: no WebSocket endpoint at that path (endpoints: {string.Join(", ", server.Endpoints.Keys)})");
            return 2;
        }

        plain.PerMessageDeflate = null;
    }

    server.MapContent("/", "text/html; charset=utf-8", ReadDemoPage());

    try
    {
        await server.StartAsync();
    }
    catch (System.Net.Sockets.SocketException e)
    {
        Console.Error.WriteLine($"wsfast: cannot listen on {string.Join(", ", [.. settings.Endpoints, .. settings.Options.Tls?.Endpoints ?? []])}: {e.Message}");
        return 1;
    }
    catch (InvalidOperationException e)
    {
        // A TLS certificate that cannot be read.
        Console.Error.WriteLine($"wsfast: {e.Message}");
        return 2;
    }

    foreach ((System.Net.IPEndPoint endpoint, bool secure) in server.EndPoints.Select(e => (e, false)).Concat(server.TlsEndPoints.Select(e => (e, true))))
    {
        string authority = endpoint.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{endpoint.Address}]:{endpoint.Port}" : endpoint.ToString();
        string http = secure ? "https" : "http";
        string ws = secure ? "wss" : "ws";
        Console.WriteLine($"WsFast demo page:  {http}://{authority}/");
        foreach (WebSocketEndpoint mapped in server.Endpoints.Values)
        {
            Console.WriteLine(mapped.IsBroadcast
                ? $"WebSocket endpoint: {ws}://{authority}{mapped.Path} and {ws}://{authority}{mapped.Path}/{{topic}}"
                : $"WebSocket endpoint: {ws}://{authority}{mapped.Path}");
        }

        if (settings.LegacyHixie76Value)
        {
            Console.WriteLine("Draft 76:           hixie-76 clients accepted on the echo and broadcast endpoints (text only)");
        }

        if (server.HasBroadcast)
        {
            BroadcastOptions broadcast = settings.Options.Broadcast;
            Console.WriteLine($"Publish:            POST {http}://{authority}{broadcast.PublishPath}/{{topic}}{(broadcast.PublishToken is null ? "" : " (bearer token required)")}");
            Console.WriteLine($"Server-Sent Events: {http}://{authority}{broadcast.EventStreamPath}/{{topic}}");
            Console.WriteLine($"Polling:            {http}://{authority}{broadcast.PollPath}/{{topic}}?after=N");
            Console.WriteLine(server.Endpoints.Values.Any(e => e.RelaysClientMessages)
                ? "Relay:              on: what a WebSocket client sends is published to its topic"
                : "Relay:              off: WebSocket clients only receive (--relay to change)");
        }

        Console.WriteLine(settings.Options.PerMessageDeflate is null
            ? "Compression:        off (--no-deflate)"
            : settings.NoDeflateOnValue.Length == 0
                ? "Compression:        permessage-deflate, when the client offers it (--no-deflate to turn off)"
                : $"Compression:        permessage-deflate, when the client offers it, except on {string.Join(", ", settings.NoDeflateOnValue)}");
        Console.WriteLine($"Metrics:            {http}://{authority}/metrics");
        Console.WriteLine(settings.Options.Authorizer is JwtAuthorizer jwt
            ? $"Authentication:     JWT ({jwt.KeyDescription}): Authorization: Bearer, cookie {jwt.CookieName} or ?token=; refresh with {{\"refresh\":\"JWT\"}}"
            : "Authentication:     off: anyone may connect, subscribe and relay (for development; --jwt-key to require tokens)");
    }

    // Ctrl-C (SIGINT) and SIGTERM both start the graceful shutdown: 1001 to every client, then exit.
    using var stop = new CancellationTokenSource();
    using PosixSignalRegistration sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
    using PosixSignalRegistration sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);

    // SIGHUP re-reads the TLS certificates (a renewal); the files are also watched. Without TLS it keeps its
    // default meaning.
    using PosixSignalRegistration? sighup = settings.Options.Tls is null ? null : PosixSignalRegistration.Create(PosixSignal.SIGHUP, OnReload);
    Task ticking = ticker is null ? Task.CompletedTask : TickerHandler.RunAsync(ticker, stop.Token);

    try
    {
        await Task.Delay(Timeout.Infinite, stop.Token);
    }
    catch (OperationCanceledException)
    {
    }

    log.LogInformation("Shutting down");
    await ticking;
    await server.DisposeAsync();
    return 0;

    void OnSignal(PosixSignalContext context)
    {
        context.Cancel = true;
        stop.Cancel();
    }

    void OnReload(PosixSignalContext context)
    {
        context.Cancel = true;
        try
        {
            server.ReloadCertificates();
        }
        catch (InvalidOperationException)
        {
            // Logged by the server; the certificates in use stay.
        }
    }
}

static byte[] ReadDemoPage()
{
    using Stream page = Assembly.GetExecutingAssembly().GetManifestResourceStream("index.html")
        ?? throw new InvalidOperationException("The demo page is not embedded in the executable.");
    using var copy = new MemoryStream();
    page.CopyTo(copy);
    return copy.ToArray();
}
