namespace WsFast.Load.Reports.Comparison;

/// <summary>One case of a comparison (a scenario with its settings) and its run against each server.</summary>
internal sealed class ComparisonCase
{
    private readonly Dictionary<string, RunRecord> _runs;

    public ComparisonCase(string name, IEnumerable<RunRecord> runs)
    {
        Name = name;
        _runs = runs.ToDictionary(r => r.Server, StringComparer.Ordinal);
    }

    /// <summary>The case's name: its folder under each server's folder.</summary>
    public string Name { get; }

    /// <summary>Every run of the case.</summary>
    public IEnumerable<RunRecord> Runs => _runs.Values;

    /// <summary>The case's run against <paramref name="server"/>, or null when it has none.</summary>
    public RunRecord? Run(string server) => _runs.GetValueOrDefault(server);

    /// <summary>The text of <paramref name="column"/> in the first run that has it, in <paramref name="servers"/> order.</summary>
    public string? Text(string column, IEnumerable<string> servers) =>
        servers.Select(s => Run(s)?.Text(column)).FirstOrDefault(t => t is not null);

    /// <summary>
    /// <paramref name="column"/> of <paramref name="subject"/>'s run divided by that of <paramref name="baseline"/>'s;
    /// null when either is missing or the divisor is zero.
    /// </summary>
    public double? Ratio(string column, string subject, string baseline) =>
        Run(subject)?.Number(column) is double a && Run(baseline)?.Number(column) is double b && b != 0 ? a / b : null;
}
