using System.Diagnostics;

namespace WsFast.Load.Engine;

/// <summary>
/// Runs a scenario under a load simulation: starts its clients, opens the measurement window once they are
/// all ready and settled, closes it, stops the clients and merges their statistics.
/// </summary>
/// <remarks>
/// Each client gets its own <see cref="WorkerStats"/>, so the hot path takes no lock and shares no cache
/// line with another client; the runner reads them only to add them up at the end (and, for progress, one
/// volatile counter each).
/// </remarks>
public sealed class ScenarioRunner
{
    // A client that will not close cleanly within this is dropped.
    private static readonly TimeSpan CloseGrace = TimeSpan.FromSeconds(5);

    // Clients that are not ready this long after the ramp-up ended are given up on.
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(30);

    private readonly IReadOnlyList<IRunProbe> _probes;
    private readonly TextWriter _progress;
    private readonly TimeSpan _progressInterval;

    /// <summary>Creates a runner that samples <paramref name="probes"/> and writes progress lines to <paramref name="progress"/>.</summary>
    public ScenarioRunner(IReadOnlyList<IRunProbe> probes, TextWriter progress, TimeSpan progressInterval)
    {
        _probes = probes;
        _progress = progress;
        _progressInterval = progressInterval;
    }

    /// <summary>Runs <paramref name="scenario"/> under <paramref name="simulation"/>.</summary>
    public async Task<ScenarioResult> RunAsync(IScenario scenario, LoadSimulation simulation)
    {
        if (simulation is not LoadSimulation.KeepConstant keep)
        {
            throw new NotSupportedException($"Load simulation {simulation.GetType().Name} is not supported yet.");
        }

        var clock = new RunClock();
        var workers = new WorkerStats[keep.Copies];
        var clients = new Task[keep.Copies];
        using var stopping = new CancellationTokenSource();
        using var aborting = new CancellationTokenSource();
        int ready = 0;
        int endedUnready = 0;
        var started = Stopwatch.StartNew();
        long epoch = Stopwatch.GetTimestamp(); // every client's pace counts from here, so their slots interleave

        await SampleAsync(RunPhase.Baseline);
        using var progress = new ProgressPrinter(_progress, workers, () => Volatile.Read(ref ready), started, _progressInterval, simulation);

        // Start the clients evenly over the ramp-up.
        progress.Phase = "ramp-up";
        for (int i = 0; i < keep.Copies; i++)
        {
            TimeSpan due = keep.Copies > 1 ? keep.RampUp * i / (keep.Copies - 1) : TimeSpan.Zero;
            TimeSpan wait = due - started.Elapsed;
            if (wait > TimeSpan.FromMilliseconds(1))
            {
                await Task.Delay(wait);
            }

            var stats = new WorkerStats(clock);
            workers[i] = stats;
            var context = new ClientContext(i, stats, stopping.Token, aborting.Token, () => Interlocked.Increment(ref ready), keep.PaceFor(i, epoch));
            clients[i] = RunClientAsync(scenario, context, () => Interlocked.Increment(ref endedUnready));
        }

        // Wait until every client is ready or has given up.
        progress.Phase = "connecting";
        var readyDeadline = Stopwatch.StartNew();
        while (Volatile.Read(ref ready) + Volatile.Read(ref endedUnready) < keep.Copies && readyDeadline.Elapsed < ReadyTimeout)
        {
            await Task.Delay(10);
        }

        var publishing = scenario as IPublishingScenario;
        if (publishing is not null)
        {
            await publishing.StartFeedAsync(clock);
        }

        progress.Phase = "settle";
        await Task.Delay(keep.Settle);

        await SampleAsync(RunPhase.WindowStart);
        progress.Phase = "measuring";
        clock.StartMeasuring();
        var window = Stopwatch.StartNew();
        await Task.Delay(keep.Window);
        clock.StopMeasuring();
        window.Stop();
        await SampleAsync(RunPhase.WindowEnd);
        WorkerStats? feed = publishing is null ? null : await publishing.StopFeedAsync();

        progress.Phase = "closing";
        int readyAtEnd = Volatile.Read(ref ready);
        stopping.Cancel();
        Task all = Task.WhenAll(clients);
        if (await Task.WhenAny(all, Task.Delay(CloseGrace)) != all)
        {
            aborting.Cancel();
            await all;
        }

        var merged = new WorkerStats();
        foreach (WorkerStats stats in workers)
        {
            merged.Add(stats);
        }

        if (feed is not null)
        {
            // The publisher's traffic is not the clients', but its failures are the run's.
            merged.AddErrors(feed);
        }

        return new ScenarioResult(scenario.Name, simulation, merged, window.Elapsed, readyAtEnd, feed, workers);
    }

    private static async Task RunClientAsync(IScenario scenario, ClientContext context, Action endedUnready)
    {
        // Yield first so that starting 10,000 clients does not run their connects inline on the starter.
        await Task.Yield();
        try
        {
            await scenario.RunClientAsync(context);
        }
        catch (Exception)
        {
            // Scenarios record their own failures; whatever escapes one is a bug, counted rather than lost.
            context.Stats.RecordError(ErrorKind.Unexpected);
        }

        if (!context.IsReady)
        {
            endedUnready();
        }
    }

    private async Task SampleAsync(RunPhase phase)
    {
        foreach (IRunProbe probe in _probes)
        {
            await probe.SampleAsync(phase);
        }
    }
}
