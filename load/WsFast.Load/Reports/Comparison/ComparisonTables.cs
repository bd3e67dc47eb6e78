using System.Globalization;

namespace WsFast.Load.Reports.Comparison;

/// <summary>
/// The tables of a comparison: throughput and server CPU per message with the subject's ratio to every other
/// server, idle connections (memory and handshakes), latency percentiles, server cost, and, when feed
/// scenarios ran, push versus polling per delivered message and each polling run against the same server's push.
/// </summary>
internal static class ComparisonTables
{
    /// <summary>Every table that has rows.</summary>
    public static IReadOnlyList<ReportTable> Build(ComparisonSet set)
    {
        ArgumentNullException.ThrowIfNull(set);
        return new[]
            {
                Throughput(set), CpuPerMessage(set), Connections(set), Latency(set), ServerCost(set), PushVersusPolling(set),
                PushVersusPollingRatios(set), Deflate(set), DeflateAgainstPlain(set), Tls(set), TlsAgainstPlain(set),
            }
            .Where(t => t.Rows.Count > 0)
            .ToList();
    }

    /// <summary>Messages received per second per server, and the subject's over each other server's.</summary>
    public static ReportTable Throughput(ComparisonSet set)
    {
        var headers = new List<string> { "case", "scenario", "clients", "settings" };
        headers.AddRange(set.Servers.Select(s => $"{s} msg/s"));
        headers.AddRange(set.Peers.Select(p => $"{set.Subject}/{p}"));
        var rows = new List<string[]>();
        foreach (ComparisonCase c in set.Cases)
        {
            var cells = new List<string>
            {
                c.Name,
                c.Text(RunColumns.Scenario, set.Servers) ?? "n/a",
                Figures.Format(c.Text(RunColumns.Clients, set.Servers) is string n && long.TryParse(n, CultureInfo.InvariantCulture, out long clients) ? clients : null),
                c.Text(RunColumns.Settings, set.Servers) ?? "",
            };
            cells.AddRange(set.Servers.Select(s => Figures.Format(c.Run(s)?.Number(RunColumns.Rate), "N0")));
            cells.AddRange(set.Peers.Select(p => Ratio(c.Ratio(RunColumns.Rate, set.Subject, p))));
            rows.Add([.. cells]);
        }

        return new ReportTable(
            "Throughput",
            "Messages received by the clients per second of the measurement window (for ws-echo one message is one round trip)" +
            (set.HasRatio ? $"; {set.Subject}/X is {set.Subject}'s rate over X's, above 1 when {set.Subject} delivers more." : "."),
            headers,
            rows);
    }

    /// <summary>Server CPU per message per server, and the subject's over each other server's.</summary>
    public static ReportTable CpuPerMessage(ComparisonSet set)
    {
        var headers = new List<string> { "case", "scenario" };
        headers.AddRange(set.Servers.Select(s => $"{s} µs/msg"));
        headers.AddRange(set.Peers.Select(p => $"{set.Subject}/{p}"));
        var rows = set.Cases
            .Where(c => c.Runs.Any(r => r.Number(RunColumns.ServerCpuPerMessage) is not null))
            .Select(c => new[] { c.Name, c.Text(RunColumns.Scenario, set.Servers) ?? "n/a" }
                .Concat(set.Servers.Select(s => Figures.Format(c.Run(s)?.Number(RunColumns.ServerCpuPerMessage), "0.00")))
                .Concat(set.Peers.Select(p => Ratio(c.Ratio(RunColumns.ServerCpuPerMessage, set.Subject, p))))
                .ToArray())
            .ToList();
        return new ReportTable(
            "Server CPU per message",
            "Server CPU time (user + system, all its threads) in the window per message received by the clients, in µs" +
            (set.HasRatio ? $"; {set.Subject}/X is {set.Subject}'s CPU per message over X's, below 1 when {set.Subject} spends less." : "."),
            headers,
            rows);
    }

