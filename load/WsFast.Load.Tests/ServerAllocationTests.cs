using System.Net;
using WsFast.Load.Client;
using WsFast.Load.Engine;
using WsFast.Load.Reports;
using WsFast.Load.Scenarios;
using WsFast.Load.Server;
using Xunit.Abstractions;

namespace WsFast.Load.Tests;

/// <summary>
/// Zero bytes allocated per message in steady state, measured the way the comparison measures it: WsFast's
/// executable as a child process with each socket engine, the load tool's clients echoing through a window after a
/// settle, and the server's own allocation counter (/healthz allocatedBytes) read before and after the window.
/// One object per message, of the smallest size a .NET object can have (24 B), would show as 24 B per message;
/// the bound leaves room for what the server allocates per window rather than per message (the probe's two
/// /healthz requests, timers), spread over the few thousand messages a slow machine echoes in the window.
/// </summary>
public sealed class ServerAllocationTests(ITestOutputHelper output)
{
    private const double MaxBytesPerMessage = 8;

    [Theory]
    [InlineData("wsfast", 100, 32, false, false)]
    [InlineData("wsfast", 10, 65536, true, false)]
    [InlineData("wsfast-runtime", 100, 32, false, false)]
    [InlineData("wsfast-runtime", 10, 65536, true, false)]

    // permessage-deflate both ways: the clients compress their 1 KiB of text, the server inflates it into the
    // message being assembled and compresses the echo with a pooled compressor.
    [InlineData("wsfast", 100, 1024, false, true)]
    [InlineData("wsfast-runtime", 100, 1024, false, true)]
    public async Task Echo_allocates_nothing_per_message_in_steady_state(string server, int clients, int size, bool binary, bool deflate)
    {
        await using PeerProcess process = await PeerProcess.StartAsync(server);
        var endpoint = new IPEndPoint(IPAddress.Loopback, process.Port);
        var client = new WsClientOptions
        {
            Url = new Uri($"ws://127.0.0.1:{process.Port}/echo"),
            Server = endpoint,
            ReceiveBufferSize = Math.Max(4096, size + 14),
            Deflate = deflate,
        };
        var echo = new EchoScenario(new EchoSettings { Client = client, MessageSize = size, Binary = binary });
        using var probe = new ServerProbe(process.Pid, new Uri($"http://127.0.0.1:{process.Port}/"));

        // The settle lets the first connections' one-time costs (pooled connections and blocks, tier-1
        // compilation of the hot methods) fall before the window.
        var simulation = new LoadSimulation.KeepConstant(clients, TimeSpan.FromSeconds(3), TimeSpan.Zero, TimeSpan.FromSeconds(2));
        var runner = new ScenarioRunner([probe], TextWriter.Null, TimeSpan.FromMinutes(1));
        ScenarioResult result = await runner.RunAsync(echo, simulation).WaitAsync(TimeSpan.FromSeconds(60));
        var report = new RunReport(DateTimeOffset.UtcNow, client.Url.ToString(), server, result, probe, self: null);

        Assert.Equal(0, result.Stats.TotalErrors);
        Assert.True(result.Stats.MessagesReceived > 1000, $"only {result.Stats.MessagesReceived} echoes in the window");
        if (deflate)
        {
            Assert.Equal(result.Stats.MessagesReceived, result.Stats.CompressedReceived); // every echo came compressed
        }

        double perMessage = report.ServerAllocatedBytesPerMessage
            ?? throw new InvalidOperationException("the server's /healthz gave no allocation counter");
        output.WriteLine($"{server}, {clients} clients, {size} B{(deflate ? ", deflate" : "")}: {result.Stats.MessagesReceived} echoes, " +
            $"{report.ServerAllocatedBytes} B allocated, {perMessage:F2} B per message");
        Assert.True(perMessage < MaxBytesPerMessage,
            $"{server} allocated {report.ServerAllocatedBytes} B for {result.Stats.MessagesReceived} echoes of {size} B: {perMessage:F2} B per message");
    }
}
