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
}