    /// <summary>ws-idle runs: memory per connection, and how long the handshakes took.</summary>
    public static ReportTable Connections(ComparisonSet set)
    {
        string[] headers = ["case", "server", "clients ready", "RSS/conn", "connect s", "handshakes/s"];
        RatioColumn[] ratios = [new("RSS/conn", RunColumns.ServerRssPerConnection), new("handshakes/s", RunColumns.HandshakesPerSecond)];
        var rows = EachCaseAndServer(set, set.Cases.Where(c => c.Text(RunColumns.Scenario, set.Servers) == "ws-idle"), ratios, (c, server, r) =>
        [
            c.Name,
            server,
            $"{Count(r.Number(RunColumns.ClientsReady))}/{Count(r.Number(RunColumns.Clients))}",
            Figures.Bytes(r.Number(RunColumns.ServerRssPerConnection) is double b ? (long)b : null),
            Figures.Format(r.Number(RunColumns.ConnectSeconds), "0.000"),
            Figures.Format(r.Number(RunColumns.HandshakesPerSecond), "N0"),
        ]);
        return new ReportTable(
            "Idle connections",
            "Resident memory per connection (VmRSS growth from before the first connect to the window's start, per client ready), and the time from the first connect to the last completed handshake with the clients' handshakes per second over it (every client started at once when the ramp-up is 0)" +
            (set.HasRatio ? $"; ratios are {set.Subject}'s over the row's server (RSS below 1 and handshakes above 1 favour {set.Subject})." : "."),
            WithRatioHeaders(set, headers, ratios),
            rows);
    }

    /// <summary>Latency percentiles per case and server.</summary>
    public static ReportTable Latency(ComparisonSet set)
    {
        var headers = new List<string> { "case", "server" };
        headers.AddRange(RunColumns.Percentiles.Select(p => $"{p.Label} µs"));
        headers.Add("max µs");
        var rows = EachRun(set)
            .Where(r => r.Number(RunColumns.P50) is not null)
            .Select(r => new[] { r.Case, r.Server }
                .Concat(RunColumns.Percentiles.Select(p => Micros(r.Number(p.Column))))
                .Append(Micros(r.Number(RunColumns.Max)))
                .ToArray())
            .ToList();
        return new ReportTable(
            "Latency",
            "Latency of the messages received in the window (ws-echo: send to echo received; feeds: publish to delivery).",
            headers,
            rows);
    }

    /// <summary>What each run cost the server (and the load tool), and whether it went cleanly.</summary>
    public static ReportTable ServerCost(ComparisonSet set)
    {
        string[] headers =
        [
            "case", "server", "clients ready", "server CPU % of core", "server CPU µs/msg", "user µs/msg", "kernel µs/msg", "server alloc B/msg",
            "server RSS/conn", "load tool CPU %", "errors",
        ];
        var rows = EachRun(set)
            .Select(r => new[]
            {
                r.Case,
                r.Server,
                $"{Count(r.Number(RunColumns.ClientsReady))}/{Count(r.Number(RunColumns.Clients))}",
                Figures.Format(r.Number(RunColumns.ServerCpuPercent)),
                Figures.Format(r.Number(RunColumns.ServerCpuPerMessage), "0.00"),
                Figures.Format(r.Number(RunColumns.ServerUserCpuPerMessage), "0.00"),
                Figures.Format(r.Number(RunColumns.ServerKernelCpuPerMessage), "0.00"),
                Figures.Format(r.Number(RunColumns.ServerAllocPerMessage), "0.0"),
                Figures.Bytes(r.Number(RunColumns.ServerRssPerConnection) is double b ? (long)b : null),
                Figures.Format(r.Number(RunColumns.LoadCpuPercent)),
                Count(r.Number(RunColumns.Errors)),
            })
            .ToList();
        return new ReportTable(
            "Server cost",
            "Server CPU and allocations in the window, per message received by the clients, the CPU split into user time (the server's own code) and kernel time (system calls and the loopback TCP work done for it); allocations n/a where the server does not report them; resident memory per connection from before the first connect to the window's start.",
            headers,
            rows);
    }

