using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using WsFast.Protocol;
using WsFast.Tests.Server;
using WsFast.Tests.Support;

namespace WsFast.Tests.Auth;

/// <summary>
/// The executable with <c>--jwt-key</c> (HMAC, from WSFAST_JWT_KEY), an audience, no clock skew, a static publish
/// token and relaying on; a close timeout of 1 s makes the server's timer, which enforces expiries, tick every 250 ms.
/// </summary>
public sealed class JwtServerFixture : IAsyncLifetime
{
    public const string PublishToken = "static-publish-token";

    internal ServerProcess Server { get; private set; } = null!;

    public async Task InitializeAsync() =>
        Server = await ServerProcess.StartAsync(
            ["--jwt-audience", Tokens.Audience, "--jwt-clock-skew", "0", "--relay", "--ping-interval", "0", "--close-timeout", "1"],
            ("WSFAST_JWT_KEY", Tokens.Secret), ("WSFAST_PUBLISH_TOKEN", PublishToken));

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

/// <summary>
/// The executable's JWT authorization (RFC 7519, RFC 6750): where the token is read from, what makes it invalid
/// (401), what its <c>channels</c> and <c>publish</c> claims allow (403 otherwise) on every transport, and the
/// connection's end at the token's expiry unless a refresh message extends it.
/// </summary>
public sealed class ExecutableJwtTests(JwtServerFixture fixture) : IClassFixture<JwtServerFixture>
{
    private readonly ServerProcess _server = fixture.Server;

    private static readonly string[] News = ["news:*", "weather"];

    public static TheoryData<string> Carriers => ["header", "cookie", "query"];

    [Theory]
    [MemberData(nameof(Carriers))]
    public async Task A_valid_token_opens_an_allowed_topic_from_the_header_a_cookie_or_the_query(string carrier)
    {
        string token = Tokens.Make(channels: News);
        string request = carrier switch
        {
            "header" => AuthKit.Upgrade("/broadcast/news:sport", $"Authorization: Bearer {token}"),
            "cookie" => AuthKit.Upgrade("/broadcast/news:sport", $"Cookie: theme=dark; wsfast_token={token}"),
            _ => AuthKit.Upgrade($"/broadcast/news:sport?token={token}"),
        };

        (RawClient client, HttpHead head) = await AuthKit.SendAsync(_server.Port, request);
        await using (client)
        {
            Assert.Equal(101, head.Status);
        }
    }

    public static TheoryData<string, string> Topics => new()
    {
        { "weather", "101" },        // exact
        { "news:sport", "101" },     // news:* pattern, Centrifugo's namespace form
        { "news:", "101" },          // the pattern's prefix with an empty rest
        { "news.sport", "403" },     // another separator is another prefix
        { "news", "403" },           // not under the prefix
        { "newsroom", "403" },
        { "weather.eu", "403" },     // exact means exact
        { "sports", "403" },
    };

    [Theory]
    [MemberData(nameof(Topics))]
    public async Task The_channels_claim_allows_exact_names_and_prefix_patterns_and_nothing_else(string topic, string expected)
    {
        (RawClient client, HttpHead head) = await AuthKit.SendAsync(_server.Port,
            AuthKit.Upgrade($"/broadcast/{topic}", $"Authorization: Bearer {Tokens.Make(channels: News)}"));
        await using (client)
        {
            Assert.Equal(expected, head.Status.ToString(System.Globalization.CultureInfo.InvariantCulture));
            if (head.Status == 403)
            {
                Assert.Equal("Bearer error=\"insufficient_scope\"", head.Header("WWW-Authenticate"));
            }
        }
    }

    [Fact]
    public async Task The_channels_claim_may_be_one_space_separated_string()
    {
        string token = Tokens.Make(channelsAsText: "weather news:*");
        (RawClient client, HttpHead head) = await AuthKit.SendAsync(_server.Port, AuthKit.Upgrade("/broadcast/news:x", $"Authorization: Bearer {token}"));
        await using (client)
        {
            Assert.Equal(101, head.Status);
        }
    }

