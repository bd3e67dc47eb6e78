namespace WsFast.Load.Reports.Comparison;

/// <summary>
/// One case of a comparison (a scenario with its settings) and its runs against each server: one run per
/// server, or several rounds each, whose figures then read as their medians.
/// </summary>
internal sealed class ComparisonCase
{
    private readonly Dictionary<string, IReadOnlyList<RunRecord>> _rounds;
    private readonly Dictionary<string, RunRecord> _runs;

    public ComparisonCase(string name, IEnumerable<RunRecord> runs)
    {
        Name = name;
        _rounds = runs
            .GroupBy(r => r.Server, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => (IReadOnlyList<RunRecord>)g.OrderBy(r => r.Round).ToList(), StringComparer.Ordinal);
        _runs = _rounds.ToDictionary(p => p.Key, p => RunRecord.Median(p.Value), StringComparer.Ordinal);
    }

    /// <summary>The case's name: its folder under each server's folder.</summary>
    public string Name { get; }

    /// <summary>Every server's run of the case (the median of its rounds).</summary>
    public IEnumerable<RunRecord> Runs => _runs.Values;

    /// <summary>The case's run against <paramref name="server"/> (the median of its rounds), or null when it has none.</summary>
    public RunRecord? Run(string server) => _runs.GetValueOrDefault(server);

    /// <summary>The rounds of <paramref name="server"/>, by round number; empty when it has none.</summary>
    public IReadOnlyList<RunRecord> Rounds(string server) => _rounds.GetValueOrDefault(server) ?? [];

    /// <summary>The text of <paramref name="column"/> in the first run that has it, in <paramref name="servers"/> order.</summary>
    public string? Text(string column, IEnumerable<string> servers) =>
        servers.Select(s => Run(s)?.Text(column)).FirstOrDefault(t => t is not null);

    /// <summary>
    /// <paramref name="column"/> of <paramref name="subject"/>'s run divided by that of <paramref name="other"/>'s:
    /// with rounds, the median of the ratios of the rounds both ran (each pair ran back to back on the same
    /// machine); null when no round has both figures or a divisor is zero.
    /// </summary>
    public double? Ratio(string column, string subject, string other) =>
        Ratio(r => r.Number(column), Rounds(subject), Rounds(other));

    /// <summary>
    /// <paramref name="figure"/> of each round of <paramref name="a"/> divided by that of the same round of
    /// <paramref name="b"/>, the median over rounds; null when no round has both figures or a divisor is zero.
    /// </summary>
    public static double? Ratio(Func<RunRecord, double?> figure, IReadOnlyList<RunRecord> a, IReadOnlyList<RunRecord> b)
    {
        var ratios = new List<double>();
        foreach (RunRecord x in a)
        {
            if (b.FirstOrDefault(y => y.Round == x.Round) is RunRecord y && figure(x) is double top && figure(y) is double bottom && bottom != 0)
            {
                ratios.Add(top / bottom);
            }
        }

        return RunRecord.MedianOf(ratios);
    }
}
