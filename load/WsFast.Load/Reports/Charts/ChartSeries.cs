namespace WsFast.Load.Reports.Charts;

/// <summary>One line of a <see cref="LineChart"/>: a name for the legend, a colour and its points.</summary>
internal sealed record ChartSeries(string Name, string Color, IReadOnlyList<(double X, double Y)> Points);
