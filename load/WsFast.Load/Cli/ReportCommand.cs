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
        var subject = new Option<string>("--subject") { Description = "The server compared with every other: the numerator of ratios (a server folder's name, any case).", DefaultValueFactory = _ => "WsFast" };
        var servers = new Option<string?>("--servers") { Description = "The order of the other servers in tables and charts, names separated by spaces or commas (e.g. \"Bun Node Kestrel\"). Default: by name." };
        var command = new Command("report", "Compares runs of the same cases against several servers, one run each or several rounds (<server>/<case>/round-<n>/, figures as medians): throughput and server CPU per message with the subject's ratio to every other server, idle connections, latency percentiles, server cost and, for feed scenarios, push vs polling; writes Markdown (also to stdout), CSV and a self-contained HTML page with SVG charts.");
        foreach (Option option in new Option[] { runs, output, subject, servers })
        {
            command.Options.Add(option);
        }

        command.SetAction(parse =>
        {
            string runsFolder = parse.GetValue(runs)!;
            string outFolder = parse.GetValue(output) ?? runsFolder;
            try
            {
                string[] order = (parse.GetValue(servers) ?? "").Split([' ', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                string markdown = ComparisonReport.Save(runsFolder, outFolder, parse.GetValue(subject)!, order);
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
