using System.Diagnostics;
using System.Net;
using System.Security.Claims;
using System.Text;
using WsFast.Protocol;
using WsFast.Server;
using WsFast.Tests.Server;
using WsFast.Tests.Support;

namespace WsFast.Tests.Auth;

/// <summary>
/// The library's hook before the 101 (<see cref="RequestAuthorizer"/>): what it is told of the request, what an
/// acceptance grants the connection, what a rejection sends, and that nothing reaches the client, and nothing is
/// held for it, until it is accepted.
/// </summary>
public sealed class UpgradeAuthorizationTests
{
    [Fact]
    public async Task An_acceptance_grants_its_subprotocol_identity_user_state_and_topics_after_seeing_the_whole_request()
    {
        var user = new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.Name, "alice")], "test"));
        var authorizer = new FuncAuthorizer(_ => new(AuthorizationResult.Accept(user, userState: "state-1", subProtocol: "chat.v2", joinTopics: ["extra"])));
        var recorder = new TestServer.Recorder();
        await using TestServer server = await AuthKit.StartAsync(authorizer, map: s => s.Map("/app", recorder));

        (RawClient client, HttpHead head) = await AuthKit.SendAsync(server.Port, AuthKit.Upgrade(
            "/app?a=1&b=x+y%21&a=2",
            "Sec-WebSocket-Protocol: chat.v1, chat.v2",
            "Cookie: sid=abc; theme=\"dark\"; sid=second",
            "X-Test: yes"));
        await using (client)
        {
            Assert.Equal(101, head.Status);
            Assert.Equal("chat.v2", head.Header("Sec-WebSocket-Protocol"));

            AuthorizationContext context = Assert.Single(authorizer.Seen);
            Assert.Equal(AuthorizationRequestKind.WebSocket, context.Kind);
            Assert.Equal("/app", context.Path);
            Assert.Equal(["1", "2"], context.Query["a"]);
            Assert.Equal(["x y!"], context.Query["b"]);
            Assert.Equal("abc", context.Cookies["sid"]); // the first of a name (RFC 6265 section 5.4)
            Assert.Equal("dark", context.Cookies["theme"]);
            Assert.Equal("yes", context.GetHeader("x-test"));
            Assert.Equal(IPAddress.Loopback, context.ClientAddress);
            Assert.False(context.IsSecure);
            Assert.Equal("/app", context.Endpoint!.Path);
            Assert.Null(context.Topic);
            Assert.Equal(["chat.v1", "chat.v2"], context.OfferedSubProtocols);

            await AuthKit.WaitUntilAsync(() => server.Server.Topics.SubscriberCount("extra") == 1, "the join of 'extra'");
            WebSocketConnection connection = recorder.Last!;
            Assert.Same(user, connection.User);
            Assert.Equal("state-1", connection.UserState);
            Assert.Equal("chat.v2", connection.SubProtocol);
            Assert.Null(connection.AuthorizationExpiresAt);

            server.Server.Topics.Publish("extra", "to the joined topic");
            Assert.Equal("to the joined topic", (await client.ReadFrameAsync()).Text);
        }

        await AuthKit.WaitUntilAsync(() => server.Server.Topics.SubscriberCount("extra") == 0, "the connection to leave 'extra'");
    }

    public static TheoryData<string, int, string, string?, string?> Rejections => new()
    {
        { "401", 401, "who are you", "WWW-Authenticate", "Bearer realm=\"test\"" },
        { "403", 403, "not you", null, null },
        { "429", 429, "slow down", "Retry-After", "3" },
        { "503", 503, "maintenance", "X-Reason", "deploy" },
    };

    [Theory]
    [MemberData(nameof(Rejections))]
    public async Task A_rejection_sends_its_status_headers_and_body_and_leaves_no_topic_or_subscriber(string kind, int status, string body, string? header, string? value)
    {
        AuthorizationResult rejection = kind switch
        {
            "401" => AuthorizationResult.Unauthorized("Bearer realm=\"test\"", body),
            "403" => AuthorizationResult.Forbidden(body),
            "429" => AuthorizationResult.TooManyRequests(TimeSpan.FromSeconds(2.5), body),
            _ => AuthorizationResult.Reject(status, body, KeyValuePair.Create(header!, value!)),
        };
        await using TestServer server = await AuthKit.StartAsync(new FuncAuthorizer(_ => new(rejection)));
        long refusedBefore = server.Server.Counters.Refused;

        (RawClient client, HttpHead head) = await AuthKit.SendAsync(server.Port, AuthKit.Upgrade("/broadcast/secret"));
        await using (client)
        {
            Assert.Equal(status, head.Status);
            if (header is not null)
            {
                Assert.Equal(value, head.Header(header));
            }

            (byte[] rest, TcpEnd end) = await client.ReadToEndAsync();
            Assert.Equal(body + "\n", Encoding.UTF8.GetString(rest));
            Assert.Equal(TcpEnd.Fin, end);
        }

        Assert.Null(server.Server.Topics.Find("secret"));
        Assert.Equal(0, server.Server.Endpoints["/broadcast"].ConnectionCount);
        Assert.Equal(refusedBefore + 1, server.Server.Counters.Refused);
        Assert.Equal(0, server.Server.Counters.Opened);
    }

    [Fact]
    public void A_rejection_is_checked_when_made_status_headers_and_body_within_bounds()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => AuthorizationResult.Reject(200));
        Assert.Throws<ArgumentOutOfRangeException>(() => AuthorizationResult.Reject(302));
        Assert.Throws<ArgumentException>(() => AuthorizationResult.Reject(401, null, KeyValuePair.Create("WWW-Authenticate", "Bearer\r\nSet-Cookie: x=1")));
        Assert.Throws<ArgumentException>(() => AuthorizationResult.Reject(401, null, KeyValuePair.Create("Bad Name", "x")));
        Assert.Throws<ArgumentException>(() => AuthorizationResult.Reject(403, null, KeyValuePair.Create("Content-Length", "0")));
        Assert.Throws<ArgumentException>(() => AuthorizationResult.Reject(403, new string('x', AuthorizationResult.MaxBodyBytes + 1)));
        Assert.Throws<ArgumentException>(() => AuthorizationResult.Accept(joinTopics: ["a b"]));
        Assert.Equal("1", AuthorizationResult.TooManyRequests(TimeSpan.FromMilliseconds(10)).Headers[0].Value);
    }

    [Fact]
    public async Task An_async_authorizer_is_awaited_and_what_is_published_meanwhile_never_reaches_the_client()
    {
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var authorizer = new FuncAuthorizer(async _ =>
        {
            entered.TrySetResult();
            await gate.Task;
            return AuthorizationResult.Accept();
        });
        await using TestServer server = await AuthKit.StartAsync(authorizer);

        await using RawClient client = await RawClient.ConnectAsync(server.Port);
        await client.SendAsync(AuthKit.Upgrade("/broadcast/gated"));
        await entered.Task.WaitAsync(TimeSpan.FromSeconds(5));

        // While the authorizer runs the connection is no subscriber: this publish reaches nobody.
        Assert.Equal(0, server.Server.Topics.Publish("gated", "during").Subscribers);
        Assert.Equal(0, server.Server.Endpoints["/broadcast"].Broadcast("during, to the endpoint"));
        gate.SetResult();

        HttpHead head = await client.ReadHeadAsync();
        Assert.Equal(101, head.Status);
        await AuthKit.WaitUntilAsync(() => server.Server.Topics.SubscriberCount("gated") == 1, "the subscription");
        server.Server.Topics.Publish("gated", "after");
        ServerFrame first = await client.ReadFrameAsync();
        Assert.Equal("after", first.Text);
    }

    [Fact]
    public async Task An_authorizer_slower_than_the_handshake_timeout_gets_503_and_its_cancellation_and_leaves_nothing()
    {
        var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var never = new TaskCompletionSource<AuthorizationResult>();
        var authorizer = new FuncAuthorizer(context =>
        {
            context.Aborted.Register(() => cancelled.TrySetResult());
            return new ValueTask<AuthorizationResult>(never.Task); // ignores its cancellation: never answers
        });
        await using TestServer server = await AuthKit.StartAsync(authorizer, options => options.HandshakeTimeout = TimeSpan.FromMilliseconds(400));

        var clock = Stopwatch.StartNew();
        (RawClient client, HttpHead head) = await AuthKit.SendAsync(server.Port, AuthKit.Upgrade("/broadcast/slow"));
        await using (client)
        {
            Assert.Equal(503, head.Status);
            Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(400) - RawClient.ClockSlack, TimeSpan.FromSeconds(3));
            await client.ReadToEndAsync();
        }

        await cancelled.Task.WaitAsync(TimeSpan.FromSeconds(5));
        await AuthKit.WaitUntilAsync(() => server.Server.ConnectionCount == 0, "the connection to end");
        Assert.Null(server.Server.Topics.Find("slow"));
        Assert.True(server.Log.Contains("timed out"));

        // An answer after the deadline changes nothing.
        never.SetResult(AuthorizationResult.Accept());
        await Task.Delay(50);
        Assert.Null(server.Server.Topics.Find("slow"));
        Assert.Equal(0, server.Server.Counters.Opened);
    }

    [Fact]
    public async Task An_authorizer_that_throws_gets_500_logged_once_for_a_burst()
    {
        var authorizer = new FuncAuthorizer(_ => throw new InvalidOperationException("the session store is down"));
        await using TestServer server = await AuthKit.StartAsync(authorizer);

        for (int i = 0; i < 3; i++)
        {
            (RawClient client, HttpHead head) = await AuthKit.SendAsync(server.Port, AuthKit.Upgrade("/broadcast/x"));
            await using (client)
            {
                Assert.Equal(500, head.Status);
                (byte[] rest, _) = await client.ReadToEndAsync();
                Assert.DoesNotContain("session store", Encoding.UTF8.GetString(rest), StringComparison.Ordinal); // nothing of it to the client
            }
        }

        Assert.Single(server.Log.Lines, line => line.Message.Contains("authorizer failed", StringComparison.Ordinal));
        Assert.Null(server.Server.Topics.Find("x"));
    }

    [Fact]
    public async Task A_subprotocol_the_client_did_not_offer_is_the_authorizers_error_500()
    {
        var authorizer = new FuncAuthorizer(_ => new(AuthorizationResult.Accept(subProtocol: "never-offered")));
        await using TestServer server = await AuthKit.StartAsync(authorizer);

        (RawClient client, HttpHead head) = await AuthKit.SendAsync(server.Port, AuthKit.Upgrade("/broadcast/x", "Sec-WebSocket-Protocol: chat"));
        await using (client)
        {
            Assert.Equal(500, head.Status);
        }

        Assert.True(await server.Log.WaitForAsync("authorizer failed"));
    }

    [Fact]
    public async Task An_endpoints_own_authorizer_decides_for_it_and_the_servers_for_the_others()
    {
        var serverWide = new FuncAuthorizer(_ => new(AuthorizationResult.Forbidden("server-wide")));
        var own = new FuncAuthorizer(_ => new(AuthorizationResult.Accept()));
        await using TestServer server = await AuthKit.StartAsync(serverWide, map: s => s.Map("/own", new TestServer.Echo()).Authorizer = own);

        await using RawClient allowed = await RawClient.OpenAsync(server.Port, "/own");
        await allowed.AssertEchoesAsync("through the endpoint's authorizer");

        (RawClient refused, HttpHead head) = await AuthKit.SendAsync(server.Port, AuthKit.Upgrade("/echo"));
        await using (refused)
        {
            Assert.Equal(403, head.Status);
        }

        Assert.Single(own.Seen);
        Assert.Single(serverWide.Seen);
    }

    [Fact]
    public async Task An_expiring_authorization_closes_with_1008_at_its_time_and_a_refresh_message_extends_it()
    {
        var authorizer = new FuncAuthorizer(_ => new(AuthorizationResult.Accept(expiresAt: DateTimeOffset.UtcNow.AddMilliseconds(500))))
        {
            // Its own refresh message: "extend" moves the expiry to 1.2 s from now.
            OnMessage = (connection, message) =>
            {
                if (message.GetText() != "extend")
                {
                    return false;
                }

                connection.ExtendAuthorization(DateTimeOffset.UtcNow.AddMilliseconds(1200));
                return true;
            },
        };

        // A broadcast endpoint that takes no client messages still takes the authorizer's.
        // A short close timeout makes the server's timer, which enforces expiries, tick every 100 ms.
        await using TestServer server = await AuthKit.StartAsync(authorizer, options => options.CloseTimeout = TimeSpan.FromMilliseconds(400), s => s.MapBroadcast("/feed"));

        var clock = Stopwatch.StartNew();
        await using RawClient expiring = await RawClient.OpenAsync(server.Port, "/broadcast/a");
        ServerFrame close = await expiring.ReadFrameAsync(TimeSpan.FromSeconds(3));
        Assert.Equal((ushort)CloseCode.PolicyViolation, close.CloseCode);
        Assert.Equal("token expired", close.CloseReason);
        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(500) - RawClient.ClockSlack, TimeSpan.FromSeconds(1.5));

        clock.Restart();
        await using RawClient refreshed = await RawClient.OpenAsync(server.Port, "/feed/b");
        await refreshed.SendAsync(ClientFrames.Text("extend"));
        close = await refreshed.ReadFrameAsync(TimeSpan.FromSeconds(4));
        Assert.Equal((ushort)CloseCode.PolicyViolation, close.CloseCode);
        Assert.Equal("token expired", close.CloseReason);
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(1000), $"closed after {clock.Elapsed}, before the extended expiry");

        // Any other message on that endpoint is refused as before.
        await using RawClient other = await RawClient.OpenAsync(server.Port, "/feed/b");
        await other.SendAsync(ClientFrames.Text("hello"));
        close = await other.ReadFrameAsync();
        Assert.Equal((ushort)CloseCode.PolicyViolation, close.CloseCode);
        Assert.Equal("this endpoint does not take messages from clients", close.CloseReason);
    }

    [Fact]
    public async Task A_connection_not_allowed_to_relay_is_closed_with_1008_at_its_first_message_and_publishes_nothing()
    {
        var authorizer = new FuncAuthorizer(_ => new(AuthorizationResult.Accept(relayAllowed: false)));
        await using TestServer server = await AuthKit.StartAsync(authorizer);

        await using RawClient reader = await RawClient.OpenAsync(server.Port, "/broadcast/room");
        await using RawClient client = await RawClient.OpenAsync(server.Port, "/broadcast/room");
        await client.SendAsync(ClientFrames.Text("not mine to publish"));
        ServerFrame close = await client.ReadFrameAsync();
        Assert.Equal((ushort)CloseCode.PolicyViolation, close.CloseCode);
        Assert.Equal(0, server.Server.Topics.Find("room")!.LastSequence);
    }

    [Fact]
    public async Task A_draft_76_client_cannot_bypass_the_authorizer_it_gets_426_and_the_authorizer_is_not_asked()
    {
        var authorizer = new FuncAuthorizer(_ => new(AuthorizationResult.Accept()));
        await using TestServer server = await AuthKit.StartAsync(authorizer, map: s => s.Endpoints["/broadcast"].LegacyHixie76 = true);

        using var client = await Server.Legacy.Hixie76Client.OpenAsync(server.Port, Server.Legacy.Hixie76Client.Request(server.Port, "/broadcast/news"));
        Assert.Equal(426, client.Response.Status);
        Assert.Empty(authorizer.Seen);
        Assert.Null(server.Server.Topics.Find("news"));
    }
}
