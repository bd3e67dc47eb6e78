using Microsoft.Extensions.Logging;

namespace WsFast.ServerApp;

/// <summary>The executable's own log lines (event ids 110-119; the library's are elsewhere).</summary>
internal static partial class AppLog
{
    [LoggerMessage(110, LogLevel.Information, "Shutting down")]
    public static partial void ShuttingDown(ILogger logger);

    [LoggerMessage(111, LogLevel.Information, "SIGHUP: reloading the TLS certificates")]
    public static partial void ReloadingCertificates(ILogger logger);
}
