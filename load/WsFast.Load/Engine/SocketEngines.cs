namespace WsFast.Load.Engine;

/// <summary>
/// The runtime's socket engines on Linux: each is one thread that waits on its own epoll set and, with inline
/// completions (which the tool turns on), runs the continuations of the sockets registered with it, so every
/// client's receive loop runs on the engine its socket was given (round robin, at creation). The engine count
/// is <c>DOTNET_SYSTEM_NET_SOCKETS_THREAD_COUNT</c> when set, else, with inline completions,
/// <see cref="Environment.ProcessorCount"/>, which follows the process's affinity: one receive thread per CPU
/// the tool may use.
/// </summary>
/// <remarks>
/// So the tool already receives on as many threads as it has CPUs, and the scripts' pinning (<c>taskset -c 1</c>)
/// is what holds it to one. Measured with <c>load/run-tool-ab.sh</c> (ws-broadcast, 1,000 subscribers, 1,000
/// publishes/s, server on CPU 0, 3 interleaved rounds each, a shared 2-core VM): on CPU 1, two engines instead
/// of one changed nothing measurable (deliveries ratio 1.01, tool CPU per delivery 1.02); on CPUs 0-1, two
/// engines (the default) against one gave deliveries ratio 1.45 (median; one round of three went the other
/// way), but the tool never used more than 87% of one core in either, so that machine could not show receiving
/// beyond one core. The report gives the count it ran with (load_receive_threads).
/// </remarks>
public static class SocketEngines
{
    // The runtime names each engine's thread ".NET Sockets" (Linux keeps 15 characters of a thread's name).
    private const string ThreadName = ".NET Sockets";

    /// <summary>The number of socket engine threads running in this process, or null where /proc cannot tell.</summary>
    public static int? Running()
    {
        try
        {
            int count = 0;
            foreach (string task in Directory.EnumerateDirectories("/proc/self/task"))
            {
                try
                {
                    if (File.ReadAllText(Path.Combine(task, "comm")).TrimEnd('\n') == ThreadName)
                    {
                        count++;
                    }
                }
                catch (IOException)
                {
                    // The thread ended while we looked.
                }
            }

            return count;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
