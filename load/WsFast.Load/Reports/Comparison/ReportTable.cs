namespace WsFast.Load.Reports.Comparison;

/// <summary>A table of a comparison, already formatted, for the Markdown and HTML writers alike.</summary>
/// <param name="Title">The section heading.</param>
/// <param name="Description">One sentence under the heading saying what the figures are.</param>
/// <param name="Headers">The column headings.</param>
/// <param name="Rows">The cells, one array per row, as many as <paramref name="Headers"/>.</param>
internal sealed record ReportTable(string Title, string Description, IReadOnlyList<string> Headers, IReadOnlyList<string[]> Rows);
