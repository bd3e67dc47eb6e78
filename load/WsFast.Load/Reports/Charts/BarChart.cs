namespace WsFast.Load.Reports.Charts;

/// <summary>
/// A horizontal grouped bar chart as inline SVG: one group per label, one bar per series, each bar labelled
/// with its value. Bars share one scale, or, with <see cref="ScalePerGroup"/>, each group is scaled to its
/// own largest bar, for groups whose figures differ by orders of magnitude (the labels keep the values).
/// </summary>
internal sealed class BarChart
{
    private const double LabelWidth = 210;
    private const double ValueWidth = 90;
    private const double Top = 48;
    private const double BarHeight = 16;
    private const double BarGap = 3;
    private const double GroupGap = 16;
    private const double NoteLineHeight = 15;

    public required string Title { get; init; }

    /// <summary>The series' names, in the order of every group's values.</summary>
    public required IReadOnlyList<string> SeriesNames { get; init; }

    public IReadOnlyList<BarGroup> Groups { get; init; } = [];

    public bool ScalePerGroup { get; init; }

    public string Unit { get; init; } = "";

    public double Width { get; init; } = 720;

    /// <summary>The chart's height: the title and legend, then the groups.</summary>
    public double Height => Top + Groups.Sum(GroupHeight) + 8;

    /// <summary>The chart's SVG markup.</summary>
    public string Render()
    {
        var svg = new SvgWriter(Width, Height, Title);
        svg.Text(8, 18, Title, size: 14, bold: true);
        double at = 8;
        for (int i = 0; i < SeriesNames.Count; i++)
        {
            svg.Rect(at, 28, 12, 12, ChartPalette.Color(i));
            svg.Text(at + 16, 38, SeriesNames[i], size: 12);
            at += 28 + (SeriesNames[i].Length * 7);
        }

        double overall = Groups.SelectMany(g => g.Values).Max(v => v ?? 0);
        double y = Top;
        foreach (BarGroup group in Groups)
        {
            double max = ScalePerGroup ? group.Values.Max(v => v ?? 0) : overall;
            var scale = new LinearScale(0, max > 0 ? max : 1, LabelWidth, Width - ValueWidth);
            double height = GroupHeight(group) - GroupGap;
            svg.Text(LabelWidth - 8, y + 12, group.Label, anchor: "end", size: 12, bold: true);
            if (group.Note is not null)
            {
                // One line per '\n': a ratio per series compared.
                string[] lines = group.Note.Split('\n');
                for (int line = 0; line < lines.Length; line++)
                {
                    svg.Text(LabelWidth - 8, y + 28 + (line * NoteLineHeight), lines[line], anchor: "end", size: 12, fill: "#555");
                }
            }

            for (int i = 0; i < group.Values.Count; i++)
            {
                double barY = y + i * (BarHeight + BarGap);
                string name = i < SeriesNames.Count ? SeriesNames[i] : $"series {i + 1}";
                if (group.Values[i] is double value)
                {
                    double end = scale.Map(Math.Max(0, value));
                    string label = AxisLabels.Compact(value) + Unit;
                    svg.Rect(LabelWidth, barY, end - LabelWidth, BarHeight, ChartPalette.Color(i), $"{name}: {label}");
                    svg.Text(end + 4, barY + 12, label, size: 11);
                }
                else
                {
                    svg.Text(LabelWidth + 4, barY + 12, $"{name}: n/a", size: 11, fill: "#888");
                }
            }

            svg.Line(LabelWidth, y - 2, LabelWidth, y + height + 2, "#555");
            y += GroupHeight(group);
        }

        return svg.End();
    }

    // Room for the bars, and for the label and every line of the note.
    private static double GroupHeight(BarGroup group) =>
        Math.Max(group.Values.Count * (BarHeight + BarGap), 32 + (((group.Note?.Split('\n').Length ?? 1) - 1) * NoteLineHeight)) + GroupGap;
}
