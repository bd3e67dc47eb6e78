using System.Globalization;
using System.Text;

namespace WsFast.Load.Reports;

/// <summary>Writes runs' reports as CSV: one header line, one line per run, invariant numbers, empty when missing.</summary>
public static class CsvReport
{
    private static readonly string[] Columns =
    [
        "started_utc", "scenario", "target", "settings", "clients", "clients_ready", "window_s",
        "messages_sent", "messages_received", "rate_per_s", "bytes_sent", "bytes_received",
        "p50_us", "p75_us", "p95_us", "p99_us", "p99_9_us", "max_us",
        "server_cpu_pct", "server_cpu_us_per_msg", "server_alloc_bytes", "server_alloc_bytes_per_msg",
        "server_rss_baseline_bytes", "server_rss_start_bytes", "server_rss_bytes_per_conn",
        "load_cpu_pct", "load_cpu_us_per_msg", "errors",
    ];

    /// <summary>The CSV text of <paramref name="reports"/>.</summary>
    public static string Write(IEnumerable<RunReport> reports)
    {
        ArgumentNullException.ThrowIfNull(reports);
        var text = new StringBuilder();
        text.AppendLine(string.Join(',', Columns));
        foreach (RunReport report in reports)
        {
            var s = report.Result.Stats;
            var cells = new List<string>
            {
                report.StartedAt.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
                report.Result.Scenario,
                report.Target,
                report.Settings,
                Number(report.Result.Simulation.PeakClients),
                Number(report.Result.ClientsReady),
                Number(report.Result.Window.TotalSeconds),
                Number(s.MessagesSent),
                Number(s.MessagesReceived),
                Number(report.Rate),
                Number(s.BytesSent),
                Number(s.BytesReceived),
            };
            cells.AddRange(RunReport.Percentiles.Select(p => Number(report.LatencyMicroseconds(p))));
            cells.Add(Number(report.MaxLatencyMicroseconds));
            cells.Add(Number(report.ServerCpuPercent));
            cells.Add(Number(report.ServerCpuMicrosecondsPerMessage));
            cells.Add(Number(report.ServerAllocatedBytes));
            cells.Add(Number(report.ServerAllocatedBytesPerMessage));
            cells.Add(Number(report.ServerBaseline is { RssBytes: >= 0 } b ? b.RssBytes : null));
            cells.Add(Number(report.ServerStart is { RssBytes: >= 0 } st ? st.RssBytes : null));
            cells.Add(Number(report.ServerRssBytesPerConnection));
            cells.Add(Number(report.LoadCpuPercent));
            cells.Add(Number(report.LoadCpuMicrosecondsPerMessage));
            cells.Add(Number(s.TotalErrors));
            text.AppendLine(string.Join(',', cells.Select(Quote)));
        }

        return text.ToString();
    }

    private static string Number(double? value) => value is double v ? v.ToString("0.###", CultureInfo.InvariantCulture) : "";

    private static string Number(long? value) => value is long v ? v.ToString(CultureInfo.InvariantCulture) : "";

    // RFC 4180: a cell with a comma, quote or line break is quoted, its quotes doubled.
    private static string Quote(string cell) =>
        cell.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + cell.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : cell;
}
