using System.CommandLine;
using System.Globalization;
using System.Net;
using WsFast.Load.Client;
using WsFast.Load.Engine;
using WsFast.Load.Reports;
using WsFast.Load.Server;

namespace WsFast.Load.Cli;

/// <summary>What every scenario command does once its scenario is built: probe, run, report.</summary>
internal static class ScenarioCommand
{
    /// <summary>Resolves the URL into client options; throws <see cref="FormatException"/> on a bad URL.</summary>
    public static WsClientOptions ClientOptions(ParseResult parse, CommonOptions common, int receiveBufferSize)
    {
        string text = parse.GetValue(common.Url)!;
        if (!Uri.TryCreate(text, UriKind.Absolute, out Uri? url) || url.Scheme != "ws")
        {
            throw new FormatException($"--url must be a ws:// URL, not '{text}'.");
        }

        IPAddress address = IPAddress.TryParse(url.Host, out IPAddress? literal)
            ? literal
            : Dns.GetHostAddresses(url.Host).First();
        return new WsClientOptions
        {
            Url = url,
            Server = new IPEndPoint(address, url.Port),
            SourceAddresses = parse.GetValue(common.SourceAddresses),
            ReceiveBufferSize = receiveBufferSize,
            Deflate = parse.GetValue(common.Deflate),
        };
    }

    /// <summary>
    /// Runs <paramref name="scenario"/> as the options say, prints and saves the report; returns the exit code.
    /// <paramref name="injectRate"/> paces the clients (operations/s in all); <paramref name="publishRate"/> and
    /// <paramref name="intervalMs"/> are only reported (the scenario paces itself by them).
    /// </summary>
    public static async Task<int> RunAsync(
        ParseResult parse, CommonOptions common, WsClientOptions client, IScenario scenario, string settings,
        double? injectRate = null, double? publishRate = null, double? intervalMs = null)
    {
        int clients = parse.GetValue(common.Clients);
        if (clients < 1)
        {
            Console.Error.WriteLine("wsfast-load: --clients must be at least 1.");
            return 2;
        }

        var simulation = new LoadSimulation.KeepConstant(
            clients,
            TimeSpan.FromSeconds(parse.GetValue(common.Duration)),
            TimeSpan.FromSeconds(parse.GetValue(common.RampUp)),
            TimeSpan.FromSeconds(parse.GetValue(common.Settle)))
        {
            Rate = injectRate,
        };

        int? pid = parse.GetValue(common.ServerPid) ?? ProcFs.FindListener(client.Server.Port);
        if (pid is null)
        {
            Console.Error.WriteLine("wsfast-load: server PID unknown (give --server-pid): no server CPU or memory figures.");
        }

        var healthBase = new Uri($"http://{client.Url.Authority}/");
        using var server = new ServerProbe(pid, healthBase);
        var self = new SelfProbe();
        var runner = new ScenarioRunner([server, self], Console.Error, TimeSpan.FromSeconds(parse.GetValue(common.ProgressInterval)));

        DateTimeOffset startedAt = DateTimeOffset.UtcNow;
        Console.Error.WriteLine($"{scenario.Name}: {simulation.Describe()} against {client.Url} (server PID {pid?.ToString(CultureInfo.InvariantCulture) ?? "unknown"})");
        ScenarioResult result = await runner.RunAsync(scenario, simulation);

        if (client.Deflate)
        {
            settings += ", deflate offered";
        }

        var report = new RunReport(startedAt, client.Url.ToString(), settings, result, server, self)
        {
            AskedRate = publishRate ?? injectRate,
            IntervalMilliseconds = intervalMs,
            ConnectTime = (scenario as Scenarios.IdleScenario)?.Connecting.Elapsed,
        };
        string folder = parse.GetValue(common.Out) ?? ReportFolder.DefaultFor(startedAt);
        string markdown = ReportFolder.Save(folder, report);
        Console.WriteLine(markdown);
        Console.Error.WriteLine($"Saved {Path.Combine(folder, "report.md")} and report.csv");
        // Lost feed messages are a finding (a short poll outrunning the server's history), not a failure of the run.
        return result.ClientsReady == clients && result.Stats.TotalErrors == 0 ? 0 : 1;
    }
}
