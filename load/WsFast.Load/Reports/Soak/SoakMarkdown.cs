using System.Globalization;
using System.Text;
using WsFast.Load.Engine;
using WsFast.Load.Scenarios.Soak;

namespace WsFast.Load.Reports.Soak;

/// <summary>A soak's report as Markdown: the verdict, the trend of each series, the checks and the churn.</summary>
public static class SoakMarkdown
{
    /// <summary>The Markdown text; <paramref name="chartFile"/> is linked as the chart when given.</summary>
    public static string Write(SoakResult result, SoakVerdict verdict, DateTimeOffset startedAt, string? chartFile = null)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(verdict);
        SoakSettings s = result.Settings;
        var text = new StringBuilder();
        var c = CultureInfo.InvariantCulture;
        text.AppendLine(c, $"## soak: {s.Clients:N0} clients for {s.Duration.TotalSeconds:0} s, {s.ChurnPerSecond:P0} of them reconnecting every second");
        text.AppendLine();
        text.AppendLine(c, $"**Verdict: {(verdict.Passed ? "PASS" : "FAIL")}**");
        foreach (string failure in verdict.Failures)
        {
            text.AppendLine(c, $"- {failure}");
        }

        text.AppendLine();
        text.AppendLine(c, $"- target: `{s.Authority}`, server PID {result.ServerPid?.ToString(c) ?? "unknown"}, started {startedAt:yyyy-MM-dd HH:mm:ss} UTC");
        text.AppendLine(c, $"- clients: mix echo:broadcast:sse:poll {string.Join(':', s.Mix)}, {s.SlowConsumers} slow consumers among the WebSocket subscribers, from {s.SourceAddresses} loopback source address(es); ramp-up {s.RampUp.TotalSeconds:0} s, warm-up {s.WarmUp.TotalSeconds:0} s after it (left out of the trend test)");
        text.AppendLine(c, $"- feed: {s.Topics} topics, {s.Rate:0.##} messages/s each of {s.MessageSize} B; echo: {s.EchoSize} B every {s.EchoInterval.TotalSeconds:0.##} s per echo client");
        text.AppendLine();
        if (chartFile is not null)
        {
            text.AppendLine(c, $"![the server's series over time]({chartFile})");
            text.AppendLine();
        }

        text.AppendLine("### The server's series after the warm-up");
        text.AppendLine();
        text.AppendLine("Least-squares fit of one sample a second; a series trends up when the fitted growth exceeds the largest of 5% of its median, 3 standard errors of the fit's growth, and its resolution.");
        text.AppendLine();
        text.AppendLine("| series | samples | fitted start | fitted end | median | slope / min | growth | allowed | trend |");
        text.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---|");
        foreach (SeriesTrend series in verdict.Series)
        {
            TrendResult t = series.Trend;
            SeriesDefinition d = series.Definition;
            string judged = !t.Judged ? "not judged" : t.TrendsUp ? "**up**" : "flat";
            text.AppendLine(c, $"| {d.Name}{(series.Note is null ? "" : $" ({series.Note})")} | {t.Samples}{(series.Missing > 0 ? $" ({series.Missing} unread)" : "")} | {d.Format(t.FittedStart)} | {d.Format(t.FittedEnd)} | {d.Format(t.Median)} | {Signed(d, t.SlopePerSecond * 60)} | {Signed(d, t.Growth)} | {d.Format(t.Tolerance)} | {judged} |");
        }

        text.AppendLine();
        text.AppendLine("### Messages checked");
        text.AppendLine();
        text.AppendLine("| clients | count | sequence numbers checked | lost | out of order or twice |");
        text.AppendLine("|---|---:|---:|---:|---:|");
        foreach (SoakRole role in Enum.GetValues<SoakRole>())
        {
            if (result.ByRole.TryGetValue(role, out var f))
            {
                string note = role switch
                {
                    SoakRole.Broadcast => "WebSocket subscribers (checked while connected)",
                    SoakRole.EventStream => "event streams (checked across reconnects, Last-Event-ID)",
                    SoakRole.Poll => "long polls (checked across reconnects, cursor)",
                    SoakRole.SlowConsumer => "slow consumers (not checked: they may be closed)",
                    _ => "echo clients (no feed)",
                };
                text.AppendLine(c, $"| {note} | {f.Clients:N0} | {(role == SoakRole.SlowConsumer ? "-" : f.Checked.ToString("N0", c))} | {(role == SoakRole.SlowConsumer ? "-" : f.Lost.ToString("N0", c))} | {(role == SoakRole.SlowConsumer ? "-" : f.Reordered.ToString("N0", c))} |");
            }
        }

        long echoes = result.Samples.Count > 0 ? result.Samples[^1].Echoes : 0;
        text.AppendLine();
        text.AppendLine(c, $"- echoes checked byte for byte: {echoes:N0}");
        text.AppendLine(c, $"- healthy subscribers after the warm-up: {result.Healthy.MessagesReceived:N0} deliveries, fan-out latency p50 {Micros(result.Healthy.Latency, 50)} µs, p99 {Micros(result.Healthy.Latency, 99)} µs, max {result.Healthy.Latency.Max / 1000.0:N0} µs");
        text.AppendLine(c, $"- echoes after the warm-up: {result.Echoes.MessagesReceived:N0}, round trip p50 {Micros(result.Echoes.Latency, 50)} µs, p99 {Micros(result.Echoes.Latency, 99)} µs, max {result.Echoes.Latency.Max / 1000.0:N0} µs");
        text.AppendLine(c, $"- failed publishes: {result.PublisherErrors}");
        text.AppendLine();
        text.AppendLine("### Churn and how connections ended");
        text.AppendLine();
        text.AppendLine("| reconnects after | count |");
        text.AppendLine("|---|---:|");
        foreach (DisconnectKind kind in Enum.GetValues<DisconnectKind>())
        {
            text.AppendLine(c, $"| {Describe(kind)} | {result.Tally.Reconnects(kind):N0} |");
        }

        text.AppendLine(c, $"| all | {result.Tally.TotalReconnects:N0} |");
        text.AppendLine();
        text.AppendLine("| outcome | expected | count |");
        text.AppendLine("|---|---|---:|");
        foreach ((string outcome, bool expected, long count) in result.Tally.Outcomes)
        {
            text.AppendLine(c, $"| {outcome} | {(expected ? "yes" : "**no**")} | {count:N0} |");
        }

        if (result.Tally.Examples.Count > 0)
        {
            text.AppendLine();
            text.AppendLine("First unexpected outcomes:");
            text.AppendLine();
            foreach (string example in result.Tally.Examples)
            {
                text.AppendLine(c, $"- {example}");
            }
        }

        return text.ToString();
    }

    private static string Signed(SeriesDefinition d, double raw) => (raw >= 0 ? "+" : "") + d.Format(raw);

    private static string Micros(LatencyHistogram histogram, double percentile) =>
        histogram.Count == 0 ? "n/a" : (histogram.ValueAtPercentile(percentile) / 1000.0).ToString("N0", CultureInfo.InvariantCulture);

    private static string Describe(DisconnectKind kind) => kind switch
    {
        DisconnectKind.Abrupt => "abrupt close (FIN, no close frame)",
        DisconnectKind.Reset => "reset (RST, no close frame; a waiting poll reset)",
        DisconnectKind.CloseHandshake => "close handshake (1000; HTTP Connection: close)",
        _ => "mid-message (half a frame or request head, then RST)",
    };
}
