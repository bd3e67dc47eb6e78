using System.Text;

namespace WsFast.Load.Client.Http;

/// <summary>
/// GET requests as a Chromium browser (Chrome 136 on Windows, HTTP/1.1) sends them from a page of the same
/// origin, with the cookies of a logged-in user: <c>fetch()</c> for polls, <c>EventSource</c> for event
/// streams. What a page's own script adds (an Authorization header, custom headers) is left out.
/// </summary>
/// <remarks>
/// <para>
/// Header names, values and order are Chromium's for an HTTP/1.1 request: Host, Connection, the client hints
/// (sec-ch-ua-platform, sec-ch-ua, sec-ch-ua-mobile) around User-Agent, Accept, the Fetch Metadata headers
/// (Sec-Fetch-Site, -Mode, -Dest), Referer, Accept-Encoding, Accept-Language and Cookie. A same-origin GET has
/// no Origin header (Chromium adds it to cross-origin requests and to same-origin ones other than GET and HEAD).
/// An EventSource request also carries <c>Pragma: no-cache</c>, <c>Cache-Control: no-cache</c> and
/// <c>Accept: text/event-stream</c>, in that order; a fetch without options accepts <c>*/*</c>. (Checked
/// against what Debian's Chromium 156 sends headless, whose User-Agent and brand list name HeadlessChrome and
/// Linux instead.)
/// </para>
/// <para>
/// The cookie is 500 bytes: a session token, a CSRF token, analytics and consent cookies and a few preferences,
/// the mix a logged-in user of a typical web application carries. Over HTTP/2 or HTTP/3 a browser would
/// compress repeated headers (HPACK, QPACK); these requests are HTTP/1.1, as the load tool speaks it.
/// </para>
/// </remarks>
public static class BrowserRequestHeaders
{
    /// <summary>The Chromium major version the headers are those of.</summary>
    public const int ChromiumVersion = 136;

    /// <summary>Chrome's reduced User-Agent string on Windows.</summary>
    public const string UserAgent = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/136.0.0.0 Safari/537.36";

    /// <summary>The low-entropy brand list Chrome 136 sends in <c>sec-ch-ua</c>.</summary>
    public const string Brands = "\"Chromium\";v=\"136\", \"Google Chrome\";v=\"136\", \"Not.A/Brand\";v=\"99\"";

    /// <summary>The length of <see cref="Cookie"/>, in bytes.</summary>
    public const int CookieLength = 500;

    /// <summary>The page the requests come from, on the server's own origin.</summary>
    public const string PagePath = "/app/dashboard";

    /// <summary>The cookie header's value: exactly <see cref="CookieLength"/> ASCII bytes.</summary>
    public static string Cookie { get; } = MakeCookie();

    /// <summary>
    /// The whole request: <c>GET <paramref name="pathAndQuery"/></c> to <paramref name="authority"/> as
    /// <c>EventSource</c> sends it when <paramref name="eventSource"/>, else as <c>fetch()</c> does.
    /// </summary>
    public static string Get(string authority, string pathAndQuery, bool eventSource)
    {
        ArgumentNullException.ThrowIfNull(authority);
        var request = new StringBuilder(1400);
        request.Append("GET ").Append(pathAndQuery).Append(" HTTP/1.1\r\n");
        request.Append("Host: ").Append(authority).Append("\r\n");
        request.Append("Connection: keep-alive\r\n");
        if (eventSource)
        {
            request.Append("Pragma: no-cache\r\n");
            request.Append("Cache-Control: no-cache\r\n");
        }

        request.Append("sec-ch-ua-platform: \"Windows\"\r\n");

        request.Append("User-Agent: ").Append(UserAgent).Append("\r\n");
        if (eventSource)
        {
            request.Append("Accept: text/event-stream\r\n");
        }

        request.Append("sec-ch-ua: ").Append(Brands).Append("\r\n");
        request.Append("sec-ch-ua-mobile: ?0\r\n");
        if (!eventSource)
        {
            request.Append("Accept: */*\r\n");
        }

        request.Append("Sec-Fetch-Site: same-origin\r\n");
        request.Append("Sec-Fetch-Mode: cors\r\n");
        request.Append("Sec-Fetch-Dest: empty\r\n");
        request.Append("Referer: http://").Append(authority).Append(PagePath).Append("\r\n");
        request.Append("Accept-Encoding: gzip, deflate, br, zstd\r\n");
        request.Append("Accept-Language: en-US,en;q=0.9\r\n");
        request.Append("Cookie: ").Append(Cookie).Append("\r\n");
        request.Append("\r\n");
        return request.ToString();
    }

    // Fixed values (the same bytes every run), the session token padded so that the whole value is CookieLength.
    private static string MakeCookie()
    {
        const string rest =
            "; csrftoken=q7Wm2ZkLx9VbR4tN8cPjH3sYd6FgA1eU" +
            "; _ga=GA1.1.1843527061.1748950123" +
            "; _ga_5Q8RX7KZ2L=GS2.1.s1748950123$o12$g1$t1748953601$j60$l0$h0" +
            "; _gid=GA1.1.1027465319.1748950123" +
            "; cookie_consent=necessary%2Canalytics%2Cpreferences" +
            "; theme=dark; locale=en-US; tz=Europe%2FBerlin";
        const string name = "session=";
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        var token = new StringBuilder();
        uint state = 2463534242; // xorshift32: a token that looks random and is the same every run
        while (name.Length + token.Length + rest.Length < CookieLength)
        {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            token.Append(alphabet[(int)(state % (uint)alphabet.Length)]);
        }

        return name + token + rest;
    }
}
