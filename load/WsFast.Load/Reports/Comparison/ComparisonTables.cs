using System.Globalization;

namespace WsFast.Load.Reports.Comparison;

/// <summary>
/// The tables of a comparison: throughput with the subject/baseline ratio, latency percentiles, server
/// cost, and, when feed scenarios ran, push versus polling per delivered message.
/// </summary>
internal static class ComparisonTables
{
    /// <summary>Every table that has rows.</summary>
    public static IReadOnlyList<ReportTable> Build(ComparisonSet set)
    {
        ArgumentNullException.ThrowIfNull(set);
        return new[] { Throughput(set), Latency(set), ServerCost(set), PushVersusPolling(set) }
            .Where(t => t.Rows.Count > 0)
            .ToList();
    }

    /// <summary>Messages received per second per server, and the subject/baseline ratio.</summary>
    public static ReportTable Throughput(ComparisonSet set)
    {
        var headers = new List<string> { "case", "scenario", "clients", "settings" };
        headers.AddRange(set.Servers.Select(s => $"{s} msg/s"));
        if (set.HasRatio)
        {
            headers.Add($"{set.Subject}/{set.Baseline}");
        }

        var rows = new List<string[]>();
        foreach (ComparisonCase c in set.Cases)
        {
            var cells = new List<string>
            {
                c.Name,
                c.Text(RunColumns.Scenario, set.Servers) ?? "n/a",
                Figures.Format(c.Text(RunColumns.Clients, set.Servers) is string n && long.TryParse(n, CultureInfo.InvariantCulture, out long clients) ? clients : null),
                c.Text(RunColumns.Settings, set.Servers) ?? "",
            };
            cells.AddRange(set.Servers.Select(s => Figures.Format(c.Run(s)?.Number(RunColumns.Rate), "N0")));
            if (set.HasRatio)
            {
                cells.Add(Ratio(c.Ratio(RunColumns.Rate, set.Subject, set.Baseline)));
            }

            rows.Add([.. cells]);
        }

        return new ReportTable(
            "Throughput",
            "Messages received by the clients per second of the measurement window (for ws-echo one message is one round trip).",
            headers,
            rows);
    }

    /// <summary>Latency percentiles per case and server.</summary>
    public static ReportTable Latency(ComparisonSet set)
    {
        var headers = new List<string> { "case", "server" };
        headers.AddRange(RunColumns.Percentiles.Select(p => $"{p.Label} µs"));
        headers.Add("max µs");
        var rows = EachRun(set)
            .Where(r => r.Number(RunColumns.P50) is not null)
            .Select(r => new[] { r.Case, r.Server }
                .Concat(RunColumns.Percentiles.Select(p => Micros(r.Number(p.Column))))
                .Append(Micros(r.Number(RunColumns.Max)))
                .ToArray())
            .ToList();
        return new ReportTable(
            "Latency",
            "Latency of the messages received in the window (ws-echo: send to echo received; feeds: publish to delivery).",
            headers,
            rows);
    }

    /// <summary>What each run cost the server (and the load tool), and whether it went cleanly.</summary>
    public static ReportTable ServerCost(ComparisonSet set)
    {
        string[] headers =
        [
            "case", "server", "clients ready", "server CPU % of core", "server CPU µs/msg", "server alloc B/msg",
            "server RSS/conn", "load tool CPU %", "errors",
        ];
        var rows = EachRun(set)
            .Select(r => new[]
            {
                r.Case,
                r.Server,
                $"{Count(r.Number(RunColumns.ClientsReady))}/{Count(r.Number(RunColumns.Clients))}",
                Figures.Format(r.Number(RunColumns.ServerCpuPercent)),
                Figures.Format(r.Number(RunColumns.ServerCpuPerMessage), "0.00"),
                Figures.Format(r.Number(RunColumns.ServerAllocPerMessage), "0.0"),
                Figures.Bytes(r.Number(RunColumns.ServerRssPerConnection) is double b ? (long)b : null),
                Figures.Format(r.Number(RunColumns.LoadCpuPercent)),
                Count(r.Number(RunColumns.Errors)),
            })
            .ToList();
        return new ReportTable(
            "Server cost",
            "Server CPU and allocations in the window, per message received by the clients; resident memory per connection from before the first connect to the window's start.",
            headers,
            rows);
    }

    /// <summary>The feed scenarios side by side: what one delivered message costs on the wire and in server CPU.</summary>
    public static ReportTable PushVersusPolling(ComparisonSet set)
    {
        string[] headers =
        [
            "case", "scenario", "server", "publish rate/s", "poll interval ms", "delivered/s", "lost",
            "p50 µs", "p99 µs", "p99.9 µs", "wire B in/delivery", "wire B out/delivery", "payload B/delivery",
            "header overhead", "server CPU s/1,000 deliveries",
        ];
        var rows = EachRun(set)
            .Where(r => r.Text(RunColumns.Delivered) is not null)
            .Select(r => new[]
            {
                r.Case,
                r.Text(RunColumns.Scenario) ?? "n/a",
                r.Server,
                Figures.Format(r.Number(RunColumns.PublishRate), "0.#"),
                Figures.Format(r.Number(RunColumns.IntervalMilliseconds), "0"),
                Figures.Format(r.Number(RunColumns.DeliveredPerSecond), "N0"),
                Count(r.Number(RunColumns.Lost)),
                Micros(r.Number(RunColumns.P50)),
                Micros(r.Number(RunColumns.P99)),
                Micros(r.Number(RunColumns.P999)),
                Figures.Format(r.Number(RunColumns.WireBytesInPerDelivery), "0.0"),
                Figures.Format(r.Number(RunColumns.WireBytesOutPerDelivery), "0.0"),
                Figures.Format(r.Number(RunColumns.PayloadBytesPerDelivery), "0.0"),
                Figures.Format(r.Number(RunColumns.HeaderOverheadRatio), "0.00"),
                Figures.Format(r.Number(RunColumns.ServerCpuSecondsPer1000Deliveries), "0.0000"),
            })
            .ToList();
        return new ReportTable(
            "Push vs polling",
            "One feed (same publish rate and size) delivered by WebSocket broadcast, Server-Sent Events, long polling and short polling: bytes on the wire include HTTP headers.",
            headers,
            rows);
    }

    /// <summary>A ratio as "1.23×", or "n/a".</summary>
    public static string Ratio(double? ratio) => ratio is double r ? r.ToString("0.00", CultureInfo.InvariantCulture) + "×" : "n/a";

    // Case by case, server by server.
    private static IEnumerable<RunRecord> EachRun(ComparisonSet set) =>
        set.Cases.SelectMany(c => set.Servers.Select(c.Run).OfType<RunRecord>());

    // Whole µs above 100, a tenth below, where the difference still shows.
    private static string Micros(double? value) => value is double v && v < 100 ? Figures.Format(v, "0.0") : Figures.Format(value, "N0");

    private static string Count(double? value) => value is double v ? Figures.Format((long)v) : "n/a";
}
