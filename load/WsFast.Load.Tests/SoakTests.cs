using System.Diagnostics;
using System.Net;
using WsFast.Load.Reports.Soak;
using WsFast.Load.Scenarios.Soak;
using WsFast.Load.Server;
using Xunit.Abstractions;

namespace WsFast.Load.Tests;

/// <summary>
/// A minute of soak against WsFast's executable as a child process, at a size a 2-core machine carries beside
/// the rest of the tests: 1,500 clients (echo, WebSocket subscribers, event streams, long polls and 3 slow
/// consumers), 5% of them reconnecting every second in the four ways, four topics published 5 times a second.
/// The verdict must pass: no series of the server trending up after the warm-up, no message lost or out of
/// order, no close code or status nobody asked for. The server is stopped by its PID.
/// </summary>
[Collection(SoakCollection.Name)]
public sealed class SoakTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_minute_of_churn_against_the_server_leaks_nothing_and_loses_nothing()
    {
        // Slow consumers are closed at their queue bound rather than skipping messages; the per-address limits are
        // off (as PeerProcess starts it) because every client comes from loopback.
        await using PeerProcess server = await PeerProcess.StartAsync("wsfast", extraArguments: ["--slow-consumer", "disconnect"]);
        var settings = new SoakSettings
        {
            Server = new IPEndPoint(IPAddress.Loopback, server.Port),
            Authority = $"127.0.0.1:{server.Port}",
            SourceAddresses = 4,
            Clients = 1500,
            RampUp = TimeSpan.FromSeconds(10),
            Duration = TimeSpan.FromSeconds(50),
            WarmUp = TimeSpan.FromSeconds(15),
            SlowConsumers = 3,
            TopicPrefix = "soak-test",
        };
        using var probe = new ServerResourceProbe(server.Pid, new Uri($"http://127.0.0.1:{server.Port}/"));
        var progress = new StringWriter();
        var clock = Stopwatch.StartNew();

        SoakResult result = await new SoakRun(settings, probe, progress).RunAsync().WaitAsync(TimeSpan.FromSeconds(100));
        SoakVerdict verdict = SoakVerdict.Judge(result);

        output.WriteLine($"{clock.Elapsed.TotalSeconds:F0} s");
        output.WriteLine(progress.ToString());
        output.WriteLine(SoakMarkdown.Write(result, verdict, DateTimeOffset.UtcNow));
        Assert.True(verdict.Passed, string.Join("; ", verdict.Failures));
        foreach (DisconnectKind kind in Enum.GetValues<DisconnectKind>())
        {
            Assert.True(result.Tally.Reconnects(kind) > 100, $"{result.Tally.Reconnects(kind)} reconnects after {kind}");
        }

        Assert.All(result.ByRole.Where(r => r.Key is SoakRole.Broadcast or SoakRole.EventStream or SoakRole.Poll), r => Assert.True(r.Value.Checked > 10_000, $"{r.Key}: {r.Value.Checked} checked"));
        Assert.Equal(6, verdict.Series.Count(s => s.Trend.Judged));
        Assert.Equal(0, await server.StopAsync());
    }
}

/// <summary>
/// The soak runs alone, after the tests that run in parallel: its minute of 1,500 clients takes both cores, which
/// would slow the others' servers enough to change what they measure (the allocation tests' bytes per message).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SoakCollection
{
    public const string Name = "Soak, alone";
}
