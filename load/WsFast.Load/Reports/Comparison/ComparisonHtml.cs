using System.Globalization;
using System.Text;

namespace WsFast.Load.Reports.Comparison;

/// <summary>
/// Writes comparison.html: one self-contained page (inline CSS, inline SVG, no script, nothing fetched)
/// with the charts of <see cref="ComparisonCharts"/>, the tables of <see cref="ComparisonTables"/> and the notes.
/// </summary>
internal static class ComparisonHtml
{
    private const string Style = """
        body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; padding: 0 1em; }
        h1 { font-size: 1.6em; } h2 { font-size: 1.25em; margin-top: 2em; border-bottom: 1px solid #ddd; }
        table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.9em; }
        th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; }
        th { background: #f3f3f3; } td:first-child, th:first-child, td:nth-child(2) { text-align: left; }
        figure { margin: 1em 0; } svg { background: #fff; border: 1px solid #eee; max-width: 100%; height: auto; }
        .note { color: #555; }
        """;

    public static string Write(ComparisonSet set, string runsFolder)
    {
        ArgumentNullException.ThrowIfNull(set);
        string title = string.Join(" vs ", set.Servers);
        var html = new StringBuilder();
        html.AppendLine("<!DOCTYPE html>");
        html.AppendLine("<html lang=\"en\"><head><meta charset=\"utf-8\">");
        html.AppendLine(CultureInfo.InvariantCulture, $"<title>{E(title)}</title>");
        html.AppendLine(CultureInfo.InvariantCulture, $"<style>{Style}</style></head><body>");
        html.AppendLine(CultureInfo.InvariantCulture, $"<h1>{E(title)}</h1>");
        html.AppendLine(CultureInfo.InvariantCulture, $"<p class=\"note\">Runs: <code>{E(runsFolder)}</code> ({set.Size}).");
        html.Append(' ').Append(E(ComparisonMarkdown.Method(set)));

        html.AppendLine("</p>");
        html.AppendLine("<h2>Charts</h2>");
        foreach ((string heading, string svg) in ComparisonCharts.Build(set))
        {
            html.AppendLine(CultureInfo.InvariantCulture, $"<figure>{svg}<figcaption class=\"note\">{E(heading)}</figcaption></figure>");
        }

        foreach (ReportTable table in ComparisonTables.Build(set))
        {
            html.AppendLine(CultureInfo.InvariantCulture, $"<h2>{E(table.Title)}</h2>");
            html.AppendLine(CultureInfo.InvariantCulture, $"<p class=\"note\">{E(table.Description)}</p>");
            html.Append("<table><thead><tr>");
            foreach (string header in table.Headers)
            {
                html.Append(CultureInfo.InvariantCulture, $"<th>{E(header)}</th>");
            }

            html.AppendLine("</tr></thead><tbody>");
            foreach (string[] row in table.Rows)
            {
                html.Append("<tr>");
                foreach (string cell in row)
                {
                    html.Append(CultureInfo.InvariantCulture, $"<td>{E(cell)}</td>");
                }

                html.AppendLine("</tr>");
            }

            html.AppendLine("</tbody></table>");
        }

        if (set.Notes.Count > 0)
        {
            html.AppendLine("<h2>Notes</h2><ul>");
            foreach (string note in set.Notes)
            {
                html.AppendLine(CultureInfo.InvariantCulture, $"<li>{E(note)}</li>");
            }

            html.AppendLine("</ul>");
        }

        html.AppendLine("</body></html>");
        return html.ToString();
    }

    private static string E(string text) => Charts.Markup.Escape(text);
}
