namespace WsFast.Load.Engine;

/// <summary>The merged outcome of one scenario run.</summary>
public sealed class ScenarioResult
{
    /// <summary>Creates a result.</summary>
    public ScenarioResult(
        string scenario, LoadSimulation simulation, WorkerStats stats, TimeSpan window, int clientsReady, WorkerStats? feed = null, IReadOnlyList<WorkerStats>? clients = null)
    {
        Clients = clients ?? [];
        Feed = feed;
        Scenario = scenario;
        Simulation = simulation;
        Stats = stats;
        Window = window;
        ClientsReady = clientsReady;
    }

    /// <summary>The scenario's name.</summary>
    public string Scenario { get; }

    /// <summary>The load simulation it ran under.</summary>
    public LoadSimulation Simulation { get; }

    /// <summary>Every worker's statistics added up.</summary>
    public WorkerStats Stats { get; }

    /// <summary>
    /// Each client's own statistics, by client index (what <see cref="Stats"/> adds up), for figures per group
    /// of clients such as the nodes they subscribed on; empty when the result was built without them.
    /// </summary>
    public IReadOnlyList<WorkerStats> Clients { get; }

    /// <summary>The publisher's statistics, for an <see cref="IPublishingScenario"/>: sent = published in the window.</summary>
    public WorkerStats? Feed { get; }

    /// <summary>The measurement window as it really lasted.</summary>
    public TimeSpan Window { get; }

    /// <summary>Clients that reached <see cref="ClientContext.MarkReady"/>.</summary>
    public int ClientsReady { get; }

    /// <summary>Messages received per second of the window.</summary>
    public double ReceiveRate => Window > TimeSpan.Zero ? Stats.MessagesReceived / Window.TotalSeconds : 0;
}
