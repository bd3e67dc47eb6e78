using System.Globalization;
using WsFast.Load.Scenarios.Soak;
using WsFast.Load.Server;

namespace WsFast.Load.Reports.Soak;

/// <summary>
/// Judges a soak: every server series is trend-tested over the samples after the warm-up (<see cref="TrendTest"/>),
/// and the run fails on any upward trend, any message a healthy subscriber lost or got out of order, any
/// unexpected close code, HTTP status or failure, any failed publish, or a run that checked nothing.
/// </summary>
public sealed class SoakVerdict
{
    private SoakVerdict(IReadOnlyList<SeriesTrend> series, IReadOnlyList<string> failures)
    {
        Series = series;
        Failures = failures;
    }

    /// <summary>The trend-tested series in the report's order.</summary>
    public static IReadOnlyList<SeriesDefinition> Definitions { get; } =
    [
        // Bytes: the share of the level and the noise decide. Counts: a resolution of a few units as well.
        new("server RSS", "MiB", 1.0 / 1048576, r => r.RssBytes, new TrendTest()) { Short = "RSS" },
        new("GC heap", "MiB", 1.0 / 1048576, r => r.GcHeapBytes, new TrendTest()) { WholeGcCycles = true },
        new("pinned bytes", "MiB", 1.0 / 1048576, r => r.PinnedBytes, new TrendTest { Floor = 1048576 }) { Short = "pinned" },
        new("file descriptors", "", 1, r => r.FileDescriptors, new TrendTest { Floor = 8 }) { Short = "fds" },
        // The thread pool adds and retires workers on its own as the load moves (hill climbing, blocked-thread
        // injection): in a 10-minute soak of 10,000 clients it went between 14 and 19 with no leak, a fitted +4.2.
        // 8 threads is the resolution below which the count says nothing here: over the run's 8 judged minutes, a
        // leak faster than a thread a minute (one per 30,000 reconnects at its churn) is beyond it.
        new("threads", "", 1, r => r.Threads, new TrendTest { Floor = 8 }),
        new("open connections", "", 1, r => r.Connections, new TrendTest { Floor = 8 }) { Short = "connections" },
    ];

    /// <summary>Each series' trend.</summary>
    public IReadOnlyList<SeriesTrend> Series { get; }

    /// <summary>Why the soak failed; empty when it passed.</summary>
    public IReadOnlyList<string> Failures { get; }

    /// <summary>Whether the soak passed.</summary>
    public bool Passed => Failures.Count == 0;

    /// <summary>Judges <paramref name="result"/>.</summary>
    public static SoakVerdict Judge(SoakResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        double from = (result.Settings.RampUp + result.Settings.WarmUp).TotalSeconds;
        var failures = new List<string>();
        var series = new List<SeriesTrend>();
        foreach (SeriesDefinition definition in Definitions)
        {
            var points = new List<(double, double)>();
            int missing = 0;
            foreach (SoakSample sample in result.Samples)
            {
                if (sample.ElapsedSeconds < from)
                {
                    continue;
                }

                long value = definition.Read(sample.Server);
                if (value < 0)
                {
                    missing++;
                    continue;
                }

                points.Add((sample.ElapsedSeconds, value));
            }

            string? note = null;
            TrendTest test = definition.Test;
            if (definition.WholeGcCycles)
            {
                (points, test, note) = WholeCycles(result.Samples, from, points, definition);
            }

            TrendResult trend = test.Evaluate(points);
            series.Add(new SeriesTrend(definition, trend, missing) { Note = note });
            if (!trend.Judged)
            {
                failures.Add($"{definition.Name}: too few samples after the warm-up to judge ({points.Count}, {missing} unread)");
            }
            else if (trend.TrendsUp)
            {
                failures.Add($"{definition.Name} trends up: +{definition.Format(trend.Growth)} over {points[^1].Item1 - points[0].Item1:0} s, beyond the {definition.Format(trend.Tolerance)} allowed");
            }

            // A few samples lost to a slow /healthz answer are noise; a server that stopped answering is not.
            if (missing > Math.Max(5, points.Count / 20))
            {
                failures.Add($"{definition.Name}: {missing} samples after the warm-up could not be read");
            }
        }

        SoakSample? last = result.Samples.Count > 0 ? result.Samples[^1] : null;
        long lost = 0, reordered = 0, checkedTotal = 0;
        foreach (var (role, figures) in result.ByRole)
        {
            if (role != SoakRole.SlowConsumer)
            {
                lost += figures.Lost;
                reordered += figures.Reordered;
                checkedTotal += figures.Checked;
            }
        }

        if (lost > 0)
        {
            failures.Add($"healthy subscribers lost {lost} messages");
        }

        if (reordered > 0)
        {
            failures.Add($"healthy subscribers got {reordered} messages out of order or twice");
        }

        if (result.Tally.Unexpected > 0)
        {
            failures.Add($"{result.Tally.Unexpected} unexpected close codes, statuses or failures");
        }

        if (result.PublisherErrors > 0)
        {
            failures.Add($"{result.PublisherErrors} publishes failed");
        }

        if (checkedTotal == 0 || last is null || last.Echoes == 0)
        {
            failures.Add("nothing was checked: no feed message or no echo reached a client");
        }

        if (result.Settings.ChurnPerSecond > 0 && result.Tally.TotalReconnects == 0)
        {
            failures.Add("no client reconnected: the churn did not happen");
        }

        return new SoakVerdict(series, failures);
    }

