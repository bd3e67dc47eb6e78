using WsFast.Load.Engine;

namespace WsFast.Load.Tests;

public class LatencyHistogramTests
{
    private static readonly double[] Percentiles = [0, 1, 10, 25, 50, 75, 90, 95, 99, 99.9, 99.99, 100];

    // Nearest rank: the smallest value with at least p% of the values at or below it.
    private static long Reference(long[] sorted, double percentile)
    {
        long rank = Math.Clamp((long)Math.Ceiling(percentile / 100.0 * sorted.Length), 1, sorted.Length);
        return sorted[rank - 1];
    }

    private static long[] LogNormalLatencies(int count, int seed)
    {
        // Latencies spread over µs to seconds, like a loaded server's.
        var random = new Random(seed);
        var values = new long[count];
        for (int i = 0; i < count; i++)
        {
            double gaussian = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
            values[i] = (long)Math.Exp(11.5 + 2.5 * gaussian); // median ~100 µs
        }

        return values;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Percentiles_are_within_the_stated_precision_of_a_sorted_reference(int seed)
    {
        long[] values = LogNormalLatencies(200_000, seed);
        var histogram = new LatencyHistogram();
        foreach (long value in values)
        {
            histogram.Record(value);
        }

        long[] sorted = values.Order().ToArray();
        foreach (double p in Percentiles)
        {
            long expected = Math.Min(Reference(sorted, p), LatencyHistogram.MaxTrackableNanoseconds);
            long actual = histogram.ValueAtPercentile(p);
            double tolerance = Math.Max(1, expected * LatencyHistogram.RelativePrecision);
            Assert.True(Math.Abs(actual - expected) <= tolerance, $"p{p}: {actual} ns, reference {expected} ns, tolerance {tolerance:0.0}");
        }

        Assert.Equal(sorted.Length, histogram.Count);
        Assert.Equal(sorted[0], histogram.Min);
        Assert.Equal(sorted[^1], histogram.Max);
        Assert.Equal(sorted.Average(v => (double)v), histogram.Mean, precision: 3);
    }

    [Fact]
    public void Small_values_are_exact()
    {
        var histogram = new LatencyHistogram();
        for (long v = 0; v < 256; v++)
        {
            histogram.Record(v);
        }

        Assert.Equal(127, histogram.ValueAtPercentile(50));
        Assert.Equal(255, histogram.ValueAtPercentile(100));
        Assert.Equal(0, histogram.ValueAtPercentile(0));
    }

    [Fact]
    public void Buckets_tile_the_range_without_gaps_and_stay_within_the_relative_width()
    {
        // Every bucket starts where the previous one ended, and is at most 1/128 as wide as its values.
        for (int index = 1; index <= LatencyHistogram.BucketIndex(LatencyHistogram.MaxTrackableNanoseconds); index++)
        {
            long lowest = LatencyHistogram.LowestValue(index);
            Assert.Equal(LatencyHistogram.LowestValue(index - 1) + LatencyHistogram.Width(index - 1), lowest);
            Assert.Equal(index, LatencyHistogram.BucketIndex(lowest));
            Assert.Equal(index, LatencyHistogram.BucketIndex(lowest + LatencyHistogram.Width(index) - 1));
            if (index >= 256)
            {
                Assert.True(LatencyHistogram.Width(index) * 128 <= lowest);
            }
        }
    }

    [Fact]
    public void Values_beyond_the_range_count_in_the_last_bucket_and_as_the_exact_maximum()
    {
        var histogram = new LatencyHistogram();
        histogram.Record(-5);
        histogram.Record(120_000_000_000);
        Assert.Equal(0, histogram.Min);
        Assert.Equal(120_000_000_000, histogram.Max);
        Assert.Equal(2, histogram.Count);
        long top = histogram.ValueAtPercentile(100);
        Assert.InRange(top, LatencyHistogram.MaxTrackableNanoseconds * 0.99, 120_000_000_000);
    }

    [Fact]
    public void Recording_allocates_nothing_once_the_octaves_in_use_have_their_pages()
    {
        long[] values = LogNormalLatencies(100_000, seed: 5);
        var histogram = new LatencyHistogram();
        foreach (long value in values)
        {
            histogram.Record(value); // allocates a page per octave first reached (and JIT-compiles)
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        foreach (long value in values)
        {
            histogram.Record(value);
        }

        Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());
        Assert.Equal(2 * values.Length, histogram.Count);
    }

    [Fact]
    public void An_empty_histogram_reports_zero()
    {
        var histogram = new LatencyHistogram();
        Assert.Equal(0, histogram.ValueAtPercentile(99));
        Assert.Equal(0, histogram.Min);
        Assert.Equal(0, histogram.Max);
        Assert.Equal(0, histogram.Mean);
    }

    [Fact]
    public void Merging_per_worker_histograms_equals_one_histogram_of_all_values()
    {
        long[] values = LogNormalLatencies(50_000, seed: 7);
        var all = new LatencyHistogram();
        var workers = Enumerable.Range(0, 8).Select(_ => new LatencyHistogram()).ToArray();
        for (int i = 0; i < values.Length; i++)
        {
            all.Record(values[i]);
            workers[i % 3 == 0 ? 0 : i % workers.Length].Record(values[i]); // uneven shares, one worker empty-ish
        }

        var merged = new LatencyHistogram();
        merged.Add(new LatencyHistogram()); // an empty worker changes nothing
        foreach (LatencyHistogram worker in workers)
        {
            merged.Add(worker);
        }

        Assert.Equal(all.Count, merged.Count);
        Assert.Equal(all.Min, merged.Min);
        Assert.Equal(all.Max, merged.Max);
        Assert.Equal(all.Sum, merged.Sum);
        for (double p = 0; p <= 100; p += 0.5)
        {
            Assert.Equal(all.ValueAtPercentile(p), merged.ValueAtPercentile(p));
        }

        Assert.Equal(all.ValueAtPercentile(99.9), merged.ValueAtPercentile(99.9));
        Assert.Equal(all.ValueAtPercentile(99.99), merged.ValueAtPercentile(99.99));
    }
}
