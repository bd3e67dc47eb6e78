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
        new("server RSS", "MiB", 1.0 / 1048576, r => r.RssBytes, new TrendTest()),
        new("GC heap", "MiB", 1.0 / 1048576, r => r.GcHeapBytes, new TrendTest()),
        new("pinned bytes", "MiB", 1.0 / 1048576, r => r.PinnedBytes, new TrendTest { Floor = 1048576 }),
        new("file descriptors", "", 1, r => r.FileDescriptors, new TrendTest { Floor = 8 }),
        new("threads", "", 1, r => r.Threads, new TrendTest { Floor = 3 }),
        new("open connections", "", 1, r => r.Connections, new TrendTest { Floor = 8 }),
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

            TrendResult trend = definition.Test.Evaluate(points);
            series.Add(new SeriesTrend(definition, trend, missing));
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
}

/// <summary>One trend-tested series: its name, unit, how it is read and its test.</summary>
/// <param name="Name">The series' name in the report.</param>
/// <param name="Unit">The unit its values are shown in.</param>
/// <param name="Scale">Factor from the raw value (bytes, counts) to <paramref name="Unit"/>.</param>
/// <param name="Read">Reads the raw value from a sample (-1: missing).</param>
/// <param name="Test">The trend test, with this series' resolution.</param>
public sealed record SeriesDefinition(string Name, string Unit, double Scale, Func<ServerResources, long> Read, TrendTest Test)
{
    /// <summary>A raw value in the series' unit.</summary>
    public string Format(double raw) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{raw * Scale:#,0.##}{(Unit.Length > 0 ? " " + Unit : "")}");
}

/// <summary>A series with its trend and how many of its samples after the warm-up could not be read.</summary>
public sealed record SeriesTrend(SeriesDefinition Definition, TrendResult Trend, int Missing);
