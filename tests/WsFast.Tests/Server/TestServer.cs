using System.Collections.Concurrent;
using System.Net;
using System.Net.WebSockets;
using Microsoft.Extensions.Logging;
using WsFast.Protocol;
using WsFast.Server;

namespace WsFast.Tests.Server;

/// <summary>
/// A <see cref="WsFastServer"/> on 127.0.0.1 with a free port, the usual endpoints, and every log line kept
/// so a test can assert what was logged. Dispose it to shut the server down.
/// </summary>
public sealed class TestServer : IAsyncDisposable
{
    private TestServer(WsFastServer server, TestLog log)
    {
        Server = server;
        Log = log;
    }

    /// <summary>
    /// The socket engine every test server uses: the runtime's, or with <c>WSFAST_TEST_SOCKET_ENGINE=epoll</c>
    /// WsFast's own epoll loops (tests/run.sh runs the suite once with each).
    /// </summary>
    public static SocketEngine Engine { get; } =
        Environment.GetEnvironmentVariable("WSFAST_TEST_SOCKET_ENGINE") == "epoll" ? SocketEngine.Epoll : SocketEngine.Runtime;

    /// <summary>The running server.</summary>
    public WsFastServer Server { get; }

    /// <summary>Every line the server logged.</summary>
    public TestLog Log { get; }

    /// <summary>The port it listens on.</summary>
    public int Port => Server.EndPoints[0].Port;

    /// <summary>A ws:// address of a path on this server.</summary>
    public Uri Ws(string path) => new($"ws://127.0.0.1:{Port}{path}");

    /// <summary>An http:// address of a path on this server.</summary>
    public Uri Http(string path) => new($"http://127.0.0.1:{Port}{path}");

    /// <summary>
    /// Starts a server with <c>/echo</c> (messages back to the sender) and <c>/broadcast</c> (messages to every
    /// client there); <paramref name="configure"/> adjusts the options and <paramref name="map"/> adds endpoints.
    /// With <paramref name="broadcastTopics"/>, <c>/broadcast</c> is the server's own broadcast endpoint
    /// (<see cref="WsFastServer.MapBroadcast"/>, relaying on): topics at <c>/broadcast/{topic}</c>, and the
    /// publish, event stream and poll routes.
    /// </summary>
    public static async Task<TestServer> StartAsync(
        Action<WsFastServerOptions>? configure = null, Action<WsFastServer>? map = null, bool broadcastTopics = false)
    {
        var options = new WsFastServerOptions { SocketEngine = Engine };
        options.Endpoints.Add(new IPEndPoint(IPAddress.Loopback, 0));
        configure?.Invoke(options);
        var log = new TestLog();
        var server = new WsFastServer(options, log);
        server.Map("/echo", new Echo());
        if (broadcastTopics)
        {
            server.MapBroadcast("/broadcast", relayClientMessages: true);
        }
        else
        {
            server.Map("/broadcast", new Relay());
        }

        map?.Invoke(server);
        await server.StartAsync();
        return new TestServer(server, log);
    }

    /// <summary>A connected <see cref="ClientWebSocket"/> to <paramref name="path"/>.</summary>
    public async Task<ClientWebSocket> ConnectAsync(string path = "/echo", Action<ClientWebSocketOptions>? configure = null)
    {
        var client = new ClientWebSocket();
        client.Options.KeepAliveInterval = TimeSpan.Zero;
        configure?.Invoke(client.Options);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await client.ConnectAsync(Ws(path), timeout.Token);
        return client;
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        Log.Dispose();
    }

    /// <summary>Sends every message back to its sender.</summary>
    public sealed class Echo : WebSocketHandler
    {
        /// <inheritdoc/>
        public override async ValueTask OnMessageAsync(WebSocketConnection connection, WebSocketMessage message) =>
            await connection.SendAsync(message);
    }

    /// <summary>Sends every message to every connection of the endpoint, the sender included.</summary>
    public sealed class Relay : WebSocketHandler
    {
        /// <inheritdoc/>
        public override ValueTask OnMessageAsync(WebSocketConnection connection, WebSocketMessage message)
        {
            connection.Endpoint.Broadcast(message);
            return default;
        }
    }

    /// <summary>Records the events a handler receives, for assertions.</summary>
    public sealed class Recorder : WebSocketHandler
    {
        /// <summary>"connected", "text:..."/"binary:N", "disconnected:CODE:reason", in order.</summary>
        public ConcurrentQueue<string> Events { get; } = new();

        /// <summary>Completes when a connection's disconnect event arrived.</summary>
        public TaskCompletionSource<(CloseCode Code, string Reason)> Disconnected { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>The last connection that connected.</summary>
        public WebSocketConnection? Last { get; private set; }

        /// <inheritdoc/>
        public override ValueTask OnConnectedAsync(WebSocketConnection connection)
        {
            Last = connection;
            Events.Enqueue("connected");
            return default;
        }

        /// <inheritdoc/>
        public override ValueTask OnMessageAsync(WebSocketConnection connection, WebSocketMessage message)
        {
            Events.Enqueue(message.IsText ? $"text:{message.GetText()}" : $"binary:{message.Payload.Length}");
            return default;
        }

        /// <inheritdoc/>
        public override ValueTask OnDisconnectedAsync(WebSocketConnection connection, CloseCode code, string reason)
        {
            Events.Enqueue($"disconnected:{(int)code}:{reason}");
            Disconnected.TrySetResult((code, reason));
            return default;
        }
    }
}

/// <summary>A logger factory that keeps every formatted line.</summary>
public sealed class TestLog : ILoggerFactory, ILogger
{
    private readonly ConcurrentQueue<(LogLevel Level, string Message)> _lines = new();

    /// <summary>The lines logged so far.</summary>
    public IReadOnlyCollection<(LogLevel Level, string Message)> Lines => _lines;

    /// <summary>True when some line contains <paramref name="text"/>.</summary>
    public bool Contains(string text) => _lines.Any(l => l.Message.Contains(text, StringComparison.Ordinal));

    /// <summary>Waits up to <paramref name="timeout"/> for a line containing <paramref name="text"/>.</summary>
    public async Task<bool> WaitForAsync(string text, TimeSpan? timeout = null)
    {
        DateTime until = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(5));
        while (DateTime.UtcNow < until)
        {
            if (Contains(text))
            {
                return true;
            }

            await Task.Delay(10);
        }

        return Contains(text);
    }

    /// <inheritdoc/>
    public ILogger CreateLogger(string categoryName) => this;

    /// <inheritdoc/>
    public void AddProvider(ILoggerProvider provider)
    {
    }

    /// <inheritdoc/>
    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    /// <inheritdoc/>
    public bool IsEnabled(LogLevel logLevel) => true;

    /// <inheritdoc/>
    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        _lines.Enqueue((logLevel, formatter(state, exception)));

    /// <inheritdoc/>
    public void Dispose()
    {
    }
}
