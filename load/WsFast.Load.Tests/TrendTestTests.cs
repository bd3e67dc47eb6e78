using WsFast.Load.Reports.Soak;
using WsFast.Load.Scenarios.Soak;
using WsFast.Load.Server;

namespace WsFast.Load.Tests;

/// <summary>
/// The soak's slope test: a series that grows slowly under noise larger than each second's growth is caught, a
/// flat one with noise and a sawtooth is not, and the GC heap is judged over whole collection cycles.
/// </summary>
public sealed class TrendTestTests
{
    private const double MiB = 1048576;

    [Fact]
    public void A_slowly_growing_series_trends_up()
    {
        // 400 MiB growing by 32 MiB (8%) over 10 minutes: 55 KB a second, under noise of ±10 MiB a sample.
        var random = new Random(1);
        List<(double, double)> samples = Series(600, t => (400 * MiB) + (t * 32 * MiB / 600) + ((random.NextDouble() - 0.5) * 20 * MiB));

        TrendResult result = new TrendTest().Evaluate(samples);

        Assert.True(result.TrendsUp, $"growth {result.Growth / MiB:F1} MiB, allowed {result.Tolerance / MiB:F1} MiB");
        Assert.InRange(result.SlopePerSecond * 600 / MiB, 28, 36);
    }

    [Fact]
    public void A_flat_noisy_series_does_not_trend_up()
    {
        // 400 MiB with ±20 MiB of noise and a 30 s sawtooth of 15 MiB on top: no trend.
        var random = new Random(2);
        List<(double, double)> samples = Series(600, t => (400 * MiB) + ((random.NextDouble() - 0.5) * 40 * MiB) + (t % 30 / 30 * 15 * MiB));

        TrendResult result = new TrendTest().Evaluate(samples);

        Assert.False(result.TrendsUp, $"growth {result.Growth / MiB:F1} MiB, allowed {result.Tolerance / MiB:F1} MiB");
        Assert.True(result.Judged);
    }

    [Fact]
    public void A_growth_within_the_noise_of_a_short_series_is_not_taken_for_a_trend()
    {
        // 40 samples of ±10% noise around 100: a chance slope must stay within 3 standard errors.
        for (int seed = 0; seed < 50; seed++)
        {
            var random = new Random(seed);
            TrendResult result = new TrendTest().Evaluate(Series(40, _ => 100 + ((random.NextDouble() - 0.5) * 20)));
            Assert.False(result.TrendsUp, $"seed {seed}: growth {result.Growth:F2}, allowed {result.Tolerance:F2}");
        }
    }

    [Fact]
    public void A_thread_more_is_within_a_counts_resolution()
    {
        // 20 threads, then 21 for the second half: 5% of the level, but one thread.
        TrendResult result = new TrendTest { Floor = 3 }.Evaluate(Series(300, t => t < 150 ? 20 : 21));

        Assert.False(result.TrendsUp);
        Assert.True(new TrendTest { Floor = 3 }.Evaluate(Series(300, t => 20 + (t / 30))).TrendsUp); // 10 threads more

        // The soak's own threads series: the pool moving between 14 and 19 passes, a thread a minute more does not.
        TrendTest threads = SoakVerdict.Definitions[4].Test;
        Assert.Equal("threads", SoakVerdict.Definitions[4].Name);
        Assert.False(threads.Evaluate(Series(480, t => t < 150 ? 14 : t < 300 ? 15 : t % 60 < 30 ? 19 : 17)).TrendsUp);
        Assert.True(threads.Evaluate(Series(600, t => 14 + (t / 60) + (t % 7 == 0 ? 2 : 0))).TrendsUp);
    }

    [Fact]
    public void The_gc_heap_climbing_between_full_collections_is_judged_over_whole_cycles()
    {
        // A heap that climbs 10 MiB over each 40 s cycle and falls back at each full collection: flat over whole
        // cycles, although the window after the warm-up (10 s) does not start at a collection.
        SeriesDefinition heap = SoakVerdict.Definitions[1];
        List<SoakSample> samples = Heap(200, t => (50 * MiB) + (t % 40 / 40 * 10 * MiB), t => t / 40);

        (List<(double, double)> points, TrendTest test, string note) = SoakVerdict.WholeCycles(samples, 10, Points(samples, 10, heap), heap);

        Assert.False(test.Evaluate(points).TrendsUp, note);
        Assert.Equal("over 3 whole GC cycle(s), 40-160 s", note); // collections at 40, 80, 120 and 160 s
    }

