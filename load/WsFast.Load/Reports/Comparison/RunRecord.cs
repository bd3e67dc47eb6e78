namespace WsFast.Load.Reports.Comparison;

/// <summary>One run of a comparison: a server, a case (the scenario with its settings), its report.csv line and its timeline.</summary>
internal sealed class RunRecord
{
    public RunRecord(string server, string caseName, CsvRow values, IReadOnlyList<TimelinePoint> timeline)
    {
        Server = server;
        Case = caseName;
        Values = values;
        Timeline = timeline;
    }

    /// <summary>The server's name (its folder's name).</summary>
    public string Server { get; }

    /// <summary>The case's name (its folder's name): the same case runs against every server.</summary>
    public string Case { get; }

    /// <summary>The report.csv line, read by column name.</summary>
    public CsvRow Values { get; }

    /// <summary>The rate over the run (from timeline.csv); empty when the run has none.</summary>
    public IReadOnlyList<TimelinePoint> Timeline { get; }

    /// <summary>The figure of <paramref name="column"/>, or null when missing.</summary>
    public double? Number(string column) => Values.Number(column);

    /// <summary>The text of <paramref name="column"/>, or null when missing.</summary>
    public string? Text(string column) => Values[column];
}
