using WsFast.Load.Engine;

namespace WsFast.Load.Tests;

public class ProgressTests
{
    private static readonly LoadSimulation.KeepConstant Plan =
        new(100, Window: TimeSpan.FromSeconds(10), RampUp: TimeSpan.FromSeconds(2), Settle: TimeSpan.FromSeconds(3));

    [Fact]
    public void Remaining_time_follows_the_phases_of_the_plan()
    {
        Assert.Equal(TimeSpan.FromSeconds(14), RemainingTime.Estimate(Plan, "ramp-up", TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1)));
        Assert.Equal(TimeSpan.FromSeconds(13), RemainingTime.Estimate(Plan, "connecting", TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(3)));
        Assert.Equal(TimeSpan.FromSeconds(12), RemainingTime.Estimate(Plan, "settle", TimeSpan.FromSeconds(6), TimeSpan.FromSeconds(1)));
        Assert.Equal(TimeSpan.FromSeconds(4), RemainingTime.Estimate(Plan, "measuring", TimeSpan.FromSeconds(12), TimeSpan.FromSeconds(6)));
        Assert.Equal(TimeSpan.Zero, RemainingTime.Estimate(Plan, "measuring", TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(11)));
        Assert.Equal(TimeSpan.Zero, RemainingTime.Estimate(Plan, "closing", TimeSpan.FromSeconds(20), TimeSpan.Zero));
        Assert.Null(RemainingTime.Estimate(null, "measuring", TimeSpan.Zero, TimeSpan.Zero));
    }

    [Fact]
    public void Plain_line_shows_rate_p99_errors_and_time_left()
    {
        var sample = new ProgressSample(12.34, "measuring", 990, 1000, 123_456, 45_210.4, 812.3, 2, TimeSpan.FromSeconds(4));
        string line = ProgressPrinter.PlainLine(sample);
        Assert.StartsWith("[  12.3 s] measuring  ready    990/1000", line);
        Assert.Contains("received      123,456", line);
        Assert.Contains("(    45,210/s)", line);
        Assert.Contains("p99       812 µs", line);
        Assert.Contains("errors 2", line);
        Assert.EndsWith("4 s left", line);
    }

    [Fact]
    public void Plain_line_without_latency_or_plan_says_so()
    {
        var sample = new ProgressSample(1, "ramp-up", 10, 1000, 0, 0, null, 0, null);
        string line = ProgressPrinter.PlainLine(sample);
        Assert.Contains("p99       n/a", line);
        Assert.EndsWith("errors 0", line);
    }

    [Fact]
    public void Since_keeps_only_the_values_recorded_after_the_copy()
    {
        var total = new LatencyHistogram();
        for (int i = 0; i < 1000; i++)
        {
            total.Record(1_000); // 1 µs
        }

        var before = new LatencyHistogram();
        before.Add(total);
        for (int i = 0; i < 100; i++)
        {
            total.Record(1_000_000); // 1 ms
        }

        LatencyHistogram interval = total.Since(before);
        Assert.Equal(100, interval.Count);
        Assert.Equal(1_000_000, interval.ValueAtPercentile(50), 1_000_000 * LatencyHistogram.RelativePrecision);
        Assert.Equal(1_000_000, interval.ValueAtPercentile(99), 1_000_000 * LatencyHistogram.RelativePrecision);
        Assert.Equal(0, total.Since(total).Count);
    }

    [Fact]
    public void Live_panel_renders_the_sample_and_an_empty_start()
    {
        var text = new StringWriter();
        var console = Spectre.Console.AnsiConsole.Create(new Spectre.Console.AnsiConsoleSettings
        {
            Out = new Spectre.Console.AnsiConsoleOutput(text),
            Ansi = Spectre.Console.AnsiSupport.No,
            ColorSystem = Spectre.Console.ColorSystemSupport.NoColors,
        });
        console.Write(LiveProgressDisplay.Render(null));
        console.Write(LiveProgressDisplay.Render(new ProgressSample(3, "measuring", 5, 5, 10, 42, 7.5, 1, TimeSpan.FromSeconds(2))));
        string output = text.ToString();
        Assert.Contains("starting", output);
        Assert.Contains("measuring", output);
        Assert.Contains("42 msg/s", output);
        Assert.Contains("8 µs", output);
        Assert.Contains("3.0 s / 2 s", output);
    }
}
