using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using WsFast.Server;
using WebSocketMessageType = System.Net.WebSockets.WebSocketMessageType;
using WsFast.Tests.Server;

namespace WsFast.Tests.Attacks;

/// <summary>
/// The attack tests measure the whole process's memory and load the machine on purpose: they run one at a time,
/// after the others.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AttackCollection
{
    public const string Name = "Attacks, alone in the process";
}

/// <summary>
/// What every attack test shares: a server with deadlines short enough for an attack to end in seconds, and
/// the bounds the attacks are held to.
/// </summary>
internal static class AttackKit
{
    /// <summary>The send-stall deadline of the attack server: a client that never reads is cut after this.</summary>
    public static readonly TimeSpan StallTimeout = TimeSpan.FromSeconds(2);

    /// <summary>The request deadline of the attack server (head and body).</summary>
    public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(2);

    /// <summary>The server's timer ticks a quarter of its shortest deadline; a deadline is met within this of falling due.</summary>
    public static readonly TimeSpan Slack = TimeSpan.FromSeconds(1.5);

    /// <summary>
    /// How much the test process's managed heap (pinned objects included) may grow across an attack: the pools'
    /// retained buffers and the clients' own, nothing that grows with what the attacker sends.
    /// </summary>
    public const long MemoryBound = 48L * 1024 * 1024;

    /// <summary>
    /// A server with <c>/echo</c> and the broadcast endpoint (relaying off), short deadlines (send stall and
    /// request 2 s, close 1 s) and no heartbeat unless <paramref name="configure"/> turns it on. The per-address
    /// and per-connection client limits are off: every attacker here comes from 127.0.0.1 and would be stopped by
    /// them first, while these tests prove the defences behind them (an attacker with many addresses meets those
    /// alone); tests/Limits proves the limits.
    /// </summary>
    public static Task<TestServer> StartAsync(Action<WsFastServerOptions>? configure = null, Action<WsFastServer>? map = null) =>
        TestServer.StartAsync(options =>
        {
            options.SendStallTimeout = StallTimeout;
            options.HandshakeTimeout = RequestTimeout;
            options.CloseTimeout = TimeSpan.FromSeconds(1);
            options.ShutdownTimeout = TimeSpan.FromSeconds(1);
            options.PingInterval = TimeSpan.Zero;
            options.ClientLimits.MaxConnectionsPerAddress = 0;
            options.ClientLimits.HandshakesPerSecond = 0;
            options.ClientLimits.MessagesPerSecond = 0;
            options.ClientLimits.BytesPerSecond = 0;
            configure?.Invoke(options);
        }, server =>
        {
            server.MapBroadcast("/topics");
            map?.Invoke(server);
        });

    /// <summary>Waits until <paramref name="condition"/> holds; fails after <paramref name="timeout"/> naming <paramref name="what"/>.</summary>
    public static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < timeout, $"Timed out after {timeout} waiting for {what}.");
            await Task.Delay(20);
        }
    }
}

/// <summary>
/// The test process's managed heap, pinned object heap included, measured after a full collection: taken before
/// an attack and compared after it.
/// </summary>
internal sealed class MemoryProbe
{
    private readonly long _before;

    private MemoryProbe(long before) => _before = before;

    public static MemoryProbe Start() => new(Measure());

    /// <summary>Bytes the heap grew by since <see cref="Start"/>, after a full collection.</summary>
    public long Growth() => Measure() - _before;

    /// <summary>Asserts the heap grew by less than <paramref name="bound"/> bytes.</summary>
    public void AssertGrowthBelow(long bound, string during)
    {
        long growth = Growth();
        Assert.True(growth < bound, $"The managed heap grew by {growth:N0} bytes during {during} (bound {bound:N0}).");
    }

    private static long Measure()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        // The collection just forced, not whichever came last: a gen0 collection the server's threads trigger in
        // between reports a heap that still holds what only a full collection frees.
        return GC.GetGCMemoryInfo(GCKind.FullBlocking).HeapSizeBytes;
    }
}

/// <summary>
/// A raw TCP client that sends what an attacker sends and reads nothing. Its receive buffer is small and set
/// before it connects, so that the kernel does not grow it: what the server sends it piles up on the server.
/// </summary>
internal sealed class Attacker : IDisposable
{
    private Attacker(Socket socket) => Socket = socket;

    public Socket Socket { get; }

