using System.Globalization;

namespace WsFast.Load.Reports.Comparison;

/// <summary>
/// One run of a comparison: a server, a case (the scenario with its settings), its report.csv line and its
/// timeline; or, for a case run in several rounds, the median of those rounds' figures.
/// </summary>
internal sealed class RunRecord
{
    public RunRecord(string server, string caseName, CsvRow values, IReadOnlyList<TimelinePoint> timeline, int round = 1, int rounds = 1)
    {
        Server = server;
        Case = caseName;
        Values = values;
        Timeline = timeline;
        Round = round;
        Rounds = rounds;
    }

    /// <summary>The server's name (its folder's name).</summary>
    public string Server { get; }

    /// <summary>The case's name (its folder's name): the same case runs against every server.</summary>
    public string Case { get; }

    /// <summary>The report.csv line, read by column name.</summary>
    public CsvRow Values { get; }

    /// <summary>The rate over the run (from timeline.csv); empty when the run has none.</summary>
    public IReadOnlyList<TimelinePoint> Timeline { get; }

    /// <summary>The round this run belongs to (1 for a case run once); 0 for the median of several rounds.</summary>
    public int Round { get; }

    /// <summary>How many rounds the figures are the median of: 1 for a single run.</summary>
    public int Rounds { get; }

    /// <summary>The figure of <paramref name="column"/>, or null when missing.</summary>
    public double? Number(string column) => Values.Number(column);

    /// <summary>The text of <paramref name="column"/>, or null when missing.</summary>
    public string? Text(string column) => Values[column];

    /// <summary>
    /// One record for the rounds of one server's case: every column that is a number in each round that has it
    /// becomes the median of those rounds; any other column keeps the first round's text, and the timeline is the
    /// first round's. A single round is returned as it is.
    /// </summary>
    public static RunRecord Median(IReadOnlyList<RunRecord> rounds)
    {
        ArgumentOutOfRangeException.ThrowIfZero(rounds.Count);
        if (rounds.Count == 1)
        {
            return rounds[0];
        }

        var columns = rounds.SelectMany(r => r.Values.Columns).Distinct().ToList();
        var cells = new List<string>(columns.Count);
        foreach (string column in columns)
        {
            var texts = rounds.Select(r => r.Text(column)).OfType<string>().ToList();
            var numbers = rounds.Select(r => r.Number(column)).OfType<double>().ToList();
            cells.Add(texts.Count > 0 && numbers.Count == texts.Count
                ? MedianOf(numbers).ToString("R", CultureInfo.InvariantCulture)
                : texts.FirstOrDefault() ?? "");
        }

        var index = columns.Select((c, i) => (c, i)).ToDictionary(p => p.c, p => p.i, StringComparer.Ordinal);
        RunRecord first = rounds[0];
        return new RunRecord(first.Server, first.Case, new CsvRow(index, cells), first.Timeline, round: 0, rounds: rounds.Count);
    }

    /// <summary>The middle value (the mean of the two middle ones for an even count); null when there are none.</summary>
    public static double? MedianOf(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        if (sorted.Count == 0)
        {
            return null;
        }

        int middle = sorted.Count / 2;
        return sorted.Count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    private static double MedianOf(List<double> values) => MedianOf((IEnumerable<double>)values)!.Value;
}
