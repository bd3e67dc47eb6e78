using WsFast.Load.Reports.Comparison;

namespace WsFast.Load.Tests;

/// <summary>
/// The comparison's TLS tables, from report.csv files laid out as run-compare.sh writes them: the TLS cases with
/// what each server agreed to and the subject's ratios, and each TLS case against the same server's plain run.
/// </summary>
public sealed class TlsComparisonTests : IDisposable
{
    private const string Header =
        "started_utc,scenario,target,settings,clients,clients_ready,window_s,rate_per_s,server_cpu_us_per_msg,server_cpu_user_us_per_msg," +
        "server_cpu_kernel_us_per_msg,server_rss_bytes_per_conn,delivered,publish_rate,handshakes_per_s,tls,server_cpu_us_per_conn";

    private const string Tls13 = "Tls13 TLS_AES_256_GCM_SHA384";

    private readonly string _runs = Path.Combine(Path.GetTempPath(), "wsfast-tls-compare-test-" + Guid.NewGuid().ToString("N"));

    public TlsComparisonTests()
    {
        Write("WsFast", "01-ws-echo-100", Run("ws-echo", "32 B text, 1 in flight", rate: 50_000, cpu: 10, user: 4, kernel: 6, tls: ""));
        Write("Bun", "01-ws-echo-100", Run("ws-echo", "32 B text, 1 in flight", rate: 40_000, cpu: 12, user: 5, kernel: 7, tls: ""));
        Write("WsFast", "16-wss-echo-100", Run("ws-echo", "32 B text, 1 in flight, TLS", rate: 30_000, cpu: 15, user: 8, kernel: 7, tls: Tls13));
        Write("Bun", "16-wss-echo-100", Run("ws-echo", "32 B text, 1 in flight, TLS", rate: 30_000, cpu: 20, user: 12, kernel: 8, tls: "Tls13 TLS_AES_128_GCM_SHA256"));

        // A feed names a fresh topic per run: the TLS broadcast still pairs with the plain one.
        Write("WsFast", "09-ws-broadcast-fanout", Run("ws-broadcast", "topic load-00000001, 100 messages/s published, 32 B", rate: 100_000, cpu: 2, user: 1, kernel: 1, tls: "", publishRate: 100));
        Write("WsFast", "17-wss-broadcast-fanout", Run("ws-broadcast", "topic load-00000002, 100 messages/s published, 32 B, TLS", rate: 100_000, cpu: 5, user: 3.5, kernel: 1.5, tls: Tls13, publishRate: 100));

        Write("WsFast", "18-ws-connect-1000", Idle("idle", handshakes: 20_000, perConnection: 50, tls: ""));
        Write("WsFast", "19-wss-connect-1000", Idle("idle, TLS", handshakes: 4_000, perConnection: 250, tls: Tls13));
        Write("Bun", "19-wss-connect-1000", Idle("idle, TLS", handshakes: 5_000, perConnection: 200, tls: Tls13));
        ComparisonReport.Save(_runs, _runs, "WsFast", ["Bun"]);
    }

    public void Dispose() => Directory.Delete(_runs, recursive: true);

    private string Markdown => File.ReadAllText(Path.Combine(_runs, "comparison.md"));

    [Fact]
    public void The_TLS_table_lists_only_TLS_cases_with_the_agreement_and_the_subjects_ratios()
    {
        string section = Section("## TLS\n");
        Assert.Contains("| 16-wss-echo-100 | ws-echo | WsFast | Tls13 TLS_AES_256_GCM_SHA384 | 30,000 | 15.00 | 8.00 | 7.00 |", section);
        Assert.Contains("| 16-wss-echo-100 | ws-echo | Bun | Tls13 TLS_AES_128_GCM_SHA256 | 30,000 | 20.00 | 12.00 | 8.00 | n/a | n/a | n/a | 0.75× | n/a |", section);
        Assert.Contains("| 19-wss-connect-1000 | ws-idle | Bun | Tls13 TLS_AES_256_GCM_SHA384 | 0 | n/a | n/a | n/a | 200.0 | 5,000 |", section);
        Assert.EndsWith("| 1.25× |", section.Split('\n').First(l => l.StartsWith("| 19-wss-connect-1000 | ws-idle | Bun", StringComparison.Ordinal)));
        Assert.DoesNotContain("| 01-ws-echo-100 |", section);
    }

    [Fact]
    public void Each_TLS_case_is_set_against_the_same_servers_plain_run_whatever_the_topic()
    {
        string section = Section("## TLS against plain, per server");
        Assert.Contains("| 16-wss-echo-100 | 01-ws-echo-100 | WsFast | 15.00 | 1.50× | 2.00× | 1.17× | n/a | n/a | 0.60× |", section);
        Assert.Contains("| 16-wss-echo-100 | 01-ws-echo-100 | Bun | 20.00 | 1.67× | 2.40× | 1.14× |", section);
        Assert.Contains("| 17-wss-broadcast-fanout | 09-ws-broadcast-fanout | WsFast | 5.00 | 2.50× | 3.50× | 1.50× |", section);
        Assert.Contains("| 19-wss-connect-1000 | 18-ws-connect-1000 | WsFast | n/a | n/a | n/a | n/a | 250.0 | 5.00× |", section);

        // Bun has no plain idle run here: no row rather than a ratio to nothing.
        Assert.DoesNotContain("| 19-wss-connect-1000 | 18-ws-connect-1000 | Bun |", section);
    }

    private string Section(string title)
    {
        string markdown = Markdown;
        int start = markdown.IndexOf(title, StringComparison.Ordinal);
        Assert.True(start >= 0, $"no '{title}' in:\n{markdown}");
        int end = markdown.IndexOf("\n## ", start + title.Length, StringComparison.Ordinal);
        return end < 0 ? markdown[start..] : markdown[start..end];
    }

    private static string Run(string scenario, string settings, double rate, double cpu, double user, double kernel, string tls, double? publishRate = null) =>
        $"2026-12-02T03:00:00Z,{scenario},wss://127.0.0.1:1/echo,\"{settings}\",100,100,5,{rate},{cpu},{user},{kernel},,{rate * 5},{publishRate},,\"{tls}\",";

    private static string Idle(string settings, double handshakes, double perConnection, string tls) =>
        $"2026-12-02T03:00:00Z,ws-idle,wss://127.0.0.1:1/echo,\"{settings}\",1000,1000,1,0,,,,4000,0,,{handshakes},\"{tls}\",{perConnection}";

    private void Write(string server, string caseName, string line)
    {
        string folder = Path.Combine(_runs, server, caseName);
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "report.csv"), Header + "\n" + line + "\n");
    }
}
