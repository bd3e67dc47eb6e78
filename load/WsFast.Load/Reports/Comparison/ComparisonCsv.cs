using System.Globalization;
using System.Text;

namespace WsFast.Load.Reports.Comparison;

/// <summary>
/// Writes comparison.csv: one line per run (case, server), every report.csv column any run has (empty where
/// a run lacks it; for a case run in several rounds, each number the median of the rounds), then how many
/// rounds, and the subject's rate and CPU per message over this run's server's (median of same-round ratios;
/// 1 on the subject's own lines).
/// </summary>
internal static class ComparisonCsv
{
    public const string RoundsColumn = "rounds";
    public const string RateRatioColumn = "subject_rate_ratio";
    public const string CpuRatioColumn = "subject_cpu_per_msg_ratio";

    public static string Write(ComparisonSet set)
    {
        ArgumentNullException.ThrowIfNull(set);
        var runs = set.Cases.SelectMany(c => set.Servers.Select(c.Run).OfType<RunRecord>()).ToList();
        var columns = runs.SelectMany(r => r.Values.Columns).Distinct().ToList();
        var text = new StringBuilder();
        text.AppendLine(string.Join(',', new[] { "case", "server" }.Concat(columns).Append(RoundsColumn).Append(RateRatioColumn).Append(CpuRatioColumn).Select(Quote)));
        foreach (RunRecord run in runs)
        {
            ComparisonCase c = set.Cases.First(c => c.Name == run.Case);
            var cells = new[] { run.Case, run.Server }
                .Concat(columns.Select(column => run.Text(column) ?? ""))
                .Append(run.Rounds.ToString(CultureInfo.InvariantCulture))
                .Append(Number(set.HasSubject ? c.Ratio(RunColumns.Rate, set.Subject, run.Server) : null))
                .Append(Number(set.HasSubject ? c.Ratio(RunColumns.ServerCpuPerMessage, set.Subject, run.Server) : null));
            text.AppendLine(string.Join(',', cells.Select(Quote)));
        }

        return text.ToString();
    }

    private static string Number(double? value) => value is double r ? r.ToString("0.####", CultureInfo.InvariantCulture) : "";

    // RFC 4180: a cell with a comma, quote or line break is quoted, its quotes doubled.
    private static string Quote(string cell) =>
        cell.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + cell.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : cell;
}
