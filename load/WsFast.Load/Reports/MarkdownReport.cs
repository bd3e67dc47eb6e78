using System.Globalization;
using System.Text;

namespace WsFast.Load.Reports;

/// <summary>Writes a run's report as Markdown: one table of key figures, then latency, server and errors.</summary>
public static class MarkdownReport
{
    /// <summary>The Markdown text of <paramref name="report"/>.</summary>
    public static string Write(RunReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var text = new StringBuilder();
        var r = report.Result;
        var s = r.Stats;
        text.AppendLine(CultureInfo.InvariantCulture, $"## {r.Scenario}: {r.Simulation.PeakClients:N0} clients, {report.Settings}");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"- target: `{report.Target}`, started {report.StartedAt:yyyy-MM-dd HH:mm:ss} UTC");
        text.AppendLine(CultureInfo.InvariantCulture, $"- load: {r.Simulation.Describe()}; {r.ClientsReady:N0} clients ready; window {r.Window.TotalSeconds:0.00} s");
        text.AppendLine();
        text.AppendLine("| figure | value |");
        text.AppendLine("|---|---|");
        Row(text, "messages received", Figures.Format(s.MessagesReceived));
        Row(text, "messages sent", Figures.Format(s.MessagesSent));
        Row(text, "rate (messages/s)", Figures.Format(report.Rate, "N0"));
        Row(text, "bottleneck (≥ 90% of the CPUs it may use)",
            $"{report.Bottleneck ?? "n/a"}: {Bottleneck.Describe(report.LoadCpuPercent, report.LoadCpus, report.ServerCpuPercent, report.ServerCpus)}");
        Row(text, "bytes sent / received", $"{Figures.Bytes(s.BytesSent)} / {Figures.Bytes(s.BytesReceived)}");
        foreach (double p in RunReport.Percentiles)
        {
            Row(text, $"latency p{p.ToString(CultureInfo.InvariantCulture)} (µs)", Figures.Format(report.LatencyMicroseconds(p)));
        }

        Row(text, "latency max (µs)", Figures.Format(report.MaxLatencyMicroseconds));
        Row(text, "server PID", report.ServerPid?.ToString(CultureInfo.InvariantCulture) ?? "n/a");
        Row(text, "server CPU (% of one core)", Figures.Format(report.ServerCpuPercent));
        Row(text, "server CPU per message (µs)", Figures.Format(report.ServerCpuMicrosecondsPerMessage, "0.00"));
        Row(text, "of which user / kernel (µs)", report.ServerKernelCpuMicrosecondsPerMessage is null
            ? "n/a"
            : $"{Figures.Format(report.ServerUserCpuMicrosecondsPerMessage, "0.00")} / {Figures.Format(report.ServerKernelCpuMicrosecondsPerMessage, "0.00")}");
        Row(text, "server allocated in window", Figures.Bytes(report.ServerAllocatedBytes));
        Row(text, "server allocated per message (B)", Figures.Format(report.ServerAllocatedBytesPerMessage, "0.000"));
        Row(text, "server messages in (healthz)", Figures.Format(report.ServerMessagesIn));
        Row(text, "server RSS before / at window start", $"{Figures.Bytes(report.ServerBaseline?.RssBytes)} / {Figures.Bytes(report.ServerStart?.RssBytes)}");
        Row(text, "server RSS per connection", Figures.Bytes(report.ServerRssBytesPerConnection is double b ? (long)b : null));
        Row(text, "server connections at window start (healthz)", Figures.Format(report.ServerStart?.Health?.Connections));
        Row(text, "load tool CPU (% of one core)", Figures.Format(report.LoadCpuPercent));
        Row(text, "load tool CPU per message (µs)", Figures.Format(report.LoadCpuMicrosecondsPerMessage, "0.00"));
        Row(text, "load tool receive threads (socket engines)", report.LoadReceiveThreads?.ToString(CultureInfo.InvariantCulture) ?? "n/a");
        Row(text, "delivered (messages to clients in the window)", Figures.Format(report.Delivered));
        Row(text, "delivered per second", Figures.Format(report.DeliveredPerSecond, "N0"));
        Row(text, "lost (sequence gaps, all clients)", Figures.Format(report.Lost));
        Row(text, "wire bytes in per delivery (clients received, headers included)", Figures.Format(report.WireBytesInPerDelivery, "0.0"));
        Row(text, "wire bytes out per delivery (clients sent)", Figures.Format(report.WireBytesOutPerDelivery, "0.0"));
        Row(text, "payload bytes per delivery", Figures.Format(report.PayloadBytesPerDelivery, "0.0"));
        Row(text, "header overhead ((wire in − payload) / payload)", Figures.Format(report.HeaderOverheadRatio, "0.000"));
        if (report.DeflateAgreement is not null || report.Settings.Contains("deflate offered", StringComparison.Ordinal))
        {
            Row(text, "permessage-deflate agreed", report.DeflateAgreement is string agreed ? $"`{agreed}` ({report.DeflateClients:N0} clients)" : "declined");
            Row(text, "messages received compressed", report.CompressedShare is double share ? Figures.Format(100 * share, "0.0") + " %" : "n/a");
        }

