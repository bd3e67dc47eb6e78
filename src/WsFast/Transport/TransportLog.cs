using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace WsFast.Transport;

/// <summary>The log messages of the transport, defined once so that logging allocates nothing when disabled.</summary>
internal static class TransportLog
{
    private static readonly Action<ILogger, EndPoint, SocketError, TimeSpan, Exception?> s_acceptFailed =
        LoggerMessage.Define<EndPoint, SocketError, TimeSpan>(
            LogLevel.Warning,
            new EventId(1, "AcceptFailed"),
            "Accepting a connection on {EndPoint} failed with {SocketError}; accepting again in {Delay}.");

    private static readonly Action<ILogger, long, Exception?> s_connectionHandlerFailed =
        LoggerMessage.Define<long>(
            LogLevel.Error,
            new EventId(2, "ConnectionHandlerFailed"),
            "The handler of connection {ConnectionId} threw; the connection was aborted.");

    private static readonly Action<ILogger, EndPoint, Exception?> s_acceptLoopFailed =
        LoggerMessage.Define<EndPoint>(
            LogLevel.Critical,
            new EventId(3, "AcceptLoopFailed"),
            "An accept loop on {EndPoint} stopped on an unexpected exception.");

    public static void AcceptFailed(ILogger logger, EndPoint endPoint, SocketError error, TimeSpan delay)
        => s_acceptFailed(logger, endPoint, error, delay, null);

    public static void ConnectionHandlerFailed(ILogger logger, long connectionId, Exception exception)
        => s_connectionHandlerFailed(logger, connectionId, exception);

    public static void AcceptLoopFailed(ILogger logger, EndPoint endPoint, Exception exception)
        => s_acceptLoopFailed(logger, endPoint, exception);
}
