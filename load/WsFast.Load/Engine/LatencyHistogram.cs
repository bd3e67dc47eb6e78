using System.Numerics;

namespace WsFast.Load.Engine;

/// <summary>
/// A log-linear latency histogram in nanoseconds, in the manner of HdrHistogram: every power-of-two range
/// is split into <see cref="SubBucketCount"/> equal buckets, so a bucket is at most 1/128 (0.78%) as wide as
/// the values it holds, and a reported percentile (the bucket's midpoint) is within
/// <see cref="RelativePrecision"/> of the true value. Values below 256 ns are counted exactly.
/// </summary>
/// <remarks>
/// One instance belongs to one worker and is written without locks; instances are merged by adding their
/// counts. The count array is split into one page per power of two and a page is allocated on first use,
/// because latencies of one run cluster in a few octaves: a worker pays ~1 KiB rather than 30 KiB, which
/// matters with 10,000 workers.
/// <para>
/// HdrHistogram 2.5.0 (<c>LongHistogram</c>, 2 significant digits: the same 1/128 buckets, but one dense array
/// of 3,840 counts, 30 KiB, per worker) was measured against this one in place of it, both tool builds against
/// one server build in the same run: <c>load/run-tool-ab.sh</c>, server on CPU 0, tool on CPU 1, interleaved
/// rounds, on a shared 2-core VM whose other work took 2-77% of the CPUs during runs. ws-echo, 1,000 clients
/// (9 rounds): tool CPU per echo 18.0 µs here against 23.6 µs with HdrHistogram, higher with it in all 9
/// rounds (median ratio 1.23), echo rate ratio 0.91, peak resident memory 70 MiB against 96 MiB. Broadcast to
/// 1,000 subscribers (4 rounds): CPU per delivery 4.9 against 5.9 µs (ratio 1.11), rate ratio 0.86. ws-echo,
/// 100 clients (4 rounds): no cost shown (CPU ratio 0.90, rounds split 2-2). Other processes also took more
/// CPU during the HdrHistogram runs (a slower run leaves them more), so the noise cannot be ruled out as part of
/// the difference; the measurement does not show HdrHistogram costing nothing at 1,000 workers, and it costs
/// 30 KiB per worker that records. A likely cause, not isolated here: 1,000 workers touch ~30 MiB of counts
/// instead of ~1-2 KiB each. So this histogram stays.
/// </para>
/// </remarks>
public sealed class LatencyHistogram
{
    /// <summary>Buckets per power of two above 256 ns.</summary>
    public const int SubBucketCount = 1 << SubBucketBits;

    /// <summary>Largest value tracked: 60 s. Larger values are counted in the last bucket (and as <see cref="Max"/>).</summary>
    public const long MaxTrackableNanoseconds = 60_000_000_000;

    /// <summary>Bound on the relative error of a reported percentile: half a bucket's relative width.</summary>
    public const double RelativePrecision = 0.5 / SubBucketCount;

    private const int SubBucketBits = 7;
    // One page per power of two up to the largest trackable value (30 pages).
    private static readonly int PageCount = (BucketIndex(MaxTrackableNanoseconds) >> SubBucketBits) + 1;

    private readonly long[]?[] _pages = new long[PageCount][];

    /// <summary>Number of values recorded.</summary>
    public long Count { get; private set; }

    /// <summary>Smallest value recorded, in ns (0 when empty).</summary>
    public long Min => Count == 0 ? 0 : _min;

    /// <summary>Largest value recorded, in ns, exactly.</summary>
    public long Max { get; private set; }

    /// <summary>Sum of the values recorded, in ns.</summary>
    public long Sum { get; private set; }

    private long _min = long.MaxValue;

    /// <summary>Mean of the values recorded, in ns.</summary>
    public double Mean => Count == 0 ? 0 : (double)Sum / Count;

    /// <summary>Records one value in nanoseconds; negative values count as 0.</summary>
    public void Record(long nanoseconds)
    {
        long value = Math.Max(0, nanoseconds);
        int index = BucketIndex(Math.Min(value, MaxTrackableNanoseconds));
        long[] page = _pages[index >> SubBucketBits] ??= new long[SubBucketCount];
        page[index & (SubBucketCount - 1)]++;
        Count++;
        Sum += value;
        if (value < _min)
        {
            _min = value;
        }

        if (value > Max)
        {
            Max = value;
        }
    }

