using System.Globalization;
using System.Text;

namespace WsFast.Load.Reports.Comparison;

/// <summary>Writes comparison.md: what was compared, then every table of <see cref="ComparisonTables"/>, then the notes.</summary>
internal static class ComparisonMarkdown
{
    public static string Write(ComparisonSet set, string runsFolder)
    {
        ArgumentNullException.ThrowIfNull(set);
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"# {string.Join(" vs ", set.Servers)}");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"- runs: `{runsFolder}` ({set.Size})");
        if (set.HasRatio)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"- ratios: {set.Subject} / {set.Baseline} (above 1: {set.Subject} delivers more per second)");
        }

        foreach (ReportTable table in ComparisonTables.Build(set))
        {
            text.AppendLine();
            text.AppendLine(CultureInfo.InvariantCulture, $"## {table.Title}");
            text.AppendLine();
            text.AppendLine(table.Description);
            text.AppendLine();
            text.AppendLine("| " + string.Join(" | ", table.Headers.Select(Cell)) + " |");
            text.AppendLine("|" + string.Concat(table.Headers.Select(_ => "---|")));
            foreach (string[] row in table.Rows)
            {
                text.AppendLine("| " + string.Join(" | ", row.Select(Cell)) + " |");
            }
        }

        if (set.Notes.Count > 0)
        {
            text.AppendLine();
            text.AppendLine("## Notes");
            text.AppendLine();
            foreach (string note in set.Notes)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"- {note}");
            }
        }

        return text.ToString();
    }

    // A pipe would end the cell.
    private static string Cell(string text) => text.Replace("|", "\\|", StringComparison.Ordinal);
}
