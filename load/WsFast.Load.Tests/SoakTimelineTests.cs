using WsFast.Load.Reports.Soak;
using WsFast.Load.Scenarios.Soak;
using WsFast.Load.Server;

namespace WsFast.Load.Tests;

/// <summary>A soak's timeline.csv reads back as the samples it was written from, so a finished run's chart can be drawn again.</summary>
public sealed class SoakTimelineTests
{
    [Fact]
    public void The_timeline_reads_back_as_written()
    {
        List<SoakSample> samples =
        [
            new(1.002, new ServerResources(170_000_000, 17, 10_146, 10_005, 56_000_000, 900_000) { FullCollections = 12 }, 9_990, 300, 40_000, 0, 0, 3_000, 0),
            new(2.01, new ServerResources(-1, -1, -1, -1, -1, -1), 9_995, 800, 41_000, 2, 1, 3_400, 5),
        ];

        List<SoakSample> read = SoakTimelineCsv.Read(SoakTimelineCsv.Write(samples));

        Assert.Equal(samples, read);
    }

    [Fact]
    public void Another_csv_is_refused()
    {
        Assert.Throws<FormatException>(() => SoakTimelineCsv.Read("elapsed_s,phase,clients_ready\n1,measuring,4\n"));
    }

    [Fact]
    public void The_chart_is_a_standalone_svg_of_every_series()
    {
        var settings = new SoakSettings { Server = new(System.Net.IPAddress.Loopback, 1), Authority = "", TopicPrefix = "", RampUp = TimeSpan.Zero, WarmUp = TimeSpan.Zero };
        List<SoakSample> samples = [.. Enumerable.Range(0, 10).Select(t => new SoakSample(t, new ServerResources(100, 20, 1000, 1000, 50, 10) { FullCollections = t }, 0, 0, 0, 0, 0, 0, 0))];
        var result = new SoakResult(settings, samples, new SoakTally(), new Dictionary<SoakRole, (int, long, long, long)>(), new(), new(), 0, null);

        string svg = SoakChart.Render(result, SoakVerdict.Judge(result), "soak");

        Assert.StartsWith("<svg xmlns=\"http://www.w3.org/2000/svg\" ", svg, StringComparison.Ordinal);
        foreach (string name in new[] { "RSS", "GC heap", "pinned", "fds", "threads", "connections" })
        {
            Assert.Contains($">{name} ", svg, StringComparison.Ordinal);
        }
    }
}
