namespace WsFast.Load.Engine;

/// <summary>
/// What one kind of client does, independent of how many run and for how long (that is the
/// <see cref="LoadSimulation"/>'s business). The runner calls <see cref="RunClientAsync"/> once per client;
/// the scenario opens its connection, calls <see cref="ClientContext.MarkReady"/>, does its work until
/// <see cref="ClientContext.Stopping"/> is cancelled, closes, and returns. It reports through
/// <see cref="ClientContext.Stats"/>, and records a failure there rather than throwing.
/// </summary>
public interface IScenario
{
    /// <summary>Short name, used in reports: <c>ws-echo</c>, <c>ws-idle</c>.</summary>
    string Name { get; }

    /// <summary>Runs one client from connect to close.</summary>
    Task RunClientAsync(ClientContext context);
}
