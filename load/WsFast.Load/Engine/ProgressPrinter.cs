using System.Diagnostics;

namespace WsFast.Load.Engine;

/// <summary>
/// Writes one plain progress line per interval: phase, clients ready, messages received and their rate,
/// errors. Plain lines read the same on a terminal and in a CI log.
/// </summary>
internal sealed class ProgressPrinter : IDisposable
{
    private readonly TextWriter _output;
    private readonly WorkerStats?[] _workers;
    private readonly Func<int> _ready;
    private readonly Stopwatch _clock;
    private readonly Timer _timer;
    private long _lastReceived;
    private TimeSpan _lastTime;

    public ProgressPrinter(TextWriter output, WorkerStats?[] workers, Func<int> ready, Stopwatch clock, TimeSpan interval)
    {
        _output = output;
        _workers = workers;
        _ready = ready;
        _clock = clock;
        _timer = new Timer(_ => Print(), null, interval, interval);
    }

    /// <summary>What the run is doing now.</summary>
    public volatile string Phase = "starting";

    public void Dispose()
    {
        _timer.Dispose();
        Print();
    }

    private void Print()
    {
        long received = 0;
        foreach (WorkerStats? worker in _workers)
        {
            received += worker?.TotalReceived ?? 0;
        }

        TimeSpan now = _clock.Elapsed;
        double seconds = (now - _lastTime).TotalSeconds;
        double rate = seconds > 0 ? (received - _lastReceived) / seconds : 0;
        _lastReceived = received;
        _lastTime = now;
        _output.WriteLine($"[{now.TotalSeconds,6:0.0} s] {Phase,-10} ready {_ready(),6}/{_workers.Length}  received {received,12:N0}  ({rate,10:N0}/s)");
    }
}
