using System.Text;
using WsFast.Server;
using WsFast.Tests.Server;

namespace WsFast.Tests.Auth;

/// <summary>An authorizer made of a function, and raw requests that carry what a browser sends with an upgrade.</summary>
internal sealed class FuncAuthorizer(Func<AuthorizationContext, ValueTask<AuthorizationResult>> authorize) : RequestAuthorizer
{
    /// <summary>Every context the server asked about, in order.</summary>
    public List<AuthorizationContext> Seen { get; } = [];

    /// <summary>What <see cref="OnMessageAsync"/> does; null takes no message.</summary>
    public Func<WebSocketConnection, WebSocketMessage, bool>? OnMessage { get; init; }

    public override ValueTask<AuthorizationResult> AuthorizeAsync(AuthorizationContext context)
    {
        lock (Seen)
        {
            Seen.Add(context);
        }

        return authorize(context);
    }

    public override ValueTask<bool> OnMessageAsync(WebSocketConnection connection, WebSocketMessage message) =>
        new(OnMessage?.Invoke(connection, message) ?? false);
}

internal static class AuthKit
{
    /// <summary>A broadcast server (relaying, <c>/broadcast/{topic}</c>) whose server-wide authorizer is <paramref name="authorizer"/>.</summary>
    public static Task<TestServer> StartAsync(RequestAuthorizer authorizer, Action<WsFastServerOptions>? configure = null, Action<WsFastServer>? map = null) =>
        TestServer.StartAsync(options =>
        {
            options.PingInterval = TimeSpan.Zero;
            options.ShutdownTimeout = TimeSpan.FromSeconds(1);
            options.Authorizer = authorizer;
            configure?.Invoke(options);
        }, map, broadcastTopics: true);

    /// <summary>An upgrade request for <paramref name="path"/> with extra header lines (each "Name: value").</summary>
    public static string Upgrade(string path, params string[] headers)
    {
        var request = new StringBuilder(RawClient.UpgradeRequest(path));
        request.Length -= 2; // before the empty line
        foreach (string header in headers)
        {
            request.Append(header).Append("\r\n");
        }

        return request.Append("\r\n").ToString();
    }

    /// <summary>Sends <paramref name="request"/> on a new connection and reads the response head.</summary>
    public static async Task<(RawClient Client, HttpHead Head)> SendAsync(int port, string request)
    {
        RawClient client = await RawClient.ConnectAsync(port);
        await client.SendAsync(request);
        return (client, await client.ReadHeadAsync());
    }

    /// <summary>Waits up to 5 s for <paramref name="condition"/>.</summary>
    public static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        DateTime until = DateTime.UtcNow.AddSeconds(5);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < until, $"timed out waiting for {what}");
            await Task.Delay(10);
        }
    }
}
