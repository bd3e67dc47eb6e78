using System.Globalization;
using System.Text;

namespace WsFast.Load.Reports.Comparison;

/// <summary>
/// Writes comparison.csv: one line per run (case, server), every report.csv column any run has (empty where
/// a run lacks it), and the run's rate relative to the baseline's in the same case.
/// </summary>
internal static class ComparisonCsv
{
    public const string RatioColumn = "rate_vs_baseline";

    public static string Write(ComparisonSet set)
    {
        ArgumentNullException.ThrowIfNull(set);
        var runs = set.Cases.SelectMany(c => set.Servers.Select(c.Run).OfType<RunRecord>()).ToList();
        var columns = runs.SelectMany(r => r.Values.Columns).Distinct().ToList();
        var text = new StringBuilder();
        text.AppendLine(string.Join(',', new[] { "case", "server" }.Concat(columns).Append(RatioColumn).Select(Quote)));
        foreach (RunRecord run in runs)
        {
            ComparisonCase c = set.Cases.First(c => c.Name == run.Case);
            double? ratio = c.Ratio(RunColumns.Rate, run.Server, set.Baseline);
            var cells = new[] { run.Case, run.Server }
                .Concat(columns.Select(column => run.Text(column) ?? ""))
                .Append(ratio is double r ? r.ToString("0.####", CultureInfo.InvariantCulture) : "");
            text.AppendLine(string.Join(',', cells.Select(Quote)));
        }

        return text.ToString();
    }

    // RFC 4180: a cell with a comma, quote or line break is quoted, its quotes doubled.
    private static string Quote(string cell) =>
        cell.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + cell.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : cell;
}
