namespace WsFast.Load.Reports.Charts;

/// <summary>
/// Escapes text for HTML and SVG: only the characters markup reserves. Unlike WebUtility.HtmlEncode it
/// leaves µ and × as they are, since the pages are UTF-8 and stay readable as source.
/// </summary>
internal static class Markup
{
    public static string Escape(string text) => text
        .Replace("&", "&amp;", StringComparison.Ordinal)
        .Replace("<", "&lt;", StringComparison.Ordinal)
        .Replace(">", "&gt;", StringComparison.Ordinal)
        .Replace("\"", "&quot;", StringComparison.Ordinal);
}
