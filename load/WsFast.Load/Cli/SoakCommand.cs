using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using WsFast.Load.Reports;
using WsFast.Load.Reports.Soak;
using WsFast.Load.Scenarios.Soak;
using WsFast.Load.Server;

namespace WsFast.Load.Cli;

/// <summary>
/// <c>soak</c>: N clients (echo, WebSocket subscribers, event streams, long polls, a few slow consumers) for a
/// duration while a share of them disconnects and reconnects every second and every topic is published at a steady
/// rate; the server's resources are sampled once a second and the verdict fails on an upward trend, a lost or
/// reordered message, or an unexpected close. Writes report.md, timeline.csv and soak.svg; exits 1 on a failure.
/// </summary>
internal static class SoakCommand
{
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    public static Command Create()
    {
        var url = new Option<string>("--url", "-u") { Description = "The server's base URL (http:// or ws://, host and port).", DefaultValueFactory = _ => "http://127.0.0.1:8080" };
        var clients = new Option<int>("--clients", "-c") { Description = "Clients kept connected (each reconnects after every disconnect).", DefaultValueFactory = _ => 10_000 };
        var duration = new Option<double>("--duration", "-d") { Description = "Seconds of soak after the ramp-up.", DefaultValueFactory = _ => 600 };
        var rampUp = new Option<double>("--ramp-up") { Description = "Seconds over which the clients first start.", DefaultValueFactory = _ => 20 };
        var warmUp = new Option<double>("--warm-up") { Description = "Seconds after the ramp-up left out of the trend test.", DefaultValueFactory = _ => 120 };
        var mix = new Option<string>("--mix") { Description = "Shares of echo clients, WebSocket subscribers, event streams and long polls, as E:B:S:P.", DefaultValueFactory = _ => "40:30:15:15" };
        var slow = new Option<int?>("--slow") { Description = "Slow consumers among the WebSocket subscribers (they stop reading, then read slowly). Default: one per 500 clients, at least 2." };
        var churn = new Option<double>("--churn") { Description = "Share of the clients told to disconnect and reconnect every second.", DefaultValueFactory = _ => 0.05 };
        var topics = new Option<int>("--topics") { Description = "Topics; client i subscribes to topic i mod N.", DefaultValueFactory = _ => 4 };
        var rate = new Option<double>("--rate", "-r") { Description = "Messages/s published to each topic (one connection per topic).", DefaultValueFactory = _ => 5 };
        var size = new Option<int>("--size", "-s") { Description = "Bytes of each feed message.", DefaultValueFactory = _ => 512 };
        var sources = new Option<int>("--source-addresses") { Description = "Spread clients over 127.0.0.1..127.0.0.N as source addresses. 1: the system chooses.", DefaultValueFactory = _ => 1 };
        var serverPid = new Option<int?>("--server-pid") { Description = "PID of the server (for /proc). Default: the process listening on the URL's port." };
        var chartFrom = new Option<string?>("--chart-from") { Description = "Run nothing: draw FOLDER/soak.svg again from FOLDER/timeline.csv of a finished soak, with the --clients, --churn, --ramp-up and --warm-up it ran with." };
        var outFolder = new Option<string?>("--out", "-o") { Description = "Folder for report.md, timeline.csv and soak.svg. Default: load/results/soak-<timestamp>." };

        var command = new Command("soak", "N clients (echo, WebSocket subscribers, SSE, long polls, slow consumers) for a duration with 5% of them disconnecting and reconnecting every second (abrupt, reset, close handshake, mid-message) and a steady feed; samples the server's RSS, GC heap, pinned bytes, descriptors, threads and connections once a second; fails (exit 1) on an upward trend after the warm-up, a lost or reordered message of a healthy subscriber, or an unexpected close code or status.");
        foreach (Option option in new Option[] { url, clients, duration, rampUp, warmUp, mix, slow, churn, topics, rate, size, sources, serverPid, outFolder, chartFrom })
        {
            command.Options.Add(option);
        }

        command.SetAction(async (parse, _) =>
        {
            string text = parse.GetValue(url)!;
            int count = parse.GetValue(clients);
            int[]? shares = ParseMix(parse.GetValue(mix)!);
            if (!Uri.TryCreate(text, UriKind.Absolute, out Uri? baseUrl) || baseUrl.Scheme is not ("http" or "ws") || shares is null
                || count < 1 || parse.GetValue(rate) <= 0 || parse.GetValue(topics) < 1 || parse.GetValue(churn) is < 0 or > 1)
            {
                Console.Error.WriteLine("wsfast-load soak: --url must be http:// or ws://, --mix four shares E:B:S:P, --clients, --rate and --topics above 0, --churn from 0 to 1.");
                return 2;
            }

            if (parse.GetValue(chartFrom) is string done)
            {
                return DrawAgain(done, count, parse.GetValue(churn), TimeSpan.FromSeconds(parse.GetValue(rampUp)), TimeSpan.FromSeconds(parse.GetValue(warmUp)));
            }

            IPAddress address = IPAddress.TryParse(baseUrl.Host, out IPAddress? literal) ? literal : Dns.GetHostAddresses(baseUrl.Host).First();
            var settings = new SoakSettings
            {
                Server = new IPEndPoint(address, baseUrl.Port),
                Authority = baseUrl.Authority,
                SourceAddresses = parse.GetValue(sources),
                Clients = count,
                Duration = TimeSpan.FromSeconds(parse.GetValue(duration)),
                RampUp = TimeSpan.FromSeconds(parse.GetValue(rampUp)),
                WarmUp = TimeSpan.FromSeconds(parse.GetValue(warmUp)),
                Mix = shares,
                SlowConsumers = parse.GetValue(slow) ?? Math.Max(2, count / 500),
                ChurnPerSecond = parse.GetValue(churn),
                Topics = parse.GetValue(topics),
                Rate = parse.GetValue(rate),
                MessageSize = Math.Max(parse.GetValue(size), Scenarios.Feed.FeedPayload.MaxUnpaddedLength),
                TopicPrefix = "soak-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4)),
            };
            int? pid = parse.GetValue(serverPid) ?? ProcFs.FindListener(settings.Server.Port);
            if (pid is null)
            {
                Console.Error.WriteLine("wsfast-load soak: server PID unknown (give --server-pid): RSS, threads and descriptors cannot be read, which fails the verdict.");
            }

            DateTimeOffset startedAt = DateTimeOffset.UtcNow;
            string folder = parse.GetValue(outFolder) ?? Path.Combine("load", "results", "soak-" + startedAt.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture));
            using var probe = new ServerResourceProbe(pid, new Uri($"http://{baseUrl.Authority}/"));
            Console.Error.WriteLine($"soak: {count:N0} clients against {baseUrl.Authority} (server PID {pid?.ToString(CultureInfo.InvariantCulture) ?? "unknown"}) for {settings.RampUp.TotalSeconds:0} + {settings.Duration.TotalSeconds:0} s");
            SoakResult result = await new SoakRun(settings, probe, Console.Error).RunAsync();
            SoakVerdict verdict = SoakVerdict.Judge(result);
            string markdown = Save(folder, result, verdict, startedAt);
            Console.WriteLine(markdown);
            Console.Error.WriteLine($"Saved {Path.Combine(folder, "report.md")}, timeline.csv and soak.svg");
            Console.Error.WriteLine(verdict.Passed ? "soak: PASS" : $"soak: FAIL ({string.Join("; ", verdict.Failures)})");
            return verdict.Passed ? 0 : 1;
        });
        return command;
    }

    /// <summary>Writes report.md, timeline.csv and soak.svg into <paramref name="folder"/>; returns the Markdown.</summary>
    internal static string Save(string folder, SoakResult result, SoakVerdict verdict, DateTimeOffset startedAt)
    {
        Directory.CreateDirectory(folder);
        string markdown = SoakMarkdown.Write(result, verdict, startedAt, "soak.svg");
        File.WriteAllText(Path.Combine(folder, "report.md"), markdown, Utf8);
        File.WriteAllText(Path.Combine(folder, "timeline.csv"), SoakTimelineCsv.Write(result.Samples), Utf8);
        string title = string.Create(CultureInfo.InvariantCulture, $"WsFast soak: {result.Settings.Clients:N0} clients, {result.Settings.ChurnPerSecond:P0} reconnecting a second");
        File.WriteAllText(Path.Combine(folder, "soak.svg"), SoakChart.Render(result, verdict, title), Utf8);
        return markdown;
    }

    // The chart of a finished run from its timeline: the series' trends are all it needs of the result.
    private static int DrawAgain(string folder, int clients, double churn, TimeSpan rampUp, TimeSpan warmUp)
    {
        List<SoakSample> samples = SoakTimelineCsv.Read(File.ReadAllText(Path.Combine(folder, "timeline.csv")));
        var settings = new SoakSettings
        {
            Server = new IPEndPoint(IPAddress.Loopback, 0),
            Authority = "",
            TopicPrefix = "",
            Clients = clients,
            ChurnPerSecond = churn,
            RampUp = rampUp,
            WarmUp = warmUp,
        };
        var result = new SoakResult(settings, samples, new SoakTally(), new Dictionary<SoakRole, (int, long, long, long)>(), new(), new(), 0, null);
        string title = string.Create(CultureInfo.InvariantCulture, $"WsFast soak: {clients:N0} clients, {churn:P0} reconnecting a second");
        File.WriteAllText(Path.Combine(folder, "soak.svg"), SoakChart.Render(result, SoakVerdict.Judge(result), title), Utf8);
        Console.Error.WriteLine($"Drew {Path.Combine(folder, "soak.svg")} again from timeline.csv");
        return 0;
    }

    private static int[]? ParseMix(string text)
    {
        string[] parts = text.Split(':');
        if (parts.Length != 4)
        {
            return null;
        }

        var shares = new int[4];
        for (int i = 0; i < 4; i++)
        {
            if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out shares[i]))
            {
                return null;
            }
        }

        return shares[0] + shares[1] + shares[2] + shares[3] > 0 ? shares : null;
    }
}
