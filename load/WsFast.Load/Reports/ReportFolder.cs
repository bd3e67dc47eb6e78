using System.Text;

namespace WsFast.Load.Reports;

/// <summary>
/// Saves a run's report.md and report.csv in a results folder, timeline.csv when progress was sampled, and
/// nodes.csv when the subscribers spread over several servers.
/// </summary>
public static class ReportFolder
{
    // No byte order mark: the files are read by tools (cat, spreadsheets, diff) that would show it.
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    /// <summary>The default folder for a run started at <paramref name="startedAt"/>: load/results/&lt;timestamp&gt;.</summary>
    public static string DefaultFor(DateTimeOffset startedAt) =>
        Path.Combine("load", "results", startedAt.ToString("yyyyMMdd-HHmmss", System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>Writes the report into <paramref name="folder"/>, creating it; returns the Markdown text.</summary>
    public static string Save(string folder, RunReport report)
    {
        Directory.CreateDirectory(folder);
        string markdown = MarkdownReport.Write(report);
        File.WriteAllText(Path.Combine(folder, "report.md"), markdown, Utf8);
        File.WriteAllText(Path.Combine(folder, "report.csv"), CsvReport.Write([report]), Utf8);
        if (report.Nodes.Count > 0)
        {
            File.WriteAllText(Path.Combine(folder, "nodes.csv"), NodesCsv.Write(report), Utf8);
        }

        IReadOnlyList<Engine.ProgressSample> timeline = Engine.RunTimeline.Samples;
        if (timeline.Count > 0)
        {
            File.WriteAllText(Path.Combine(folder, "timeline.csv"), TimelineCsv.Write(timeline), Utf8);
        }
        return markdown;
    }
}
