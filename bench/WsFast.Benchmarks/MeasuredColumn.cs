using System.Collections.Concurrent;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace WsFast.Benchmarks;

/// <summary>
/// A column whose value the host process measures once per benchmark case when the summary is printed (native
/// memory, compressed size): figures that are facts about the case, not timings.
/// </summary>
internal sealed class MeasuredColumn(string name, string legend, Func<BenchmarkCase, string> measure) : IColumn
{
    private readonly ConcurrentDictionary<string, string> _values = new();

    public string Id => nameof(MeasuredColumn) + "." + name;

    public string ColumnName => name;

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => 0;

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend => legend;

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, summary.Style);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) =>
        _values.GetOrAdd(benchmarkCase.DisplayInfo, _ => measure(benchmarkCase));

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    public bool IsAvailable(Summary summary) => true;
}
