namespace WsFast.Load.Reports.Charts;

/// <summary>Series colours: distinct for the colour-blind (Okabe–Ito), in a fixed order so a server keeps its colour across charts.</summary>
internal static class ChartPalette
{
    private static readonly string[] Colors = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00"];

    /// <summary>The colour of the <paramref name="index"/>th series.</summary>
    public static string Color(int index) => Colors[index % Colors.Length];
}
