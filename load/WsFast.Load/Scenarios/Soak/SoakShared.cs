using System.Net;
using System.Text;
using WsFast.Load.Client;
using WsFast.Load.Engine;

namespace WsFast.Load.Scenarios.Soak;

/// <summary>What every client of one soak shares: the settings, the tally, the latency clock and the stop signal.</summary>
internal sealed class SoakShared
{
    public SoakShared(SoakSettings settings, SoakTally tally, RunClock clock, CancellationToken stopping)
    {
        Settings = settings;
        Tally = tally;
        Clock = clock;
        Stopping = stopping;
        EchoPayload = EchoScenario.MakePayload(settings.EchoSize, binary: false);
    }

    public SoakSettings Settings { get; }

    public SoakTally Tally { get; }

    /// <summary>Measures from the end of the warm-up: latencies before it are not the steady state's.</summary>
    public RunClock Clock { get; }

    public CancellationToken Stopping { get; }

    /// <summary>What echo clients send, and what a WebSocket cut mid-message was sending.</summary>
    public byte[] EchoPayload { get; }

    /// <summary>WebSocket options for <paramref name="path"/>, with a socket receive buffer of <paramref name="socketReceiveBuffer"/> bytes when given.</summary>
    public WsClientOptions WebSocket(string path, int? socketReceiveBuffer = null) => new()
    {
        Url = new Uri($"ws://{Settings.Authority}{path}"),
        Server = Settings.Server,
        SourceAddresses = Settings.SourceAddresses,
        ReceiveBufferSize = socketReceiveBuffer ?? 4096,
        SocketReceiveBufferSize = socketReceiveBuffer,
    };

    /// <summary>The source address of client <paramref name="clientIndex"/>, or null for the system's choice.</summary>
    public IPAddress? SourceFor(int clientIndex) =>
        new WsClientOptions { Url = new Uri("ws://x/"), Server = Settings.Server, SourceAddresses = Settings.SourceAddresses }.SourceAddressFor(clientIndex);

    /// <summary>A GET of <paramref name="pathAndQuery"/> with <paramref name="extraHeaders"/> (each ending in CRLF).</summary>
    public byte[] Get(string pathAndQuery, string accept, string extraHeaders = "") =>
        Encoding.ASCII.GetBytes($"GET {pathAndQuery} HTTP/1.1\r\nHost: {Settings.Authority}\r\nAccept: {accept}\r\n{extraHeaders}\r\n");
}
