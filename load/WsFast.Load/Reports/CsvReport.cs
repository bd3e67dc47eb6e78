using System.Globalization;
using System.Text;

namespace WsFast.Load.Reports;

/// <summary>Writes runs' reports as CSV: one header line, one line per run, invariant numbers, empty when missing.</summary>
/// <remarks>
/// The columns are a stable interface (other scripts read them by name): new columns are only ever appended.
/// <list type="bullet">
/// <item>started_utc .. errors: as before. For feed scenarios, messages_sent counts the clients' requests (polls;
/// 0 for ws-broadcast and sse), messages_received and rate_per_s the deliveries, bytes_* the clients' wire bytes.</item>
/// <item>delivered: messages delivered to the clients in the window, over all clients (ws-echo: echoes received).</item>
/// <item>delivered_per_s: delivered per second of the window.</item>
/// <item>lost: feed messages lost, the gaps in the sequence numbers each client received, summed over clients
/// (0 for ws-echo and ws-idle).</item>
/// <item>wire_bytes_in_per_delivery: bytes the clients received at the socket (WebSocket frames with headers;
/// HTTP response heads, chunk framing and event-stream framing) per delivery.</item>
/// <item>wire_bytes_out_per_delivery: bytes the clients sent at the socket (frames; HTTP request lines and
/// headers) per delivery. The publisher's own traffic is in neither.</item>
/// <item>payload_bytes_per_delivery: payload bytes per delivery.</item>
/// <item>header_overhead_ratio: (wire bytes received − payload bytes) / payload bytes.</item>
/// <item>server_cpu_s_per_1000_deliveries: server CPU seconds (utime + stime of /proc/pid/stat) in the window per
/// 1,000 deliveries; empty without a server PID.</item>
/// <item>publish_rate: the rate asked for in messages/s (feeds: the publisher's --rate; ws-echo: its --rate);
/// empty when unpaced.</item>
/// <item>interval_ms: poll-short's --interval; empty otherwise.</item>
/// <item>published: messages the feed's publisher sent in the window; empty for ws-echo and ws-idle.</item>
/// <item>missed_slots: paced slots (publishes, paced echoes, short polls) skipped in the window for being over
/// 100 ms late.</item>
/// <item>connect_s: seconds from the first client's connect to the last one's handshake (ws-idle); empty otherwise.</item>
/// <item>handshakes_per_s: clients ready per second of connect_s.</item>
/// <item>load_cpus, server_cpus: how many CPUs the load tool and the server were allowed to run on (their
/// affinity, as <c>taskset</c> set it); empty when unknown.</item>
/// <item>bottleneck: which side limited the run, by <see cref="Bottleneck"/>'s rule: <c>tool</c> or
/// <c>server</c> when that process used at least 90% of the CPUs it was allowed and the other less, <c>both</c>,
/// <c>shared</c> (they may use the same CPUs and together kept them 90% busy), <c>neither</c>; empty when unknown.</item>
/// <item>load_receive_threads: the load tool's socket engine threads when the window opened, the threads its
/// clients receive on (one per CPU it may use, unless DOTNET_SYSTEM_NET_SOCKETS_THREAD_COUNT says otherwise).</item>
/// <item>server_cpu_user_us_per_msg, server_cpu_kernel_us_per_msg: server_cpu_us_per_msg split into user time
/// (utime: the server's own code) and system time (stime: its system calls and, on loopback, the TCP work the
/// kernel does on its behalf).</item>
/// <item>deflate: the Sec-WebSocket-Extensions the server agreed to (<c>permessage-deflate</c> and its parameters)
/// when the clients offered it (<c>--deflate</c>); empty otherwise.</item>
/// <item>deflate_clients: clients whose server agreed to permessage-deflate.</item>
/// <item>compressed_share: the share of data messages received in the window that came compressed (RSV1); their
/// wire bytes are in wire_bytes_in_per_delivery as they were on the socket, their payload bytes as inflated.</item>
/// <item>tls: the TLS protocol and cipher suite the server agreed to (e.g. <c>Tls13 TLS_AES_256_GCM_SHA384</c>) when
/// the clients connected over TLS (wss://); empty otherwise. Wire bytes are WebSocket bytes, before TLS records.</item>
/// <item>server_cpu_us_per_conn: server CPU µs from before the first connect to the window's start, per client
/// ready: the connect phase's cost per connection (TCP, TLS and WebSocket handshakes), the settle included.</item>
/// </list>
/// </remarks>
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
        "delivered", "delivered_per_s", "lost", "wire_bytes_in_per_delivery", "wire_bytes_out_per_delivery",
        "payload_bytes_per_delivery", "header_overhead_ratio", "server_cpu_s_per_1000_deliveries", "publish_rate", "interval_ms",
        "published", "missed_slots", "connect_s", "handshakes_per_s", "load_cpus", "server_cpus", "bottleneck", "load_receive_threads",
        "server_cpu_user_us_per_msg", "server_cpu_kernel_us_per_msg", "deflate", "deflate_clients", "compressed_share",
        "tls", "server_cpu_us_per_conn",
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
            cells.Add(Number(report.Delivered));
            cells.Add(Number(report.DeliveredPerSecond));
            cells.Add(Number(report.Lost));
            cells.Add(Number(report.WireBytesInPerDelivery));
            cells.Add(Number(report.WireBytesOutPerDelivery));
            cells.Add(Number(report.PayloadBytesPerDelivery));
            cells.Add(Number(report.HeaderOverheadRatio));
            cells.Add(Number(report.ServerCpuSecondsPer1000Deliveries));
            cells.Add(Number(report.AskedRate));
            cells.Add(Number(report.IntervalMilliseconds));
            cells.Add(Number(report.Published));
            cells.Add(Number(report.MissedSlots));
            cells.Add(Number(report.ConnectTime?.TotalSeconds));
            cells.Add(Number(report.HandshakesPerSecond));
            cells.Add(Number(report.LoadCpus?.Count));
            cells.Add(Number(report.ServerCpus?.Count));
            cells.Add(report.Bottleneck ?? "");
            cells.Add(Number(report.LoadReceiveThreads));
            cells.Add(Number(report.ServerUserCpuMicrosecondsPerMessage));
            cells.Add(Number(report.ServerKernelCpuMicrosecondsPerMessage));
            cells.Add(report.DeflateAgreement ?? "");
            cells.Add(Number(report.DeflateClients));
            cells.Add(Number(report.CompressedShare));
            cells.Add(report.TlsAgreement ?? "");
            cells.Add(Number(report.ServerCpuMicrosecondsPerConnection));
            text.AppendLine(string.Join(',', cells.Select(Quote)));
        }

        return text.ToString();
    }

    internal static string Number(double? value) => value is double v ? v.ToString("0.###", CultureInfo.InvariantCulture) : "";

    internal static string Number(long? value) => value is long v ? v.ToString(CultureInfo.InvariantCulture) : "";

    // RFC 4180: a cell with a comma, quote or line break is quoted, its quotes doubled.
    internal static string Quote(string cell) =>
        cell.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + cell.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : cell;
}
