using System.Net;
using Microsoft.Extensions.Logging;
using WsFast.Protocol;

namespace WsFast.Server;

/// <summary>
/// Every log line the server writes, in one place. Source-generated, so a disabled level costs a flag check
/// and nothing is formatted. Nothing per message is logged at Information or above.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "WsFast listening on {Endpoint}")]
    public static partial void Listening(ILogger logger, EndPoint endpoint);

    [LoggerMessage(2, LogLevel.Information, "WsFast stopping: closing {Count} connections with 1001")]
    public static partial void Stopping(ILogger logger, int count);

    [LoggerMessage(3, LogLevel.Information, "WsFast stopped")]
    public static partial void Stopped(ILogger logger);

    [LoggerMessage(10, LogLevel.Warning, "Refused handshake from {Remote}: {Status} {Reason}")]
    public static partial void HandshakeRefused(ILogger logger, EndPoint? remote, int status, string reason);

    [LoggerMessage(11, LogLevel.Warning, "Handshake from {Remote} timed out")]
    public static partial void HandshakeTimedOut(ILogger logger, EndPoint? remote);

    [LoggerMessage(12, LogLevel.Warning, "Refused connection from {Remote}: the server holds its maximum of {Max} connections")]
    public static partial void TooManyConnections(ILogger logger, EndPoint? remote, int max);

    [LoggerMessage(20, LogLevel.Warning, "Connection {Id} from {Remote} broke the protocol: {Code} {Reason}")]
    public static partial void ProtocolViolation(ILogger logger, long id, EndPoint? remote, int code, string reason);

    [LoggerMessage(21, LogLevel.Information, "Connection {Id} from {Remote} did not answer a ping in time")]
    public static partial void PingTimedOut(ILogger logger, long id, EndPoint? remote);

    [LoggerMessage(22, LogLevel.Information, "Connection {Id} from {Remote} did not complete the close handshake in time")]
    public static partial void CloseTimedOut(ILogger logger, long id, EndPoint? remote);

    [LoggerMessage(23, LogLevel.Error, "Handler of {Path} failed on connection {Id}; closing it with 1011")]
    public static partial void HandlerFailed(ILogger logger, Exception exception, string path, long id);

    [LoggerMessage(24, LogLevel.Debug, "Connection {Id} from {Remote} opened on {Path}")]
    public static partial void Opened(ILogger logger, long id, EndPoint? remote, string path);

    [LoggerMessage(25, LogLevel.Debug, "Connection {Id} closed: {Code} {Reason}")]
    public static partial void Closed(ILogger logger, long id, CloseCode code, string reason);

    [LoggerMessage(26, LogLevel.Debug, "Connection {Id} ended abruptly: {Error}")]
    public static partial void Aborted(ILogger logger, long id, string error);

    [LoggerMessage(30, LogLevel.Error, "Unexpected error on connection {Id}")]
    public static partial void Unexpected(ILogger logger, Exception exception, long id);
}
