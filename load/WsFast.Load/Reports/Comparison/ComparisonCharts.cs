using WsFast.Load.Reports.Charts;

namespace WsFast.Load.Reports.Comparison;

/// <summary>
/// The charts of a comparison, as inline SVG: throughput and server CPU per message with the subject's ratio to
/// every other server, idle memory per connection and handshakes per second, latency percentiles per case (log
/// scale), the rate over time per case (from timeline.csv), and, for the feed scenarios, bytes on the wire and
/// server CPU per delivery.
/// </summary>
internal static class ComparisonCharts
{
    /// <summary>Every chart the runs have figures for, as (heading, SVG).</summary>
    public static IReadOnlyList<(string Heading, string Svg)> Build(ComparisonSet set)
    {
        ArgumentNullException.ThrowIfNull(set);
        var charts = new List<(string, string)>();
        if (Throughput(set) is string throughput)
        {
            charts.Add(("Throughput", throughput));
        }

        if (PerCase(set, RunColumns.ServerCpuPerMessage, "Server CPU µs per message received (each case scaled to its largest bar)", " µs") is string cpu)
        {
            charts.Add(("Server CPU per message", cpu));
        }

        var idle = set.Cases.Where(c => c.Text(RunColumns.Scenario, set.Servers) == "ws-idle").ToList();
        if (idle.Count > 0)
        {
            charts.Add(("Idle connections: memory", Bars(set, idle, "Server resident memory per idle connection", " B",
                r => r.Number(RunColumns.ServerRssPerConnection), ratioColumn: RunColumns.ServerRssPerConnection)));
            if (idle.Any(c => c.Runs.Any(r => r.Number(RunColumns.HandshakesPerSecond) is not null)))
            {
                charts.Add(("Idle connections: handshakes", Bars(set, idle, "WebSocket handshakes per second, every client connecting at once", "/s",
                    r => r.Number(RunColumns.HandshakesPerSecond), ratioColumn: RunColumns.HandshakesPerSecond)));
            }
        }

        foreach (ComparisonCase c in set.Cases)
        {
            if (Latency(set, c) is string latency)
            {
                charts.Add(($"Latency: {c.Name}", latency));
            }
        }

        foreach (ComparisonCase c in set.Cases)
        {
            if (Timeline(set, c) is string timeline)
            {
                charts.Add(($"Rate over time: {c.Name}", timeline));
            }
        }

        var feeds = set.Cases.Where(c => c.Runs.Any(RunColumns.IsFeed)).ToList();
        if (feeds.Count > 0)
        {
            charts.Add(("Push vs polling: bytes on the wire", Bars(set, feeds, "Bytes on the wire per delivered message (in + out, HTTP headers included)", " B",
                r => r.Number(RunColumns.WireBytesInPerDelivery) is double i && r.Number(RunColumns.WireBytesOutPerDelivery) is double o ? i + o : null)));
            charts.Add(("Push vs polling: server CPU", Bars(set, feeds, "Server CPU seconds per 1,000 delivered messages", " s",
                r => r.Number(RunColumns.ServerCpuSecondsPer1000Deliveries))));
        }

        return charts;
    }

    /// <summary>Rate per server for every case with a rate, each case scaled on its own; null when none has one.</summary>
    public static string? Throughput(ComparisonSet set) =>
        PerCase(set, RunColumns.Rate, "Messages received per second (each case scaled to its largest bar)", "/s");

    // One group per case with the column, one bar per server, the subject's ratio to each other server as the
    // group's note; null when no case has the column.
    private static string? PerCase(ComparisonSet set, string column, string title, string unit)
    {
        var groups = set.Cases
            .Where(c => c.Runs.Any(r => r.Number(column) > 0))
            .Select(c => new BarGroup(c.Name, RatioNote(set, c, column), set.Servers.Select(s => c.Run(s)?.Number(column)).ToList()))
            .ToList();
        if (groups.Count == 0)
        {
            return null;
        }

        return new BarChart
        {
            Title = title,
            SeriesNames = set.Servers,
            Groups = groups,
            ScalePerGroup = true,
            Unit = unit,
        }.Render();
    }

    // "WsFast/Bun 0.80×", one line per other server; null without ratios.
    private static string? RatioNote(ComparisonSet set, ComparisonCase c, string column) =>
        set.HasRatio ? string.Join('\n', set.Peers.Select(p => $"{set.Subject}/{p} {ComparisonTables.Ratio(c.Ratio(column, set.Subject, p))}")) : null;

    /// <summary>p50 to p99.9 per server on a log scale; null when no run of the case has latencies.</summary>
    public static string? Latency(ComparisonSet set, ComparisonCase c)
    {
        var series = set.Servers
            .Select((server, i) => (server, i, run: c.Run(server)))
            .Where(s => s.run?.Number(RunColumns.P50) is not null)
            .Select(s => new ChartSeries(
                s.server,
                ChartPalette.Color(s.i),
                RunColumns.Percentiles
                    .Select((p, x) => ((double)x, s.run!.Number(p.Column) ?? double.NaN))
                    .ToList()))
            .ToList();
        if (series.Count == 0)
        {
            return null;
        }

        return new LineChart
        {
            Title = $"{c.Name}: latency percentiles",
            XLabel = "percentile",
            YLabel = "latency µs",
            YUnit = " µs",
            LogY = true,
            XTicks = RunColumns.Percentiles.Select((p, x) => ((double)x, p.Label)).ToList(),
            Series = series,
        }.Render();
    }

    /// <summary>Rate per progress tick per server; null when no run of the case has a timeline with messages in it.</summary>
    public static string? Timeline(ComparisonSet set, ComparisonCase c)
    {
        var series = set.Servers
            .Select((server, i) => (server, i, run: c.Run(server)))
            // An idle run receives nothing: a flat line at zero says less than no chart.
            .Where(s => s.run is { Timeline.Count: > 0 } && s.run.Timeline.Any(p => p.RatePerSecond > 0))
            .Select(s => new ChartSeries(s.server, ChartPalette.Color(s.i), s.run!.Timeline.Select(p => (p.ElapsedSeconds, p.RatePerSecond)).ToList()))
            .ToList();
        if (series.Count == 0)
        {
            return null;
        }

        return new LineChart
        {
            Title = $"{c.Name}: messages received per second over the run",
            XLabel = "seconds since the run started (ramp-up, connect, settle, window, close)",
            YLabel = "messages/s",
            YUnit = "/s",
            XDomain = (0, series.Max(s => s.Points.Max(p => p.X))),
            Series = series,
        }.Render();
    }

    private static string Bars(ComparisonSet set, List<ComparisonCase> cases, string title, string unit, Func<RunRecord, double?> figure, string? ratioColumn = null) =>
        new BarChart
        {
            Title = title,
            SeriesNames = set.Servers,
            Groups = cases
                .Select(c => new BarGroup(
                    c.Name,
                    ratioColumn is null ? null : RatioNote(set, c, ratioColumn),
                    set.Servers.Select(s => c.Run(s) is RunRecord r ? figure(r) : null).ToList()))
                .ToList(),
            Unit = unit,
        }.Render();
}
