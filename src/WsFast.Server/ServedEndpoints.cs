using System.Reflection;

namespace WsFast.ServerApp;

/// <summary>What the executable serves, mapped on the server when the host makes it; kept for the banner and the ticker.</summary>
internal sealed class ServedEndpoints
{
    /// <summary>The server, once the host has made it.</summary>
    public WsFastServer? Server { get; private set; }

    /// <summary>The ticker's endpoint; null when it is not served.</summary>
    public WebSocketEndpoint? Ticker { get; private set; }

    public void Map(WsFastServer server, AppSettings settings)
    {
        Server = server;
        if (settings.ServesEcho)
        {
            WebSocketEndpoint echo = server.Map(settings.EchoPath, new EchoHandler());
            echo.SubProtocols.AddRange(settings.SubProtocols);
            echo.LegacyHixie76 = settings.LegacyHixie76;
        }

        if (settings.ServesBroadcast)
        {
            // Anyone who can connect could publish through a relay: it is on by default only for the demo set-up,
            // which has no publish token to bypass.
            bool relay = settings.Relay ?? (!settings.Dedicated && server.Options.Broadcast.PublishToken is null);
            WebSocketEndpoint broadcast = server.MapBroadcast(settings.BroadcastPathOrDefault, relay);
            broadcast.SubProtocols.AddRange(settings.SubProtocols);
            broadcast.SlowConsumerPolicy = settings.SlowConsumerPolicy;
            broadcast.LegacyHixie76 = settings.LegacyHixie76;
        }

        if (settings.ServesTicker)
        {
            Ticker = server.Map(settings.TickerPath, new TickerHandler());
        }

        foreach (string path in settings.NoDeflateOn)
        {
            server.Endpoints[path].PerMessageDeflate = null;
        }

        server.MapContent("/", "text/html; charset=utf-8", ReadDemoPage());
    }

    private static byte[] ReadDemoPage()
    {
        using Stream page = Assembly.GetExecutingAssembly().GetManifestResourceStream("index.html")
            ?? throw new InvalidOperationException("The demo page is not embedded in the executable.");
        using var copy = new MemoryStream();
        page.CopyTo(copy);
        return copy.ToArray();
    }
}
