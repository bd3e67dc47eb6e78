namespace WsFast.Load.Reports.Charts;

/// <summary>Maps a linear domain onto a range of pixels (the range may run backwards, as a y axis does).</summary>
internal sealed class LinearScale
{
    public LinearScale(double domainMin, double domainMax, double rangeMin, double rangeMax)
    {
        DomainMin = domainMin;
        DomainMax = domainMax > domainMin ? domainMax : domainMin + 1;
        RangeMin = rangeMin;
        RangeMax = rangeMax;
    }

    public double DomainMin { get; }

    public double DomainMax { get; }

    public double RangeMin { get; }

    public double RangeMax { get; }

    /// <summary>
    /// A scale from 0 (or <paramref name="min"/> when negative) up to a "nice" bound at or above
    /// <paramref name="max"/>: 1, 2 or 5 times a power of ten, so the ticks are round numbers.
    /// </summary>
    public static LinearScale FromZero(double min, double max, double rangeMin, double rangeMax, int ticks = 5)
    {
        double low = Math.Min(0, min);
        double step = NiceStep(Math.Max(max - low, double.Epsilon), ticks);
        double high = Math.Max(step, Math.Ceiling(max / step) * step);
        return new LinearScale(low, high, rangeMin, rangeMax);
    }

    /// <summary>The pixel position of <paramref name="value"/>.</summary>
    public double Map(double value) =>
        RangeMin + (value - DomainMin) / (DomainMax - DomainMin) * (RangeMax - RangeMin);

    /// <summary>About <paramref name="count"/> round tick values across the domain, both ends included when round.</summary>
    public IReadOnlyList<double> Ticks(int count = 5)
    {
        double step = NiceStep(DomainMax - DomainMin, count);
        var ticks = new List<double>();
        for (double t = Math.Ceiling(DomainMin / step) * step; t <= DomainMax + step * 1e-9; t += step)
        {
            ticks.Add(Math.Round(t / step) * step);
        }

        return ticks;
    }

    /// <summary>The round step (1, 2 or 5 × 10^n) that splits <paramref name="span"/> into at most about <paramref name="count"/> parts.</summary>
    internal static double NiceStep(double span, int count)
    {
        double raw = span / Math.Max(1, count);
        double magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        double fraction = raw / magnitude;
        double nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10;
        return nice * magnitude;
    }
}
