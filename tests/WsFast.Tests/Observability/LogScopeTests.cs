using System.Collections.Concurrent;
using System.Net.WebSockets;
using Microsoft.Extensions.Logging;
using WsFast.Tests.Server;

namespace WsFast.Tests.Observability;

/// <summary>
/// Each connection's logging scope: what a handler logs through a logger of the server's factory, in
/// OnConnected, OnMessage and OnDisconnected, carries the connection's id and endpoint, as the server's own lines do.
/// </summary>
public class LogScopeTests
{
    [Fact]
    public async Task A_handlers_log_lines_carry_their_connections_id_and_endpoint()
    {
        var provider = new ScopeCapturingProvider();
        using ILoggerFactory logging = LoggerFactory.Create(builder => builder.AddProvider(provider).SetMinimumLevel(LogLevel.Debug));
        var handler = new LoggingHandler(logging.CreateLogger("Chat"));
        await using ObservedServer server = await ObservedServer.StartAsync(map: s => s.Map("/chat", handler), logging: logging);
        using var timeout = new CancellationTokenSource(ObservedServer.Timeout);

        // Two connections at once: each line has its own connection's scope, not the other's.
        using var first = new ClientWebSocket();
        using var second = new ClientWebSocket();
        await first.ConnectAsync(server.Ws("/chat"), timeout.Token);
        await second.ConnectAsync(server.Ws("/chat"), timeout.Token);
        await first.SendTextAsync("one", timeout.Token);
        await second.SendTextAsync("two", timeout.Token);
        Assert.Equal("one", await first.ReceiveTextAsync(timeout.Token));
        Assert.Equal("two", await second.ReceiveTextAsync(timeout.Token));
        await first.CloseAsync(WebSocketCloseStatus.NormalClosure, "", timeout.Token);
        await second.CloseAsync(WebSocketCloseStatus.NormalClosure, "", timeout.Token);
        await ObservedServer.WaitUntilAsync(() => handler.Disconnected == 2, "both connections to end");

        List<Record> lines = [.. provider.Records.Where(r => r.Category == "Chat")];
        Assert.Equal(6, lines.Count); // connected, message, disconnected: twice
        Assert.Equal(2, lines.Select(r => r.ConnectionIdInMessage).Distinct().Count());
        Assert.All(lines, line =>
        {
            Assert.Equal(line.ConnectionIdInMessage, line.Scope.GetValueOrDefault("ConnectionId"));
            Assert.Equal("/chat", line.Scope.GetValueOrDefault("Endpoint"));
        });
    }

    /// <summary>Logs each event with the connection's id in the message, and echoes.</summary>
    private sealed class LoggingHandler(ILogger logger) : WebSocketHandler
    {
        private int _disconnected;

        public int Disconnected => Volatile.Read(ref _disconnected);

        public override ValueTask OnConnectedAsync(WebSocketConnection connection)
        {
            logger.LogInformation("connected {Id}", connection.Id);
            return default;
        }

        public override async ValueTask OnMessageAsync(WebSocketConnection connection, WebSocketMessage message)
        {
            await Task.Yield(); // the scope flows past an await
            logger.LogInformation("message on {Id}", connection.Id);
            await connection.SendAsync(message);
        }

        public override ValueTask OnDisconnectedAsync(WebSocketConnection connection, CloseCode code, string reason)
        {
            logger.LogInformation("disconnected {Id}", connection.Id);
            Interlocked.Increment(ref _disconnected);
            return default;
        }
    }

    private sealed record Record(string Category, object? ConnectionIdInMessage, Dictionary<string, object?> Scope);

    /// <summary>A logger provider that keeps every line with the key/value pairs of the scopes it was logged in.</summary>
    private sealed class ScopeCapturingProvider : ILoggerProvider, ISupportExternalScope
    {
        private IExternalScopeProvider _scopes = new LoggerExternalScopeProvider();

        public ConcurrentQueue<Record> Records { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

        public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

        public void Dispose()
        {
        }

        private sealed class Logger(ScopeCapturingProvider provider, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => provider._scopes.Push(state);

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                var scope = new Dictionary<string, object?>();
                provider._scopes.ForEachScope(static (value, pairs) =>
                {
                    if (value is IEnumerable<KeyValuePair<string, object?>> items)
                    {
                        foreach (KeyValuePair<string, object?> item in items)
                        {
                            pairs[item.Key] = item.Value;
                        }
                    }
                }, scope);
                object? id = state is IEnumerable<KeyValuePair<string, object?>> fields ? fields.FirstOrDefault(f => f.Key == "Id").Value : null;
                provider.Records.Enqueue(new Record(category, id, scope));
            }
        }
    }
}
