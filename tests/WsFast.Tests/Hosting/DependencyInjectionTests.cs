using System.Collections.Concurrent;
using System.Net.WebSockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using WsFast.Tests.Server;

namespace WsFast.Tests.Hosting;

/// <summary>
/// <c>Map&lt;THandler&gt;</c>: a handler per connection, made in a service scope of its own that lives as long as the
/// connection, as ASP.NET Core SignalR scopes a hub.
/// </summary>
public class DependencyInjectionTests
{
    [Fact]
    public async Task Each_connection_has_its_own_scope_the_same_for_all_its_messages_and_disposed_after_OnDisconnected()
    {
        var probe = new Probe();
        HostApplicationBuilder builder = TestHost.Create();
        builder.Services.AddSingleton(probe);
        builder.Services.AddScoped<ScopedCounter>();
        builder.Services.AddWsFast(options => Loopback(options)).Map<CountingHandler>("/count");
        using IHost host = builder.Build();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await host.StartAsync(timeout.Token);
        Uri uri = Ws(host, "/count");

        using ClientWebSocket first = await TestHost.ConnectAsync(uri, timeout.Token);
        using ClientWebSocket second = await TestHost.ConnectAsync(uri, timeout.Token);
        string[] firstAnswers = [await AskAsync(first, timeout.Token), await AskAsync(first, timeout.Token)];
        string secondAnswer = await AskAsync(second, timeout.Token);

        // Within a connection: the handler's counter and one resolved from the scope later are one instance, the
        // same for every message. Across connections: another instance.
        string[] ids = firstAnswers[0].Split('/');
        Assert.Equal(ids[0], ids[1]);
        Assert.Equal(firstAnswers[0], firstAnswers[1]);
        Assert.NotEqual(ids[0], secondAnswer.Split('/')[0]);
        Assert.Empty(probe.Events);

        await first.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", timeout.Token);
        await ClientSupport.WaitUntilAsync(() => probe.Events.Count >= 3, timeout.Token);
        Assert.Equal([$"disconnected {ids[0]}", $"handler disposed {ids[0]}", $"counter disposed {ids[0]}"], probe.Events);

        await second.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", timeout.Token);
        await ClientSupport.WaitUntilAsync(() => probe.Events.Count >= 6, timeout.Token);
        Assert.Contains($"counter disposed {secondAnswer.Split('/')[0]}", probe.Events);
        await host.StopAsync(timeout.Token);
    }

    [Fact]
    public async Task A_handler_that_cannot_be_made_closes_its_connection_with_1011_and_one_log_line_and_the_server_goes_on()
    {
        var log = new TestLog();
        HostApplicationBuilder builder = TestHost.Create("{}", log);
        builder.Services.AddWsFast(options => Loopback(options))
            .Map<NeedsAMissingService>("/broken")
            .Map("/echo", new EchoHandler());
        using IHost host = builder.Build();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await host.StartAsync(timeout.Token);

        for (int i = 0; i < 2; i++)
        {
            using ClientWebSocket broken = await TestHost.ConnectAsync(Ws(host, "/broken"), timeout.Token);
            (WebSocketCloseStatus? status, _) = await broken.ExpectCloseAsync(timeout.Token);
            Assert.Equal(WebSocketCloseStatus.InternalServerError, status);
        }

        Assert.Single(log.Lines, line => line.Message.Contains("NeedsAMissingService of /broken could not be made", StringComparison.Ordinal));
        using ClientWebSocket echo = await TestHost.ConnectAsync(Ws(host, "/echo"), timeout.Token);
        await echo.SendTextAsync("still serving", timeout.Token);
        Assert.Equal("still serving", await echo.ReceiveTextAsync(timeout.Token));
        await echo.CloseAsync(WebSocketCloseStatus.NormalClosure, "", timeout.Token);
        await host.StopAsync(timeout.Token);
    }

    [Fact]
    public async Task A_server_made_without_services_refuses_Map_of_a_handler_type_and_says_what_to_do()
    {
        await using var server = new WsFastServer(new WsFastServerOptions());
        InvalidOperationException refused = Assert.Throws<InvalidOperationException>(() => server.Map<CountingHandler>("/count"));
        Assert.Contains("AddWsFast", refused.Message);
        Assert.Contains("IServiceProvider", refused.Message);
    }

    [Fact]
    public async Task A_server_made_with_a_service_provider_maps_a_handler_type()
    {
        var probe = new Probe();
        await using ServiceProvider services = new ServiceCollection().AddSingleton(probe).AddScoped<ScopedCounter>().BuildServiceProvider(validateScopes: true);
        await using var server = new WsFastServer(Loopback(new WsFastServerOptions()), services);
        server.Map<CountingHandler>("/count");
        await server.StartAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));

        using ClientWebSocket client = await TestHost.ConnectAsync(new Uri($"ws://127.0.0.1:{server.EndPoints[0].Port}/count"), timeout.Token);
        string[] ids = (await AskAsync(client, timeout.Token)).Split('/');
        Assert.Equal(ids[0], ids[1]);
    }

    private static WsFastServerOptions Loopback(WsFastServerOptions options)
    {
        options.Urls.Add("http://127.0.0.1:0");
        options.SocketEngine = TestServer.Engine;
        return options;
    }

    private static Uri Ws(IHost host, string path) =>
        new($"ws://127.0.0.1:{host.Services.GetRequiredService<WsFastServer>().EndPoints[0].Port}{path}");

    private static async Task<string> AskAsync(ClientWebSocket client, CancellationToken cancellationToken)
    {
        await client.SendTextAsync("which?", cancellationToken);
        return await client.ReceiveTextAsync(cancellationToken);
    }

    /// <summary>What happened to scopes and handlers, in order.</summary>
    public sealed class Probe
    {
        private readonly ConcurrentQueue<string> _events = new();

        public IReadOnlyCollection<string> Events => _events;

        public void Record(string text) => _events.Enqueue(text);
    }

    /// <summary>A scoped service with an id of its own, that records its disposal.</summary>
    public sealed class ScopedCounter(Probe probe) : IAsyncDisposable
    {
        private static int s_next;

        public int Id { get; } = Interlocked.Increment(ref s_next);

        public ValueTask DisposeAsync()
        {
            probe.Record($"counter disposed {Id}");
            return default;
        }
    }

    /// <summary>Answers every message with its counter's id and the id of the counter its scope resolves now.</summary>
    public sealed class CountingHandler(ScopedCounter counter, IServiceProvider scope, Probe probe) : WebSocketHandler, IDisposable
    {
        public override async ValueTask OnMessageAsync(WebSocketConnection connection, WebSocketMessage message) =>
            await connection.SendTextAsync($"{counter.Id}/{scope.GetRequiredService<ScopedCounter>().Id}");

        public override ValueTask OnDisconnectedAsync(WebSocketConnection connection, CloseCode code, string reason)
        {
            probe.Record($"disconnected {counter.Id}");
            return default;
        }

        public void Dispose() => probe.Record($"handler disposed {counter.Id}");
    }

    /// <summary>A service no one registered.</summary>
    public interface IMissingService;

    /// <summary>A handler whose dependency cannot be resolved.</summary>
    public sealed class NeedsAMissingService(IMissingService missing) : WebSocketHandler
    {
        public override string ToString() => missing.ToString()!;
    }
}
