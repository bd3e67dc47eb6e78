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
        text.AppendLine(CultureInfo.InvariantCulture, $"- {Method(set)}");

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

    /// <summary>How the figures and ratios were made, in one or two sentences.</summary>
    public static string Method(ComparisonSet set)
    {
        string figures = set.Rounds > 1
            ? $"Every figure is the median of up to {set.Rounds} rounds (each round ran every server once per case, back to back)."
            : "Every figure is from one run per server and case.";
        if (!set.HasRatio)
        {
            return figures;
        }

        string ratios = set.Rounds > 1 ? "the median of the rounds' own ratios" : "from the same run";
        return $"{figures} Ratios are {set.Subject}'s figure over each other server's ({string.Join(", ", set.Peers)}), {ratios}: " +
            $"throughput above 1 and CPU per message below 1 favour {set.Subject}.";
    }

    // A pipe would end the cell.
    private static string Cell(string text) => text.Replace("|", "\\|", StringComparison.Ordinal);
}