    /// <summary>
    /// The GC heap over whole collection cycles. What lives a while (a connection's objects, ~20 s at 5% churn a
    /// second) dies in generation 2 and stays in the heap until the next full collection: between two, the heap
    /// climbs without any leak, and a fit over part of a cycle would see that climb as a trend. So the fit runs from
    /// the first sample after a full collection to the last such sample (whole cycles, whose sawtooth has no
    /// slope unless the heap after each collection rises). That takes at least two whole cycles: a fit over one
    /// is a climb closed by a single low sample, whose slope is the climb's (a minute's soak of 1,500 clients
    /// failed two runs in three that way, +3.4 MiB against 3.4 allowed, with no leak). With fewer than three full
    /// collections after the warm-up it runs over the whole window, allowing on top the largest fall a full
    /// collection brought in the run (one cycle's climb); with none in the whole run either, only the usual
    /// tolerance.
    /// </summary>
    internal static (List<(double, double)> Points, TrendTest Test, string Note) WholeCycles(
        IReadOnlyList<SoakSample> samples, double from, List<(double, double)> points, SeriesDefinition definition)
    {
        var afterFull = new List<double>(); // times of the first samples after a full collection, after the warm-up
        double amplitude = 0;
        for (int i = 1; i < samples.Count; i++)
        {
            ServerResources before = samples[i - 1].Server, after = samples[i].Server;
            if (before.FullCollections < 0 || after.FullCollections <= before.FullCollections)
            {
                continue;
            }

            long fell = definition.Read(before) - definition.Read(after);
            if (definition.Read(before) >= 0 && definition.Read(after) >= 0 && fell > amplitude)
            {
                amplitude = fell;
            }

            if (samples[i].ElapsedSeconds >= from)
            {
                afterFull.Add(samples[i].ElapsedSeconds);
            }
        }

        if (afterFull.Count >= 3)
        {
            var cycles = points.FindAll(p => p.Item1 >= afterFull[0] && p.Item1 <= afterFull[^1]);
            return (cycles, definition.Test, string.Create(CultureInfo.InvariantCulture, $"over {afterFull.Count - 1} whole GC cycle(s), {afterFull[0]:0}-{afterFull[^1]:0} s"));
        }

        TrendTest widened = definition.Test with { Floor = Math.Max(definition.Test.Floor, amplitude) };
        return (points, widened, afterFull.Count > 0 || amplitude > 0
            ? $"fewer than two whole GC cycles after the warm-up: one cycle's climb ({definition.Format(amplitude)}) allowed"
            : "no full collection in the run: the usual tolerance");
    }
}

/// <summary>One trend-tested series: its name, unit, how it is read and its test.</summary>
/// <param name="Name">The series' name in the report.</param>
/// <param name="Unit">The unit its values are shown in.</param>
/// <param name="Scale">Factor from the raw value (bytes, counts) to <paramref name="Unit"/>.</param>
/// <param name="Read">Reads the raw value from a sample (-1: missing).</param>
/// <param name="Test">The trend test, with this series' resolution.</param>
public sealed record SeriesDefinition(string Name, string Unit, double Scale, Func<ServerResources, long> Read, TrendTest Test)
{
    /// <summary>The name in a chart's legend; <see cref="Name"/> when not given.</summary>
    public string? Short { get; init; }

    /// <summary>Fit over whole garbage-collection cycles (see <see cref="SoakVerdict.WholeCycles"/>).</summary>
    public bool WholeGcCycles { get; init; }

    /// <summary>A raw value in the series' unit.</summary>
    public string Format(double raw) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{raw * Scale:#,0.##}{(Unit.Length > 0 ? " " + Unit : "")}");
}

/// <summary>A series with its trend and how many of its samples after the warm-up could not be read.</summary>
public sealed record SeriesTrend(SeriesDefinition Definition, TrendResult Trend, int Missing)
{
    /// <summary>How the samples were chosen, when not simply all after the warm-up.</summary>
    public string? Note { get; init; }
}
