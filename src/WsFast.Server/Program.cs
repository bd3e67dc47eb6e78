using System.CommandLine;
using System.Reflection;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using WsFast.Server;
using WsFast.ServerApp;

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

    WebSocketEndpoint? ticker = null;
    foreach ((string path, WebSocketHandler handler) in new (string, WebSocketHandler)[]
             {
                 (settings.EchoPathValue, new EchoHandler()),
                 (settings.BroadcastPathValue, new BroadcastHandler()),
                 (settings.TickerPathValue, new TickerHandler()),
             })
    {
        if (path.Length == 0)
        {
            continue;
        }

        WebSocketEndpoint endpoint = server.Map(path, handler);
        endpoint.SubProtocols.AddRange(settings.SubProtocolsValue);
        if (handler is TickerHandler)
        {
            ticker = endpoint;
        }
    }

    server.MapContent("/", "text/html; charset=utf-8", ReadDemoPage());

    try
    {
        await server.StartAsync();
    }
    catch (System.Net.Sockets.SocketException e)
    {
        Console.Error.WriteLine($"wsfast: cannot listen on {string.Join(", ", settings.Endpoints)}: {e.Message}");
        return 1;
    }

    foreach (System.Net.IPEndPoint endpoint in server.EndPoints)
    {
        string authority = endpoint.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{endpoint.Address}]:{endpoint.Port}" : endpoint.ToString();
        Console.WriteLine($"WsFast demo page:  http://{authority}/");
        foreach (string path in server.Endpoints.Keys)
        {
            Console.WriteLine($"WebSocket endpoint: ws://{authority}{path}");
        }
    }

    // Ctrl-C (SIGINT) and SIGTERM both start the graceful shutdown: 1001 to every client, then exit.
    using var stop = new CancellationTokenSource();
    using PosixSignalRegistration sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
    using PosixSignalRegistration sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
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
}

static byte[] ReadDemoPage()
{
    using Stream page = Assembly.GetExecutingAssembly().GetManifestResourceStream("index.html")
        ?? throw new InvalidOperationException("The demo page is not embedded in the executable.");
    using var copy = new MemoryStream();
    page.CopyTo(copy);
    return copy.ToArray();
}
