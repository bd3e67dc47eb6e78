using System.Globalization;
using System.Text;
using WsFast.Load.Scenarios.Soak;

namespace WsFast.Load.Reports.Soak;

/// <summary>A soak's samples as CSV, one line a second.</summary>
public static class SoakTimelineCsv
{
    /// <summary>The columns, in order (-1: not read).</summary>
    public const string Header =
        "elapsed_s,rss_bytes,gc_heap_bytes,gc_full_collections,pinned_bytes,fds,threads,server_connections,clients_connected,reconnects,checked,lost,reordered,echoes,unexpected";

    /// <summary>The CSV text of <paramref name="samples"/>.</summary>
    public static string Write(IEnumerable<SoakSample> samples)
    {
        ArgumentNullException.ThrowIfNull(samples);
        var text = new StringBuilder();
        text.AppendLine(Header);
        foreach (SoakSample s in samples)
        {
            text.AppendLine(CultureInfo.InvariantCulture,
                $"{s.ElapsedSeconds:0.###},{s.Server.RssBytes},{s.Server.GcHeapBytes},{s.Server.FullCollections},{s.Server.PinnedBytes},{s.Server.FileDescriptors},{s.Server.Threads},{s.Server.Connections},{s.ClientsConnected},{s.Reconnects},{s.Checked},{s.Lost},{s.Reordered},{s.Echoes},{s.Unexpected}");
        }

        return text.ToString();
    }

    /// <summary>The samples of a timeline written by <see cref="Write"/> (to chart a finished run again).</summary>
    /// <exception cref="FormatException">The text is not such a timeline.</exception>
    public static List<SoakSample> Read(string csv)
    {
        ArgumentNullException.ThrowIfNull(csv);
        string[] lines = csv.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (lines.Length == 0 || lines[0] != Header)
        {
            throw new FormatException("not a soak timeline: the header differs");
        }

        var samples = new List<SoakSample>();
        foreach (string line in lines.AsSpan(1))
        {
            string[] f = line.Split(',');
            if (f.Length != 15)
            {
                throw new FormatException($"a timeline line with {f.Length} fields instead of 15: {line}");
            }

            long L(int i) => long.Parse(f[i], CultureInfo.InvariantCulture);
            var server = new Server.ServerResources(L(1), L(6), L(5), L(7), L(2), L(4)) { FullCollections = L(3) };
            samples.Add(new SoakSample(double.Parse(f[0], CultureInfo.InvariantCulture), server, L(8), L(9), L(10), L(11), L(12), L(13), L(14)));
        }

        return samples;
    }
}
