namespace WsFast.Load.Reports.Charts;

/// <summary>
/// Maps a positive domain onto a range of pixels logarithmically (base 10), for latencies that span orders
/// of magnitude. Values at or below zero have no logarithm: they map to the domain's lower end.
/// </summary>
internal sealed class LogScale
{
    public LogScale(double domainMin, double domainMax, double rangeMin, double rangeMax)
    {
        if (domainMin <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(domainMin), "A log scale's domain must be positive.");
        }

        DomainMin = domainMin;
        DomainMax = domainMax > domainMin ? domainMax : domainMin * 10;
        RangeMin = rangeMin;
        RangeMax = rangeMax;
    }

    public double DomainMin { get; }

    public double DomainMax { get; }

    public double RangeMin { get; }

    public double RangeMax { get; }

    /// <summary>The smallest scale of whole decades (powers of ten) holding every positive value in [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public static LogScale Covering(double min, double max, double rangeMin, double rangeMax)
    {
        double low = min > 0 ? Math.Pow(10, Math.Floor(Math.Log10(min))) : 1;
        double high = max > 0 ? Math.Pow(10, Math.Ceiling(Math.Log10(max))) : low * 10;
        if (high <= low)
        {
            high = low * 10;
        }

        return new LogScale(low, high, rangeMin, rangeMax);
    }

    /// <summary>The pixel position of <paramref name="value"/>.</summary>
    public double Map(double value)
    {
        double v = Math.Max(value, DomainMin);
        double share = (Math.Log10(v) - Math.Log10(DomainMin)) / (Math.Log10(DomainMax) - Math.Log10(DomainMin));
        return RangeMin + share * (RangeMax - RangeMin);
    }

    /// <summary>The powers of ten within the domain.</summary>
    public IReadOnlyList<double> Ticks()
    {
        var ticks = new List<double>();
        for (int e = (int)Math.Ceiling(Math.Log10(DomainMin) - 1e-9); e <= (int)Math.Floor(Math.Log10(DomainMax) + 1e-9); e++)
        {
            ticks.Add(Math.Pow(10, e));
        }

        return ticks;
    }
}
