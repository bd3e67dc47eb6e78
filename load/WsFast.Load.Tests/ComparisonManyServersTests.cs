using System.Globalization;
using System.Text.RegularExpressions;
using WsFast.Load.Reports.Comparison;

namespace WsFast.Load.Tests;

/// <summary>The comparison of one subject with three other servers, one run each or several rounds each.</summary>
public sealed class ComparisonManyServersTests : IDisposable
{
    private const string Header =
        "started_utc,scenario,target,settings,clients,clients_ready,window_s,rate_per_s,p50_us,p99_us,server_cpu_us_per_msg,server_rss_bytes_per_conn," +
        "errors,delivered,wire_bytes_in_per_delivery,wire_bytes_out_per_delivery,payload_bytes_per_delivery,publish_rate,connect_s,handshakes_per_s";

    private readonly string _runs = Path.Combine(Path.GetTempPath(), "wsfast-compare-many-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_runs))
        {
            Directory.Delete(_runs, recursive: true);
        }
    }

    [Fact]
    public void Four_servers_get_a_ratio_column_per_other_server_in_the_asked_order()
    {
        WriteFourServers();
        string markdown = ComparisonReport.Save(_runs, _runs, "WsFast", ["Bun", "Node", "Kestrel"]);

        Assert.Contains("# WsFast vs Bun vs Node vs Kestrel", markdown);
        Assert.Contains("(4 cases × 4 servers)", markdown);
        Assert.Contains(
            "| case | scenario | clients | settings | WsFast msg/s | Bun msg/s | Node msg/s | Kestrel msg/s | WsFast/Bun | WsFast/Node | WsFast/Kestrel |",
            markdown);
        Assert.Contains("| 01-ws-echo-100 | ws-echo | 100 | 32 B | 100,000 | 125,000 | 40,000 | 50,000 | 0.80× | 2.50× | 2.00× |", markdown);
        Assert.Contains("| 01-ws-echo-100 | ws-echo | 5.00 | 4.00 | 12.50 | 10.00 | 1.25× | 0.40× | 0.50× |", markdown);
    }

    [Fact]
    public void Idle_connections_show_memory_and_handshakes_with_ratios()
    {
        WriteFourServers();
        string markdown = ComparisonReport.Save(_runs, _runs, "WsFast", ["Bun", "Node", "Kestrel"]);

        string section = markdown[markdown.IndexOf("## Idle connections", StringComparison.Ordinal)..];
        Assert.Contains("| case | server | clients ready | RSS/conn | connect s | handshakes/s | WsFast/this RSS/conn | WsFast/this handshakes/s |", section);
        Assert.Contains("| 02-ws-idle-10000 | WsFast | 10,000/10,000 | 4.0 KiB | 0.500 | 20,000 |  |  |", section);
        Assert.Contains("| 02-ws-idle-10000 | Bun | 10,000/10,000 | 2.0 KiB | 0.400 | 25,000 | 2.00× | 0.80× |", section);
        Assert.Contains("| 02-ws-idle-10000 | Kestrel | 10,000/10,000 | 16.0 KiB | 2.000 | 5,000 | 0.25× | 4.00× |", section);
    }

    [Fact]
    public void Polling_is_compared_with_the_same_servers_push()
    {
        WriteFourServers();
        string markdown = ComparisonReport.Save(_runs, _runs, "WsFast", ["Bun", "Node", "Kestrel"]);

        string section = markdown[markdown.IndexOf("## Polling against push, per server", StringComparison.Ordinal)..];
        // WsFast: push 70 in + 0 out − 64 payload = 6 B; long polling 400 + 1,200 − 64 = 1,536 B, 256× push.
        Assert.Contains("| 04-poll-long-1000 | poll-long | WsFast | 1,000 | 1536.0 | 6.0 | 256.00× | 3.00× | 3.00× |", section);
        Assert.Contains("| 04-poll-long-1000 | poll-long | Node | 1,000 |", section);
        Assert.DoesNotContain("| ws-broadcast |", section);
    }

    [Fact]
    public void Push_versus_polling_leaves_out_echo_runs_although_they_have_delivery_columns()
    {
        WriteFourServers();
        Write("WsFast", "05-ws-echo-rated", Line("ws-echo", "32 B", 100, 1000, p50: 100, cpu: 5, feed: (34, 38, 32)));
        string markdown = ComparisonReport.Save(_runs, _runs, "WsFast", ["Bun", "Node", "Kestrel"]);

        string section = markdown[markdown.IndexOf("## Push vs polling", StringComparison.Ordinal)..markdown.IndexOf("## Polling against push", StringComparison.Ordinal)];
        Assert.Contains("| 03-ws-broadcast-1000 | ws-broadcast | WsFast |", section);
        Assert.DoesNotContain("ws-echo", section);
    }