    // Made when the test runs (see BadRefreshes): a token made at discovery could fail by having expired meanwhile
    // rather than for the reason named.
    public static TheoryData<string> BadTokens => ["none", "expired", "wrong audience", "no audience", "wrong key", "garbage"];

    [Theory]
    [MemberData(nameof(BadTokens))]
    public async Task No_token_or_an_invalid_one_gets_401_with_the_bearer_challenge_of_RFC_6750(string why)
    {
        string? token = why switch
        {
            "none" => null,
            "expired" => Tokens.Make(channels: News, lifetime: TimeSpan.FromMinutes(-1)),
            "wrong audience" => Tokens.Make(channels: News, audience: "someone-else"),
            "no audience" => Tokens.Make(channels: News, audience: null),
            "wrong key" => Tokens.Make(new(new Microsoft.IdentityModel.Tokens.SymmetricSecurityKey(Encoding.UTF8.GetBytes("another-secret-of-more-than-32-bytes")), "HS256"), channels: News),
            _ => "not.a.jwt",
        };
        string request = token is null ? AuthKit.Upgrade("/broadcast/news:x") : AuthKit.Upgrade("/broadcast/news:x", $"Authorization: Bearer {token}");
        (RawClient client, HttpHead head) = await AuthKit.SendAsync(_server.Port, request);
        await using (client)
        {
            Assert.Equal(401, head.Status);
            Assert.Equal(why == "none" ? "Bearer" : "Bearer error=\"invalid_token\"", head.Header("WWW-Authenticate"));
        }
    }

    [Fact]
    public async Task A_token_is_required_on_endpoints_without_topics_too()
    {
        (RawClient client, HttpHead head) = await AuthKit.SendAsync(_server.Port, AuthKit.Upgrade("/echo"));
        await using (client)
        {
            Assert.Equal(401, head.Status);
        }

        (client, head) = await AuthKit.SendAsync(_server.Port, AuthKit.Upgrade("/echo", $"Authorization: Bearer {Tokens.Make()}"));
        await using (client)
        {
            Assert.Equal(101, head.Status);
            await client.AssertEchoesAsync("with a token");
        }
    }

    [Fact]
    public async Task Event_streams_and_polls_need_a_token_allowing_the_topic()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        string token = Tokens.Make(channels: News);

        using (HttpResponseMessage none = await http.GetAsync(_server.Http("/sse/news:x"), HttpCompletionOption.ResponseHeadersRead))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        }

        using (HttpResponseMessage other = await Get(http, "/sse/sports", token))
        {
            Assert.Equal(HttpStatusCode.Forbidden, other.StatusCode);
        }

        using (HttpResponseMessage stream = await Get(http, "/sse/news:x", token))
        {
            Assert.Equal(HttpStatusCode.OK, stream.StatusCode);
        }