    /// <summary>The feed scenarios side by side: what one delivered message costs on the wire and in server CPU.</summary>
    public static ReportTable PushVersusPolling(ComparisonSet set)
    {
        string[] headers =
        [
            "case", "scenario", "server", "publish rate/s", "poll interval ms", "delivered/s", "lost",
            "p50 µs", "p99 µs", "p99.9 µs", "wire B in/delivery", "wire B out/delivery", "payload B/delivery",
            "header overhead", "server CPU s/1,000 deliveries", "overhead B/delivery", "published/s", "missed slots",
        ];
        var rows = EachRun(set)
            .Where(RunColumns.IsFeed)
            .Select(r => new[]
            {
                r.Case,
                r.Text(RunColumns.Scenario) ?? "n/a",
                r.Server,
                Figures.Format(r.Number(RunColumns.PublishRate), "0.#"),
                Figures.Format(r.Number(RunColumns.IntervalMilliseconds), "0"),
                Figures.Format(r.Number(RunColumns.DeliveredPerSecond), "N0"),
                Count(r.Number(RunColumns.Lost)),
                Micros(r.Number(RunColumns.P50)),
                Micros(r.Number(RunColumns.P99)),
                Micros(r.Number(RunColumns.P999)),
                Figures.Format(r.Number(RunColumns.WireBytesInPerDelivery), "0.0"),
                Figures.Format(r.Number(RunColumns.WireBytesOutPerDelivery), "0.0"),
                Figures.Format(r.Number(RunColumns.PayloadBytesPerDelivery), "0.0"),
                Figures.Format(r.Number(RunColumns.HeaderOverheadRatio), "0.00"),
                Figures.Format(r.Number(RunColumns.ServerCpuSecondsPer1000Deliveries), "0.0000"),
                Figures.Format(OverheadPerDelivery(r), "0.0"),
                Figures.Format(r.Number(RunColumns.Published) is double p && r.Number(RunColumns.WindowSeconds) is > 0 and double w ? p / w : null, "N0"),
                Count(r.Number(RunColumns.MissedSlots)),
            })
            .ToList();
        return new ReportTable(
            "Push vs polling",
            "One feed (same publish rate and size) delivered by WebSocket broadcast, Server-Sent Events, long polling and short polling: bytes on the wire include HTTP headers; overhead is every byte in and out besides the payload (headers, framing, envelope). The tool publishes one POST at a time: a server slow to answer them is published to less than asked (published/s), and the slots its publisher or pollers fell over 100 ms behind on are the missed slots.",
            headers,
            rows);
    }

    /// <summary>
    /// Each HTTP feed run against the same server's WebSocket push of the same feed (same clients and publish
    /// rate): overhead bytes per delivery and latency, as multiples of push's.
    /// </summary>
    public static ReportTable PushVersusPollingRatios(ComparisonSet set)
    {
        string[] headers =
        [
            "case", "scenario", "server", "clients", "overhead B/delivery", "push overhead B/delivery", "bytes × push", "p50 × push", "p99 × push",
        ];
        var rows = new List<string[]>();
        var feeds = set.Cases.Where(c => c.Runs.Any(RunColumns.IsFeed)).ToList();
        foreach (string server in set.Servers)
        {
            foreach (ComparisonCase c in feeds)
            {
                if (c.Run(server) is not RunRecord run || run.Text(RunColumns.Scenario) is not ("sse" or "poll-long" or "poll-short"))
                {
                    continue;
                }

                // The push run of the same feed: ws-broadcast with the same clients and publish rate.
                ComparisonCase? push = feeds.FirstOrDefault(p => p.Run(server) is RunRecord r
                    && r.Text(RunColumns.Scenario) == "ws-broadcast"
                    && r.Number(RunColumns.Clients) == run.Number(RunColumns.Clients)
                    && r.Number(RunColumns.PublishRate) == run.Number(RunColumns.PublishRate));
                if (push is null)
                {
                    continue;
                }

                IReadOnlyList<RunRecord> these = c.Rounds(server);
                IReadOnlyList<RunRecord> pushes = push.Rounds(server);
                rows.Add(
                [
                    c.Name,
                    run.Text(RunColumns.Scenario)!,
                    server,
                    Count(run.Number(RunColumns.Clients)),
                    Figures.Format(OverheadPerDelivery(run), "0.0"),
                    Figures.Format(OverheadPerDelivery(push.Run(server)!), "0.0"),
                    Ratio(ComparisonCase.Ratio(OverheadPerDelivery, these, pushes)),
                    Ratio(ComparisonCase.Ratio(r => r.Number(RunColumns.P50), these, pushes)),
                    Ratio(ComparisonCase.Ratio(r => r.Number(RunColumns.P99), these, pushes)),
                ]);
            }
        }

        return new ReportTable(
            "Polling against push, per server",
            "Each Server-Sent Events and polling run against the same server's WebSocket push of the same feed (same clients and publish rate): overhead bytes per delivery (in and out, besides the payload) and latency, as multiples of push's.",
            headers,
            rows);
    }

