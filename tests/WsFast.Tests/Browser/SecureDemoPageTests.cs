using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Playwright;
using WsFast.Server;
using WsFast.Tests.Auth;
using WsFast.Tests.Server;
using WsFast.Tests.Support;
using WsFast.Tests.Tls;

namespace WsFast.Tests.Browser;

/// <summary>
/// The executable as a production broadcast endpoint is run, with TLS, JWT and an origin allow-list, and Chromium
/// as its visitors: the page comes over HTTPS from a certificate Chromium trusts because its authority is in the
/// browser's own certificate store (as a company's CA would be), and its WebSockets go over <c>wss://</c>. A
/// visitor whose session cookie carries a token connects; one without it is refused before the 101, and the
/// browser reports the 401 it got.
/// </summary>
public class SecureDemoPageTests
{
    [Fact]
    public async Task Chromium_trusting_the_test_authority_connects_over_wss_with_its_token_cookie_and_is_refused_without_it()
    {
        using TestCertificates certificates = TestCertificates.Create();
        (string cert, string key) = certificates.WriteServerCertificate("server", "localhost");
        string home = Path.Combine(certificates.Folder, "home");
        await TrustAuthorityAsync(home, certificates.CaPath);

        int port = FreePort();
        string origin = $"https://localhost:{port}";
        await using ServerProcess server = await ServerProcess.StartAsync(
            [
                "--tls-port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--tls-cert", cert, "--tls-key", key,
                "--jwt-audience", Tokens.Audience, "--allowed-origin", origin,
                "--socket-engine", TestServer.Engine == SocketEngine.Epoll ? "epoll" : "runtime",
            ],
            ("WSFAST_JWT_KEY", Tokens.Secret));
        Assert.Equal(port, server.TlsPort);

        using IPlaywright playwright = await Playwright.CreateAsync();
        await using IBrowser browser = await DemoPage.LaunchChromiumAsync(playwright, home);

        // Without the cookie: the page itself is public and loads over HTTPS, so Chromium trusted the certificate;
        // the WebSocket is refused with 401 and WWW-Authenticate: Bearer, which Chromium reports on its console as
        // an authentication it has no credentials for, and the page sees a close with 1006.
        await using (IBrowserContext visitor = await browser.NewContextAsync())
        {
            IPage page = await visitor.NewPageAsync();
            page.SetDefaultTimeout(DemoPage.Timeout);
            var console = new ConcurrentQueue<string>();
            page.Console += (_, message) => console.Enqueue(message.Text);
            IResponse? response = await page.GotoAsync(origin + "/");
            Assert.True(response is { Ok: true }, $"the page over HTTPS: {response?.Status}");

            string close = await DemoPage.ConnectRefusedAsync(page, "/echo");
            Assert.StartsWith("code 1006", close);
            Assert.True(console.Any(line => line.Contains($"wss://localhost:{port}/echo", StringComparison.Ordinal) && line.Contains("HTTP Authentication failed", StringComparison.Ordinal)),
                "Chromium's console: " + string.Join(" | ", console));
        }

        // With the token in the cookie an application's login would set (HttpOnly, Secure, SameSite=Strict), which
        // Chromium sends with the WebSocket handshake by itself: echo, then the broadcast topic it may use.
        await using (IBrowserContext member = await browser.NewContextAsync())
        {
            await member.AddCookiesAsync(
            [
                new Microsoft.Playwright.Cookie
                {
                    Name = "wsfast_token",
                    Value = Tokens.Make(channels: ["default"], publish: ["default"]),
                    Domain = "localhost",
                    Path = "/",
                    Secure = true,
                    HttpOnly = true,
                    SameSite = SameSiteAttribute.Strict,
                },
            ]);
            IPage page = await member.NewPageAsync();
            page.SetDefaultTimeout(DemoPage.Timeout);
            await page.GotoAsync(origin + "/");

            Assert.Equal($"wss://localhost:{port}/echo", await page.InputValueAsync("#url"));

            await DemoPage.ConnectAsync(page, "/echo");
            await DemoPage.SendAsync(page, "over wss, with a cookie", binary: false);
            await DemoPage.AssertLastReceivedAsync(page, "over wss, with a cookie");
            await DemoPage.DisconnectAsync(page);

            await DemoPage.ConnectAsync(page, "/broadcast");
            await DemoPage.SendAsync(page, "to every member", binary: false);
            await DemoPage.AssertLastReceivedAsync(page, "to every member");
            await DemoPage.KeepScreenshotAsync(page, "demo-page-wss");
            await DemoPage.DisconnectAsync(page);
        }
    }

    // Chromium on Linux trusts the authorities of the NSS database in its user's home, .pki/nssdb.
    private static async Task TrustAuthorityAsync(string home, string caPath)
    {
        string database = "sql:" + Path.Combine(home, ".pki", "nssdb");
        Directory.CreateDirectory(Path.Combine(home, ".pki", "nssdb"));
        await RunAsync("certutil", "-N", "-d", database, "--empty-password");
        await RunAsync("certutil", "-A", "-d", database, "-n", "wsfast-test-ca", "-t", "C,,", "-i", caPath);
    }

    private static async Task RunAsync(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using Process process = Process.Start(start) ?? throw new InvalidOperationException($"{program} did not start");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        Task<string> errors = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.StandardOutput.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, $"{program} {string.Join(' ', arguments)}: {await errors}");
    }

    // The origin to allow must name the TLS port before the server starts: a port free a moment ago.
    private static int FreePort()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)listener.LocalEndPoint!).Port;
    }
}
