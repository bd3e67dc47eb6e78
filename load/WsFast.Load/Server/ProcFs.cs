using System.Globalization;
using System.Runtime.InteropServices;

namespace WsFast.Load.Server;

/// <summary>
/// Reads another process's resident memory and CPU time from Linux's /proc, and finds the process that
/// listens on a TCP port.
/// </summary>
internal static partial class ProcFs
{
    private const int ScClockTicks = 2; // _SC_CLK_TCK

    private static readonly long ClockTicksPerSecond = ReadClockTicks();

    /// <summary>Resident set size of <paramref name="pid"/> in bytes (VmRSS of /proc/pid/status).</summary>
    public static long ReadRssBytes(int pid)
    {
        foreach (string line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                // "VmRSS:     12345 kB"
                string[] parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                return long.Parse(parts[1], CultureInfo.InvariantCulture) * 1024;
            }
        }

        throw new InvalidOperationException($"/proc/{pid}/status has no VmRSS.");
    }

    /// <summary>Threads of <paramref name="pid"/> (Threads of /proc/pid/status).</summary>
    public static int ReadThreadCount(int pid)
    {
        foreach (string line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("Threads:", StringComparison.Ordinal))
            {
                return int.Parse(line.AsSpan("Threads:".Length).Trim(), CultureInfo.InvariantCulture);
            }
        }

        throw new InvalidOperationException($"/proc/{pid}/status has no Threads.");
    }

    /// <summary>Open file descriptors (handles: sockets, files, epoll and event descriptors) of <paramref name="pid"/>: the entries of /proc/pid/fd.</summary>
    public static int CountFileDescriptors(int pid)
    {
        int count = 0;
        foreach (string _ in Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd"))
        {
            count++;
        }

        return count;
    }

    /// <summary>User and system CPU time of <paramref name="pid"/> (utime and stime of /proc/pid/stat).</summary>
    public static (TimeSpan User, TimeSpan Kernel) ReadCpuTimes(int pid) =>
        ParseCpuTimes(File.ReadAllText($"/proc/{pid}/stat"), ClockTicksPerSecond);

    /// <summary>utime + stime from the text of a /proc/pid/stat file.</summary>
    internal static TimeSpan ParseCpuTime(string stat, long ticksPerSecond)
    {
        var (user, kernel) = ParseCpuTimes(stat, ticksPerSecond);
        return user + kernel;
    }

    /// <summary>utime and stime from the text of a /proc/pid/stat file.</summary>
    internal static (TimeSpan User, TimeSpan Kernel) ParseCpuTimes(string stat, long ticksPerSecond)
    {
        // The command name (field 2) is in parentheses and may hold spaces: count fields after the last ')'.
        string[] fields = stat.Substring(stat.LastIndexOf(')') + 2).Split(' ');
        long utime = long.Parse(fields[11], CultureInfo.InvariantCulture); // field 14
        long stime = long.Parse(fields[12], CultureInfo.InvariantCulture); // field 15
        return (TimeSpan.FromSeconds(utime / (double)ticksPerSecond), TimeSpan.FromSeconds(stime / (double)ticksPerSecond));
    }

    /// <summary>The process listening on TCP <paramref name="port"/>, or null when none of ours is found.</summary>
    public static int? FindListener(int port)
    {
        var inodes = new HashSet<string>();
        foreach (string table in new[] { "/proc/net/tcp", "/proc/net/tcp6" })
        {
            if (!File.Exists(table))
            {
                continue;
            }

            foreach (string line in File.ReadLines(table).Skip(1))
            {
                // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
                string[] f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                int localPort = int.Parse(f[1].AsSpan(f[1].IndexOf(':') + 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                if (localPort == port && f[3] == "0A") // 0A: LISTEN
                {
                    inodes.Add($"socket:[{f[9]}]");
                }
            }
        }

        if (inodes.Count == 0)
        {
            return null;
        }

        foreach (string directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out int pid))
            {
                continue;
            }

            try
            {
                foreach (string fd in Directory.EnumerateFiles(Path.Combine(directory, "fd")))
                {
                    if (new FileInfo(fd).LinkTarget is string target && inodes.Contains(target))
                    {
                        return pid;
                    }
                }
            }
            catch (Exception e) when (e is UnauthorizedAccessException or IOException)
            {
                // Another user's process, or one that just exited.
            }
        }

        return null;
    }

    private static long ReadClockTicks()
    {
        long ticks = OperatingSystem.IsLinux() ? SysConf(ScClockTicks) : -1;
        return ticks > 0 ? ticks : 100;
    }

    [LibraryImport("libc", EntryPoint = "sysconf")]
    private static partial long SysConf(int name);
}
