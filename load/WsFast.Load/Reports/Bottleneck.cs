using System.Globalization;

namespace WsFast.Load.Reports;

/// <summary>
/// Which side limited a run, from the CPU each process used in the window against the CPUs it was allowed
/// (its affinity): a process that kept its CPUs at least <see cref="BusyShare"/> busy could not have gone
/// faster, and a figure measured against it is its limit, not the other's.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item><c>server</c>: the server used ≥ 90% of its CPUs and the tool less of its own.</item>
/// <item><c>tool</c>: the load tool used ≥ 90% of its CPUs and the server less: the figures are the tool's
/// limit, and the server may have more to give.</item>
/// <item><c>both</c>: each used ≥ 90% of its own CPUs.</item>
/// <item><c>shared</c>: the two may run on some of the same CPUs, neither reached 90% of its own, but together
/// they kept the CPUs they may use ≥ 90% busy: the machine was the limit, split between them by the scheduler.</item>
/// <item><c>neither</c>: CPU was not the limit (a paced run, a slow network, locks, the wire).</item>
/// <item>empty (n/a): a side's CPU time or affinity is unknown and the other's does not settle it.</item>
/// </list>
/// </remarks>
public static class Bottleneck
{
    /// <summary>The share of its allowed CPUs at which a process counts as saturated.</summary>
    public const double BusyShare = 0.9;

    /// <summary>The verdict, or null when the figures do not settle it.</summary>
    /// <param name="loadCpuPercent">The tool's CPU use in the window, in % of one core.</param>
    /// <param name="loadCpus">The CPUs the tool may run on.</param>
    /// <param name="serverCpuPercent">The server's CPU use in the window, in % of one core.</param>
    /// <param name="serverCpus">The CPUs the server may run on.</param>
    public static string? Judge(double? loadCpuPercent, IReadOnlySet<int>? loadCpus, double? serverCpuPercent, IReadOnlySet<int>? serverCpus)
    {
        bool? tool = Saturated(loadCpuPercent, loadCpus);
        bool? server = Saturated(serverCpuPercent, serverCpus);
        if (tool is null || server is null)
        {
            // One side is unknown: only a saturated other side says anything.
            return tool == true ? "tool" : server == true ? "server" : null;
        }

        if (tool.Value && server.Value)
        {
            return "both";
        }

        if (server.Value)
        {
            return "server";
        }

        if (tool.Value)
        {
            return "tool";
        }

        if (loadCpus!.Overlaps(serverCpus!))
        {
            int union = loadCpus.Union(serverCpus!).Count();
            if (loadCpuPercent!.Value + serverCpuPercent!.Value >= BusyShare * 100 * union)
            {
                return "shared";
            }
        }

        return "neither";
    }

    /// <summary>The figures behind the verdict in words, e.g. "load tool 97% of 1 CPU (1), server 85% of 1 CPU (0)".</summary>
    public static string Describe(double? loadCpuPercent, IReadOnlySet<int>? loadCpus, double? serverCpuPercent, IReadOnlySet<int>? serverCpus) =>
        $"load tool {Share(loadCpuPercent, loadCpus)}, server {Share(serverCpuPercent, serverCpus)}";

    /// <summary>A CPU set as a list, e.g. "0-3,8".</summary>
    public static string List(IReadOnlySet<int> cpus)
    {
        ArgumentNullException.ThrowIfNull(cpus);
        var ranges = new List<string>();
        int[] sorted = [.. cpus.Order()];
        for (int i = 0; i < sorted.Length; i++)
        {
            int start = sorted[i];
            while (i + 1 < sorted.Length && sorted[i + 1] == sorted[i] + 1)
            {
                i++;
            }

            ranges.Add(start == sorted[i] ? start.ToString(CultureInfo.InvariantCulture) : $"{start}-{sorted[i]}");
        }

        return string.Join(',', ranges);
    }

    private static bool? Saturated(double? percent, IReadOnlySet<int>? cpus) =>
        percent is double p && cpus is { Count: > 0 } ? p >= BusyShare * 100 * cpus.Count : null;

    private static string Share(double? percent, IReadOnlySet<int>? cpus)
    {
        if (percent is not double p)
        {
            return "n/a";
        }

        if (cpus is not { Count: > 0 })
        {
            return string.Create(CultureInfo.InvariantCulture, $"{p:0}% of one core, CPUs unknown");
        }

        string noun = cpus.Count == 1 ? "CPU" : "CPUs";
        return string.Create(CultureInfo.InvariantCulture, $"{p / cpus.Count:0}% of {cpus.Count} {noun} ({List(cpus)})");
    }
}
