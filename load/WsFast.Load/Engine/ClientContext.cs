namespace WsFast.Load.Engine;

/// <summary>What the runner gives one client of a scenario.</summary>
public sealed class ClientContext
{
    private readonly Action _markReady;
    private bool _ready;

    internal ClientContext(int clientIndex, WorkerStats stats, CancellationToken stopping, CancellationToken aborting, Action markReady, RateController? pace = null)
    {
        Pace = pace;
        ClientIndex = clientIndex;
        Stats = stats;
        Stopping = stopping;
        Aborting = aborting;
        _markReady = markReady;
    }

    /// <summary>0-based index of this client in the run.</summary>
    public int ClientIndex { get; }

    /// <summary>
    /// This client's share of the simulation's inject rate, or null when it works as fast as it can. Scenarios
    /// that pace themselves otherwise (a poll interval, a publisher) ignore it.
    /// </summary>
    public RateController? Pace { get; }

    /// <summary>This client's statistics; only this client writes them.</summary>
    public WorkerStats Stats { get; }

    /// <summary>Cancelled when the run is over: the client should stop its work and close cleanly.</summary>
    public CancellationToken Stopping { get; }

    /// <summary>Cancelled when the clean close has taken too long: the client should drop its connection.</summary>
    public CancellationToken Aborting { get; }

    /// <summary>True once <see cref="MarkReady"/> was called.</summary>
    public bool IsReady => _ready;

    /// <summary>Tells the runner this client is connected and working; the window starts once all are.</summary>
    public void MarkReady()
    {
        if (!_ready)
        {
            _ready = true;
            _markReady();
        }
    }
}