        if (report.TlsAgreement is not null)
        {
            Row(text, "TLS agreed", $"{report.TlsAgreement} ({report.TlsClients:N0} clients)");
        }

        Row(text, "server CPU s per 1,000 deliveries", Figures.Format(report.ServerCpuSecondsPer1000Deliveries, "0.0000"));
        Row(text, "rate asked (messages/s)", Figures.Format(report.AskedRate, "0.##"));
        Row(text, "poll interval (ms)", Figures.Format(report.IntervalMilliseconds, "0.##"));
        Row(text, "published in window (messages/s)", report.Published is long published ? $"{published:N0} ({Figures.Format(report.PublishedPerSecond, "N0")}/s)" : "n/a");
        Row(text, "paced slots missed (over 100 ms late)", Figures.Format(report.MissedSlots));
        if (report.ConnectTime is TimeSpan connect)
        {
            Row(text, "connect time, first connect to last handshake (s)", Figures.Format(connect.TotalSeconds, "0.000"));
            Row(text, "handshakes per second", Figures.Format(report.HandshakesPerSecond, "N0"));
            Row(text, "server CPU per connection, connecting and settling (µs)", Figures.Format(report.ServerCpuMicrosecondsPerConnection, "0.0"));
        }

        string errors = string.Join(", ", report.Errors.Select(e => $"{e.Kind} {e.Count:N0}"));
        Row(text, "errors", errors.Length == 0 ? "none" : errors);
        if (report.Nodes.Count > 0)
        {
            WriteNodes(text, report);
        }

        return text.ToString();
    }

    // The subscribers by node (ws-broadcast --subscribe-urls), every node together, and the broker's CPU.
    private static void WriteNodes(StringBuilder text, RunReport report)
    {
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"### Subscribers by node (client i on node i mod {report.Nodes.Count}; published on the target's server)");
        text.AppendLine();
        text.AppendLine("| node | subscribers (connections at window start) | delivered/s | of published × subscribers | lost | out of order | silent subscribers | p50 (µs) | p99 (µs) | max (µs) | server PID | server CPU (% of one core) | server CPU per delivery (µs) |");
        text.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (NodeFigures node in report.Nodes)
        {
            NodeRow(text, $"{node.Number}: `{node.Url}`", node);
        }

        if (report.AllNodes is { } all)
        {
            NodeRow(text, "all (every server process's CPU)", all);
        }

        if (report.BrokerPid is int broker)
        {
            string percent = Figures.Format(report.BrokerCpu is TimeSpan cpu && report.Result.Window > TimeSpan.Zero ? 100 * cpu / report.Result.Window : null);
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| broker (per delivery to any node) | | | | | | | | | | {broker} | {percent} | {Figures.Format(report.BrokerCpuMicrosecondsPerDelivery, "0.00")} |");
        }
    }

    private static void NodeRow(StringBuilder text, string name, NodeFigures node) =>
        text.AppendLine(CultureInfo.InvariantCulture,
            $"| {name} | {node.Subscribers:N0} ({Figures.Format(node.ConnectionsAtWindowStart)}) | {Figures.Format(node.DeliveredPerSecond, "N0")} | " +
            $"{Figures.Format(node.DeliveredShare, "0.000")} | {node.Lost:N0} | {node.OutOfOrder:N0} | {node.Silent:N0} | " +
            $"{Figures.Format(node.LatencyMicroseconds(50))} | {Figures.Format(node.LatencyMicroseconds(99))} | {Figures.Format(node.MaxLatencyMicroseconds)} | " +
            $"{node.ServerPid?.ToString(CultureInfo.InvariantCulture) ?? "n/a"} | {Figures.Format(node.ServerCpuPercent)} | {Figures.Format(node.ServerCpuMicrosecondsPerDelivery, "0.00")} |");

    private static void Row(StringBuilder text, string name, string value) =>
        text.AppendLine(CultureInfo.InvariantCulture, $"| {name} | {value} |");
}
