using System.Globalization;

namespace WsFast.Load.Engine;

/// <summary>
/// The CPUs a process may run on: the <c>Cpus_allowed_list</c> of <c>/proc/&lt;pid&gt;/status</c>, which is
/// what <c>sched_getaffinity</c> answers and <c>taskset</c> sets.
/// </summary>
public static class CpuAffinity
{
    /// <summary>
    /// The CPUs this process may run on; where /proc cannot tell (not Linux), CPUs 0 to
    /// <see cref="Environment.ProcessorCount"/> − 1, which .NET also derives from the affinity.
    /// </summary>
    public static IReadOnlySet<int> OfSelf() =>
        Read("/proc/self/status") ?? Enumerable.Range(0, Environment.ProcessorCount).ToHashSet();

    /// <summary>The CPUs process <paramref name="pid"/> may run on, or null when it cannot be read.</summary>
    public static IReadOnlySet<int>? Of(int pid) => Read($"/proc/{pid}/status");

    /// <summary>The CPUs of a list such as <c>0-3,8,10-11</c>; null when it is not one.</summary>
    public static IReadOnlySet<int>? Parse(string list)
    {
        ArgumentNullException.ThrowIfNull(list);
        var cpus = new HashSet<int>();
        foreach (string part in list.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            int dash = part.IndexOf('-', StringComparison.Ordinal);
            string first = dash < 0 ? part : part[..dash];
            string last = dash < 0 ? part : part[(dash + 1)..];
            if (!int.TryParse(first, NumberStyles.None, CultureInfo.InvariantCulture, out int from) ||
                !int.TryParse(last, NumberStyles.None, CultureInfo.InvariantCulture, out int to) || to < from)
            {
                return null;
            }

            for (int cpu = from; cpu <= to; cpu++)
            {
                cpus.Add(cpu);
            }
        }

        return cpus.Count > 0 ? cpus : null;
    }

    private static IReadOnlySet<int>? Read(string statusFile)
    {
        try
        {
            foreach (string line in File.ReadLines(statusFile))
            {
                if (line.StartsWith("Cpus_allowed_list:", StringComparison.Ordinal))
                {
                    return Parse(line["Cpus_allowed_list:".Length..]);
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // No such process, or no /proc: unknown.
        }

        return null;
    }
}
