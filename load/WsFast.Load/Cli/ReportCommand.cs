using System.CommandLine;
using WsFast.Load.Reports.Comparison;

namespace WsFast.Load.Cli;

/// <summary>The <c>report</c> command: turns the runs of a comparison into comparison.md, .csv and .html.</summary>
internal static class ReportCommand
{
    public static Command Create()
    {
        var runs = new Option<string>("--runs", "-r") { Description = "Folder of the runs: <server>/<case>/report.csv (and timeline.csv), optional notes.txt.", Required = true };
        var output = new Option<string?>("--out", "-o") { Description = "Folder for comparison.md, comparison.csv and comparison.html. Default: the runs folder." };
        var subject = new Option<string>("--subject") { Description = "The server compared: the numerator of ratios (a server folder's name, any case).", DefaultValueFactory = _ => "WsFast" };
        var baseline = new Option<string>("--baseline") { Description = "The server compared against: the denominator of ratios.", DefaultValueFactory = _ => "Kestrel" };
        var command = new Command("report", "Compares runs of the same cases against several servers: throughput and the subject/baseline ratio, latency percentiles, server cost and, for feed scenarios, push vs polling; writes Markdown (also to stdout), CSV and a self-contained HTML page with SVG charts.");
        foreach (Option option in new Option[] { runs, output, subject, baseline })
        {
            command.Options.Add(option);
        }

        command.SetAction(parse =>
        {
            string runsFolder = parse.GetValue(runs)!;
            string outFolder = parse.GetValue(output) ?? runsFolder;
            try
            {
                string markdown = ComparisonReport.Save(runsFolder, outFolder, parse.GetValue(subject)!, parse.GetValue(baseline)!);
                Console.WriteLine(markdown);
                Console.Error.WriteLine($"Saved {Path.Combine(outFolder, "comparison.md")}, comparison.csv and comparison.html");
                return 0;
            }
            catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"wsfast-load: {e.Message}");
                return 2;
            }
        });
        return command;
    }
}