    /// <summary>Adds every count of <paramref name="other"/> to this histogram.</summary>
    public void Add(LatencyHistogram other)
    {
        ArgumentNullException.ThrowIfNull(other);
        for (int p = 0; p < PageCount; p++)
        {
            long[]? source = other._pages[p];
            if (source is null)
            {
                continue;
            }

            long[] target = _pages[p] ??= new long[SubBucketCount];
            for (int i = 0; i < SubBucketCount; i++)
            {
                target[i] += source[i];
            }
        }

        if (other.Count > 0)
        {
            _min = Math.Min(_min, other._min);
            Max = Math.Max(Max, other.Max);
        }

        Count += other.Count;
        Sum += other.Sum;
    }

    /// <summary>
    /// The value at <paramref name="percentile"/> (0-100) by the nearest-rank method: the smallest recorded
    /// value with at least that share of values at or below it, to within <see cref="RelativePrecision"/>.
    /// </summary>
    public long ValueAtPercentile(double percentile)
    {
        if (Count == 0)
        {
            return 0;
        }

        long rank = Math.Clamp((long)Math.Ceiling(percentile / 100.0 * Count), 1, Count);
        long seen = 0;
        for (int p = 0; p < PageCount; p++)
        {
            long[]? page = _pages[p];
            if (page is null)
            {
                continue;
            }

            for (int i = 0; i < SubBucketCount; i++)
            {
                seen += page[i];
                if (seen >= rank)
                {
                    // The extremes are known exactly, so no bucket's midpoint may lie beyond them.
                    return Math.Clamp(Midpoint((p << SubBucketBits) + i), Min, Max);
                }
            }
        }

        return Max;
    }

    /// <summary>
    /// The values recorded since <paramref name="earlier"/>, a copy of this histogram taken before: counts are
    /// subtracted bucket by bucket. The extremes are those of the lowest and highest bucket left, not exact.
    /// </summary>
    /// <remarks>Live progress uses it to report the latency of the last interval rather than of the whole window.</remarks>
    internal LatencyHistogram Since(LatencyHistogram earlier)
    {
        ArgumentNullException.ThrowIfNull(earlier);
        var result = new LatencyHistogram();
        int lowest = -1;
        int highest = -1;
        for (int p = 0; p < PageCount; p++)
        {
            long[]? page = _pages[p];
            if (page is null)
            {
                continue;
            }

            long[]? before = earlier._pages[p];
            for (int i = 0; i < SubBucketCount; i++)
            {
                // Counts never go down, but a copy read while a worker writes may be a little ahead: clamp at 0.
                long count = Math.Max(0, page[i] - (before?[i] ?? 0));
                if (count == 0)
                {
                    continue;
                }

                (result._pages[p] ??= new long[SubBucketCount])[i] = count;
                result.Count += count;
                int index = (p << SubBucketBits) + i;
                lowest = lowest < 0 ? index : lowest;
                highest = index;
            }
        }

        if (result.Count > 0)
        {
            result._min = LowestValue(lowest);
            result.Max = LowestValue(highest) + Width(highest) - 1;
            result.Sum = Math.Max(0, Sum - earlier.Sum);
        }

        return result;
    }

    /// <summary>The bucket a value falls in: exact below 256, then 128 buckets per power of two.</summary>
    internal static int BucketIndex(long value)
    {
        int highestBit = 63 - BitOperations.LeadingZeroCount((ulong)value | 1);
        int shift = Math.Max(0, highestBit - SubBucketBits);
        return (shift << SubBucketBits) + (int)(value >> shift);
    }

    /// <summary>The smallest value of a bucket.</summary>
    internal static long LowestValue(int index)
    {
        if (index < 2 * SubBucketCount)
        {
            return index;
        }

        int shift = (index >> SubBucketBits) - 1;
        long top = (index & (SubBucketCount - 1)) + SubBucketCount;
        return top << shift;
    }

    /// <summary>The width of a bucket: 1 below 256, then doubling with every power of two.</summary>
    internal static long Width(int index) => index < 2 * SubBucketCount ? 1 : 1L << ((index >> SubBucketBits) - 1);

    private static long Midpoint(int index) => LowestValue(index) + (Width(index) - 1) / 2;
}
