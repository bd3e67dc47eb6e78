using BenchmarkDotNet.Attributes;
using WsFast.Server;
using WsFast.Transport;

namespace WsFast.Benchmarks;

/// <summary>
/// What the <c>WsFast</c> meter's histograms add per message: on an echo, the received size, the handler's
/// duration (two clock reads), the sent size and the time in queue (a clock read at enqueue, one per send); on a
/// broadcast delivery, the time in queue only (the publish's timestamp is shared, the send's clock read is the
/// subscriber's own). Without a listener (nothing scrapes <c>/metrics</c>, no exporter) each is a flag
/// check; with the <c>/metrics</c> listener started, each measurement is aggregated in its bucket. Nothing may be
/// allocated either way.
/// </summary>
[MemoryDiagnoser]
public class MetricsRecordingBenchmarks
{
    private WsFastServer _server = null!;
    private WsFastMetrics _metrics = null!;
    private WebSocketEndpoint _endpoint = null!;
    private QueueDelayRecorder _queueDelay = null!;
    private readonly long _publishedAt = System.Diagnostics.Stopwatch.GetTimestamp();

    /// <summary>Whether the <c>/metrics</c> listener is on (it starts at the first scrape).</summary>
    [Params(false, true)]
    public bool Listening { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _server = new WsFastServer(new WsFastServerOptions());
        _endpoint = _server.Map("/echo", new EchoHandler());
        _metrics = _server.Metrics;
        _queueDelay = _metrics.QueueDelayOf(_endpoint);
        if (Listening)
        {
            _server.Scrape.Render();
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _server.DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <summary>A 32-byte message received, handled, and its 34-byte echo queued and sent.</summary>
    [Benchmark]
    public void Echo()
    {
        _metrics.MessageReceived(32, _endpoint);
        long started = _metrics.HandlerStarted();
        _metrics.HandlerEnded(started, _endpoint);
        _metrics.MessageSent(34, _endpoint);
        QueueDelay();
    }

    /// <summary>One subscriber's share of a publish: its frame queued (at the publish's timestamp) and sent.</summary>
    [Benchmark]
    public void Delivery()
    {
        long queuedAt = _queueDelay.Enabled ? _publishedAt : 0;
        if (queuedAt != 0)
        {
            _queueDelay.Record(queuedAt, System.Diagnostics.Stopwatch.GetTimestamp());
        }
    }

    /// <summary>One size recorded: the histogram alone, without a clock read.</summary>
    [Benchmark]
    public void Size() => _metrics.MessageSent(34, _endpoint);

    /// <summary>One clock read, for scale: the timings take two each.</summary>
    [Benchmark]
    public long Clock() => System.Diagnostics.Stopwatch.GetTimestamp();

    // As SocketConnection does: a timestamp at enqueue while enabled, reported when the send starts.
    private void QueueDelay()
    {
        long queuedAt = _queueDelay.Enabled ? System.Diagnostics.Stopwatch.GetTimestamp() : 0;
        if (queuedAt != 0)
        {
            _queueDelay.Record(queuedAt, System.Diagnostics.Stopwatch.GetTimestamp());
        }
    }
}
