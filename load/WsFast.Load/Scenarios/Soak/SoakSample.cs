using WsFast.Load.Server;

namespace WsFast.Load.Scenarios.Soak;

/// <summary>One second of a soak: the server's resources and the clients' running totals.</summary>
/// <param name="ElapsedSeconds">Seconds since the first client started.</param>
/// <param name="Server">The server's resources.</param>
/// <param name="ClientsConnected">Clients with a working connection.</param>
/// <param name="Reconnects">Reconnects after a churn so far.</param>
/// <param name="Checked">Feed messages whose sequence number was checked so far.</param>
/// <param name="Lost">Feed messages lost so far (healthy subscribers).</param>
/// <param name="Reordered">Feed messages out of order or repeated so far.</param>
/// <param name="Echoes">Echoes checked so far.</param>
/// <param name="Unexpected">Unexpected outcomes so far.</param>
public sealed record SoakSample(
    double ElapsedSeconds, ServerResources Server, long ClientsConnected, long Reconnects, long Checked, long Lost, long Reordered, long Echoes, long Unexpected);
