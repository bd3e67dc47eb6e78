using System.Net;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Text;
using WsFast.Tests.Server;

namespace WsFast.Tests.Tls;

/// <summary>
/// Broadcast over TLS: a message published once (over HTTPS here) reaches every subscriber, encrypted for each
/// with its own keys, and plain subscribers of the same topic alike.
/// </summary>
public class TlsBroadcastTests
{
    [Fact]
    public async Task A_publish_over_https_reaches_several_wss_subscribers_and_a_plain_one()
    {
        using TestCertificates certificates = TestCertificates.Create();
        (string cert, string key) = certificates.WriteServerCertificate("server", "localhost");
        await using TestServer server = await TlsKit.StartAsync(cert, key, broadcastTopics: true);
        var subscribers = new List<ClientWebSocket>();
        for (int i = 0; i < 4; i++)
        {
            subscribers.Add(await server.ConnectWssAsync(certificates, "/broadcast/news"));
        }

        subscribers.Add(await server.ConnectAsync("/broadcast/news"));
        Assert.True(await HandshakeFailureTests.WaitForAsync(() => server.Server.Topics.All.Any(t => t.Name == "news" && t.SubscriberCount == 5)),
            "not every subscriber joined");

        using HttpClient http = Https(certificates);
        using HttpResponseMessage published = await http.PostAsync($"https://localhost:{server.TlsPort()}/publish/news", new StringContent("headline"));
        Assert.True(published.IsSuccessStatusCode, $"publish answered {published.StatusCode}");

        foreach (ClientWebSocket subscriber in subscribers)
        {
            Assert.Equal("headline", await ReceiveTextAsync(subscriber));
            subscriber.Dispose();
        }
    }

    /// <summary>An HTTP client over TLS trusting only the test's authority.</summary>
    internal static HttpClient Https(TestCertificates certificates) =>
        new(new SocketsHttpHandler
        {
            SslOptions = { RemoteCertificateValidationCallback = (_, c, _, e) => certificates.Validate(c, e) },
        })
        { Timeout = TimeSpan.FromSeconds(10) };

    internal static async Task<string> ReceiveTextAsync(ClientWebSocket client)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        byte[] buffer = new byte[4096];
        WebSocketReceiveResult result = await client.ReceiveAsync(buffer, timeout.Token);
        return Encoding.UTF8.GetString(buffer, 0, result.Count);
    }
}
