using System.Globalization;
using Microsoft.Playwright;

namespace WsFast.Tests.Browser;

/// <summary>
/// Debian's Chromium, driven by Playwright, and the demo page's controls as a person uses them: choose an endpoint,
/// connect, type, send, disconnect. Chromium is Debian's (tests/interop/install.sh); a missing browser fails the
/// test, never skips it.
/// </summary>
internal static class DemoPage
{
    public const string Chromium = "/usr/bin/chromium";

    /// <summary>How long a step may take, in milliseconds.</summary>
    public const float Timeout = 10_000;

    /// <summary>
    /// Starts headless Chromium; with <paramref name="home"/>, as a user whose home is that folder (where Chromium on
    /// Linux finds its NSS database of trusted certificate authorities, <c>.pki/nssdb</c>).
    /// </summary>
    public static Task<IBrowser> LaunchChromiumAsync(IPlaywright playwright, string? home = null)
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is not installed: run `bash tests/interop/install.sh` (tests/run.sh does).");
        var options = new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu"],
            Timeout = Timeout,
        };
        if (home is not null)
        {
            // Playwright passes this environment instead of the test's, not on top of it.
            var environment = new Dictionary<string, string>();
            foreach (System.Collections.DictionaryEntry variable in Environment.GetEnvironmentVariables())
            {
                environment[(string)variable.Key] = (string?)variable.Value ?? "";
            }

            environment["HOME"] = home;
            options.Env = environment;
        }

        return playwright.Chromium.LaunchAsync(options);
    }

    /// <summary>Chooses <paramref name="endpoint"/>, connects, and waits until the page shows the socket open.</summary>
    public static async Task ConnectAsync(IPage page, string endpoint)
    {
        await page.SelectOptionAsync("#endpoint", endpoint);
        await page.ClickAsync("#connect");
        await page.Locator("#state[data-state=open]").WaitForAsync();
    }

    /// <summary>Disconnects, and checks that the page saw a clean close with 1000.</summary>
    public static async Task DisconnectAsync(IPage page)
    {
        await page.ClickAsync("#disconnect");
        await page.Locator("#state[data-state=closed]").WaitForAsync();
        string? close = await page.Locator("#log .entry.close .m").Last.TextContentAsync();
        Assert.Equal("code 1000, reason \"bye\", wasClean true", close);
    }

    /// <summary>Types <paramref name="text"/> and sends it as a text or a binary message.</summary>
    public static async Task SendAsync(IPage page, string text, bool binary)
    {
        await page.FillAsync("#message", text);
        await page.SetCheckedAsync("#binary", binary);
        await page.ClickAsync("#send");
    }

    /// <summary>
    /// Waits until the page has received as many messages as it sent, and checks the last one (the newest
    /// "message" entry of its log).
    /// </summary>
    public static async Task AssertLastReceivedAsync(IPage page, string expected)
    {
        int sent = int.Parse(await page.Locator("#sent-count").TextContentAsync() ?? "", CultureInfo.InvariantCulture);
        await page.WaitForFunctionAsync("n => document.getElementById('received-count').textContent === String(n)", sent);
        Assert.Equal(expected, await page.Locator("#log .entry.message .m").Last.TextContentAsync());
    }

    /// <summary>Waits until the page has received <paramref name="count"/> messages and returns the text of the last.</summary>
    public static async Task<string> ReceivedAsync(IPage page, int count)
    {
        await page.WaitForFunctionAsync("n => document.getElementById('received-count').textContent === String(n)", count);
        return await page.Locator("#log .entry.message .m").Last.TextContentAsync() ?? "";
    }

    /// <summary>
    /// Keeps a screenshot of the page as the test's artefact, <c>tests/WsFast.Tests/TestResults/browser/NAME.png</c>
    /// (TestResults is not committed): what the page showed when the test checked it.
    /// </summary>
    public static async Task KeepScreenshotAsync(IPage page, string name)
    {
        string folder = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "TestResults", "browser"));
        Directory.CreateDirectory(folder);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(folder, name + ".png"), FullPage = true });
    }

    /// <summary>Chooses <paramref name="endpoint"/>, connects, and returns the close the page shows when the connection is refused.</summary>
    public static async Task<string> ConnectRefusedAsync(IPage page, string endpoint)
    {
        await page.SelectOptionAsync("#endpoint", endpoint);
        await page.ClickAsync("#connect");
        await page.Locator("#state[data-state=closed]").WaitForAsync();
        Assert.Equal(0, await page.Locator("#log .entry.open").CountAsync());
        return await page.Locator("#log .entry.close .m").Last.TextContentAsync() ?? "";
    }
}
