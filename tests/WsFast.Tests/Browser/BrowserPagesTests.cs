using System.Globalization;
using System.Net;
using System.Text.Json;
using Microsoft.Playwright;
using WsFast.Tests.Broadcast;
using WsFast.Tests.Brokers;
using WsFast.Tests.Executable;
using WsFast.Tests.Server;
using WsFast.Tests.Support;

namespace WsFast.Tests.Browser;

/// <summary>
/// Chromium as the clients of a broadcast endpoint: two demo pages seeing each other's messages, a tab closed
/// (the server gets a close frame, not a dropped connection), and an <c>EventSource</c> that outlives its server.
/// </summary>
public class BrowserPagesTests
{
    [Fact]
    public async Task Two_demo_pages_on_broadcast_see_each_others_messages()
    {
        await using ServerProcess server = await StartExecutableAsync();
        using IPlaywright playwright = await Playwright.CreateAsync();
        await using IBrowser browser = await DemoPage.LaunchChromiumAsync(playwright);
        IPage alice = await OpenDemoPageAsync(browser, server);
        IPage bob = await OpenDemoPageAsync(browser, server);
        await DemoPage.ConnectAsync(alice, "/broadcast");
        await DemoPage.ConnectAsync(bob, "/broadcast");

        await DemoPage.SendAsync(alice, "hello from alice", binary: false);
        Assert.Equal("hello from alice", await DemoPage.ReceivedAsync(bob, 1));
        await DemoPage.SendAsync(bob, "hello from bob", binary: false);
        Assert.Equal("hello from bob", await DemoPage.ReceivedAsync(alice, 2)); // its own message came back first

        await DemoPage.KeepScreenshotAsync(alice, "broadcast-alice");
        await DemoPage.KeepScreenshotAsync(bob, "broadcast-bob");
        await DemoPage.DisconnectAsync(alice);
        await DemoPage.DisconnectAsync(bob);
    }

    [Fact]
    public async Task Closing_the_tab_of_a_connected_page_sends_the_server_a_close_frame_with_1001_going_away()
    {
        await using ServerProcess server = await StartExecutableAsync();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        long before = await ClosesWithAsync(http, server, 1001);
        using IPlaywright playwright = await Playwright.CreateAsync();
        await using IBrowser browser = await DemoPage.LaunchChromiumAsync(playwright);
        IPage page = await OpenDemoPageAsync(browser, server);
        await DemoPage.ConnectAsync(page, "/echo");
        await DemoPage.KeepScreenshotAsync(page, "echo-before-tab-close");

        await page.CloseAsync();

        // 1001 is counted only for a close frame that carried it; a dropped connection would count as 1006.
        await BroadcastKit.WaitUntilAsync(() => ClosesWithAsync(http, server, 1001).GetAwaiter().GetResult() == before + 1,
            "the server to count a 1001 close", TimeSpan.FromSeconds(10));
        Assert.Equal(0, await ClosesWithAsync(http, server, 1006));
    }

    private static Task<ServerProcess> StartExecutableAsync() =>
        ServerProcess.StartAsync(["--socket-engine", TestServer.Engine == SocketEngine.Epoll ? "epoll" : "runtime"]);

    private static async Task<IPage> OpenDemoPageAsync(IBrowser browser, ServerProcess server)
    {
        IPage page = await browser.NewPageAsync();
        page.SetDefaultTimeout(DemoPage.Timeout);
        await page.GotoAsync(server.Http("/").ToString());
        return page;
    }

