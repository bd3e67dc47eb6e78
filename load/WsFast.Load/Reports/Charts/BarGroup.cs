namespace WsFast.Load.Reports.Charts;

/// <summary>One group of a <see cref="BarChart"/>: a label, an optional note (ratios, one a line) and one bar per series (null: not measured).</summary>
internal sealed record BarGroup(string Label, string? Note, IReadOnlyList<double?> Values);
