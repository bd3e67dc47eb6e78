using WsFast.Load.Engine;

namespace WsFast.Load.Tests;

public class WorkerStatsTests
{
    [Fact]
    public void Only_events_inside_the_window_count_but_errors_always_do()
    {
        var clock = new RunClock();
        var stats = new WorkerStats(clock);
        stats.RecordSent(38);
        stats.RecordReceived(34, 32, 1_000);
        stats.RecordError(ErrorKind.ConnectFailed);

        clock.StartMeasuring();
        stats.RecordSent(38);
        stats.RecordReceived(34, 32, 2_000);
        clock.StopMeasuring();
        stats.RecordReceived(34, 32, 3_000);

        Assert.Equal(1, stats.MessagesSent);
        Assert.Equal(1, stats.MessagesReceived);
        Assert.Equal(38, stats.BytesSent);
        Assert.Equal(34, stats.BytesReceived);
        Assert.Equal(1, stats.Latency.Count);
        Assert.Equal(2_000, stats.Latency.Max);
        Assert.Equal(3, stats.TotalReceived);
        Assert.Equal(1, stats.Errors(ErrorKind.ConnectFailed));
    }

    [Fact]
    public void Adding_workers_adds_every_counter()
    {
        var a = new WorkerStats();
        var b = new WorkerStats();
        a.RecordSent(10);
        a.RecordReceived(8, 6, 500);
        a.RecordError(ErrorKind.PayloadMismatch);
        b.RecordSent(20);
        b.RecordSent(20);
        b.RecordReceived(16, 14, 900);
        b.RecordError(ErrorKind.PayloadMismatch);
        b.RecordError(ErrorKind.SocketError);

        var merged = new WorkerStats();
        merged.Add(a);
        merged.Add(b);

        Assert.Equal(3, merged.MessagesSent);
        Assert.Equal(2, merged.MessagesReceived);
        Assert.Equal(50, merged.BytesSent);
        Assert.Equal(24, merged.BytesReceived);
        Assert.Equal(2, merged.Latency.Count);
        Assert.Equal(500, merged.Latency.Min);
        Assert.Equal(900, merged.Latency.Max);
        Assert.Equal(2, merged.Errors(ErrorKind.PayloadMismatch));
        Assert.Equal(1, merged.Errors(ErrorKind.SocketError));
        Assert.Equal(3, merged.TotalErrors);
    }
}
