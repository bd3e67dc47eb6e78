namespace WsFast.Load.Reports.Comparison;

/// <summary>
/// The runs of a comparison, read from a folder laid out as <c>&lt;runs&gt;/&lt;server&gt;/&lt;case&gt;/report.csv</c>
/// (with timeline.csv beside it when the run sampled progress), plus an optional <c>notes.txt</c> in the
/// runs folder, one note a line. Cases sort by folder name, so a numeric prefix sets their order.
/// </summary>
internal sealed class ComparisonSet
{
    private ComparisonSet(string subject, string baseline, IReadOnlyList<string> servers, IReadOnlyList<ComparisonCase> cases, IReadOnlyList<string> notes)
    {
        Subject = subject;
        Baseline = baseline;
        Servers = servers;
        Cases = cases;
        Notes = notes;
    }

    /// <summary>The server compared (numerator of every ratio).</summary>
    public string Subject { get; }

    /// <summary>The server compared against (denominator of every ratio).</summary>
    public string Baseline { get; }

    /// <summary>The servers with runs: subject, baseline, then others by name.</summary>
    public IReadOnlyList<string> Servers { get; }

    /// <summary>The cases, by name.</summary>
    public IReadOnlyList<ComparisonCase> Cases { get; }

    /// <summary>Notes of the script that made the runs (scenarios skipped and why, machine limits).</summary>
    public IReadOnlyList<string> Notes { get; }

    /// <summary>How many cases and servers, in words: "3 cases × 2 servers".</summary>
    public string Size => $"{Count(Cases.Count, "case")} × {Count(Servers.Count, "server")}";

    /// <summary>True when both the subject and the baseline have runs, so ratios exist.</summary>
    public bool HasRatio => Servers.Contains(Subject) && Servers.Contains(Baseline) && Subject != Baseline;

    /// <summary>Reads the runs under <paramref name="folder"/>; server names match <paramref name="subject"/> and <paramref name="baseline"/> ignoring case.</summary>
    public static ComparisonSet Load(string folder, string subject, string baseline)
    {
        if (!Directory.Exists(folder))
        {
            throw new DirectoryNotFoundException($"No runs folder '{folder}'.");
        }

        var runs = new List<RunRecord>();
        foreach (string serverFolder in Directory.GetDirectories(folder).Order(StringComparer.Ordinal))
        {
            string server = Path.GetFileName(serverFolder);
            foreach (string caseFolder in Directory.GetDirectories(serverFolder).Order(StringComparer.Ordinal))
            {
                string report = Path.Combine(caseFolder, "report.csv");
                if (!File.Exists(report) || CsvTable.Read(report).Rows is not [CsvRow values, ..])
                {
                    continue;
                }

                runs.Add(new RunRecord(server, Path.GetFileName(caseFolder), values, ReadTimeline(Path.Combine(caseFolder, "timeline.csv"))));
            }
        }

        var names = runs.Select(r => r.Server).Distinct().ToList();
        string subjectName = names.FirstOrDefault(n => n.Equals(subject, StringComparison.OrdinalIgnoreCase)) ?? subject;
        string baselineName = names.FirstOrDefault(n => n.Equals(baseline, StringComparison.OrdinalIgnoreCase)) ?? baseline;
        var servers = names
            .OrderBy(n => n == subjectName ? 0 : n == baselineName ? 1 : 2)
            .ThenBy(n => n, StringComparer.Ordinal)
            .ToList();
        var cases = runs
            .GroupBy(r => r.Case)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new ComparisonCase(g.Key, g))
            .ToList();
        string notesFile = Path.Combine(folder, "notes.txt");
        IReadOnlyList<string> notes = File.Exists(notesFile)
            ? File.ReadAllLines(notesFile).Select(l => l.Trim()).Where(l => l.Length > 0).ToList()
            : [];
        return new ComparisonSet(subjectName, baselineName, servers, cases, notes);
    }

    private static string Count(int count, string noun) => count == 1 ? $"1 {noun}" : $"{count} {noun}s";

    private static List<TimelinePoint> ReadTimeline(string path)
    {
        if (!File.Exists(path))
        {
            return [];
        }

        var points = new List<TimelinePoint>();
        foreach (CsvRow row in CsvTable.Read(path).Rows)
        {
            if (row.Number(RunColumns.TimelineElapsed) is double t && row.Number(RunColumns.TimelineRate) is double rate)
            {
                points.Add(new TimelinePoint(t, rate));
            }
        }

        return points;
    }
}
