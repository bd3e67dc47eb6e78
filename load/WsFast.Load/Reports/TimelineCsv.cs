using System.Globalization;
using System.Text;
using WsFast.Load.Engine;

namespace WsFast.Load.Reports;

/// <summary>
/// Writes a run's progress samples as timeline.csv: one line per progress tick, so that a comparison can
/// chart the rate over time rather than only the window's average.
/// </summary>
public static class TimelineCsv
{
    /// <summary>The columns, in order.</summary>
    public const string Header = "elapsed_s,phase,clients_ready,received,rate_per_s,p99_us,errors";

    /// <summary>The CSV text of <paramref name="samples"/>.</summary>
    public static string Write(IEnumerable<ProgressSample> samples)
    {
        ArgumentNullException.ThrowIfNull(samples);
        var text = new StringBuilder();
        text.AppendLine(Header);
        foreach (ProgressSample s in samples)
        {
            text.AppendLine(CultureInfo.InvariantCulture,
                $"{s.ElapsedSeconds:0.###},{s.Phase},{s.Ready},{s.Received},{s.RatePerSecond:0.#},{(s.P99Microseconds is double p ? p.ToString("0.#", CultureInfo.InvariantCulture) : "")},{s.Errors}");
        }

        return text.ToString();
    }
}
