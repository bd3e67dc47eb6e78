using System.Net;
using WsFast.Tests.Server;

namespace WsFast.Tests.Limits;

/// <summary>Clients from chosen addresses, for the per-address limits and the proxy rules.</summary>
internal static class LimitKit
{
    /// <summary>A loopback address of its own (127.0.0.<paramref name="n"/>): another client address to the server.</summary>
    public static IPAddress From(int n) => IPAddress.Parse($"127.0.0.{n}");

    /// <summary>An upgrade request for <paramref name="path"/> with <paramref name="headers"/> (whole lines, without CRLF) added.</summary>
    public static string Upgrade(string path = "/echo", params string[] headers) =>
        RawClient.UpgradeRequest(path).Replace("\r\n\r\n", "\r\n" + string.Concat(headers.Select(h => h + "\r\n")) + "\r\n", StringComparison.Ordinal);

    /// <summary>A plain GET of <paramref name="path"/> with <paramref name="headers"/> added, kept alive.</summary>
    public static string Get(string path, params string[] headers) =>
        $"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n" + string.Concat(headers.Select(h => h + "\r\n")) + "\r\n";

    /// <summary>Connects from <paramref name="from"/>, sends <paramref name="request"/> and reads the response head.</summary>
    public static async Task<(RawClient Client, HttpHead Head)> SendAsync(int port, IPAddress from, string request)
    {
        RawClient client = await RawClient.ConnectAsync(port, from);
        try
        {
            await client.SendAsync(request);
            return (client, await client.ReadHeadAsync());
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }
    }

    /// <summary>Upgrades from <paramref name="from"/> and asserts the 101; the open connection.</summary>
    public static async Task<RawClient> OpenAsync(int port, IPAddress from, string path = "/echo", params string[] headers)
    {
        (RawClient client, HttpHead head) = await SendAsync(port, from, Upgrade(path, headers));
        if (head.Status != 101)
        {
            await client.DisposeAsync();
            Assert.Fail($"expected 101 from {from}, got: {head.StatusLine}");
        }

        return client;
    }

    /// <summary>Upgrades from <paramref name="from"/> and asserts a 429 with Retry-After; its value in seconds.</summary>
    public static Task<int> AssertTooManyAsync(int port, IPAddress from, string path = "/echo", params string[] headers) =>
        AssertRefusedAsync(port, from, Upgrade(path, headers), 429);

    /// <summary>Sends <paramref name="request"/> from <paramref name="from"/> and asserts <paramref name="status"/> with Retry-After and the end; its value in seconds.</summary>
    public static async Task<int> AssertRefusedAsync(int port, IPAddress from, string request, int status)
    {
        (RawClient client, HttpHead head) = await SendAsync(port, from, request);
        await using (client)
        {
            Assert.True(head.Status == status, $"expected {status} from {from}, got: {head.StatusLine}");
            Assert.True(int.TryParse(head.Header("Retry-After"), out int seconds) && seconds >= 1, $"Retry-After: {head.Header("Retry-After")}");
            (_, TcpEnd end) = await client.ReadToEndAsync();
            Assert.Equal(TcpEnd.Fin, end);
            return seconds;
        }
    }

    /// <summary>The value of a Prometheus sample line of <c>/metrics</c>, such as <c>wsfast_limit_refusals_total{reason="byte_rate"}</c>.</summary>
    public static async Task<long> MetricAsync(TestServer server, string sample)
    {
        using var http = new HttpClient();
        string text = await http.GetStringAsync(server.Http("/metrics"));
        foreach (string line in text.Split('\n'))
        {
            if (line.StartsWith(sample + " ", StringComparison.Ordinal))
            {
                return long.Parse(line[(sample.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        throw new Xunit.Sdk.XunitException($"/metrics has no sample {sample}");
    }

    /// <summary>Waits up to five seconds for <paramref name="condition"/>.</summary>
    public static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < until, $"timed out waiting for {what}");
            await Task.Delay(10);
        }
    }
}
