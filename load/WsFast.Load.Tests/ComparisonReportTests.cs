using System.Text.RegularExpressions;
using WsFast.Load.Reports.Comparison;

namespace WsFast.Load.Tests;

public sealed class ComparisonReportTests : IDisposable
{
    // report.csv as the tool writes it today: no delivery columns.
    private const string EchoHeader =
        "started_utc,scenario,target,settings,clients,clients_ready,window_s,messages_sent,messages_received,rate_per_s,bytes_sent,bytes_received," +
        "p50_us,p75_us,p95_us,p99_us,p99_9_us,max_us,server_cpu_pct,server_cpu_us_per_msg,server_alloc_bytes,server_alloc_bytes_per_msg," +
        "server_rss_baseline_bytes,server_rss_start_bytes,server_rss_bytes_per_conn,load_cpu_pct,load_cpu_us_per_msg,errors";

    // report.csv of a feed scenario: the delivery columns appended.
    private const string FeedHeader = EchoHeader +
        ",delivered,delivered_per_s,lost,wire_bytes_in_per_delivery,wire_bytes_out_per_delivery,payload_bytes_per_delivery," +
        "header_overhead_ratio,server_cpu_s_per_1000_deliveries,publish_rate,interval_ms";

    private readonly string _runs = Path.Combine(Path.GetTempPath(), "wsfast-compare-test-" + Guid.NewGuid().ToString("N"));

    public ComparisonReportTests()
    {
        Write("WsFast", "01-ws-echo-1000", EchoHeader, Echo(rate: 50000, p50: 120, p99: 900, cpu: 9.5));
        Write("Kestrel", "01-ws-echo-1000", EchoHeader, Echo(rate: 40000, p50: 150, p99: 1500, cpu: 14.25));
        Write("WsFast", "02-ws-idle-10000", EchoHeader, "2025-01-02T03:05:00Z,ws-idle,ws://127.0.0.1:18080/echo,idle,10000,10000,2,0,0,0,0,0,,,,,,,0.5,,,,1000,50000000,4900,1,,0");
        Write("Kestrel", "02-ws-idle-10000", EchoHeader, "2025-01-02T03:05:00Z,ws-idle,ws://127.0.0.1:18081/echo,idle,10000,9990,2,0,0,0,0,0,,,,,,,0.5,,,,1000,90000000,8900,1,,3");
        Write("WsFast", "04-sse-1000", FeedHeader, Echo(rate: 10000, p50: 200, p99: 2000, cpu: 5, scenario: "sse") + ",80000,10000,0,90.5,0,64,0.41,0.0123,10,");
        Write("Kestrel", "04-sse-1000", FeedHeader, Echo(rate: 10000, p50: 300, p99: 3000, cpu: 7, scenario: "sse") + ",80000,10000,2,95.5,0,64,0.49,0.0456,10,");
        File.WriteAllText(Path.Combine(_runs, "WsFast", "01-ws-echo-1000", "timeline.csv"),
            "elapsed_s,phase,clients_ready,received,rate_per_s,p99_us,errors\n1,ramp-up,500,1000,1000,,0\n2,measuring,1000,51000,50000,900,0\n");
        File.WriteAllText(Path.Combine(_runs, "notes.txt"), "poll-long: not in this build of the load tool; skipped.\n");
        ComparisonReport.Save(_runs, _runs, "wsfast", ["KESTREL"]);
    }

    public void Dispose() => Directory.Delete(_runs, recursive: true);

    private string Markdown => File.ReadAllText(Path.Combine(_runs, "comparison.md"));

    private string Html => File.ReadAllText(Path.Combine(_runs, "comparison.html"));

    [Fact]
    public void Markdown_has_rates_and_the_ratio_per_case()
    {
        Assert.Contains("# WsFast vs Kestrel", Markdown);
        Assert.Contains("| 01-ws-echo-1000 | ws-echo | 1,000 | 32 B text, 1 in flight | 50,000 | 40,000 | 1.25× |", Markdown);
        // No rate: no ratio.
        Assert.Contains("| 02-ws-idle-10000 | ws-idle | 10,000 | idle | 0 | 0 | n/a |", Markdown);
    }

    [Fact]
    public void Markdown_has_latency_cost_and_notes()
    {
        Assert.Contains("| 01-ws-echo-1000 | Kestrel | 150 | 200 | 1,000 | 1,500 | 2,000 | 3,000 |", Markdown);
        Assert.Contains("| 01-ws-echo-1000 | WsFast | 1,000/1,000 | 95.0 | 9.50 |", Markdown);
        Assert.Contains("| 02-ws-idle-10000 | Kestrel | 9,990/10,000 | 0.5 | n/a | n/a | n/a | n/a | 8.7 KiB | 1.0 | 3 |", Markdown);
        Assert.Contains("- poll-long: not in this build of the load tool; skipped.", Markdown);
    }

