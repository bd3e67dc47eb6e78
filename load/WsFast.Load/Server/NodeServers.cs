using System.Net;
using WsFast.Load.Client;

namespace WsFast.Load.Server;

/// <summary>
/// The servers a feed's subscribers spread over, one probe each: the publisher's server keeps the probe the run
/// already has, every other node gets its own, of the process listening on its port and its <c>/healthz</c>.
/// </summary>
public sealed class NodeServers : IDisposable
{
    private readonly ServerProbe _publisher;
    private readonly List<ServerProbe> _others = [];

    /// <summary>
    /// Probes for <paramref name="nodes"/>, the node whose server is <paramref name="publisherServer"/> sharing
    /// <paramref name="publisher"/>, that server's probe.
    /// </summary>
    public NodeServers(IReadOnlyList<WsClientOptions> nodes, IPEndPoint publisherServer, ServerProbe publisher)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        ArgumentNullException.ThrowIfNull(publisher);
        _publisher = publisher;
        var urls = new string[nodes.Count];
        var byNode = new ServerProbe[nodes.Count];
        for (int i = 0; i < nodes.Count; i++)
        {
            urls[i] = nodes[i].Url.Authority;
            if (nodes[i].Server.Equals(publisherServer))
            {
                byNode[i] = publisher;
                continue;
            }

            int? pid = ProcFs.FindListener(nodes[i].Server.Port);
            if (pid is null)
            {
                Console.Error.WriteLine($"wsfast-load: no PID found listening on {nodes[i].Server}: no CPU figures for node {i + 1}.");
            }

            byNode[i] = new ServerProbe(pid, new Uri($"http://{nodes[i].Url.Authority}/"));
            _others.Add(byNode[i]);
        }

        Urls = urls;
        ByNode = byNode;
    }

    /// <summary>Each node's server address (host and port), in order.</summary>
    public IReadOnlyList<string> Urls { get; }

    /// <summary>Each node's probe, in order.</summary>
    public IReadOnlyList<ServerProbe?> ByNode { get; }

    /// <summary>The probes of the nodes other than the publisher's server: the ones the runner must sample besides it.</summary>
    public IReadOnlyList<ServerProbe> Others => _others;

    /// <summary>
    /// The CPU time in the window of every server process: the publisher's server (a node or not) and every other
    /// node; null when one of them could not be read.
    /// </summary>
    public TimeSpan? TotalCpu
    {
        get
        {
            TimeSpan? total = _publisher.WindowCpu;
            foreach (ServerProbe other in _others)
            {
                total += other.WindowCpu; // null once one is unknown
            }

            return total;
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (ServerProbe probe in _others)
        {
            probe.Dispose();
        }
    }
}
