namespace WsFast.Load.Reports.Soak;

/// <summary>
/// Whether a series trends up: the least-squares slope of its samples, extrapolated over their time span (the
/// growth the fit says happened), compared with a tolerance made of the series' own level and noise.
/// </summary>
/// <remarks>
/// <para>
/// The series trends up when the fitted growth exceeds all three of:
/// </para>
/// <list type="bullet">
/// <item><b>a share of its level</b> (<see cref="RelativeTolerance"/> of the median): memory that a server
/// holds for 10,000 connections moves by a few percent with what they happen to have queued; a leak that adds
/// less than that over the run is not one this run can tell from it. 5% of a 400 MB RSS over 10 minutes is
/// 20 MB: a leak of 70 bytes per reconnect at 500 reconnects a second.</item>
/// <item><b>its noise</b>: <see cref="NoiseFactor"/> standard errors of the slope, times the span. A flat series'
/// fitted slope scatters around 0 by its standard error (from the residuals about the line), so 3 of them
/// leave a sawtooth such as the GC heap's (up between collections, down at each) about a 0.1% chance of passing
/// for growth, while a steady leak's standard error shrinks as samples add up.</item>
/// <item><b>its resolution</b> (<see cref="Floor"/>): a count of threads that goes from 20 to 21 has grown 5%,
/// but by one thread, which the thread pool adds and retires on its own.</item>
/// </list>
/// </remarks>
public sealed record TrendTest
{
    /// <summary>Growth over the span allowed, as a share of the series' median.</summary>
    public double RelativeTolerance { get; init; } = 0.05;

    /// <summary>Standard errors of the growth the fit may show before it counts.</summary>
    public double NoiseFactor { get; init; } = 3;

    /// <summary>Growth always allowed, in the series' unit (its resolution).</summary>
    public double Floor { get; init; }

    /// <summary>Fits <paramref name="samples"/> (time in seconds, value) and judges the fit.</summary>
    public TrendResult Evaluate(IReadOnlyList<(double Time, double Value)> samples)
    {
        ArgumentNullException.ThrowIfNull(samples);
        int n = samples.Count;
        if (n < 3)
        {
            return new TrendResult(n, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, TrendsUp: false, Judged: false);
        }

        double meanT = 0, meanY = 0;
        foreach ((double t, double y) in samples)
        {
            meanT += t;
            meanY += y;
        }

        meanT /= n;
        meanY /= n;
        double sxx = 0, sxy = 0;
        foreach ((double t, double y) in samples)
        {
            sxx += (t - meanT) * (t - meanT);
            sxy += (t - meanT) * (y - meanY);
        }

        double slope = sxx > 0 ? sxy / sxx : 0;
        double intercept = meanY - (slope * meanT);
        double residuals = 0;
        foreach ((double t, double y) in samples)
        {
            double r = y - (intercept + (slope * t));
            residuals += r * r;
        }

        double standardError = sxx > 0 ? Math.Sqrt(residuals / (n - 2) / sxx) : 0;
        double span = samples[n - 1].Time - samples[0].Time;
        double growth = slope * span;
        var values = new double[n];
        for (int i = 0; i < n; i++)
        {
            values[i] = samples[i].Value;
        }

        Array.Sort(values);
        double median = values[n / 2];
        double tolerance = Math.Max(Math.Max(RelativeTolerance * Math.Abs(median), NoiseFactor * standardError * span), Floor);
        return new TrendResult(
            n, slope, standardError, growth, tolerance, median,
            intercept + (slope * samples[0].Time), intercept + (slope * samples[n - 1].Time),
            TrendsUp: growth > tolerance, Judged: true);
    }
}

/// <summary>What <see cref="TrendTest"/> found for one series.</summary>
/// <param name="Samples">Samples fitted.</param>
/// <param name="SlopePerSecond">The least-squares slope, in the series' unit a second.</param>
/// <param name="StandardError">The slope's standard error.</param>
/// <param name="Growth">The slope times the span: how much the fit grew from the first sample to the last.</param>
/// <param name="Tolerance">The growth allowed: the largest of the level's share, the noise and the floor.</param>
/// <param name="Median">The median sample.</param>
/// <param name="FittedStart">The fitted line at the first sample.</param>
/// <param name="FittedEnd">The fitted line at the last sample.</param>
/// <param name="TrendsUp">Whether the growth exceeds the tolerance.</param>
/// <param name="Judged">False when there were too few samples to fit (fewer than 3).</param>
public sealed record TrendResult(
    int Samples, double SlopePerSecond, double StandardError, double Growth, double Tolerance, double Median,
    double FittedStart, double FittedEnd, bool TrendsUp, bool Judged);
