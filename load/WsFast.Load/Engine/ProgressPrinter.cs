using System.Diagnostics;

namespace WsFast.Load.Engine;

/// <summary>
/// Reports a run's progress once per interval: phase, elapsed and remaining time, clients ready, messages
/// received and their rate, the p99 latency of the last interval, errors. On a terminal (stderr not
/// redirected) it keeps one live panel up to date; otherwise it writes one plain line per interval, which
/// reads the same in a CI log or a redirected file. Every sample also goes to <see cref="RunTimeline"/>.
/// </summary>
/// <remarks>
/// The latency of an interval comes from merging every worker's histogram and subtracting the previous
/// merge. Workers keep writing while it is read, so a tick's figures are approximate; the report's figures,
/// merged after the clients stopped, are exact.
/// </remarks>
internal sealed class ProgressPrinter : IDisposable
{
    private readonly TextWriter _output;
    private readonly WorkerStats?[] _workers;
    private readonly Func<int> _ready;
    private readonly Stopwatch _clock;
    private readonly LoadSimulation? _plan;
    private readonly LiveProgressDisplay? _live;
    private readonly Timer _timer;
    private readonly Lock _tick = new();
    private LatencyHistogram _lastLatency = new();
    private long _lastReceived;
    private TimeSpan _lastTime;
    private volatile string _phase = "starting";
    private TimeSpan _phaseStarted;
    private bool _disposed;

    /// <summary>
    /// Starts reporting on <paramref name="output"/>; with <paramref name="plan"/> it also estimates the
    /// time remaining.
    /// </summary>
    public ProgressPrinter(TextWriter output, WorkerStats?[] workers, Func<int> ready, Stopwatch clock, TimeSpan interval, LoadSimulation? plan = null)
    {
        _output = output;
        _workers = workers;
        _ready = ready;
        _clock = clock;
        _plan = plan;
        RunTimeline.Begin();
        if (ReferenceEquals(output, Console.Error) && LiveProgressDisplay.IsSupported())
        {
            _live = LiveProgressDisplay.Start();
        }

        _timer = new Timer(_ => Tick(), null, interval, interval);
    }

    /// <summary>What the run is doing now.</summary>
    public string Phase
    {
        get => _phase;
        set
        {
            _phaseStarted = _clock.Elapsed;
            _phase = value;
        }
    }

    public void Dispose()
    {
        _timer.Dispose();
        lock (_tick)
        {
            ProgressSample last = Sample();
            _disposed = true;
            if (_live is null)
            {
                _output.WriteLine(PlainLine(last));
            }
            else
            {
                _live.Finish(last);
            }
        }
    }

    /// <summary>The plain progress line of <paramref name="sample"/>.</summary>
    internal static string PlainLine(ProgressSample sample)
    {
        string p99 = sample.P99Microseconds is double us ? $"{us,9:N0} µs" : "      n/a   ";
        string remaining = sample.Remaining is TimeSpan left ? $"{left.TotalSeconds,5:0} s left" : "";
        return $"[{sample.ElapsedSeconds,6:0.0} s] {sample.Phase,-10} ready {sample.Ready,6}/{sample.Clients}  " +
            $"received {sample.Received,12:N0}  ({sample.RatePerSecond,10:N0}/s)  p99 {p99}  errors {sample.Errors:N0}  {remaining}".TrimEnd();
    }

    private void Tick()
    {
        // A slow tick (a large merge on a busy core) is skipped rather than run twice at once.
        if (!_tick.TryEnter())
        {
            return;
        }

        try
        {
            if (_disposed)
            {
                return;
            }

            ProgressSample sample = Sample();
            if (_live is null)
            {
                _output.WriteLine(PlainLine(sample));
            }
            else
            {
                _live.Show(sample);
            }
        }
        finally
        {
            _tick.Exit();
        }
    }

    private ProgressSample Sample()
    {
        long received = 0;
        long errors = 0;
        var latency = new LatencyHistogram();
        foreach (WorkerStats? worker in _workers)
        {
            if (worker is null)
            {
                continue;
            }

            received += worker.TotalReceived;
            errors += worker.TotalErrors;
            latency.Add(worker.Latency);
        }

        TimeSpan now = _clock.Elapsed;
        double seconds = (now - _lastTime).TotalSeconds;
        double rate = seconds > 0 ? Math.Max(0, received - _lastReceived) / seconds : 0;
        LatencyHistogram interval = latency.Since(_lastLatency);
        _lastReceived = received;
        _lastTime = now;
        _lastLatency = latency;

        string phase = _phase;
        var sample = new ProgressSample(
            now.TotalSeconds,
            phase,
            _ready(),
            _workers.Length,
            received,
            rate,
            interval.Count > 0 ? interval.ValueAtPercentile(99) / 1000.0 : null,
            errors,
            RemainingTime.Estimate(_plan, phase, now, now - _phaseStarted));
        RunTimeline.Add(sample);
        return sample;
    }
}
