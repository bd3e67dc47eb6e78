using Microsoft.Extensions.Logging;

namespace WsFast.Hosting;

/// <summary>The log lines of the Generic Host integration (event ids 100 to 109).</summary>
internal static partial class HostingLog
{
    [LoggerMessage(100, LogLevel.Error, "The handler {Handler} of {Path} could not be made for connection {Id}; closing it with 1011{More}")]
    public static partial void HandlerNotMade(ILogger logger, Exception exception, string handler, string path, long id, string more);
}
