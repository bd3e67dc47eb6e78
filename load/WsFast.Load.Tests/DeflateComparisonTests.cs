using WsFast.Load.Reports.Comparison;

namespace WsFast.Load.Tests;

public sealed class DeflateComparisonTests : IDisposable
{
    private const string Header =
        "started_utc,scenario,target,settings,clients,clients_ready,window_s,rate_per_s,server_cpu_us_per_msg,server_rss_bytes_per_conn," +
        "delivered,wire_bytes_in_per_delivery,payload_bytes_per_delivery,publish_rate,deflate,deflate_clients,compressed_share";

    private readonly string _runs = Path.Combine(Path.GetTempPath(), "wsfast-deflate-compare-test-" + Guid.NewGuid().ToString("N"));

    public DeflateComparisonTests()
    {
        // Each run names a fresh topic; the deflate case's settings differ from the plain one's by the offer alone.
        Write("WsFast", "11-ws-broadcast-1k-json", Feed("topic load-aaaa0001, 20 messages/s published, 1024 B, ticks", cpu: 4, wire: 1028, deflate: ""));
        Write("Bun", "11-ws-broadcast-1k-json", Feed("topic load-aaaa0002, 20 messages/s published, 1024 B, ticks", cpu: 5, wire: 1028, deflate: ""));
        Write("WsFast", "12-ws-broadcast-1k-json-deflate", Feed("topic load-aaaa0003, 20 messages/s published, 1024 B, ticks, deflate offered", cpu: 3, wire: 380, deflate: "permessage-deflate; server_no_context_takeover"));
        Write("Bun", "12-ws-broadcast-1k-json-deflate", Feed("topic load-aaaa0004, 20 messages/s published, 1024 B, ticks, deflate offered", cpu: 6, wire: 400, deflate: "permessage-deflate; server_no_context_takeover"));
        ComparisonReport.Save(_runs, _runs, "WsFast", ["Bun"]);
    }

    public void Dispose() => Directory.Delete(_runs, recursive: true);

    private string Markdown => File.ReadAllText(Path.Combine(_runs, "comparison.md"));

    [Fact]
    public void The_deflate_table_has_the_agreement_wire_bytes_and_the_subjects_ratios()
    {
        Assert.Contains("## permessage-deflate", Markdown);
        Assert.Contains("| 12-ws-broadcast-1k-json-deflate | ws-broadcast | WsFast | `permessage-deflate; server_no_context_takeover` | 1,000 | 100.0% | 380.0 | 1024.0 | 3.00 |", Markdown);
        Assert.Contains("| 12-ws-broadcast-1k-json-deflate | ws-broadcast | Bun | `permessage-deflate; server_no_context_takeover` | 1,000 | 100.0% | 400.0 | 1024.0 | 6.00 | n/a | 0.95× | 0.50× |", Markdown);
        Assert.DoesNotContain("| 11-ws-broadcast-1k-json | ws-broadcast | WsFast | declined", Markdown);
    }

    [Fact]
    public void Each_deflate_case_is_set_against_the_same_servers_plain_run_whatever_the_topic()
    {
        Assert.Contains("## permessage-deflate against none, per server", Markdown);
        Assert.Contains("| 12-ws-broadcast-1k-json-deflate | 11-ws-broadcast-1k-json | WsFast | 380.0 | 0.37× | 3.00 | 0.75× |", Markdown);
        Assert.Contains("| 12-ws-broadcast-1k-json-deflate | 11-ws-broadcast-1k-json | Bun | 400.0 | 0.39× | 6.00 | 1.20× |", Markdown);
    }

    private static string Feed(string settings, double cpu, double wire, string deflate) =>
        $"2026-12-02T01:00:00Z,ws-broadcast,ws://127.0.0.1:1/broadcast/t,\"{settings}\",1000,1000,6,20000,{cpu},,120000,{wire},1024,20,\"{deflate}\",{(deflate.Length > 0 ? 1000 : 0)},{(deflate.Length > 0 ? 1 : 0)}";

    private void Write(string server, string caseName, string line)
    {
        string folder = Path.Combine(_runs, server, caseName);
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "report.csv"), Header + "\n" + line + "\n");
    }
}