    /// <summary>
    /// Cases whose clients offered permessage-deflate: what each server agreed to, and per delivered message the
    /// bytes on the wire and the server's CPU, with the subject's ratio to each other server.
    /// </summary>
    public static ReportTable Deflate(ComparisonSet set)
    {
        string[] headers =
        [
            "case", "scenario", "server", "agreed", "clients agreed", "received compressed", "wire B in/delivery", "payload B/delivery",
            "server CPU µs/msg", "RSS/conn",
        ];
        RatioColumn[] ratios =
        [
            new("wire B", RunColumns.WireBytesInPerDelivery), new("CPU", RunColumns.ServerCpuPerMessage),
            new("RSS/conn", RunColumns.ServerRssPerConnection),
        ];
        var rows = EachCaseAndServer(set, set.Cases.Where(IsDeflateCase), ratios, (c, server, r) =>
        [
            c.Name,
            r.Text(RunColumns.Scenario) ?? "n/a",
            server,
            r.Text(RunColumns.Deflate) is { Length: > 0 } agreed ? $"`{agreed}`" : "declined",
            Count(r.Number(RunColumns.DeflateClients)),
            r.Number(RunColumns.CompressedShare) is double share ? Figures.Format(100 * share, "0.0") + "%" : "n/a",
            Figures.Format(r.Number(RunColumns.WireBytesInPerDelivery), "0.0"),
            Figures.Format(r.Number(RunColumns.PayloadBytesPerDelivery), "0.0"),
            Figures.Format(r.Number(RunColumns.ServerCpuPerMessage), "0.00"),
            Figures.Bytes(r.Number(RunColumns.ServerRssPerConnection) is double b ? (long)b : null),
        ]);
        return new ReportTable(
            "permessage-deflate",
            "Cases whose clients offered permessage-deflate as Chromium does: the Sec-WebSocket-Extensions each server agreed to, the share of messages that came compressed, bytes on the wire (what the clients' sockets read, frame headers included) and payload bytes (inflated) per delivered message, server CPU per message and resident memory per connection" +
            (set.HasRatio ? $"; ratios are {set.Subject}'s over the row's server, the median of each round's own ratio (below 1 favours {set.Subject})." : "."),
            WithRatioHeaders(set, headers, ratios),
            rows);
    }

    /// <summary>
    /// Each permessage-deflate case against the same server's run of the same case without it (same scenario,
    /// clients, publish rate and settings but for the offer): bytes on the wire, CPU and memory, as multiples.
    /// </summary>
    public static ReportTable DeflateAgainstPlain(ComparisonSet set)
    {
        string[] headers =
        [
            "case", "without deflate", "server", "wire B in/delivery", "× without", "server CPU µs/msg", "× without", "RSS/conn", "× without",
        ];
        var rows = EachAgainstPlain(set, IsDeflateCase, DeflateOffered, pair =>
        [
            pair.Case.Name,
            pair.Plain.Name,
            pair.Server,
            Figures.Format(pair.Run.Number(RunColumns.WireBytesInPerDelivery), "0.0"),
            pair.Times(RunColumns.WireBytesInPerDelivery),
            Figures.Format(pair.Run.Number(RunColumns.ServerCpuPerMessage), "0.00"),
            pair.Times(RunColumns.ServerCpuPerMessage),
            Figures.Bytes(pair.Run.Number(RunColumns.ServerRssPerConnection) is double b ? (long)b : null),
            pair.Times(RunColumns.ServerRssPerConnection),
        ]);
        return new ReportTable(
            "permessage-deflate against none, per server",
            "Each permessage-deflate case against the same server's run of the same case without the offer: per delivered message the bytes on the wire and the server's CPU, and resident memory per connection, with the median of each round's own ratio (below 1: deflate costs less).",
            headers,
            rows);
    }

