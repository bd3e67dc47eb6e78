namespace WsFast.Load.Engine;

/// <summary>
/// A scenario whose clients receive a feed that the scenario itself produces once for the whole run (a
/// publisher), besides its per-client work. The runner starts the feed once every client is ready, before the
/// settle, so the window sees a steady feed, and stops it when the window closes, before the clients stop.
/// </summary>
public interface IPublishingScenario : IScenario
{
    /// <summary>Starts the feed; its statistics count by <paramref name="clock"/>'s window, like the clients'.</summary>
    Task StartFeedAsync(RunClock clock);

    /// <summary>Stops the feed and returns its statistics: messages sent are the messages published.</summary>
    Task<WorkerStats> StopFeedAsync();
}
