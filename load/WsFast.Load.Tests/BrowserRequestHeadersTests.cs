using System.Text;
using WsFast.Load.Client.Http;

namespace WsFast.Load.Tests;

public sealed class BrowserRequestHeadersTests
{
    [Fact]
    public void Cookie_is_500_ascii_bytes_and_the_same_every_time()
    {
        Assert.Equal(500, Encoding.ASCII.GetByteCount(BrowserRequestHeaders.Cookie));
        Assert.True(Ascii.IsValid(BrowserRequestHeaders.Cookie));
        Assert.StartsWith("session=", BrowserRequestHeaders.Cookie, StringComparison.Ordinal);
        Assert.Contains("; csrftoken=", BrowserRequestHeaders.Cookie, StringComparison.Ordinal);
        Assert.DoesNotContain("\r", BrowserRequestHeaders.Cookie, StringComparison.Ordinal);
    }

    [Fact]
    public void Fetch_sends_chromiums_headers_in_its_order()
    {
        string request = BrowserRequestHeaders.Get("127.0.0.1:8080", "/poll/feed?after=3", eventSource: false);
        string[] names = HeaderNames(request);
        Assert.Equal(
            ["Host", "Connection", "sec-ch-ua-platform", "User-Agent", "sec-ch-ua", "sec-ch-ua-mobile", "Accept", "Sec-Fetch-Site",
             "Sec-Fetch-Mode", "Sec-Fetch-Dest", "Referer", "Accept-Encoding", "Accept-Language", "Cookie"],
            names);
        Assert.StartsWith("GET /poll/feed?after=3 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n", request, StringComparison.Ordinal);
        Assert.Contains("\r\nAccept: */*\r\n", request, StringComparison.Ordinal);
        Assert.Contains("\r\nReferer: http://127.0.0.1:8080/app/dashboard\r\n", request, StringComparison.Ordinal);
        Assert.Contains("\r\nSec-Fetch-Mode: cors\r\n", request, StringComparison.Ordinal);
        Assert.DoesNotContain("Origin:", request, StringComparison.Ordinal);
        Assert.EndsWith("\r\n\r\n", request, StringComparison.Ordinal);
        Assert.InRange(request.Length, 1000, 1300);
    }

    [Fact]
    public void Event_source_adds_its_cache_headers_and_accepts_event_streams()
    {
        string request = BrowserRequestHeaders.Get("127.0.0.1:8080", "/sse/feed", eventSource: true);
        string[] names = HeaderNames(request);
        Assert.Equal(["Host", "Connection", "Pragma", "Cache-Control", "sec-ch-ua-platform", "User-Agent", "Accept", "sec-ch-ua"], names.Take(8));
        Assert.Contains("\r\nAccept: text/event-stream\r\n", request, StringComparison.Ordinal);
        Assert.Contains("\r\nCache-Control: no-cache\r\n", request, StringComparison.Ordinal);
        Assert.Equal(names.Length, names.Distinct(StringComparer.OrdinalIgnoreCase).Count());
    }

    private static string[] HeaderNames(string request) =>
        request.Split("\r\n").Skip(1).TakeWhile(l => l.Length > 0).Select(l => l[..l.IndexOf(':', StringComparison.Ordinal)]).ToArray();
}