    /// <summary>
    /// Cases whose clients connected over TLS: what each server agreed to, and its CPU per message (split into user
    /// and kernel) and per connection, with the subject's ratios to each other server.
    /// </summary>
    public static ReportTable Tls(ComparisonSet set)
    {
        string[] headers =
        [
            "case", "scenario", "server", "TLS agreed", "msg/s", "server CPU µs/msg", "user µs/msg", "kernel µs/msg", "server CPU µs/conn",
            "handshakes/s", "RSS/conn",
        ];
        RatioColumn[] ratios = [new("CPU/msg", RunColumns.ServerCpuPerMessage), new("CPU/conn", RunColumns.ServerCpuPerConnection)];
        var rows = EachCaseAndServer(set, set.Cases.Where(IsTlsCase), ratios, (c, server, r) =>
        [
            c.Name,
            r.Text(RunColumns.Scenario) ?? "n/a",
            server,
            r.Text(RunColumns.Tls) is { Length: > 0 } agreed ? agreed : "n/a",
            Figures.Format(r.Number(RunColumns.Rate), "N0"),
            Figures.Format(r.Number(RunColumns.ServerCpuPerMessage), "0.00"),
            Figures.Format(r.Number(RunColumns.ServerUserCpuPerMessage), "0.00"),
            Figures.Format(r.Number(RunColumns.ServerKernelCpuPerMessage), "0.00"),
            Figures.Format(r.Number(RunColumns.ServerCpuPerConnection), "0.0"),
            Figures.Format(r.Number(RunColumns.HandshakesPerSecond), "N0"),
            Figures.Bytes(r.Number(RunColumns.ServerRssPerConnection) is double b ? (long)b : null),
        ]);
        return new ReportTable(
            "TLS",
            "Cases whose clients connected over TLS (wss://): the protocol and cipher suite each server agreed to, messages per second, server CPU per message received by the clients (user: the server's code and its TLS library; kernel: system calls and loopback TCP), server CPU per connection from before the first connect to the window's start (TCP, TLS and WebSocket handshakes, and the settle), handshakes per second (clients ready over the connect time: the pace asked for under a ramp-up, else the slower of server and load tool, whose own TLS handshakes cost it several times the server's) and resident memory per connection" +
            (set.HasRatio ? $"; ratios are {set.Subject}'s over the row's server, the median of each round's own ratio (below 1 favours {set.Subject})." : "."),
            WithRatioHeaders(set, headers, ratios),
            rows);
    }

    /// <summary>
    /// Each TLS case against the same server's run of the same case in plain (same scenario, clients, publish rate
    /// and settings but for TLS): CPU per message and per connection, throughput and memory, as multiples.
    /// </summary>
    public static ReportTable TlsAgainstPlain(ComparisonSet set)
    {
        string[] headers =
        [
            "case", "plain", "server", "server CPU µs/msg", "× plain", "user × plain", "kernel × plain", "server CPU µs/conn", "× plain",
            "msg/s × plain", "RSS/conn × plain",
        ];
        var rows = EachAgainstPlain(set, IsTlsCase, TlsMarker, pair =>
        [
            pair.Case.Name,
            pair.Plain.Name,
            pair.Server,
            Figures.Format(pair.Run.Number(RunColumns.ServerCpuPerMessage), "0.00"),
            pair.Times(RunColumns.ServerCpuPerMessage),
            pair.Times(RunColumns.ServerUserCpuPerMessage),
            pair.Times(RunColumns.ServerKernelCpuPerMessage),
            Figures.Format(pair.Run.Number(RunColumns.ServerCpuPerConnection), "0.0"),
            pair.Times(RunColumns.ServerCpuPerConnection),
            pair.Times(RunColumns.Rate),
            pair.Times(RunColumns.ServerRssPerConnection),
        ]);
        return new ReportTable(
            "TLS against plain, per server",
            "Each TLS case against the same server's run of the same case without TLS: server CPU per message (and its user and kernel parts) and per connection, messages per second and resident memory per connection, with the median of each round's own ratio (above 1: TLS costs more).",
            headers,
            rows);
    }

    // A column the subject is compared on in tables of one row per case and server: the header after
    // "<subject>/this " and the figure's column.
    private sealed record RatioColumn(string Header, string Column);

    private static IReadOnlyList<string> WithRatioHeaders(ComparisonSet set, string[] headers, RatioColumn[] ratios) =>
        set.HasRatio ? [.. headers, .. ratios.Select(r => $"{set.Subject}/this {r.Header}")] : headers;

    // One row per case and server that ran it, case by case: the table's cells of the run, then, when there is a
    // server to compare with, the subject's ratio over the row's server on each ratio column (empty on the subject's own row).
    private static List<string[]> EachCaseAndServer(
        ComparisonSet set, IEnumerable<ComparisonCase> cases, RatioColumn[] ratios, Func<ComparisonCase, string, RunRecord, string[]> cells)
    {
        var rows = new List<string[]>();
        foreach (ComparisonCase c in cases)
        {
            foreach (string server in set.Servers)
            {
                if (c.Run(server) is not RunRecord r)
                {
                    continue;
                }

                var row = new List<string>(cells(c, server, r));
                if (set.HasRatio)
                {
                    bool subject = server == set.Subject;
                    row.AddRange(ratios.Select(ratio => subject ? "" : Ratio(c.Ratio(ratio.Column, set.Subject, server))));
                }

                rows.Add([.. row]);
            }
        }

        return rows;
    }

