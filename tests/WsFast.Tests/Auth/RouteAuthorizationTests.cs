using System.Net;
using System.Net.Http.Headers;
using WsFast.Server;
using WsFast.Tests.Server;

namespace WsFast.Tests.Auth;

/// <summary>
/// The server-wide authorizer guards the other ways to a topic too: event streams, polls and publishing, told
/// which of them and which topic; a publish with the static publish token does not ask it.
/// </summary>
public sealed class RouteAuthorizationTests
{
    // Allows "open" to everyone; everything else only with "X-Key: k".
    private static FuncAuthorizer Gate() => new(context => new(
        context.Topic == "open" || context.GetHeader("X-Key") == "k" ? AuthorizationResult.Accept() : AuthorizationResult.Forbidden("no")));

    [Fact]
    public async Task Event_streams_polls_and_publishes_are_asked_about_with_their_kind_and_topic()
    {
        FuncAuthorizer gate = Gate();
        await using TestServer server = await AuthKit.StartAsync(gate);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };

        using (HttpResponseMessage refused = await http.GetAsync(server.Http("/sse/closed"), HttpCompletionOption.ResponseHeadersRead))
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        }

        using (var request = new HttpRequestMessage(HttpMethod.Get, server.Http("/sse/closed")) { Headers = { { "X-Key", "k" } } })
        using (HttpResponseMessage stream = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead))
        {
            Assert.Equal(HttpStatusCode.OK, stream.StatusCode);
        }

        using (HttpResponseMessage refused = await http.GetAsync(server.Http("/poll/closed?wait=0")))
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        }

        using (HttpResponseMessage poll = await http.GetAsync(server.Http("/poll/open?wait=0")))
        {
            Assert.Equal(HttpStatusCode.OK, poll.StatusCode);
        }

        using (HttpResponseMessage refused = await http.PostAsync(server.Http("/publish/closed"), new StringContent("x")))
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        }

        Assert.Null(server.Server.Topics.Find("closed"));
        Assert.Equal(
            [(AuthorizationRequestKind.EventStream, "closed"), (AuthorizationRequestKind.EventStream, "closed"), (AuthorizationRequestKind.Poll, "closed"),
             (AuthorizationRequestKind.Poll, "open"), (AuthorizationRequestKind.Publish, "closed")],
            gate.Seen.Select(c => (c.Kind, c.Topic!)));
        Assert.All(gate.Seen, c => Assert.Null(c.Endpoint));
    }

    [Fact]
    public async Task The_static_publish_token_publishes_without_asking_the_authorizer_and_other_bearers_are_its_to_decide()
    {
        FuncAuthorizer gate = Gate();
        await using TestServer server = await AuthKit.StartAsync(gate, options => options.Broadcast.PublishToken = "static-secret");
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };

        using (var request = new HttpRequestMessage(HttpMethod.Post, server.Http("/publish/closed")) { Content = new StringContent("x") })
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "static-secret");
            using HttpResponseMessage published = await http.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, published.StatusCode);
        }

        Assert.Empty(gate.Seen);

        using (var request = new HttpRequestMessage(HttpMethod.Post, server.Http("/publish/closed")) { Content = new StringContent("x") })
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "some-other-token");
            using HttpResponseMessage refused = await http.SendAsync(request);
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        }

        using (var request = new HttpRequestMessage(HttpMethod.Post, server.Http("/publish/open")) { Content = new StringContent("x") })
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "some-other-token");
            using HttpResponseMessage published = await http.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, published.StatusCode);
        }

        Assert.Equal(2, gate.Seen.Count);
        Assert.Equal(1, server.Server.Topics.Find("closed")!.LastSequence);
    }
}
