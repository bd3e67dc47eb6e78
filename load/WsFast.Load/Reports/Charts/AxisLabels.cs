using System.Globalization;

namespace WsFast.Load.Reports.Charts;

/// <summary>Tick labels short enough for an axis: 950, 1.5k, 20k, 3M.</summary>
internal static class AxisLabels
{
    public static string Compact(double value)
    {
        double abs = Math.Abs(value);
        (double scaled, string suffix) = abs switch
        {
            >= 1e9 => (value / 1e9, "G"),
            >= 1e6 => (value / 1e6, "M"),
            >= 1e3 => (value / 1e3, "k"),
            _ => (value, ""),
        };
        return scaled.ToString("0.##", CultureInfo.InvariantCulture) + suffix;
    }
}
