using System.Diagnostics;
using WsFast.Server;

namespace WsFast.Tests.Server;

/// <summary>
/// The server's one timer enforces every connection's deadlines: a connection whose tick throws must not stop
/// it for the others.
/// </summary>
public class DeadlineTimerTests
{
    [Fact]
    public async Task A_connection_whose_tick_throws_leaves_the_other_connections_deadlines_enforced_and_is_logged_rate_limited()
    {
        await using TestServer server = await TestServer.StartAsync(options => options.HandshakeTimeout = TimeSpan.FromMilliseconds(300));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        var failing = new ThrowingConnection();
        var sinceTracked = Stopwatch.StartNew();
        server.Server.Track(failing);
        await ClientSupport.WaitUntilAsync(() => failing.Ticks > 0, timeout.Token);

        // A real client that never sends its request: only the timer can drop it, at the handshake timeout.
        var stopwatch = Stopwatch.StartNew();
        using var raw = await ClientSupport.ConnectRawAsync(server.Port, timeout.Token);
        Assert.Equal(0, await ClientSupport.ReadUntilClosedAsync(raw, timeout.Token));
        Assert.InRange(stopwatch.Elapsed, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(3));
        Assert.True(await server.Log.WaitForAsync("timed out"));
        await ClientSupport.WaitUntilAsync(() => server.Server.ConnectionCount == 0, timeout.Token);

        // The failing connection was ticked all along and kept failing; the failure is logged, once a second at most.
        int ticks = failing.Ticks;
        Assert.True(ticks >= 4, $"the failing connection was ticked {ticks} times");
        int lines = server.Log.Lines.Count(l => l.Message.Contains("The server's timer failed", StringComparison.Ordinal));
        Assert.InRange(lines, 1, 1 + (int)(sinceTracked.Elapsed.TotalSeconds + 0.1));
        Assert.True(lines < ticks, $"{lines} log lines for {ticks} failures");
    }

    /// <summary>A connection as the timer sees it, whose deadlines throw every time.</summary>
    private sealed class ThrowingConnection : IServerConnection
    {
        private int _ticks;

        public int Ticks => Volatile.Read(ref _ticks);

        public long BufferedBytes => 0;

        public bool IsClosing => false;

        public void OnTick(long now)
        {
            Interlocked.Increment(ref _ticks);
            throw new InvalidOperationException("a connection's tick failed");
        }

        public void Shutdown()
        {
        }

        public void Abort()
        {
        }

        public bool CloseOverBudget() => false;
    }
}
