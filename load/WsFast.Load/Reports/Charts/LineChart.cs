namespace WsFast.Load.Reports.Charts;

/// <summary>
/// A line chart as inline SVG: one line (with dots) per series, a linear x axis (or named categories at
/// given positions), a linear or logarithmic y axis with grid lines, and a legend.
/// </summary>
internal sealed class LineChart
{
    private const double Left = 64;
    private const double Right = 16;
    private const double Top = 48;
    private const double Bottom = 40;

    public required string Title { get; init; }

    public string XLabel { get; init; } = "";

    public string YLabel { get; init; } = "";

    /// <summary>A base-10 logarithmic y axis (positive values only; others are left out).</summary>
    public bool LogY { get; init; }

    /// <summary>Named x positions (categories); without them the x axis gets round ticks.</summary>
    public IReadOnlyList<(double Value, string Label)>? XTicks { get; init; }

    /// <summary>The x domain; by default the range of the points (and of <see cref="XTicks"/>, padded by half a step).</summary>
    public (double Min, double Max)? XDomain { get; init; }

    public string YUnit { get; init; } = "";

    public IReadOnlyList<ChartSeries> Series { get; init; } = [];

    public double Width { get; init; } = 640;

    public double Height { get; init; } = 300;

    /// <summary>The chart's SVG markup.</summary>
    public string Render()
    {
        var svg = new SvgWriter(Width, Height, Title);
        svg.Text(Left, 18, Title, size: 14, bold: true);
        Legend(svg);

        var points = Series.SelectMany(s => s.Points).Where(p => double.IsFinite(p.Y) && (!LogY || p.Y > 0)).ToList();
        (double xMin, double xMax) = XDomain ?? DefaultXDomain(points);
        var x = new LinearScale(xMin, xMax, Left, Width - Right);
        Func<double, double> y;
        IReadOnlyList<double> yTicks;
        if (LogY)
        {
            var log = LogScale.Covering(points.Count > 0 ? points.Min(p => p.Y) : 1, points.Count > 0 ? points.Max(p => p.Y) : 10, Height - Bottom, Top);
            y = log.Map;
            yTicks = log.Ticks();
        }
        else
        {
            var linear = LinearScale.FromZero(0, points.Count > 0 ? points.Max(p => p.Y) : 1, Height - Bottom, Top);
            y = linear.Map;
            yTicks = linear.Ticks();
        }

        foreach (double tick in yTicks)
        {
            svg.Line(Left, y(tick), Width - Right, y(tick), "#ddd", dashed: true);
            svg.Text(Left - 6, y(tick) + 4, AxisLabels.Compact(tick), anchor: "end", size: 11, fill: "#555");
        }

        IEnumerable<(double Value, string Label)> xTicks = XTicks ?? x.Ticks(8).Select(t => (t, AxisLabels.Compact(t)));
        foreach ((double value, string label) in xTicks)
        {
            svg.Line(x.Map(value), Height - Bottom, x.Map(value), Height - Bottom + 4, "#555");
            svg.Text(x.Map(value), Height - Bottom + 16, label, anchor: "middle", size: 11, fill: "#555");
        }

        svg.Line(Left, Height - Bottom, Width - Right, Height - Bottom, "#555");
        svg.Line(Left, Top, Left, Height - Bottom, "#555");
        svg.Text((Left + Width - Right) / 2, Height - 6, XLabel, anchor: "middle", size: 11, fill: "#555");
        svg.Text(14, (Top + Height - Bottom) / 2, YLabel + (LogY ? " (log)" : ""), anchor: "middle", size: 11, fill: "#555", rotate: -90);

        foreach (ChartSeries series in Series)
        {
            var visible = series.Points.Where(p => double.IsFinite(p.Y) && (!LogY || p.Y > 0)).Select(p => (x.Map(p.X), y(p.Y))).ToList();
            if (visible.Count > 1)
            {
                svg.Polyline(visible, series.Color);
            }

            foreach ((double px, double py) in series.Points.Where(p => double.IsFinite(p.Y) && (!LogY || p.Y > 0)))
            {
                svg.Circle(x.Map(px), y(py), 3, series.Color, $"{series.Name}: {AxisLabels.Compact(py)}{YUnit}");
            }
        }

        return svg.End();
    }

    private (double, double) DefaultXDomain(List<(double X, double Y)> points)
    {
        if (XTicks is { Count: > 0 } ticks)
        {
            double step = ticks.Count > 1 ? (ticks[^1].Value - ticks[0].Value) / (ticks.Count - 1) : 1;
            return (ticks[0].Value - step / 2, ticks[^1].Value + step / 2);
        }

        return points.Count > 0 ? (points.Min(p => p.X), points.Max(p => p.X)) : (0, 1);
    }

    private void Legend(SvgWriter svg)
    {
        double at = Left;
        foreach (ChartSeries series in Series)
        {
            svg.Rect(at, 28, 12, 12, series.Color);
            svg.Text(at + 16, 38, series.Name, size: 12);
            at += 28 + (series.Name.Length * 7);
        }
    }
}
