using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Net.Security;
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
        if (!Uri.TryCreate(text, UriKind.Absolute, out Uri? url) || url.Scheme is not ("ws" or "wss"))
        {
            throw new FormatException($"--url must be a ws:// or wss:// URL, not '{text}'.");
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
            Tls = url.Scheme == "wss" ? TlsOptions(parse, common, url) : null,
        };
    }

    /// <summary>The clients' TLS options for <paramref name="url"/> from --ca and --tls-skip-verify.</summary>
    /// <exception cref="FormatException">Both were given, or the CA file cannot be read.</exception>
    public static SslClientAuthenticationOptions TlsOptions(ParseResult parse, CommonOptions common, Uri url)
    {
        string? ca = parse.GetValue(common.Ca);
        bool skip = parse.GetValue(common.TlsSkipVerify);
        if (ca is not null && skip)
        {
            throw new FormatException("--ca and --tls-skip-verify exclude each other.");
        }

        return TlsSettings.ClientOptions(url.IdnHost, ca, skip);
    }

    /// <summary>
    /// The plain HTTP endpoint of --http-port on the server's address, or null without it.
    /// </summary>
    /// <exception cref="FormatException">--http-port is not a port.</exception>
    public static IPEndPoint? PlainHttp(ParseResult parse, CommonOptions common, IPEndPoint server) =>
        parse.GetValue(common.HttpPort) switch
        {
            null => null,
            int port when port is > 0 and <= 65535 => new IPEndPoint(server.Address, port),
            int port => throw new FormatException($"--http-port must be a port from 1 to 65535, not {port}."),
        };

    /// <summary>
    /// Runs <paramref name="scenario"/> as the options say, prints and saves the report; returns the exit code.
    /// <paramref name="injectRate"/> paces the clients (operations/s in all); <paramref name="publishRate"/> and
    /// <paramref name="intervalMs"/> are only reported (the scenario paces itself by them). With
    /// <paramref name="nodes"/> (the servers the subscribers spread over) each node's server is probed too, by the
    /// PID listening on its port, and <paramref name="brokerPid"/>'s CPU time beside them.
    /// </summary>
    public static async Task<int> RunAsync(
        ParseResult parse, CommonOptions common, WsClientOptions client, IScenario scenario, string settings,
        double? injectRate = null, double? publishRate = null, double? intervalMs = null,
        IReadOnlyList<WsClientOptions>? nodes = null, int? brokerPid = null)
    {
        nodes ??= [];
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

        // /healthz on the plain port when there is one; else on the URL's own, over TLS when the clients use it.
        IPEndPoint? plain;
        try
        {
            plain = PlainHttp(parse, common, client.Server);
        }
        catch (FormatException e)
        {
            Console.Error.WriteLine($"wsfast-load: {e.Message}");
            return 2;
        }

        var healthBase = plain is not null
            ? new Uri($"http://{client.Url.IdnHost}:{plain.Port}/")
            : new Uri($"{(client.Tls is null ? "http" : "https")}://{client.Url.Authority}/");
        using var server = new ServerProbe(pid, healthBase, client.Tls);
        var self = new SelfProbe();
        var probes = new List<IRunProbe> { server };
        using var nodeServers = new NodeServers(nodes, client.Server, server);
        probes.AddRange(nodeServers.Others);
        var broker = brokerPid is int brokerId ? new ProcessCpuProbe(brokerId) : null;
        if (broker is not null)
        {
            probes.Add(broker);
        }

        probes.Add(self);
        var runner = new ScenarioRunner(probes, Console.Error, TimeSpan.FromSeconds(parse.GetValue(common.ProgressInterval)));

        DateTimeOffset startedAt = DateTimeOffset.UtcNow;
        Console.Error.WriteLine($"{scenario.Name}: {simulation.Describe()} against {client.Url} (server PID {pid?.ToString(CultureInfo.InvariantCulture) ?? "unknown"})");
        ScenarioResult result = await runner.RunAsync(scenario, simulation);

        if (client.Deflate)
        {
            settings += ", deflate offered";
        }

        if (client.Tls is not null)
        {
            settings += ", TLS";
        }

        IReadOnlyList<NodeFigures> split = nodes.Count > 0 ? NodeFigures.Split(result, nodeServers.Urls, nodeServers.ByNode) : [];
        var report = new RunReport(startedAt, client.Url.ToString(), settings, result, server, self)
        {
            AskedRate = publishRate ?? injectRate,
            IntervalMilliseconds = intervalMs,
            ConnectTime = (scenario as Scenarios.IdleScenario)?.Connecting.Elapsed,
            Nodes = split,
            AllNodes = nodes.Count > 0 ? NodeFigures.Total(result, split, nodeServers.TotalCpu) : null,
            BrokerPid = broker?.Pid,
            BrokerCpu = broker?.WindowCpu,
        };
        string folder = parse.GetValue(common.Out) ?? ReportFolder.DefaultFor(startedAt);
        string markdown = ReportFolder.Save(folder, report);
        Console.WriteLine(markdown);
        Console.Error.WriteLine($"Saved {Path.Combine(folder, "report.md")} and report.csv");
        // Lost feed messages are a finding (a short poll outrunning the server's history), not a failure of the run.
        return result.ClientsReady == clients && result.Stats.TotalErrors == 0 ? 0 : 1;
    }
}
