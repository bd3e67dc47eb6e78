using WsFast.Load.Engine;

namespace WsFast.Load.Scenarios.Soak;

/// <summary>What a soak saw: its samples, its tally, and the clients' checks by role.</summary>
/// <param name="Settings">What ran.</param>
/// <param name="Samples">One a second from the first client's start.</param>
/// <param name="Tally">Reconnects and every end of a connection, expected or not.</param>
/// <param name="ByRole">Per role: clients, feed messages checked, lost and reordered.</param>
/// <param name="Healthy">The healthy subscribers' deliveries and fan-out latency after the warm-up.</param>
/// <param name="Echoes">The echo clients' echoes and round-trip latency after the warm-up.</param>
/// <param name="PublisherErrors">Publishes that failed.</param>
/// <param name="ServerPid">The server's PID, when known.</param>
public sealed record SoakResult(
    SoakSettings Settings, IReadOnlyList<SoakSample> Samples, SoakTally Tally,
    IReadOnlyDictionary<SoakRole, (int Clients, long Checked, long Lost, long Reordered)> ByRole,
    WorkerStats Healthy, WorkerStats Echoes, long PublisherErrors, int? ServerPid);
