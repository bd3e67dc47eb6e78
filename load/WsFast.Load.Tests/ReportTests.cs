using WsFast.Load.Engine;
using WsFast.Load.Reports;
using WsFast.Load.Server;

namespace WsFast.Load.Tests;

public class ReportTests
{
    private static RunReport SampleReport()
    {
        var stats = new WorkerStats();
        for (int i = 1; i <= 1000; i++)
        {
            stats.RecordSent(38);
            stats.RecordReceived(34, 32, i * 1_000L); // 1 µs .. 1 ms
        }

        stats.RecordError(ErrorKind.PayloadMismatch);
        var simulation = new LoadSimulation.KeepConstant(100, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2));
        var result = new ScenarioResult("ws-echo", simulation, stats, TimeSpan.FromSeconds(10), 100);
        return new RunReport(new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.Zero), "ws://127.0.0.1:8080/echo", "32 B text, 1 in flight", result, server: null, self: null);
    }

    [Fact]
    public void Markdown_contains_the_figures()
    {
        string markdown = MarkdownReport.Write(SampleReport());
        Assert.Contains("## ws-echo: 100 clients, 32 B text, 1 in flight", markdown);
        Assert.Contains("| messages received | 1,000 |", markdown);
        Assert.Contains("| rate (messages/s) | 100 |", markdown);
        Assert.Equal(500, RowValue(markdown, "latency p50 (µs)"), 500 * LatencyHistogram.RelativePrecision);
        Assert.Equal(990, RowValue(markdown, "latency p99 (µs)"), 990 * LatencyHistogram.RelativePrecision);
        Assert.Equal(999, RowValue(markdown, "latency p99.9 (µs)"), 999 * LatencyHistogram.RelativePrecision);
        Assert.Contains("| latency max (µs) | 1000.0 |", markdown);
        Assert.Contains("| server CPU per message (µs) | n/a |", markdown);
        Assert.Contains("| errors | PayloadMismatch 1 |", markdown);
    }

    [Fact]
    public void Csv_has_a_header_and_one_line_of_figures_per_run()
    {
        RunReport report = SampleReport();
        string[] lines = CsvReport.Write([report, report]).TrimEnd().Split(Environment.NewLine);
        Assert.Equal(3, lines.Length);
        string[] header = lines[0].Split(',');
        string[] cells = lines[1].Split(',');
        Assert.Equal(header.Length, cells.Length - 1); // the settings cell holds a comma and is quoted
        Assert.StartsWith("started_utc,scenario,target,settings,clients", lines[0]);
        Assert.Contains("\"32 B text, 1 in flight\"", lines[1]);
        Assert.Contains(",1000,1000,100,", lines[1]); // sent, received, rate
        Assert.Equal("1", lines[1].Split(',')[Array.IndexOf(header, "errors") + 1]); // one error (+1: the quoted settings cell)
    }

    [Fact]
    public void Csv_appends_the_delivery_columns_after_the_original_ones()
    {
        var stats = new WorkerStats();
        for (int i = 0; i < 1000; i++)
        {
            stats.RecordDelivered(64, 10_000);
        }

        stats.RecordBytesReceived(80_000);
        stats.RecordSent(20_000); // one request
        stats.RecordLost(3);
        var feed = new WorkerStats();
        feed.RecordSent(200);
        feed.RecordMissed(2);
        var simulation = new LoadSimulation.KeepConstant(10, TimeSpan.FromSeconds(2), TimeSpan.Zero, TimeSpan.Zero);
        var result = new ScenarioResult("poll-short", simulation, stats, TimeSpan.FromSeconds(2), 10, feed);
        var probe = new FakeServerProbe(
            new ServerSample(1, TimeSpan.Zero, null), new ServerSample(1, TimeSpan.FromSeconds(1), null), new ServerSample(1, TimeSpan.FromSeconds(1.5), null));
        var report = new RunReport(DateTimeOffset.UnixEpoch, "ws://x/broadcast/t", "s", result, probe.Probe, self: null) { AskedRate = 100, IntervalMilliseconds = 250 };

        string[] lines = CsvReport.Write([report]).TrimEnd().Split(Environment.NewLine);
        string[] header = lines[0].Split(',');
        string[] cells = lines[1].Split(',');
        Assert.Equal(header.Length, cells.Length);
        Assert.Equal("errors", header[27]); // the original columns keep their places
        Assert.Equal(
            ["delivered", "delivered_per_s", "lost", "wire_bytes_in_per_delivery", "wire_bytes_out_per_delivery", "payload_bytes_per_delivery",
             "header_overhead_ratio", "server_cpu_s_per_1000_deliveries", "publish_rate", "interval_ms", "published", "missed_slots",
             "connect_s", "handshakes_per_s"],
            header[28..42]);
        Assert.Equal(["1000", "500", "3", "80", "20", "64", "0.25", "0.5", "100", "250", "1", "2", "", ""], cells[28..42]);
        Assert.DoesNotContain("handshakes per second", MarkdownReport.Write(report), StringComparison.Ordinal);

        string markdown = MarkdownReport.Write(report);
        Assert.Contains("| header overhead ((wire in − payload) / payload) | 0.250 |", markdown);
        Assert.Contains("| server CPU s per 1,000 deliveries | 0.5000 |", markdown);
        Assert.Contains("| lost (sequence gaps, all clients) | 3 |", markdown);
    }

    [Fact]
    public void Connect_time_gives_the_handshake_rate()
    {
        var simulation = new LoadSimulation.KeepConstant(10_000, TimeSpan.FromSeconds(2), TimeSpan.Zero, TimeSpan.Zero);
        var result = new ScenarioResult("ws-idle", simulation, new WorkerStats(), TimeSpan.FromSeconds(2), 10_000);
        var report = new RunReport(DateTimeOffset.UnixEpoch, "ws://x/echo", "idle", result, server: null, self: null) { ConnectTime = TimeSpan.FromSeconds(0.8) };

        Assert.Equal(12_500, report.HandshakesPerSecond!.Value, precision: 6);
        string[] lines = CsvReport.Write([report]).TrimEnd().Split(Environment.NewLine);
        Assert.Equal(["connect_s", "handshakes_per_s"], lines[0].Split(',')[40..42]);
        Assert.Equal(["0.8", "12500"], lines[1].Split(',')[40..42]);
        Assert.Contains("| handshakes per second | 12,500 |", MarkdownReport.Write(report), StringComparison.Ordinal);
    }

    [Fact]
    public void Server_figures_are_derived_from_the_window_samples()
    {
        ScenarioResult result = ThousandEchoesInOneSecond();
        var probe = new FakeServerProbe(
            new ServerSample(10_000_000, TimeSpan.FromSeconds(5), new HealthSnapshot(0, 0, 0, 1_000)),
            new ServerSample(10_100_000, TimeSpan.FromSeconds(6), new HealthSnapshot(10, 0, 0, 2_000)),
            new ServerSample(10_200_000, TimeSpan.FromSeconds(6.5), new HealthSnapshot(10, 1000, 1000, 2_500)));
        var report = new RunReport(DateTimeOffset.UnixEpoch, "ws://x/echo", "s", result, probe.Probe, self: null);

        Assert.Equal(500, report.ServerCpuMicrosecondsPerMessage!.Value, precision: 6); // 0.5 s over 1,000 messages
        Assert.Equal(50, report.ServerCpuPercent!.Value, precision: 6);
        Assert.Equal(0.5, report.ServerAllocatedBytesPerMessage!.Value, precision: 6);
        Assert.Equal(10_000, report.ServerRssBytesPerConnection!.Value, precision: 6); // 100,000 B over 10 clients
        Assert.Equal(1000, report.ServerMessagesIn);

        string markdown = MarkdownReport.Write(report);
        Assert.Contains("| server CPU per message (µs) | 500.00 |", markdown);
        Assert.Contains("| server allocated per message (B) | 0.500 |", markdown);
        Assert.Contains("| server RSS per connection | 9.8 KiB |", markdown);
    }

    [Fact]
    public void Healthz_counters_are_read_from_the_json()
    {
        HealthSnapshot health = HealthSnapshot.Parse("""{"status":"ok","connections":3,"messagesIn":10,"messagesOut":9,"allocatedBytes":123456789012}""");
        Assert.Equal(new HealthSnapshot(3, 10, 9, 123456789012), health);
        Assert.Equal(-1, HealthSnapshot.Parse("{}").AllocatedBytes);
    }

    [Fact]
    public void Cpu_time_is_read_from_proc_stat_even_with_spaces_in_the_name()
    {
        string stat = "1234 (Ws Fast (x)) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 10 0 100 1000 200 18446744073709551615";
        Assert.Equal(TimeSpan.FromSeconds(3), ProcFsAccess.ParseCpuTime(stat, 100));
    }

    [Fact]
    public void Server_cpu_per_message_is_split_into_user_and_kernel_time()
    {
        string stat = "1234 (server) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 10 0 100 1000 200 18446744073709551615";
        Assert.Equal((TimeSpan.FromSeconds(2.5), TimeSpan.FromSeconds(0.5)), WsFast.Load.Server.ProcFs.ParseCpuTimes(stat, 100));

        ScenarioResult result = ThousandEchoesInOneSecond();
        var probe = new FakeServerProbe(
            new ServerSample(10_000_000, TimeSpan.FromSeconds(5), null) { KernelCpuTime = TimeSpan.FromSeconds(3) },
            new ServerSample(10_100_000, TimeSpan.FromSeconds(6), null) { KernelCpuTime = TimeSpan.FromSeconds(3.5) },
            new ServerSample(10_200_000, TimeSpan.FromSeconds(6.5), null) { KernelCpuTime = TimeSpan.FromSeconds(3.85) });
        var report = new RunReport(DateTimeOffset.UnixEpoch, "ws://x/echo", "s", result, probe.Probe, self: null);

        // 0.5 s over 1,000 echoes: 350 µs of it in the kernel, 150 µs in the server's own code.
        Assert.Equal(500, report.ServerCpuMicrosecondsPerMessage!.Value, precision: 6);
        Assert.Equal(150, report.ServerUserCpuMicrosecondsPerMessage!.Value, precision: 6);
        Assert.Equal(350, report.ServerKernelCpuMicrosecondsPerMessage!.Value, precision: 6);
        string[] lines = CsvReport.Write([report]).TrimEnd().Split(Environment.NewLine);
        int user = Array.IndexOf(lines[0].Split(','), "server_cpu_user_us_per_msg");
        Assert.Equal(["server_cpu_user_us_per_msg", "server_cpu_kernel_us_per_msg"], lines[0].Split(',')[user..(user + 2)]);
        Assert.Equal(["150", "350"], lines[1].Split(',')[user..(user + 2)]);
        Assert.Contains("| of which user / kernel (µs) | 150.00 / 350.00 |", MarkdownReport.Write(report));
    }

    // The number in the value column of the table row named `name`.
    private static double RowValue(string markdown, string name)
    {
        string prefix = $"| {name} | ";
        string line = markdown.Split('\n').Single(l => l.StartsWith(prefix, StringComparison.Ordinal));
        return double.Parse(line.Substring(prefix.Length).TrimEnd(' ', '|', '\r'), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>A <see cref="ServerProbe"/> whose samples are given rather than measured.</summary>
    [Fact]
    public void The_bottleneck_verdict_is_the_last_csv_column_and_a_markdown_row()
    {
        ScenarioResult result = ThousandEchoesInOneSecond();
        var probe = new FakeServerProbe(
            new ServerSample(10_000_000, TimeSpan.FromSeconds(5), null),
            new ServerSample(10_100_000, TimeSpan.FromSeconds(6), null),
            new ServerSample(10_200_000, TimeSpan.FromSeconds(6.95), null)); // 95% of a core
        var report = new RunReport(DateTimeOffset.UnixEpoch, "ws://x/echo", "s", result, probe.Probe, self: null)
        {
            LoadCpus = new HashSet<int> { 1 },
            ServerCpus = new HashSet<int> { 0 },
        };

        Assert.Equal("server", report.Bottleneck); // the tool's CPU time is unknown, the server's core was full
        string[] lines = CsvReport.Write([report]).TrimEnd().Split(Environment.NewLine);
        string[] header = lines[0].Split(',');
        string[] cells = lines[1].Split(',');
        int first = Array.IndexOf(header, "load_cpus");
        Assert.Equal(["load_cpus", "server_cpus", "bottleneck", "load_receive_threads"], header[first..(first + 4)]);
        Assert.Equal(["1", "1", "server", ""], cells[first..(first + 4)]);
        Assert.Contains("| bottleneck (≥ 90% of the CPUs it may use) | server: load tool n/a, server 95% of 1 CPU (0) |", MarkdownReport.Write(report));

        var unknown = new RunReport(DateTimeOffset.UnixEpoch, "ws://x/echo", "s", result, server: null, self: null);
        Assert.Equal(["", "", "", ""], CsvReport.Write([unknown]).TrimEnd().Split(Environment.NewLine)[1].Split(',')[first..(first + 4)]);
        Assert.Contains("| bottleneck (≥ 90% of the CPUs it may use) | n/a: load tool n/a, server n/a |", MarkdownReport.Write(unknown));
    }

    private sealed class FakeServerProbe
    {
        public FakeServerProbe(ServerSample baseline, ServerSample start, ServerSample end)
        {
            Probe = new ServerProbe(pid: 42, new Uri("http://127.0.0.1:1/"));
            Probe.Record(RunPhase.Baseline, baseline);
            Probe.Record(RunPhase.WindowStart, start);
            Probe.Record(RunPhase.WindowEnd, end);
        }

        public ServerProbe Probe { get; }
    }

    private static class ProcFsAccess
    {
        public static TimeSpan ParseCpuTime(string stat, long ticks) => WsFast.Load.Server.ProcFs.ParseCpuTime(stat, ticks);
    }

    // 1,000 echoes of 32 B received by 10 clients in a one-second window.
    [Fact]
    public void The_deflate_agreement_and_the_share_received_compressed_are_reported()
    {
        var stats = new WorkerStats();
        stats.RecordDeflate("permessage-deflate; server_no_context_takeover");
        stats.RecordDeflate("permessage-deflate; server_no_context_takeover");
        for (int i = 0; i < 4; i++)
        {
            stats.RecordReceived(200, 1024, 10_000);
            if (i > 0)
            {
                stats.RecordCompressed();
            }
        }

        var merged = new WorkerStats();
        merged.Add(stats);
        var simulation = new LoadSimulation.KeepConstant(2, TimeSpan.FromSeconds(1), TimeSpan.Zero, TimeSpan.Zero);
        var report = new RunReport(DateTimeOffset.UnixEpoch, "ws://x/broadcast/t", "1024 B, deflate offered", new ScenarioResult("ws-broadcast", simulation, merged, TimeSpan.FromSeconds(1), 2), server: null, self: null);

        string[] lines = CsvReport.Write([report]).TrimEnd().Split(Environment.NewLine);
        int first = Array.IndexOf(lines[0].Split(','), "deflate");
        Assert.Equal(["deflate", "deflate_clients", "compressed_share"], lines[0].Split(',')[first..(first + 3)]);
        Assert.Contains(",permessage-deflate; server_no_context_takeover,2,0.75,", lines[1]);
        string markdown = MarkdownReport.Write(report);
        Assert.Contains("| permessage-deflate agreed | `permessage-deflate; server_no_context_takeover` (2 clients) |", markdown);
        Assert.Contains("| messages received compressed | 75.0 % |", markdown);
        Assert.Equal(200, RowValue(markdown, "wire bytes in per delivery (clients received, headers included)"));
    }

    // 10 clients over TLS connect with 0.5 s of server CPU from the baseline to the window's start: 50 ms each.
    [Fact]
    public void The_TLS_agreement_and_the_server_CPU_per_connection_are_reported()
    {
        var stats = new WorkerStats();
        for (int i = 0; i < 10; i++)
        {
            stats.RecordTls("Tls13 TLS_AES_256_GCM_SHA384");
        }

        var merged = new WorkerStats();
        merged.Add(stats);
        var simulation = new LoadSimulation.KeepConstant(10, TimeSpan.FromSeconds(1), TimeSpan.Zero, TimeSpan.Zero);
        var probe = new FakeServerProbe(
            new ServerSample(10_000_000, TimeSpan.FromSeconds(5), null),
            new ServerSample(10_100_000, TimeSpan.FromSeconds(5.5), null),
            new ServerSample(10_100_000, TimeSpan.FromSeconds(5.5), null));
        var report = new RunReport(DateTimeOffset.UnixEpoch, "wss://x/echo", "idle, TLS", new ScenarioResult("ws-idle", simulation, merged, TimeSpan.FromSeconds(1), 10), probe.Probe, self: null)
        {
            ConnectTime = TimeSpan.FromSeconds(0.5),
        };

        Assert.Equal(50_000, report.ServerCpuMicrosecondsPerConnection!.Value, 1e-6);
        string[] lines = CsvReport.Write([report]).TrimEnd().Split(Environment.NewLine);
        Assert.Equal(["tls", "server_cpu_us_per_conn"], lines[0].Split(',')[^2..]);
        Assert.EndsWith(",Tls13 TLS_AES_256_GCM_SHA384,50000", lines[1]);
        string markdown = MarkdownReport.Write(report);
        Assert.Contains("| TLS agreed | Tls13 TLS_AES_256_GCM_SHA384 (10 clients) |", markdown);
        Assert.Contains("| server CPU per connection, connecting and settling (µs) | 50000.0 |", markdown);

        // Without TLS the cell is empty and the row absent.
        var plain = new RunReport(DateTimeOffset.UnixEpoch, "ws://x/echo", "idle", ThousandEchoesInOneSecond(), server: null, self: null);
        Assert.EndsWith(",,", CsvReport.Write([plain]).TrimEnd());
        Assert.DoesNotContain("TLS agreed", MarkdownReport.Write(plain));
    }

    private static ScenarioResult ThousandEchoesInOneSecond()
    {
        var stats = new WorkerStats();
        for (int i = 0; i < 1000; i++)
        {
            stats.RecordReceived(34, 32, 10_000);
        }

        var simulation = new LoadSimulation.KeepConstant(10, TimeSpan.FromSeconds(1), TimeSpan.Zero, TimeSpan.Zero);
        return new ScenarioResult("ws-echo", simulation, stats, TimeSpan.FromSeconds(1), 10);
    }
}
