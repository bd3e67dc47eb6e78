using System.Text;
using static WsFast.Load.Reports.CsvReport;

namespace WsFast.Load.Reports;

/// <summary>
/// Writes a run's figures per node as CSV (nodes.csv, beside report.csv, when the subscribers spread over several
/// servers): one line per node, then <c>all</c>, then <c>broker</c> when its PID was given.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>node: the node's number from 1 (the order of <c>--subscribe-urls</c>), <c>all</c> (every subscriber; the
/// CPU of every server process added up) or <c>broker</c> (only its PID and CPU; per delivery over all deliveries).</item>
/// <item>delivered_share: delivered / (published in the window × subscribers); about 1 when the node keeps up.</item>
/// <item>lost: gaps in the sequence numbers each subscriber received; out_of_order: messages at or below one already
/// received (a duplicate counts here); silent: subscribers that received nothing in the window.</item>
/// <item>p50_us, p99_us, max_us: publish (the tool's stamp before it sends the POST) to receipt.</item>
/// <item>cpu_s, cpu_pct, cpu_us_per_delivery: the process's utime + stime in the window, as seconds, as percent of
/// one core, and per delivery to the node's own subscribers (all: to every subscriber).</item>
/// </list>
/// </remarks>
public static class NodesCsv
{
    private static readonly string[] Columns =
    [
        "node", "url", "pid", "subscribers", "connections", "delivered", "delivered_per_s", "delivered_share",
        "lost", "out_of_order", "silent", "p50_us", "p99_us", "max_us", "cpu_s", "cpu_pct", "cpu_us_per_delivery",
    ];

    /// <summary>The CSV text of <paramref name="report"/>'s nodes.</summary>
    public static string Write(RunReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var text = new StringBuilder();
        text.AppendLine(string.Join(',', Columns));
        foreach (NodeFigures node in report.Nodes)
        {
            Line(text, Number(node.Number), node);
        }

        if (report.AllNodes is { } all)
        {
            Line(text, "all", all);
        }

        if (report.BrokerPid is int broker)
        {
            double seconds = report.Result.Window.TotalSeconds;
            string[] cells =
            [
                "broker", "", Number(broker), "", "", "", "", "", "", "", "", "", "", "",
                Number(report.BrokerCpu?.TotalSeconds), Number(report.BrokerCpu is TimeSpan cpu && seconds > 0 ? 100 * cpu.TotalSeconds / seconds : null),
                Number(report.BrokerCpuMicrosecondsPerDelivery),
            ];
            text.AppendLine(string.Join(',', cells.Select(Quote)));
        }

        return text.ToString();
    }

    private static void Line(StringBuilder text, string name, NodeFigures node)
    {
        string[] cells =
        [
            name, node.Url, Number(node.ServerPid), Number(node.Subscribers), Number(node.ConnectionsAtWindowStart),
            Number(node.Delivered), Number(node.DeliveredPerSecond), Number(node.DeliveredShare),
            Number(node.Lost), Number(node.OutOfOrder), Number(node.Silent),
            Number(node.LatencyMicroseconds(50)), Number(node.LatencyMicroseconds(99)), Number(node.MaxLatencyMicroseconds),
            Number(node.ServerCpu?.TotalSeconds), Number(node.ServerCpuPercent), Number(node.ServerCpuMicrosecondsPerDelivery),
        ];
        text.AppendLine(string.Join(',', cells.Select(Quote)));
    }
}
