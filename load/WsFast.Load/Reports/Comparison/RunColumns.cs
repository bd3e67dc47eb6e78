namespace WsFast.Load.Reports.Comparison;

/// <summary>
/// Names of report.csv and timeline.csv columns the comparison reads. The delivery columns come from the
/// feed scenarios (ws-broadcast, sse, poll-long, poll-short), the connect columns from ws-idle; older report.csv
/// files lack them.
/// </summary>
internal static class RunColumns
{
    public const string Scenario = "scenario";
    public const string Settings = "settings";
    public const string Clients = "clients";
    public const string ClientsReady = "clients_ready";
    public const string WindowSeconds = "window_s";
    public const string Rate = "rate_per_s";
    public const string P50 = "p50_us";
    public const string P75 = "p75_us";
    public const string P95 = "p95_us";
    public const string P99 = "p99_us";
    public const string P999 = "p99_9_us";
    public const string Max = "max_us";
    public const string ServerCpuPercent = "server_cpu_pct";
    public const string ServerCpuPerMessage = "server_cpu_us_per_msg";
    public const string ServerUserCpuPerMessage = "server_cpu_user_us_per_msg";
    public const string ServerKernelCpuPerMessage = "server_cpu_kernel_us_per_msg";
    public const string ServerAllocPerMessage = "server_alloc_bytes_per_msg";
    public const string ServerRssPerConnection = "server_rss_bytes_per_conn";
    public const string LoadCpuPercent = "load_cpu_pct";
    public const string Errors = "errors";
    public const string Delivered = "delivered";
    public const string DeliveredPerSecond = "delivered_per_s";
    public const string Lost = "lost";
    public const string WireBytesInPerDelivery = "wire_bytes_in_per_delivery";
    public const string WireBytesOutPerDelivery = "wire_bytes_out_per_delivery";
    public const string PayloadBytesPerDelivery = "payload_bytes_per_delivery";
    public const string HeaderOverheadRatio = "header_overhead_ratio";
    public const string ServerCpuSecondsPer1000Deliveries = "server_cpu_s_per_1000_deliveries";
    public const string PublishRate = "publish_rate";
    public const string IntervalMilliseconds = "interval_ms";
    public const string Published = "published";
    public const string MissedSlots = "missed_slots";
    public const string ConnectSeconds = "connect_s";
    public const string HandshakesPerSecond = "handshakes_per_s";
    public const string Deflate = "deflate";
    public const string DeflateClients = "deflate_clients";
    public const string CompressedShare = "compressed_share";
    public const string Tls = "tls";
    public const string ServerCpuPerConnection = "server_cpu_us_per_conn";
    public const string TimelineElapsed = "elapsed_s";
    public const string TimelineRate = "rate_per_s";

    /// <summary>The feed scenarios: one feed delivered by push, event stream or polling.</summary>
    public static readonly IReadOnlyList<string> FeedScenarios = ["ws-broadcast", "sse", "poll-long", "poll-short"];

    /// <summary>
    /// Whether <paramref name="run"/> delivered a feed: a feed scenario with the delivery columns (ws-echo's
    /// report.csv has them too, for its echoes).
    /// </summary>
    public static bool IsFeed(RunRecord run) => run.Text(Delivered) is not null && FeedScenarios.Contains(run.Text(Scenario));

    /// <summary>The latency percentile columns, with their labels, lowest first.</summary>
    public static readonly IReadOnlyList<(string Column, string Label)> Percentiles =
        [(P50, "p50"), (P75, "p75"), (P95, "p95"), (P99, "p99"), (P999, "p99.9")];
}
