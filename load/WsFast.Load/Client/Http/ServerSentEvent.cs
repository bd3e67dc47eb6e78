namespace WsFast.Load.Client.Http;

/// <summary>One event of a <c>text/event-stream</c>.</summary>
/// <param name="Type">The <c>event:</c> field, or <c>message</c> by default.</param>
/// <param name="Id">The last event id seen when it was dispatched, or null.</param>
/// <param name="Data">The <c>data:</c> lines joined with line feeds, as UTF-8.</param>
public sealed record ServerSentEvent(string Type, string? Id, byte[] Data);
