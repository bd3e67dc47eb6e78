using System.Globalization;

namespace WsFast.Load.Reports;

/// <summary>How figures print: invariant culture, fixed decimals, "n/a" when missing.</summary>
internal static class Figures
{
    public static string Format(double? value, string format = "0.0") =>
        value is double v ? v.ToString(format, CultureInfo.InvariantCulture) : "n/a";

    public static string Format(long? value) => value is long v ? v.ToString("N0", CultureInfo.InvariantCulture) : "n/a";

    public static string Bytes(long? value) => value switch
    {
        null => "n/a",
        long v when Math.Abs(v) >= 1 << 20 => (v / (double)(1 << 20)).ToString("0.0", CultureInfo.InvariantCulture) + " MiB",
        long v when Math.Abs(v) >= 1 << 10 => (v / (double)(1 << 10)).ToString("0.0", CultureInfo.InvariantCulture) + " KiB",
        long v => v.ToString(CultureInfo.InvariantCulture) + " B",
    };
}
