using WsFast.Load.Reports.Charts;
using WsFast.Load.Scenarios.Soak;

namespace WsFast.Load.Reports.Soak;

/// <summary>
/// The soak's series over time as one SVG: each as a percentage of its median after the warm-up, so that the
/// memory in MiB, the descriptors and connections in thousands and the threads in tens share one axis and a
/// trend of any of them shows as a line leaving 100%. The report's table gives their levels.
/// </summary>
public static class SoakChart
{
    private static readonly string[] Colors = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"];

    /// <summary>The SVG of <paramref name="result"/>'s series, with the verdict's medians as 100%.</summary>
    public static string Render(SoakResult result, SoakVerdict verdict, string title)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(verdict);
        // A dot every 5 s at most: a 10-minute run's 600 samples per series would make a heavy SVG of dots.
        int step = Math.Max(1, result.Samples.Count / 120);
        var series = new List<ChartSeries>();
        for (int i = 0; i < verdict.Series.Count; i++)
        {
            SeriesTrend trend = verdict.Series[i];
            double median = trend.Trend.Median;
            if (!(median > 0))
            {
                continue;
            }

            var points = new List<(double, double)>();
            for (int k = 0; k < result.Samples.Count; k += step)
            {
                long value = trend.Definition.Read(result.Samples[k].Server);
                if (value >= 0)
                {
                    points.Add((result.Samples[k].ElapsedSeconds, 100.0 * value / median));
                }
            }

            series.Add(new ChartSeries($"{trend.Definition.Short ?? trend.Definition.Name} {trend.Definition.Format(median)}", Colors[i % Colors.Length], points));
        }

        double warm = (result.Settings.RampUp + result.Settings.WarmUp).TotalSeconds;
        string svg = new LineChart
        {
            Title = title,
            XLabel = $"seconds (ramp-up and warm-up until {warm:0} s; median after it in the legend)",
            YLabel = "% of the median after warm-up",
            YUnit = " %",
            Series = series,
            Width = 960,
            Height = 420,
        }.Render();

        // The chart is written as a file of its own (the report links it), not inline in HTML: it needs its namespace.
        return svg.StartsWith("<svg xmlns", StringComparison.Ordinal) ? svg : "<svg xmlns=\"http://www.w3.org/2000/svg\" " + svg["<svg ".Length..];
    }
}