    [Fact]
    public void Push_versus_polling_lists_only_runs_with_delivery_columns()
    {
        string section = Markdown[Markdown.IndexOf("## Push vs polling", StringComparison.Ordinal)..];
        Assert.Contains("| 04-sse-1000 | sse | WsFast | 10 | n/a | 10,000 | 0 | 200 | 2,000 | 2,667 | 90.5 | 0.0 | 64.0 | 0.41 | 0.0123 |", section);
        Assert.Contains("| 04-sse-1000 | sse | Kestrel | 10 | n/a | 10,000 | 2 | 300 |", section);
        Assert.DoesNotContain("ws-echo", section);
    }

    [Fact]
    public void Push_versus_polling_is_left_out_without_delivery_columns()
    {
        Directory.Delete(Path.Combine(_runs, "WsFast", "04-sse-1000"), recursive: true);
        Directory.Delete(Path.Combine(_runs, "Kestrel", "04-sse-1000"), recursive: true);
        string markdown = ComparisonReport.Save(_runs, _runs, "WsFast");
        Assert.DoesNotContain("Push vs polling", markdown);
        Assert.Contains("## Throughput", markdown);
    }

    [Fact]
    public void Csv_has_one_line_per_run_with_every_column_and_the_ratios()
    {
        CsvTable csv = CsvTable.Read(Path.Combine(_runs, "comparison.csv"));
        Assert.Equal(6, csv.Rows.Count);
        Assert.Equal(["case", "server", "started_utc"], csv.Header.Take(3));
        Assert.Equal(["rounds", "subject_rate_ratio", "subject_cpu_per_msg_ratio"], csv.Header.TakeLast(3));
        Assert.Contains("header_overhead_ratio", csv.Header);
        CsvRow wsfastEcho = csv.Rows.Single(r => r["case"] == "01-ws-echo-1000" && r["server"] == "WsFast");
        Assert.Equal(1, wsfastEcho.Number("subject_rate_ratio"));
        Assert.Equal(1, wsfastEcho.Number("rounds"));
        Assert.Equal("32 B text, 1 in flight", wsfastEcho["settings"]);
        Assert.Null(wsfastEcho["delivered"]); // an echo run has no delivery figures
        CsvRow kestrelEcho = csv.Rows.Single(r => r["case"] == "01-ws-echo-1000" && r["server"] == "Kestrel");
        Assert.Equal(1.25, kestrelEcho.Number("subject_rate_ratio"));
        Assert.Equal(0.6667, kestrelEcho.Number("subject_cpu_per_msg_ratio")); // 9.5 µs against 14.25 µs
        CsvRow kestrelSse = csv.Rows.Single(r => r["case"] == "04-sse-1000" && r["server"] == "Kestrel");
        Assert.Equal(0.0456, kestrelSse.Number("server_cpu_s_per_1000_deliveries"));
        Assert.Equal(1, kestrelSse.Number("subject_rate_ratio"));
    }

    [Fact]
    public void Server_cpu_per_message_has_the_ratio_per_case()
    {
        Assert.Contains("| case | scenario | WsFast µs/msg | Kestrel µs/msg | WsFast/Kestrel |", Markdown);
        Assert.Contains("| 01-ws-echo-1000 | ws-echo | 9.50 | 14.25 | 0.67× |", Markdown);
    }

    [Fact]
    public void Html_is_self_contained_with_one_svg_per_chart()
    {
        string html = Html;
        Assert.StartsWith("<!DOCTYPE html>", html);
        Assert.EndsWith("</html>", html.TrimEnd());
        // Throughput, CPU per message, idle memory, latency for the two cases with latencies, one timeline, two
        // push-vs-polling bar charts.
        Assert.Equal(8, Regex.Count(html, "<svg "));
        Assert.Equal(Regex.Count(html, "<svg "), Regex.Count(html, "</svg>"));
        Assert.Equal(Regex.Count(html, "<figure>"), Regex.Count(html, "<svg "));
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotMatch("(src|href)\\s*=", html);
        Assert.DoesNotContain("url(", html);
        Assert.DoesNotContain("http://", html.Replace("ws://127.0.0.1", "", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.Contains("WsFast/Kestrel 1.25×", html);
        Assert.Contains("<td>50,000</td><td>40,000</td><td>1.25×</td>", html);
        Assert.Equal(Regex.Count(html, "<table>"), Regex.Count(html, "</table>"));
    }

    private static string Echo(double rate, double p50, double p99, double cpu, string scenario = "ws-echo")
    {
        string F(double v) => v.ToString(System.Globalization.CultureInfo.InvariantCulture);
        long received = (long)(rate * 10);
        return $"2025-01-02T03:04:05Z,{scenario},ws://127.0.0.1:18080/echo,\"32 B text, 1 in flight\",1000,1000,10,{received},{received},{F(rate)},0,0," +
            $"{F(p50)},{F(p50 + 50)},{F(p99 * 2 / 3)},{F(p99)},{F(p99 * 4 / 3)},{F(p99 * 2)},95,{F(cpu)},1000,0.5,1000,2000,1,40,3,0";
    }

    private void Write(string server, string caseName, string header, string line)
    {
        string folder = Path.Combine(_runs, server, caseName);
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "report.csv"), header + "\n" + line + "\n");
    }
}
