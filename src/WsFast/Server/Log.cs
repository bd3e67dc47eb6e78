using System.Net;
using Microsoft.Extensions.Logging;

namespace WsFast.Server;

/// <summary>
/// Every log line the server writes, in one place. Source-generated, so a disabled level costs a flag check
/// and nothing is formatted. Nothing per message is logged at Information or above, and every line a peer can
/// provoke goes through <see cref="BadInputLog"/>, which rate-limits it; <c>{More}</c> then tells how many
/// lines like it were held back in the second before.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "WsFast listening on {Endpoint}")]
    public static partial void Listening(ILogger logger, EndPoint endpoint);

    [LoggerMessage(4, LogLevel.Information, "WsFast listening with TLS on {Endpoint}")]
    public static partial void ListeningTls(ILogger logger, EndPoint endpoint);

    [LoggerMessage(60, LogLevel.Warning, "TLS handshake with {Remote} failed: {Reason}{More}")]
    public static partial void TlsHandshakeFailed(ILogger logger, EndPoint? remote, string reason, string more);

    [LoggerMessage(140, LogLevel.Information, "WsFast serving /metrics and /healthz details on {Endpoint}")]
    public static partial void ListeningAdmin(ILogger logger, EndPoint endpoint);

    [LoggerMessage(61, LogLevel.Information, "TLS certificates reloaded")]
    public static partial void CertificatesReloaded(ILogger logger);

    [LoggerMessage(62, LogLevel.Error, "TLS certificates not reloaded, those in use stay: {Reason}")]
    public static partial void CertificateReloadFailed(ILogger logger, string reason);

    [LoggerMessage(130, LogLevel.Warning, "PoisonReceiveBuffers is on: received messages are overwritten once handled and receive buffers are never reused, a testing aid that allocates per receive")]
    public static partial void PoisonReceiveBuffersOn(ILogger logger);

    [LoggerMessage(131, LogLevel.Warning, "A callback of connection {Id}'s ConnectionClosed token failed")]
    public static partial void ClosedCallbackFailed(ILogger logger, Exception exception, long id);

    [LoggerMessage(2, LogLevel.Information, "WsFast stopping: closing {Count} connections with 1001")]
    public static partial void Stopping(ILogger logger, int count);

    [LoggerMessage(3, LogLevel.Information, "WsFast stopped")]
    public static partial void Stopped(ILogger logger);

    [LoggerMessage(10, LogLevel.Warning, "Refused request from {Remote}: {Status} {Reason}{More}")]
    public static partial void RequestRefused(ILogger logger, object? remote, int status, string reason, string more);

    [LoggerMessage(11, LogLevel.Warning, "Request from {Remote} timed out{More}")]
    public static partial void RequestTimedOut(ILogger logger, object? remote, string more);

    [LoggerMessage(12, LogLevel.Warning, "Refused connection from {Remote}: {Reason}{More}")]
    public static partial void ConnectionRefused(ILogger logger, object? remote, string reason, string more);

    [LoggerMessage(20, LogLevel.Warning, "Connection {Id} from {Remote} broke the protocol: {Code} {Reason}{More}")]
    public static partial void ProtocolViolation(ILogger logger, long id, object? remote, int code, string reason, string more);

    [LoggerMessage(21, LogLevel.Information, "Connection {Id} from {Remote} did not answer a ping in time{More}")]
    public static partial void PingTimedOut(ILogger logger, long id, object? remote, string more);

    [LoggerMessage(22, LogLevel.Information, "Connection {Id} from {Remote} did not complete the close handshake in time{More}")]
    public static partial void CloseTimedOut(ILogger logger, long id, object? remote, string more);

    [LoggerMessage(23, LogLevel.Error, "Handler of {Path} failed on connection {Id}; closing it with 1011{More}")]
    public static partial void HandlerFailed(ILogger logger, Exception exception, string path, long id, string more);

    [LoggerMessage(24, LogLevel.Debug, "Connection {Id} from {Remote} opened on {Path}")]
    public static partial void Opened(ILogger logger, long id, object? remote, string path);

    [LoggerMessage(25, LogLevel.Debug, "Connection {Id} closed: {Code} {Reason}")]
    public static partial void Closed(ILogger logger, long id, CloseCode code, string reason);

    [LoggerMessage(26, LogLevel.Debug, "Connection {Id} ended abruptly: {Error}")]
    public static partial void Aborted(ILogger logger, long id, string error);

    [LoggerMessage(27, LogLevel.Warning, "Connection {Id} from {Remote} aborted: its output has not moved for the send-stall timeout ({Queued} bytes queued){More}")]
    public static partial void SendStalled(ILogger logger, long id, object? remote, long queued, string more);

    [LoggerMessage(28, LogLevel.Warning, "Connection {Id} from {Remote} closed over the memory budget: {Code} {Reason}{More}")]
    public static partial void OverBudget(ILogger logger, long id, object? remote, int code, string reason, string more);

    [LoggerMessage(29, LogLevel.Warning, "Connection {Id} from {Remote} closed: {Reason}{More}")]
    public static partial void RelayRefused(ILogger logger, long id, object? remote, string reason, string more);

    [LoggerMessage(30, LogLevel.Error, "Unexpected error on connection {Id}{More}")]
    public static partial void Unexpected(ILogger logger, Exception exception, long id, string more);

    [LoggerMessage(31, LogLevel.Error, "The server's timer failed on a connection; it goes on with the others{More}")]
    public static partial void TimerFailed(ILogger logger, Exception exception, string more);

    [LoggerMessage(33, LogLevel.Error, "The authorizer failed on a request for {Path}; the client got 500{More}")]
    public static partial void AuthorizerFailed(ILogger logger, Exception exception, string path, string more);
    [LoggerMessage(35, LogLevel.Warning, "Refused request from {Client}: {Status} {Reason}{More}")]
    public static partial void LimitRefused(ILogger logger, object? client, int status, string reason, string more);

    [LoggerMessage(36, LogLevel.Warning, "Connection {Id} from {Client} closed with 1008 rate limit: {Reason}{More}")]
    public static partial void RateLimitClosed(ILogger logger, long id, object? client, string reason, string more);

    [LoggerMessage(32, LogLevel.Warning, "Buffered bytes over the memory budget: {Buffered} of {Budget}; new connections get 503 and the largest holders are closed")]
    public static partial void BudgetExceeded(ILogger logger, long buffered, long budget);

    [LoggerMessage(150, LogLevel.Information, "WsFast sharing topics through {Broker} ({Description}) as server {Node}")]
    public static partial void BrokerStarted(ILogger logger, string broker, string description, string node);

    [LoggerMessage(151, LogLevel.Warning, "The {Broker} broker is unreachable: publishes are refused (503), subscribers stay connected, reconnecting ({Reason})")]
    public static partial void BrokerLost(ILogger logger, string broker, string reason);

    [LoggerMessage(152, LogLevel.Information, "The {Broker} broker is reachable again: reading every followed topic's history to recover what was published meanwhile")]
    public static partial void BrokerRestored(ILogger logger, string broker);

    [LoggerMessage(153, LogLevel.Warning, "The {Broker} broker failed for topic {Topic}, trying again: {Reason}{More}")]
    public static partial void BrokerFeedFailed(ILogger logger, string broker, string topic, string reason, string more);

    [LoggerMessage(154, LogLevel.Warning, "A publish to topic {Topic} through the {Broker} broker failed: {Reason}{More}")]
    public static partial void BrokerPublishFailed(ILogger logger, string broker, string topic, string reason, string more);
}
