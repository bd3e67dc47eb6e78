using System.Net;
using System.Net.Sockets;

namespace WsFast.ServerApp;

/// <summary>The addresses and what is served there, printed once the server listens (tests read the first line).</summary>
internal static class StartupBanner
{
    public static void Print(WsFastServer server, AppSettings settings)
    {
        foreach ((IPEndPoint endpoint, bool secure) in server.EndPoints.Select(e => (e, false)).Concat(server.TlsEndPoints.Select(e => (e, true))))
        {
            string authority = endpoint.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{endpoint.Address}]:{endpoint.Port}" : endpoint.ToString();
            string http = secure ? "https" : "http";
            string ws = secure ? "wss" : "ws";
            Console.WriteLine($"WsFast demo page:  {http}://{authority}/");
            foreach (WebSocketEndpoint mapped in server.Endpoints.Values)
            {
                Console.WriteLine(mapped.IsBroadcast
                    ? $"WebSocket endpoint: {ws}://{authority}{mapped.Path} and {ws}://{authority}{mapped.Path}/{{topic}}"
                    : $"WebSocket endpoint: {ws}://{authority}{mapped.Path}");
            }

            if (settings.LegacyHixie76)
            {
                Console.WriteLine("Draft 76:           hixie-76 clients accepted on the echo and broadcast endpoints (text only)");
            }

            if (server.HasBroadcast)
            {
                BroadcastOptions broadcast = server.Options.Broadcast;
                Console.WriteLine($"Publish:            POST {http}://{authority}{broadcast.PublishPath}/{{topic}}{(broadcast.PublishToken is null ? "" : " (bearer token required)")}");
                Console.WriteLine($"Server-Sent Events: {http}://{authority}{broadcast.EventStreamPath}/{{topic}}");
                Console.WriteLine($"Polling:            {http}://{authority}{broadcast.PollPath}/{{topic}}?after=CURSOR (the last answer's \"cursor\")");
                Console.WriteLine(server.Endpoints.Values.Any(e => e.RelaysClientMessages)
                    ? "Relay:              on: what a WebSocket client sends is published to its topic"
                    : "Relay:              off: WebSocket clients only receive (--relay to change)");
                // The configuration string may hold a password: only its first endpoint is shown.
                Console.WriteLine(server.Options.Broker.Kind == BrokerKind.Redis
                    ? $"Topics:             shared with every server on Redis {server.Options.Broker.Redis!.Split(',')[0]} (key prefix {server.Options.Broker.KeyPrefix}); GET {http}://{authority}{broadcast.TopicInfoPath}/{{topic}} counts their subscribers"
                    : "Topics:             this server's own (--broker redis --redis HOST:PORT to share them with other servers)");
            }

            Console.WriteLine(server.Options.PerMessageDeflate is null
                ? "Compression:        off (--no-deflate)"
                : settings.NoDeflateOn.Count == 0
                    ? "Compression:        permessage-deflate, when the client offers it (--no-deflate to turn off)"
                    : $"Compression:        permessage-deflate, when the client offers it, except on {string.Join(", ", settings.NoDeflateOn)}");
            Console.WriteLine($"Metrics:            {http}://{authority}/metrics");
            Console.WriteLine(server.Options.Authorizer is JwtAuthorizer jwt
                ? $"Authentication:     JWT ({jwt.KeyDescription}): Authorization: Bearer, cookie {jwt.CookieName} or ?token=; refresh with {{\"refresh\":\"JWT\"}}"
                : "Authentication:     off: anyone may connect, subscribe and relay (for development; --jwt-key to require tokens)");
        }
    }
}
