using System.CommandLine;

namespace WsFast.Load.Cli;

/// <summary>The options every scenario command takes: target, load simulation, server probe and output.</summary>
internal sealed class CommonOptions
{
    public CommonOptions(int clients, double duration, double rampUp, double settle, string url = "ws://127.0.0.1:8080/echo", string urlDescription = "WebSocket URL of the server's endpoint: ws://, or wss:// for TLS (see --ca).")
    {
        Url = new("--url", "-u") { Description = urlDescription, DefaultValueFactory = _ => url };
        Clients = new("--clients", "-c") { Description = "Clients kept connected (and working) at once.", DefaultValueFactory = _ => clients };
        Duration = new("--duration", "-d") { Description = "Seconds of the measurement window.", DefaultValueFactory = _ => duration };
        RampUp = new("--ramp-up") { Description = "Seconds over which the clients are started, evenly.", DefaultValueFactory = _ => rampUp };
        Settle = new("--settle") { Description = "Seconds between the last client being ready and the window opening (warm-up, memory settling).", DefaultValueFactory = _ => settle };
    }

    public Option<string> Url { get; }

    public Option<int> Clients { get; }

    public Option<double> Duration { get; }

    public Option<double> RampUp { get; }

    public Option<double> Settle { get; }

    public Option<int?> ServerPid { get; } = new("--server-pid") { Description = "PID of the server process, for its CPU time and memory (/proc). Default: the process listening on the URL's port, if it is ours." };

    public Option<int> SourceAddresses { get; } = new("--source-addresses") { Description = "Spread clients over 127.0.0.1..127.0.0.N as source addresses (for more than ~28,000 connections to one port). 1: the system chooses.", DefaultValueFactory = _ => 1 };

    public Option<bool> Deflate { get; } = new("--deflate") { Description = "WebSocket clients offer permessage-deflate as Chromium does ('permessage-deflate; client_max_window_bits'), inflate what the server sends compressed and compress what they send when it shrinks. Wire bytes stay those on the socket; payload bytes are inflated." };

    public Option<string?> Ca { get; } = new("--ca") { Description = "With a TLS URL: a PEM file of the CA certificate(s) to trust for the server's certificate, and no others (e.g. load/tls/make-cert.sh's ca.pem). Default: the system's trust store." };

    public Option<bool> TlsSkipVerify { get; } = new("--tls-skip-verify") { Description = "With a TLS URL: accept any server certificate, unchecked. For benchmarking against a server whose CA is not at hand; never where the server matters." };

    public Option<int?> HttpPort { get; } = new("--http-port") { Description = "With a TLS URL: the server's plain HTTP port on the same host, for /healthz (the probe) and a feed's publisher, when the server listens on both as run-compare.sh starts them. Default: /healthz over TLS on the URL's port; a feed over TLS needs it." };

    public Option<string?> Out { get; } = new("--out", "-o") { Description = "Folder for report.md and report.csv. Default: load/results/<timestamp>." };

    public Option<double> ProgressInterval { get; } = new("--progress-interval") { Description = "Seconds between progress lines (on stderr).", DefaultValueFactory = _ => 1 };

    public void AddTo(Command command)
    {
        foreach (Option option in new Option[] { Url, Clients, Duration, RampUp, Settle, ServerPid, SourceAddresses, Deflate, Ca, TlsSkipVerify, HttpPort, Out, ProgressInterval })
        {
            command.Options.Add(option);
        }
    }
}