    [Fact]
    public void A_gc_heap_whose_floor_rises_from_cycle_to_cycle_trends_up()
    {
        // The same sawtooth on a floor that rises 8 MiB per cycle: what each full collection leaves grows.
        SeriesDefinition heap = SoakVerdict.Definitions[1];
        List<SoakSample> samples = Heap(200, t => (50 * MiB) + (Math.Floor(t / 40.0) * 8 * MiB) + (t % 40 / 40 * 10 * MiB), t => t / 40);

        (List<(double, double)> points, TrendTest test, string note) = SoakVerdict.WholeCycles(samples, 10, Points(samples, 10, heap), heap);

        Assert.True(test.Evaluate(points).TrendsUp, note);
    }

    [Fact]
    public void Within_one_cycle_the_climb_of_a_cycle_is_allowed_but_not_more()
    {
        // A run whose one full collection (at 40 s) fell by 10 MiB: the window after it climbs as before, which is allowed...
        SeriesDefinition heap = SoakVerdict.Definitions[1];
        List<SoakSample> cycle = Heap(75, t => (50 * MiB) + (t % 40 / 40 * 10 * MiB), t => t / 40);
        (List<(double, double)> points, TrendTest test, _) = SoakVerdict.WholeCycles(cycle, 41, Points(cycle, 41, heap), heap);
        Assert.False(test.Evaluate(points).TrendsUp);

        // ...but not a climb to three times that.
        List<SoakSample> leak = Heap(75, t => t < 40 ? (50 * MiB) + (t / 40 * 10 * MiB) : (50 * MiB) + ((t - 40) * 30 * MiB / 35), t => t / 40);
        (points, test, _) = SoakVerdict.WholeCycles(leak, 41, Points(leak, 41, heap), heap);
        Assert.True(test.Evaluate(points).TrendsUp);
    }

    [Fact]
    public void One_whole_cycle_is_not_fitted_alone_its_climb_is_no_trend()
    {
        // A minute's run: the warm-up ends at 25 s, full collections at 30 and 46 s, each cycle climbing 5 MiB. A fit
        // over 30-46 s alone is a climb closed by one low sample, and would read as +4 MiB.
        SeriesDefinition heap = SoakVerdict.Definitions[1];
        List<SoakSample> samples = Heap(60, t => (9 * MiB) + (Cycle(t) * 5 * MiB), t => t < 30 ? 0 : t < 46 ? 1 : 2);

        (List<(double, double)> points, TrendTest test, string note) = SoakVerdict.WholeCycles(samples, 25, Points(samples, 25, heap), heap);

        Assert.False(test.Evaluate(points).TrendsUp, note);
        Assert.StartsWith("fewer than two whole GC cycles", note);

        static double Cycle(int t) => t < 30 ? (t - 14) / 16.0 : t < 46 ? (t - 30) / 16.0 : (t - 46) / 16.0;
    }

    private static List<(double, double)> Series(int seconds, Func<int, double> value)
    {
        var samples = new List<(double, double)>();
        for (int t = 0; t < seconds; t++)
        {
            samples.Add((t, value(t)));
        }

        return samples;
    }

    private static List<SoakSample> Heap(int seconds, Func<int, double> bytes, Func<int, int> fullCollections)
    {
        var samples = new List<SoakSample>();
        for (int t = 0; t < seconds; t++)
        {
            var server = new ServerResources(100 * (long)MiB, 20, 1000, 1000, (long)bytes(t), (long)MiB) { FullCollections = fullCollections(t) };
            samples.Add(new SoakSample(t, server, 1000, 0, 0, 0, 0, 0, 0));
        }

        return samples;
    }

    private static List<(double, double)> Points(List<SoakSample> samples, double from, SeriesDefinition series) =>
        samples.Where(s => s.ElapsedSeconds >= from).Select(s => (s.ElapsedSeconds, (double)series.Read(s.Server))).ToList();
}
