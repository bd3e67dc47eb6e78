using System.Reflection;

namespace WsFast.ServerApp;

/// <summary>What the executable serves, mapped through the library's builder when the host makes the server; kept for the banner and the ticker.</summary>
internal sealed class ServedEndpoints
{
    /// <summary>The server, once the host has made it.</summary>
    public WsFastServer? Server { get; private set; }

    /// <summary>The ticker's endpoint; null when it is not served.</summary>
    public WebSocketEndpoint? Ticker { get; private set; }

    /// <summary>Maps the endpoints the settings ask for on the library's builder; <paramref name="publishToken"/> turns the relay's default off.</summary>
    public void Map(WsFastBuilder builder, AppSettings settings, bool publishToken)
    {
        if (settings.ServesEcho)
        {
            builder.Map(settings.EchoPath, new EchoHandler(), endpoint =>
            {
                endpoint.SubProtocols.AddRange(settings.SubProtocols);
                endpoint.LegacyHixie76 = settings.LegacyHixie76;
                Compression(endpoint, settings);
            });
        }

        if (settings.ServesBroadcast)
        {
            // Anyone who can connect could publish through a relay: it is on by default only for the demo set-up,
            // which has no publish token to bypass.
            bool relay = settings.Relay ?? (!settings.Dedicated && !publishToken);
            builder.MapBroadcast(settings.BroadcastPathOrDefault, relay, configure: endpoint =>
            {
                endpoint.SubProtocols.AddRange(settings.SubProtocols);
                endpoint.SlowConsumerPolicy = settings.SlowConsumerPolicy;
                endpoint.LegacyHixie76 = settings.LegacyHixie76;
                Compression(endpoint, settings);
            });
        }

        if (settings.ServesTicker)
        {
            builder.Map(settings.TickerPath, new TickerHandler(), endpoint =>
            {
                Ticker = endpoint;
                Compression(endpoint, settings);
            });
        }

        builder.Configure((server, _) =>
        {
            Server = server;
            server.MapContent("/", "text/html; charset=utf-8", ReadDemoPage());
        });
    }

    private static void Compression(WebSocketEndpoint endpoint, AppSettings settings)
    {
        if (settings.NoDeflateOn.Contains(endpoint.Path))
        {
            endpoint.PerMessageDeflate = null;
        }
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
