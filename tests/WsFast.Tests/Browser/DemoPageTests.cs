using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using Microsoft.Playwright;
using WsFast.Server;
using WsFast.Tests.Server;
using WsFast.Tests.Support;

namespace WsFast.Tests.Browser;

/// <summary>
/// Chromium on the executable's demo page, as a person would use it: the page's own script opens the WebSocket,
/// sends what is typed and shows what arrives. Chromium offers permessage-deflate on every WebSocket (RFC 7692),
/// and the executable accepts it by default, so a compressible message goes compressed both ways. The proof is
/// on the wire, from both ends: the 101 response Chromium received (read through the DevTools protocol) and the
/// server's counters of compressed messages in <c>/metrics</c>. Chromium is Debian's (tests/interop/install.sh);
/// a missing browser fails the test, never skips it.
/// </summary>
public class DemoPageTests
{
    // What the executable answers to Chromium's offer "permessage-deflate; client_max_window_bits" with its
    // defaults: both sides reset their context after every message (7.1.1), and both windows are 4 KiB (7.1.2).
    private const string AgreedExtension =
        "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=12; client_max_window_bits=12";

    // About 1.5 KiB of JSON records: compressible, as the page's users' messages are, and above the server's
    // 64-byte threshold for compressing.
    private static readonly string Compressible = "[" + string.Join(',', Enumerable.Range(0, 30).Select(i =>
        string.Create(CultureInfo.InvariantCulture, $"{{\"id\":{i},\"sensor\":\"north-{i % 4}\",\"status\":\"ok\"}}"))) + "]";

    [Fact]
    public async Task Chromium_on_the_demo_page_agrees_permessage_deflate_and_its_echo_and_broadcast_messages_go_compressed_both_ways()
    {
        // The socket engine of this test run (tests/run.sh runs the suite with each), not only the executable's default.
        await using ServerProcess server = await ServerProcess.StartAsync(["--socket-engine", TestServer.Engine == SocketEngine.Epoll ? "epoll" : "runtime"]);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        Compressed before = await CompressedMessagesAsync(http, server);

        using IPlaywright playwright = await Playwright.CreateAsync();
        await using IBrowser browser = await DemoPage.LaunchChromiumAsync(playwright);
        IPage page = await browser.NewPageAsync();
        page.SetDefaultTimeout(DemoPage.Timeout);

        // The handshakes as Chromium saw them, from its DevTools protocol: the URL each WebSocket was created
        // for, and the Sec-WebSocket-Extensions of the 101 it received.
        ICDPSession devTools = await page.Context.NewCDPSessionAsync(page);
        var urls = new ConcurrentDictionary<string, string>();
        var extensions = new ConcurrentDictionary<string, string>();
        devTools.Event("Network.webSocketCreated").OnEvent += (_, e) =>
            urls[e!.Value.GetProperty("requestId").GetString()!] = e.Value.GetProperty("url").GetString()!;
        devTools.Event("Network.webSocketHandshakeResponseReceived").OnEvent += (_, e) =>
            extensions[e!.Value.GetProperty("requestId").GetString()!] = Header(e.Value.GetProperty("response").GetProperty("headers"), "Sec-WebSocket-Extensions");
        await devTools.SendAsync("Network.enable");

        await page.GotoAsync(server.Http("/").ToString());

        // /echo, the page's default endpoint: a text and a binary message, each back as it was sent.
        await DemoPage.ConnectAsync(page, "/echo");
        await DemoPage.SendAsync(page, Compressible, binary: false);
        await DemoPage.AssertLastReceivedAsync(page, Compressible);
        await DemoPage.SendAsync(page, Compressible, binary: true);
        await DemoPage.AssertLastReceivedAsync(page, await page.Locator("#log .entry.sent .m").Last.TextContentAsync() ?? "");
        await DemoPage.DisconnectAsync(page);

        // /broadcast: what this page sends is relayed to every subscriber of the topic, this page included.
        await DemoPage.ConnectAsync(page, "/broadcast");
        await DemoPage.SendAsync(page, Compressible, binary: false);
        await DemoPage.AssertLastReceivedAsync(page, Compressible);
        await DemoPage.KeepScreenshotAsync(page, "demo-page-deflate");
        await DemoPage.DisconnectAsync(page);

        string[] handshakes = [.. urls.Keys.Select(id => $"{urls[id]} -> {extensions.GetValueOrDefault(id, "(no 101)")}")];
        Assert.Equal(
            [$"ws://127.0.0.1:{server.Port}/broadcast -> {AgreedExtension}", $"ws://127.0.0.1:{server.Port}/echo -> {AgreedExtension}"],
            handshakes.Order());

        // Three messages arrived compressed (two echoed, one relayed), and three went out compressed.
        Compressed after = await CompressedMessagesAsync(http, server);
        Assert.Equal(new Compressed(Received: 3, Sent: 3), after - before);
    }

    private static string Header(JsonElement headers, string name)
    {
        foreach (JsonProperty header in headers.EnumerateObject())
        {
            if (string.Equals(header.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return header.Value.GetString() ?? "";
            }
        }

        return "(none)";
    }

    private readonly record struct Compressed(long Received, long Sent)
    {
        public static Compressed operator -(Compressed a, Compressed b) => new(a.Received - b.Received, a.Sent - b.Sent);
    }

    private static async Task<Compressed> CompressedMessagesAsync(HttpClient http, ServerProcess server)
    {
        string metrics = await http.GetStringAsync(server.Http("/metrics"));
        return new Compressed(Counter(metrics, "wsfast_deflate_messages_received_total"), Counter(metrics, "wsfast_deflate_messages_sent_total"));
    }

    // A counter's value in the Prometheus text format: the line "name value".
    private static long Counter(string metrics, string name)
    {
        foreach (string line in metrics.Split('\n'))
        {
            if (line.StartsWith(name + " ", StringComparison.Ordinal))
            {
                return long.Parse(line.AsSpan(name.Length + 1), CultureInfo.InvariantCulture);
            }
        }

        Assert.Fail($"/metrics has no {name}:\n{metrics}");
        return 0;
    }
}