        using (HttpResponseMessage none = await http.GetAsync(_server.Http("/poll/news:x?wait=0")))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        }

        using (HttpResponseMessage other = await Get(http, "/poll/sports?wait=0", token))
        {
            Assert.Equal(HttpStatusCode.Forbidden, other.StatusCode);
        }

        using (HttpResponseMessage poll = await Get(http, $"/poll/weather?wait=0&token={token}", bearer: null))
        {
            Assert.Equal(HttpStatusCode.OK, poll.StatusCode);
        }
    }

    [Fact]
    public async Task Publishing_needs_the_publish_claim_for_the_topic_or_the_static_publish_token()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        Assert.Equal(HttpStatusCode.Unauthorized, await Publish(http, "news:x", bearer: null));
        Assert.Equal(HttpStatusCode.Forbidden, await Publish(http, "news:x", Tokens.Make(channels: News)));       // may read, not publish
        Assert.Equal(HttpStatusCode.Forbidden, await Publish(http, "sports", Tokens.Make(publish: ["news:*"])));
        Assert.Equal(HttpStatusCode.OK, await Publish(http, "news:x", Tokens.Make(publish: ["news:*"])));
        Assert.Equal(HttpStatusCode.OK, await Publish(http, "sports", JwtServerFixture.PublishToken));
        Assert.Equal(HttpStatusCode.Unauthorized, await Publish(http, "sports", Tokens.Make(publish: ["*"], lifetime: TimeSpan.FromMinutes(-1))));
    }

    [Fact]
    public async Task A_client_relays_only_to_a_topic_its_token_may_publish_to()
    {
        await using RawClient reader = await Open("/broadcast/chat", Tokens.Make(channels: ["chat"]));
        await using RawClient writer = await Open("/broadcast/chat", Tokens.Make(channels: ["chat"], publish: ["chat"]));
        await writer.SendAsync(ClientFrames.Text("relayed"));
        Assert.Equal("relayed", (await reader.ReadFrameAsync()).Text);

        await reader.SendAsync(ClientFrames.Text("not allowed"));
        ServerFrame close = await reader.ReadFrameAsync();
        Assert.Equal((ushort)CloseCode.PolicyViolation, close.CloseCode);
        Assert.Equal("relayed", (await writer.ReadFrameAsync()).Text); // its own relay; nothing of the refused one follows
        await writer.AssertEchoesAsync("again"); // still relaying: its own message comes back, as to every subscriber
    }

    [Fact]
    public async Task A_connection_is_closed_with_1008_when_its_token_expires()
    {
        var clock = Stopwatch.StartNew();
        await using RawClient client = await Open("/broadcast/weather", Tokens.Make(channels: News, lifetime: TimeSpan.FromSeconds(2)));
        ServerFrame close = await client.ReadFrameAsync(TimeSpan.FromSeconds(5));
        Assert.Equal((ushort)CloseCode.PolicyViolation, close.CloseCode);
        Assert.Equal("token expired", close.CloseReason);
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(3.5)); // exp is in whole seconds
    }

    [Fact]
    public async Task A_refresh_message_with_a_newer_token_of_the_same_subject_extends_the_connection()
    {
        var clock = Stopwatch.StartNew();
        await using RawClient client = await Open("/echo", Tokens.Make(lifetime: TimeSpan.FromSeconds(2)));
        await client.SendAsync(ClientFrames.Text($"{{\"refresh\":\"{Tokens.Make(lifetime: TimeSpan.FromSeconds(4))}\"}}"));

        // Past the first token's expiry (at most 2 s, JWT times being whole seconds) and a tick of the server's
        // timer, the connection still echoes.
        await Task.Delay(TimeSpan.FromSeconds(2.5) - clock.Elapsed);
        await client.AssertEchoesAsync("still here");

        ServerFrame close = await client.ReadFrameAsync(TimeSpan.FromSeconds(4));
        Assert.Equal((ushort)CloseCode.PolicyViolation, close.CloseCode);
        Assert.Equal("token expired", close.CloseReason);
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(2.9), TimeSpan.FromSeconds(6));
    }

    // The tokens are made when the test runs, not when the test data is read: xunit reads it at discovery, and a
    // one-minute token made then has expired by the time a full run reaches this test.
    public static TheoryData<string, string> BadRefreshes => new()
    {
        { "expired", "invalid token" },
        { "not.a.jwt", "invalid token" },
        { "another subject", "the token's subject changed" },
        { "other channels", "the token no longer allows this topic" },
    };

    [Theory]
    [MemberData(nameof(BadRefreshes))]
    public async Task A_refresh_with_a_bad_token_closes_with_1008(string kind, string reason)
    {
        string token = kind switch
        {
            "expired" => Tokens.Make(lifetime: TimeSpan.FromMinutes(-1)),
            "another subject" => Tokens.Make(subject: "mallory"),
            "other channels" => Tokens.Make(channels: ["sports"]),
            _ => kind,
        };
        await using RawClient client = await Open("/broadcast/weather", Tokens.Make(channels: News));
        await client.SendAsync(ClientFrames.Text($"{{\"refresh\":\"{token}\"}}"));
        ServerFrame close = await client.ReadFrameAsync();
        Assert.Equal((ushort)CloseCode.PolicyViolation, close.CloseCode);
        Assert.Equal(reason, close.CloseReason);
    }

    [Fact]
    public async Task Refreshes_closer_than_a_second_apart_close_with_1008_each_costs_a_signature_check()
    {
        await using RawClient client = await Open("/echo", Tokens.Make());
        string refresh = $"{{\"refresh\":\"{Tokens.Make()}\"}}";
        await client.SendAsync(ClientFrames.Text(refresh));
        await client.SendAsync(ClientFrames.Text(refresh));
        ServerFrame close = await client.ReadFrameAsync();
        Assert.Equal((ushort)CloseCode.PolicyViolation, close.CloseCode);
        Assert.Equal("refreshed too often", close.CloseReason);
    }

    [Fact]
    public async Task With_an_issuer_configured_a_token_must_name_it()
    {
        await using ServerProcess server = await ServerProcess.StartAsync(["--jwt-issuer", "https://auth.example"], ("WSFAST_JWT_KEY", Tokens.Secret));
        foreach ((string? issuer, int expected) in new[] { ((string?)null, 401), ("https://other.example", 401), ("https://auth.example", 101) })
        {
            (RawClient client, HttpHead head) = await AuthKit.SendAsync(server.Port,
                AuthKit.Upgrade("/echo", $"Authorization: Bearer {Tokens.Make(audience: null, issuer: issuer)}"));
            await using (client)
            {
                Assert.True(expected == head.Status, $"issuer {issuer ?? "none"}: {head.StatusLine}");
            }
        }
    }

    [Theory]
    [InlineData("rsa")]
    [InlineData("ec")]
    public async Task A_public_key_from_a_PEM_file_checks_tokens_signed_with_its_private_key(string kind)
    {
        (Microsoft.IdentityModel.Tokens.SigningCredentials credentials, string pem) = Tokens.KeyPair(kind);
        try
        {
            await using ServerProcess server = await ServerProcess.StartAsync(["--jwt-key", pem]);
            (RawClient client, HttpHead head) = await AuthKit.SendAsync(server.Port,
                AuthKit.Upgrade("/broadcast/news:x", $"Authorization: Bearer {Tokens.Make(credentials, channels: News, audience: null)}"));
            await using (client)
            {
                Assert.Equal(101, head.Status);
            }

            // A token signed with HMAC, whatever its secret, is not accepted by a public key (algorithm confusion).
            (client, head) = await AuthKit.SendAsync(server.Port,
                AuthKit.Upgrade("/broadcast/news:x", $"Authorization: Bearer {Tokens.Make(channels: News, audience: null)}"));
            await using (client)
            {
                Assert.Equal(401, head.Status);
            }
        }
        finally
        {
            File.Delete(pem);
        }
    }

    private async Task<RawClient> Open(string path, string token)
    {
        (RawClient client, HttpHead head) = await AuthKit.SendAsync(_server.Port, AuthKit.Upgrade(path, $"Authorization: Bearer {token}"));
        Assert.Equal(101, head.Status);
        return client;
    }

    private async Task<HttpResponseMessage> Get(HttpClient http, string path, string? bearer)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, _server.Http(path));
        if (bearer is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }

        return await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
    }

    private async Task<HttpStatusCode> Publish(HttpClient http, string topic, string? bearer)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, _server.Http($"/publish/{topic}")) { Content = new StringContent("x") };
        if (bearer is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }

        using HttpResponseMessage response = await http.SendAsync(request);
        return response.StatusCode;
    }
}