    private static async Task<long> ClosesWithAsync(HttpClient http, ServerProcess server, int code)
    {
        string prefix = $"wsfast_closes_total{{code=\"{code}\"}} ";
        foreach (string line in (await http.GetStringAsync(server.Http("/metrics"))).Split('\n'))
        {
            if (line.StartsWith(prefix, StringComparison.Ordinal))
            {
                return long.Parse(line.AsSpan(prefix.Length), CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }
}

/// <summary>
/// An <c>EventSource</c> in Chromium whose server goes away: the browser reconnects by itself with
/// <c>Last-Event-ID</c>, and the server now answering on that address (another one sharing the topic through
/// Redis) sends what it missed, then the live messages, nothing twice.
/// </summary>
[Collection(SharedRedisCollection.Name)]
public class EventSourcePageTests(SharedRedis redis)
{
    [Fact]
    public async Task An_EventSource_page_receives_events_and_after_its_server_goes_away_resumes_on_the_next_one_missing_nothing()
    {
        string prefix = SharedRedis.NewPrefix();
        int port = HostedExecutable.FreePort();
        TestServer? first = await BrokerKit.StartNodeAsync(redis.Configuration, prefix, AtPort(port));
        await using TestServer publisher = await BrokerKit.StartNodeAsync(redis.Configuration, prefix);
        TestServer? second = null;
        try
        {
            using IPlaywright playwright = await Playwright.CreateAsync();
            await using IBrowser browser = await DemoPage.LaunchChromiumAsync(playwright);
            IPage page = await browser.NewPageAsync();
            page.SetDefaultTimeout(DemoPage.Timeout);
            await page.GotoAsync(first.Http("/").ToString()); // any page of that origin: EventSource is same-origin
            await page.EvaluateAsync("""
                () => {
                  window.received = [];
                  const source = new EventSource('/sse/news');
                  source.onmessage = e => {
                    window.received.push(e.lastEventId + '=' + e.data);
                    document.body.textContent = window.received.join('\n');
                  };
                }
                """);
            await BroadcastKit.WaitUntilAsync(() => first.Server.Topics.SubscriberCount("news") == 1, "the page's event stream");
            await BrokerKit.WaitSyncedAsync(first, "news");

            long epoch = (await publisher.Server.Topics.PublishAsync("news", "one")).Epoch;
            await publisher.Server.Topics.PublishAsync("news", "two");
            await WaitReceivedAsync(page, 2);

            await first.DisposeAsync(); // the server goes away; its address answers nothing for a while
            first = null;
            await publisher.Server.Topics.PublishAsync("news", "three");
            await publisher.Server.Topics.PublishAsync("news", "four");
            second = await StartAtAsync(redis.Configuration, prefix, port);
            await WaitReceivedAsync(page, 4);
            await publisher.Server.Topics.PublishAsync("news", "five");
            string[] received = await WaitReceivedAsync(page, 5);

            Assert.Equal([$"{epoch}:1=one", $"{epoch}:2=two", $"{epoch}:3=three", $"{epoch}:4=four", $"{epoch}:5=five"], received);
            await DemoPage.KeepScreenshotAsync(page, "event-source-resumed");
        }
        finally
        {
            if (first is not null)
            {
                await first.DisposeAsync();
            }

            if (second is not null)
            {
                await second.DisposeAsync();
            }
        }
    }

    private static async Task<string[]> WaitReceivedAsync(IPage page, int count)
    {
        // The browser's reconnect waits for the stream's retry (2 s) after the first failed attempt.
        await page.WaitForFunctionAsync("n => window.received.length >= n", count, new PageWaitForFunctionOptions { Timeout = 20_000 });
        return JsonSerializer.Deserialize<string[]>(await page.EvaluateAsync<string>("() => JSON.stringify(window.received)"))!;
    }

    private static Action<WsFastServerOptions> AtPort(int port) => options =>
    {
        options.Endpoints.Clear();
        options.Endpoints.Add(new IPEndPoint(IPAddress.Loopback, port));
    };

    // The address was just let go: a bind may meet it still held for a moment.
    private static async Task<TestServer> StartAtAsync(string configuration, string prefix, int port)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                return await BrokerKit.StartNodeAsync(configuration, prefix, AtPort(port));
            }
            catch (System.Net.Sockets.SocketException) when (attempt < 20)
            {
                await Task.Delay(100);
            }
        }
    }
}