    /// <summary>Connects to 127.0.0.1:<paramref name="port"/> with a receive buffer of <paramref name="receiveBuffer"/> bytes.</summary>
    public static async Task<Attacker> ConnectAsync(int port, int receiveBuffer = 4096)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp)
        {
            NoDelay = true,
            ReceiveBufferSize = receiveBuffer,
        };
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), timeout.Token);
        return new Attacker(socket);
    }

    /// <summary>Connects and completes a valid upgrade to <paramref name="path"/>, reading only the 101's head.</summary>
    public static async Task<Attacker> UpgradeAsync(int port, string path, int receiveBuffer = 4096)
    {
        Attacker attacker = await ConnectAsync(port, receiveBuffer);
        await attacker.SendAsync(Encoding.ASCII.GetBytes(RawClient.UpgradeRequest(path)));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        string head = await ClientSupport.ReadResponseHeadAsync(attacker.Socket, timeout.Token);
        Assert.StartsWith("HTTP/1.1 101 ", head);
        return attacker;
    }

    /// <summary>Sends <paramref name="bytes"/>, waiting at most 5 s for room.</summary>
    public async Task SendAsync(ReadOnlyMemory<byte> bytes)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await Socket.SendAsync(bytes, SocketFlags.None, timeout.Token);
    }

    /// <summary>
    /// Sends <paramref name="chunk"/> again and again for <paramref name="duration"/>, or until the server ends the
    /// connection or stops taking bytes (the kernel buffers between them are full). Returns the bytes sent.
    /// </summary>
    public async Task<long> FloodAsync(ReadOnlyMemory<byte> chunk, TimeSpan duration)
    {
        long sent = 0;
        using var stop = new CancellationTokenSource(duration);
        try
        {
            while (!stop.IsCancellationRequested)
            {
                sent += await Socket.SendAsync(chunk, SocketFlags.None, stop.Token);
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (SocketException)
        {
            // The server ended the connection.
        }

        return sent;
    }

    public void Dispose() => Socket.Dispose();
}

/// <summary>
/// Two well-behaved clients kept busy while an attack runs: one echoing on <c>/echo</c>, one subscribed to a
/// topic the test publishes to every 100 ms. Each round trip and each delivery is timed; at the end every one
/// must have come, in order, within <see cref="MaxLatency"/>.
/// </summary>
internal sealed class Bystanders : IAsyncDisposable
{
    /// <summary>The longest an echo or a delivery may take while the machine is under attack.</summary>
    public static readonly TimeSpan MaxLatency = TimeSpan.FromSeconds(1.5);

    private const string Topic = "bystander";

    private readonly TestServer _server;
    private readonly ClientWebSocket _echo;
    private readonly ClientWebSocket _subscriber;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<string> _failures = [];
    private Task _running = Task.CompletedTask;
    private TimeSpan _worst;
    private int _echoes;
    private int _deliveries;

    private Bystanders(TestServer server, ClientWebSocket echo, ClientWebSocket subscriber)
    {
        _server = server;
        _echo = echo;
        _subscriber = subscriber;
    }

    /// <summary>Connects both and starts their traffic.</summary>
    public static async Task<Bystanders> StartAsync(TestServer server, string broadcastPath = "/topics")
    {
        ClientWebSocket echo = await server.ConnectAsync("/echo");
        ClientWebSocket subscriber = await server.ConnectAsync($"{broadcastPath}/{Topic}");
        await AttackKit.WaitUntilAsync(() => server.Server.Topics.SubscriberCount(Topic) == 1, TimeSpan.FromSeconds(5), "the bystander to subscribe");
        var bystanders = new Bystanders(server, echo, subscriber);
        bystanders._running = Task.WhenAll(bystanders.EchoLoopAsync(), bystanders.DeliveryLoopAsync());
        return bystanders;
    }

    /// <summary>Stops the traffic and asserts every echo and delivery came in order, on time, and that there were some.</summary>
    public async Task AssertServedThroughoutAsync()
    {
        _stop.Cancel();
        await _running;
        Assert.True(_failures.Count == 0, string.Join("; ", _failures));
        Assert.True(_echoes > 0 && _deliveries > 0, $"The bystanders were served {_echoes} echoes and {_deliveries} deliveries.");
        Assert.True(_worst <= MaxLatency, $"A bystander waited {_worst.TotalMilliseconds:F0} ms.");
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        try
        {
            await _running;
        }
        catch (Exception)
        {
            // Already reported, or the test failed elsewhere.
        }

        _echo.Abort();
        _subscriber.Abort();
        _echo.Dispose();
        _subscriber.Dispose();
        _stop.Dispose();
    }

    private async Task EchoLoopAsync()
    {
        byte[] buffer = new byte[256];
        while (!_stop.IsCancellationRequested)
        {
            string text = $"echo {_echoes}";
            long sent = Stopwatch.GetTimestamp();
            try
            {
                using var timeout = new CancellationTokenSource(MaxLatency * 2);
                await _echo.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, timeout.Token);
                WebSocketReceiveResult result = await _echo.ReceiveAsync(buffer, timeout.Token);
                if (Encoding.UTF8.GetString(buffer, 0, result.Count) != text)
                {
                    Fail($"echo {_echoes} came back as '{Encoding.UTF8.GetString(buffer, 0, result.Count)}'");
                    return;
                }
            }
            catch (OperationCanceledException)
            {
                Fail($"echo {_echoes} did not come back within {MaxLatency * 2}");
                return;
            }

            Record(Stopwatch.GetElapsedTime(sent));
            _echoes++;
            await Delay(100);
        }
    }

    private async Task DeliveryLoopAsync()
    {
        byte[] buffer = new byte[256];
        while (!_stop.IsCancellationRequested)
        {
            string text = $"delivery {_deliveries}";
            long published = Stopwatch.GetTimestamp();
            _server.Server.Topics.Publish(Topic, text);
            try
            {
                using var timeout = new CancellationTokenSource(MaxLatency * 2);
                WebSocketReceiveResult result = await _subscriber.ReceiveAsync(buffer, timeout.Token);
                if (Encoding.UTF8.GetString(buffer, 0, result.Count) != text)
                {
                    Fail($"delivery {_deliveries} came as '{Encoding.UTF8.GetString(buffer, 0, result.Count)}'");
                    return;
                }
            }
            catch (OperationCanceledException)
            {
                Fail($"delivery {_deliveries} did not come within {MaxLatency * 2}");
                return;
            }

            Record(Stopwatch.GetElapsedTime(published));
            _deliveries++;
            await Delay(100);
        }
    }

    private void Record(TimeSpan latency)
    {
        lock (_failures)
        {
            if (latency > _worst)
            {
                _worst = latency;
            }
        }
    }

    private void Fail(string failure)
    {
        lock (_failures)
        {
            _failures.Add(failure);
        }
    }

    private async Task Delay(int milliseconds)
    {
        try
        {
            await Task.Delay(milliseconds, _stop.Token);
        }
        catch (OperationCanceledException)
        {
        }
    }
}
