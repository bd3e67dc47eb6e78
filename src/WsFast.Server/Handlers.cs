namespace WsFast.ServerApp;

/// <summary><c>/ticker</c>: its clients only receive, from <see cref="TickerService"/>.</summary>
internal sealed class TickerHandler : WebSocketHandler
{
}
