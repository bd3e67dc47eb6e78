using System.Text;

namespace WsFast.Load.Reports.Comparison;

/// <summary>Reads a comparison's runs and writes comparison.md, comparison.csv and comparison.html.</summary>
public static class ComparisonReport
{
    // No byte order mark: the files are read by tools (cat, spreadsheets, diff) that would show it.
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    /// <summary>
    /// Reads the runs under <paramref name="runsFolder"/> (<c>&lt;server&gt;/&lt;case&gt;/report.csv</c>, or
    /// <c>&lt;server&gt;/&lt;case&gt;/round-&lt;n&gt;/report.csv</c> for rounds) and writes the three files into
    /// <paramref name="outFolder"/>, creating it; returns the Markdown text. <paramref name="subject"/> is compared
    /// with every other server; <paramref name="order"/> orders those (the rest follow by name).
    /// </summary>
    public static string Save(string runsFolder, string outFolder, string subject, IReadOnlyList<string>? order = null)
    {
        var set = ComparisonSet.Load(runsFolder, subject, order);
        if (set.Cases.Count == 0)
        {
            throw new InvalidDataException($"No runs under '{runsFolder}' (expected <server>/<case>/report.csv).");
        }

        Directory.CreateDirectory(outFolder);
        string markdown = ComparisonMarkdown.Write(set, runsFolder);
        File.WriteAllText(Path.Combine(outFolder, "comparison.md"), markdown, Utf8);
        File.WriteAllText(Path.Combine(outFolder, "comparison.csv"), ComparisonCsv.Write(set), Utf8);
        File.WriteAllText(Path.Combine(outFolder, "comparison.html"), ComparisonHtml.Write(set, runsFolder), Utf8);
        return markdown;
    }
}
