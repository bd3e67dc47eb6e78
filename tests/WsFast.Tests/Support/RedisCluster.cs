using System.Diagnostics;

namespace WsFast.Tests.Support;

/// <summary>
/// A test's own Redis Cluster: three masters on free loopback ports, no replicas, the 16,384 slots shared among
/// them by <c>redis-cli --cluster create</c>, each a <see cref="RedisServer"/> stopped by its own PID.
/// </summary>
internal sealed class RedisCluster : IDisposable
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(20);

    private readonly List<RedisServer> _nodes = [];

    private RedisCluster()
    {
    }

    /// <summary>The masters.</summary>
    public IReadOnlyList<RedisServer> Nodes => _nodes;

    /// <summary>Every master's address, as a StackExchange.Redis configuration string.</summary>
    public string Configuration => string.Join(",", _nodes.Select(node => node.Configuration));

    public static RedisCluster Start()
    {
        var cluster = new RedisCluster();
        try
        {
            for (int i = 0; i < 3; i++)
            {
                // The cluster's own state file goes to the server's temporary directory (its --dir).
                cluster._nodes.Add(RedisServer.Start("--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "2000"));
            }

            var create = new ProcessStartInfo("redis-cli") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (string argument in (string[])["--cluster", "create", .. cluster._nodes.Select(node => node.Configuration), "--cluster-replicas", "0", "--cluster-yes"])
            {
                create.ArgumentList.Add(argument);
            }

            using (Process process = Process.Start(create)!)
            {
                string output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
                if (!process.WaitForExit(ReadyTimeout) || process.ExitCode != 0)
                {
                    process.Kill();
                    throw new InvalidOperationException($"redis-cli --cluster create failed:\n{output}");
                }
            }

            var waiting = Stopwatch.StartNew();
            while (!cluster._nodes.All(node => node.Command("CLUSTER", "INFO")?.Contains("cluster_state:ok", StringComparison.Ordinal) == true))
            {
                if (waiting.Elapsed > ReadyTimeout)
                {
                    throw new TimeoutException("The Redis Cluster did not reach cluster_state:ok.");
                }

                Thread.Sleep(50);
            }

            return cluster;
        }
        catch
        {
            cluster.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        foreach (RedisServer node in _nodes)
        {
            node.Dispose();
        }
    }
}
