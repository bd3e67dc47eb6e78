using System.Text.RegularExpressions;
using WsFast.Load.Reports.Charts;

namespace WsFast.Load.Tests;

public class SvgChartTests
{
    [Fact]
    public void Linear_scale_maps_ends_and_middle_and_can_run_backwards()
    {
        var scale = new LinearScale(0, 100, 300, 100); // a y axis: larger values higher up
        Assert.Equal(300, scale.Map(0));
        Assert.Equal(100, scale.Map(100));
        Assert.Equal(200, scale.Map(50));
    }

    [Fact]
    public void Linear_scale_from_zero_rounds_up_to_a_nice_bound_with_round_ticks()
    {
        var scale = LinearScale.FromZero(0, 43_210, 0, 100);
        Assert.Equal(0, scale.DomainMin);
        Assert.Equal(50_000, scale.DomainMax);
        Assert.Equal([0, 10_000, 20_000, 30_000, 40_000, 50_000], scale.Ticks());
        Assert.Equal(0.5, LinearScale.NiceStep(2.2, 5));
    }

    [Fact]
    public void Log_scale_covers_whole_decades_and_spaces_them_evenly()
    {
        var scale = LogScale.Covering(45, 23_000, 0, 300);
        Assert.Equal(10, scale.DomainMin);
        Assert.Equal(100_000, scale.DomainMax);
        Assert.Equal([10, 100, 1_000, 10_000, 100_000], scale.Ticks());
        Assert.Equal(0, scale.Map(10), 6);
        Assert.Equal(75, scale.Map(100), 6);
        Assert.Equal(150, scale.Map(1_000), 6);
        Assert.Equal(300, scale.Map(100_000), 6);
        Assert.Equal(0, scale.Map(0), 6); // no logarithm: the lower end
        Assert.Throws<ArgumentOutOfRangeException>(() => new LogScale(0, 10, 0, 1));
    }

    [Fact]
    public void Svg_writer_escapes_text_and_writes_invariant_numbers()
    {
        var svg = new SvgWriter(100.5, 50, "a < b & c");
        svg.Text(1.234, 2, "p99 <µs>");
        svg.Rect(0, 0, -5, 10, "#fff", "tip & more");
        string markup = svg.End();
        Assert.StartsWith("<svg width=\"100.5\" height=\"50\"", markup);
        Assert.Contains("<title>a &lt; b &amp; c</title>", markup);
        Assert.Contains("x=\"1.23\"", markup);
        Assert.Contains("p99 &lt;", markup);
        Assert.Contains("width=\"0\"", markup); // a negative width is drawn as none
        Assert.Contains("<title>tip &amp; more</title></rect>", markup);
        Assert.EndsWith("</svg>", markup);
    }

    [Fact]
    public void Log_line_chart_places_decades_evenly_and_leaves_out_values_without_a_logarithm()
    {
        var chart = new LineChart
        {
            Title = "latency",
            LogY = true,
            XTicks = [(0, "p50"), (1, "p99")],
            Series = [new ChartSeries("A", "#000", [(0, 100), (1, 10_000)]), new ChartSeries("B", "#111", [(0, 0), (1, 1_000)])],
        };
        string markup = chart.Render();
        Assert.Single(Regex.Matches(markup, "<svg "));
        Assert.Contains(">100</text>", markup);
        Assert.Contains(">10k</text>", markup);
        Assert.Contains(">p99</text>", markup);
        Assert.Equal(3, Regex.Count(markup, "<circle ")); // B's zero has no place on a log axis
        Assert.Single(Regex.Matches(markup, "<polyline "));
    }

    [Fact]
    public void Bar_chart_scales_per_group_when_asked_and_marks_missing_bars()
    {
        var chart = new BarChart
        {
            Title = "rate",
            SeriesNames = ["A", "B"],
            ScalePerGroup = true,
            Groups = [new BarGroup("big", "A/B 2.00×", [200_000, 100_000]), new BarGroup("small", null, [10, null])],
        };
        string markup = chart.Render();
        double[] widths = Regex.Matches(markup, "<rect x=\"210\" y=\"[0-9.]+\" width=\"([0-9.]+)\"").Select(m => double.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(3, widths.Length);
        Assert.Equal(widths[0], widths[2]); // each group's largest bar spans the full width
        Assert.Equal(widths[0] / 2, widths[1], 1);
        Assert.Contains("B: n/a", markup);
        Assert.Contains("A/B 2.00×", markup);
        Assert.Contains(">200k<", markup);
    }

    [Fact]
    public void Bar_chart_writes_a_note_line_per_ratio_and_makes_room_for_them()
    {
        BarChart Chart(string note) => new()
        {
            Title = "rate",
            SeriesNames = ["A"],
            Groups = [new BarGroup("case", note, [1])],
        };

        string markup = Chart("A/B 2.00×\nA/C 0.50×\nA/D 1.00×").Render();
        Assert.Contains(">A/B 2.00×<", markup);
        Assert.Contains(">A/C 0.50×<", markup);
        Assert.Contains(">A/D 1.00×<", markup);
        Assert.Equal(30, Chart("A/B 2.00×\nA/C 0.50×\nA/D 1.00×").Height - Chart("A/B 2.00×").Height);
    }
}
