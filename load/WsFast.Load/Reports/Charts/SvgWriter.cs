using System.Globalization;
using System.Text;

namespace WsFast.Load.Reports.Charts;

/// <summary>
/// Writes one inline SVG element: shapes and text with invariant numbers and escaped text. It has no
/// namespace declaration and refers to nothing outside itself, so it can be inlined in an HTML page as is.
/// </summary>
internal sealed class SvgWriter
{
    private readonly StringBuilder _text = new();

    /// <summary>Opens an SVG of <paramref name="width"/> × <paramref name="height"/> whose accessible name is <paramref name="title"/>.</summary>
    public SvgWriter(double width, double height, string title)
    {
        _text.Append(CultureInfo.InvariantCulture, $"<svg width=\"{N(width)}\" height=\"{N(height)}\" viewBox=\"0 0 {N(width)} {N(height)}\" role=\"img\" aria-label=\"{Escape(title)}\">");
        _text.Append(CultureInfo.InvariantCulture, $"<title>{Escape(title)}</title>");
    }

    /// <summary>A rectangle; <paramref name="tooltip"/> shows on hover.</summary>
    public void Rect(double x, double y, double width, double height, string fill, string? tooltip = null)
    {
        _text.Append(CultureInfo.InvariantCulture, $"<rect x=\"{N(x)}\" y=\"{N(y)}\" width=\"{N(Math.Max(0, width))}\" height=\"{N(Math.Max(0, height))}\" fill=\"{fill}\"");
        Close("rect", tooltip);
    }

    /// <summary>A straight line; <paramref name="dashed"/> for grid lines.</summary>
    public void Line(double x1, double y1, double x2, double y2, string stroke, double width = 1, bool dashed = false)
    {
        string dash = dashed ? " stroke-dasharray=\"3 3\"" : "";
        _text.Append(CultureInfo.InvariantCulture, $"<line x1=\"{N(x1)}\" y1=\"{N(y1)}\" x2=\"{N(x2)}\" y2=\"{N(y2)}\" stroke=\"{stroke}\" stroke-width=\"{N(width)}\"{dash}/>");
    }

    /// <summary>An open line through <paramref name="points"/>.</summary>
    public void Polyline(IEnumerable<(double X, double Y)> points, string stroke, double width = 2)
    {
        string list = string.Join(' ', points.Select(p => $"{N(p.X)},{N(p.Y)}"));
        _text.Append(CultureInfo.InvariantCulture, $"<polyline points=\"{list}\" fill=\"none\" stroke=\"{stroke}\" stroke-width=\"{N(width)}\"/>");
    }

    /// <summary>A dot; <paramref name="tooltip"/> shows on hover.</summary>
    public void Circle(double cx, double cy, double r, string fill, string? tooltip = null)
    {
        _text.Append(CultureInfo.InvariantCulture, $"<circle cx=\"{N(cx)}\" cy=\"{N(cy)}\" r=\"{N(r)}\" fill=\"{fill}\"");
        Close("circle", tooltip);
    }

    /// <summary>Text anchored at (<paramref name="x"/>, <paramref name="y"/>): start, middle or end.</summary>
    public void Text(double x, double y, string text, string anchor = "start", double size = 12, bool bold = false, string fill = "#222", double rotate = 0)
    {
        string weight = bold ? " font-weight=\"bold\"" : "";
        string transform = rotate != 0 ? $" transform=\"rotate({N(rotate)} {N(x)} {N(y)})\"" : "";
        _text.Append(CultureInfo.InvariantCulture, $"<text x=\"{N(x)}\" y=\"{N(y)}\" text-anchor=\"{anchor}\" font-size=\"{N(size)}\" fill=\"{fill}\"{weight}{transform}>{Escape(text)}</text>");
    }

    /// <summary>Closes the SVG and returns its markup.</summary>
    public string End()
    {
        _text.Append("</svg>");
        return _text.ToString();
    }

    /// <summary>A number as SVG wants it: invariant, at most two decimals.</summary>
    internal static string N(double value) => double.IsFinite(value) ? value.ToString("0.##", CultureInfo.InvariantCulture) : "0";

    private static string Escape(string text) => Markup.Escape(text);

    private void Close(string element, string? tooltip)
    {
        if (tooltip is null)
        {
            _text.Append("/>");
        }
        else
        {
            _text.Append(CultureInfo.InvariantCulture, $"><title>{Escape(tooltip)}</title></{element}>");
        }
    }
}