    // A case with a feature (TLS, the deflate offer) and the same server's run of its plain twin: the same scenario,
    // clients, publish rate and settings but for the feature's marker.
    private sealed record PlainPair(ComparisonCase Case, ComparisonCase Plain, string Server, RunRecord Run)
    {
        // The median of each round's own ratio of the feature case's figure over the plain case's, as "1.23×".
        public string Times(string column) => Ratio(ComparisonCase.Ratio(r => r.Number(column), Case.Rounds(Server), Plain.Rounds(Server)));
    }

    // One row per feature case that has a plain twin, server by server.
    private static List<string[]> EachAgainstPlain(
        ComparisonSet set, Func<ComparisonCase, bool> hasFeature, string marker, Func<PlainPair, string[]> cells)
    {
        var rows = new List<string[]>();
        foreach (string server in set.Servers)
        {
            foreach (ComparisonCase c in set.Cases.Where(hasFeature))
            {
                if (c.Run(server) is not RunRecord run)
                {
                    continue;
                }

                ComparisonCase? plain = set.Cases.FirstOrDefault(p => !hasFeature(p) && p.Run(server) is RunRecord r
                    && r.Text(RunColumns.Scenario) == run.Text(RunColumns.Scenario)
                    && r.Number(RunColumns.Clients) == run.Number(RunColumns.Clients)
                    && r.Number(RunColumns.PublishRate) == run.Number(RunColumns.PublishRate)
                    && SameSettings(r.Text(RunColumns.Settings), run.Text(RunColumns.Settings), marker));
                if (plain is not null)
                {
                    rows.Add(cells(new PlainPair(c, plain, server, run)));
                }
            }
        }

        return rows;
    }

    // A case whose clients connected over TLS (ScenarioCommand adds the words to its settings).
    private static bool IsTlsCase(ComparisonCase c) =>
        c.Runs.Any(r => r.Text(RunColumns.Settings)?.EndsWith(TlsMarker, StringComparison.Ordinal) == true);

    private const string TlsMarker = ", TLS";

    // A case whose clients offered permessage-deflate (ScenarioCommand adds the words to its settings).
    private static bool IsDeflateCase(ComparisonCase c) =>
        c.Runs.Any(r => r.Text(RunColumns.Settings)?.Contains(DeflateOffered, StringComparison.Ordinal) == true);

    private const string DeflateOffered = ", deflate offered";

    // The settings but for a marker (the deflate offer, TLS) and the feed's topic, which every run names afresh
    // ("topic load-1a2b3c4d, ").
    private static bool SameSettings(string? plain, string? marked, string marker) =>
        plain is not null && marked is not null
        && WithoutTopic(plain) == WithoutTopic(marked.Replace(marker, "", StringComparison.Ordinal));

    private static string WithoutTopic(string settings) =>
        settings.StartsWith("topic ", StringComparison.Ordinal) && settings.IndexOf(", ", StringComparison.Ordinal) is int comma and > 0
            ? settings[(comma + 2)..]
            : settings;

    /// <summary>A ratio as "1.23×", or "n/a".</summary>
    public static string Ratio(double? ratio) => ratio is double r ? r.ToString("0.00", CultureInfo.InvariantCulture) + "×" : "n/a";

    /// <summary>Bytes in and out per delivery besides the payload: headers, framing and envelope.</summary>
    public static double? OverheadPerDelivery(RunRecord run) =>
        run.Number(RunColumns.WireBytesInPerDelivery) is double i && run.Number(RunColumns.WireBytesOutPerDelivery) is double o
            && run.Number(RunColumns.PayloadBytesPerDelivery) is double p
            ? i + o - p
            : null;

    // Case by case, server by server.
    private static IEnumerable<RunRecord> EachRun(ComparisonSet set) =>
        set.Cases.SelectMany(c => set.Servers.Select(c.Run).OfType<RunRecord>());

    // Whole µs above 100, a tenth below, where the difference still shows.
    private static string Micros(double? value) => value is double v && v < 100 ? Figures.Format(v, "0.0") : Figures.Format(value, "N0");

    private static string Count(double? value) => value is double v ? Figures.Format((long)v) : "n/a";
}
