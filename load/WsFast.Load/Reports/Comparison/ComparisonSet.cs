using System.Globalization;
using System.Text.RegularExpressions;

namespace WsFast.Load.Reports.Comparison;

/// <summary>
/// The runs of a comparison, read from a folder laid out as <c>&lt;runs&gt;/&lt;server&gt;/&lt;case&gt;/report.csv</c>
/// (with timeline.csv beside it when the run sampled progress), or, for cases run in several rounds,
/// <c>&lt;runs&gt;/&lt;server&gt;/&lt;case&gt;/round-&lt;n&gt;/report.csv</c>; plus an optional <c>notes.txt</c> in the runs
/// folder, one note a line. Cases sort by folder name, so a numeric prefix sets their order. One server is the
/// subject: every ratio is the subject's figure over another server's.
/// </summary>
internal sealed partial class ComparisonSet
{
    private ComparisonSet(string subject, IReadOnlyList<string> servers, IReadOnlyList<ComparisonCase> cases, IReadOnlyList<string> notes, int rounds)
    {
        Subject = subject;
        Servers = servers;
        Cases = cases;
        Notes = notes;
        Rounds = rounds;
    }

    /// <summary>The server compared: the numerator of every ratio.</summary>
    public string Subject { get; }

    /// <summary>The servers with runs: the subject first, then the others in the order asked for, then by name.</summary>
    public IReadOnlyList<string> Servers { get; }

    /// <summary>The servers the subject is compared with, in <see cref="Servers"/> order.</summary>
    public IReadOnlyList<string> Peers => HasSubject ? Servers.Skip(1).ToList() : [];

    /// <summary>The cases, by name.</summary>
    public IReadOnlyList<ComparisonCase> Cases { get; }

    /// <summary>Notes of the script that made the runs (scenarios skipped and why, machine limits).</summary>
    public IReadOnlyList<string> Notes { get; }

    /// <summary>The most rounds any server ran a case in: 1 when every case ran once.</summary>
    public int Rounds { get; }

    /// <summary>How many cases and servers (and rounds), in words: "3 cases × 2 servers".</summary>
    public string Size => $"{Count(Cases.Count, "case")} × {Count(Servers.Count, "server")}" + (Rounds > 1 ? $" × {Count(Rounds, "round")}" : "");

    /// <summary>True when the subject has runs.</summary>
    public bool HasSubject => Servers.Count > 0 && Servers[0] == Subject;

    /// <summary>True when the subject and at least one other server have runs, so ratios exist.</summary>
    public bool HasRatio => HasSubject && Servers.Count > 1;

    /// <summary>
    /// Reads the runs under <paramref name="folder"/>. Server names match <paramref name="subject"/> and
    /// <paramref name="order"/> ignoring case; servers that <paramref name="order"/> does not name follow by name.
    /// </summary>
    public static ComparisonSet Load(string folder, string subject, IReadOnlyList<string>? order = null)
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
                string caseName = Path.GetFileName(caseFolder);
                if (Read(server, caseName, caseFolder, round: 1) is RunRecord single)
                {
                    runs.Add(single);
                    continue;
                }

                foreach (string roundFolder in Directory.GetDirectories(caseFolder))
                {
                    if (RoundFolder().Match(Path.GetFileName(roundFolder)) is { Success: true } match
                        && Read(server, caseName, roundFolder, int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture)) is RunRecord round)
                    {
                        runs.Add(round);
                    }
                }
            }
        }

        var names = runs.Select(r => r.Server).Distinct().ToList();
        string subjectName = names.FirstOrDefault(n => n.Equals(subject, StringComparison.OrdinalIgnoreCase)) ?? subject;
        var asked = (order ?? []).ToList();
        int Rank(string name)
        {
            if (name == subjectName)
            {
                return -1;
            }

            int i = asked.FindIndex(a => a.Equals(name, StringComparison.OrdinalIgnoreCase));
            return i >= 0 ? i : asked.Count;
        }

        var servers = names.OrderBy(Rank).ThenBy(n => n, StringComparer.Ordinal).ToList();
        var cases = runs
            .GroupBy(r => r.Case)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new ComparisonCase(g.Key, g))
            .ToList();
        int rounds = cases.Count == 0 ? 1 : cases.Max(c => servers.Max(s => c.Rounds(s).Count));
        string notesFile = Path.Combine(folder, "notes.txt");
        IReadOnlyList<string> notes = File.Exists(notesFile)
            ? File.ReadAllLines(notesFile).Select(l => l.Trim()).Where(l => l.Length > 0).ToList()
            : [];
        return new ComparisonSet(subjectName, servers, cases, notes, Math.Max(1, rounds));
    }

    [GeneratedRegex("^round-([0-9]{1,6})$")]
    private static partial Regex RoundFolder();

    private static RunRecord? Read(string server, string caseName, string folder, int round)
    {
        string report = Path.Combine(folder, "report.csv");
        if (!File.Exists(report) || CsvTable.Read(report).Rows is not [CsvRow values, ..])
        {
            return null;
        }

        return new RunRecord(server, caseName, values, ReadTimeline(Path.Combine(folder, "timeline.csv")), round);
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