    [Fact]
    public void Csv_and_html_hold_every_server()
    {
        WriteFourServers();
        ComparisonReport.Save(_runs, _runs, "WsFast", ["Bun", "Node", "Kestrel"]);

        CsvTable csv = CsvTable.Read(Path.Combine(_runs, "comparison.csv"));
        Assert.Equal(16, csv.Rows.Count);
        Assert.Equal(["WsFast", "Bun", "Node", "Kestrel"], csv.Rows.Where(r => r["case"] == "01-ws-echo-100").Select(r => r["server"]));
        CsvRow node = csv.Rows.Single(r => r["case"] == "01-ws-echo-100" && r["server"] == "Node");
        Assert.Equal(2.5, node.Number("subject_rate_ratio"));
        Assert.Equal(0.4, node.Number("subject_cpu_per_msg_ratio"));

        string html = File.ReadAllText(Path.Combine(_runs, "comparison.html"));
        Assert.Contains("WsFast/Bun 0.80×", html);
        Assert.Contains("WsFast/Node 2.50×", html);
        Assert.Contains("WsFast/Kestrel 2.00×", html);
        Assert.Equal(Regex.Count(html, "<svg "), Regex.Count(html, "</svg>"));
        // Throughput, CPU per message, idle memory and handshakes, latency of the echo and the two feeds, and the
        // two push-vs-polling bar charts.
        Assert.Equal(9, Regex.Count(html, "<svg "));
        foreach (string server in new[] { "WsFast", "Bun", "Node", "Kestrel" })
        {
            Assert.Contains($">{server}</text>", html);
        }
    }

    [Fact]
    public void Other_servers_follow_by_name_when_no_order_is_given()
    {
        WriteFourServers();
        string markdown = ComparisonReport.Save(_runs, _runs, "wsfast");
        Assert.Contains("# WsFast vs Bun vs Kestrel vs Node", markdown);
        Assert.Contains("| WsFast/Bun | WsFast/Kestrel | WsFast/Node |", markdown);
    }

    [Fact]
    public void Rounds_give_medians_and_the_median_of_same_round_ratios()
    {
        // WsFast 100, 300, 200 msg/s; Kestrel 100, 100, 400: medians 200 and 100, but the rounds' own ratios are
        // 1, 3 and 0.5, whose median is 1.
        double[] wsfast = [100, 300, 200];
        double[] kestrel = [100, 100, 400];
        for (int round = 1; round <= 3; round++)
        {
            Write("WsFast", $"01-ws-echo-100/round-{round}", Echo(wsfast[round - 1], 5));
            Write("Kestrel", $"01-ws-echo-100/round-{round}", Echo(kestrel[round - 1], 10));
        }

        Write("Kestrel", "01-ws-echo-100/round-x", Echo(1_000_000, 1)); // not a round folder: ignored
        string markdown = ComparisonReport.Save(_runs, _runs, "WsFast", ["Kestrel"]);

        Assert.Contains("(1 case × 2 servers × 3 rounds)", markdown);
        Assert.Contains("median of up to 3 rounds", markdown);
        Assert.Contains("| 01-ws-echo-100 | ws-echo | 100 | 32 B | 200 | 100 | 1.00× |", markdown);
        CsvTable csv = CsvTable.Read(Path.Combine(_runs, "comparison.csv"));
        CsvRow row = csv.Rows.Single(r => r["server"] == "Kestrel");
        Assert.Equal(3, row.Number("rounds"));
        Assert.Equal(100, row.Number("rate_per_s"));
        Assert.Equal(1, row.Number("subject_rate_ratio"));
    }

    [Fact]
    public void Median_of_an_even_count_is_the_mean_of_the_middle_two()
    {
        Assert.Equal(2.5, RunRecord.MedianOf([4, 1, 3, 2]));
        Assert.Equal(3, RunRecord.MedianOf([3]));
        Assert.Null(RunRecord.MedianOf([]));
    }

    private void WriteFourServers()
    {
        (string Server, double Rate, double Cpu, double Rss, double Connect)[] servers =
        [
            ("WsFast", 100_000, 5, 4096, 0.5), ("Bun", 125_000, 4, 2048, 0.4), ("Node", 40_000, 12.5, 8192, 1), ("Kestrel", 50_000, 10, 16384, 2),
        ];
        foreach ((string server, double rate, double cpu, double rss, double connect) in servers)
        {
            Write(server, "01-ws-echo-100", Echo(rate, cpu));
            Write(server, "02-ws-idle-10000", Line("ws-idle", "idle", 10_000, rate: 0, p50: null, cpu: null, rss: rss, connect: connect));
            double scale = server == "WsFast" ? 1 : 1.5;
            Write(server, "03-ws-broadcast-1000", Line("ws-broadcast", "feed", 1000, rate: 10_000, p50: 1000 * scale, cpu: 1, feed: (70, 0, 64)));
            Write(server, "04-poll-long-1000", Line("poll-long", "feed", 1000, rate: 10_000, p50: 3000 * scale, cpu: 3, feed: (400, 1200, 64)));
        }
    }

    private static string Echo(double rate, double cpu) => Line("ws-echo", "32 B", 100, rate, p50: 100, cpu: cpu);

    // One report.csv line in Header's columns; p99 is 4 × p50 for a feed and 2 × p50 otherwise.
    private static string Line(
        string scenario, string settings, int clients, double rate, double? p50, double? cpu, double? rss = null, double? connect = null,
        (double In, double Out, double Payload)? feed = null)
    {
        string F(double? v) => v is double x ? x.ToString(CultureInfo.InvariantCulture) : "";
        double? p99 = p50 * (feed is null ? 2 : 4);
        double? handshakes = connect is double c ? clients / c : null;
        return string.Join(',',
            "2025-01-02T03:04:05Z", scenario, "ws://127.0.0.1:1/x", settings, F(clients), F(clients), "8", F(rate), F(p50), F(p99), F(cpu), F(rss),
            "0", feed is null ? "" : F(rate * 8), F(feed?.In), F(feed?.Out), F(feed?.Payload), feed is null ? "" : "10", F(connect), F(handshakes));
    }

    private void Write(string server, string caseFolder, string line)
    {
        string folder = Path.Combine(_runs, server, caseFolder);
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "report.csv"), Header + "\n" + line + "\n");
    }
}
