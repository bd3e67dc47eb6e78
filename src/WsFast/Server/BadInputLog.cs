using System.Net;
using Microsoft.Extensions.Logging;

namespace WsFast.Server;

/// <summary>
/// The log lines a peer can provoke, each kind limited to one line a second with a count of the rest
/// (<see cref="LogLimiter"/>): a flood of bad input costs the server a counter increment per event, not a
/// console write.
/// </summary>
internal sealed class BadInputLog(ILogger logger)
{
    private readonly LogLimiter _requestRefused = new();
    private readonly LogLimiter _requestTimedOut = new();
    private readonly LogLimiter _connectionRefused = new();
    private readonly LogLimiter _protocolViolation = new();
    private readonly LogLimiter _pingTimedOut = new();
    private readonly LogLimiter _closeTimedOut = new();
    private readonly LogLimiter _handlerFailed = new();
    private readonly LogLimiter _sendStalled = new();
    private readonly LogLimiter _overBudget = new();
    private readonly LogLimiter _relayRefused = new();
    private readonly LogLimiter _unexpected = new();
    private readonly LogLimiter _timerFailed = new();
    private readonly LogLimiter _tlsHandshakeFailed = new();
    private readonly LogLimiter _authorizerFailed = new();
    private readonly LogLimiter[] _limitRefused = Enumerable.Range(0, LimitRefusals.Count).Select(_ => new LogLimiter()).ToArray();

    public void RequestRefused(object? remote, int status, string reason)
    {
        if (Allow(_requestRefused, LogLevel.Warning, out string more))
        {
            Log.RequestRefused(logger, remote, status, reason, more);
        }
    }

    public void RequestTimedOut(object? remote)
    {
        if (Allow(_requestTimedOut, LogLevel.Warning, out string more))
        {
            Log.RequestTimedOut(logger, remote, more);
        }
    }

    public void ConnectionRefused(object? remote, string reason)
    {
        if (Allow(_connectionRefused, LogLevel.Warning, out string more))
        {
            Log.ConnectionRefused(logger, remote, reason, more);
        }
    }

    public void ProtocolViolation(long id, object? remote, CloseCode code, string reason)
    {
        if (Allow(_protocolViolation, LogLevel.Warning, out string more))
        {
            Log.ProtocolViolation(logger, id, remote, (int)code, reason, more);
        }
    }

    public void PingTimedOut(long id, object? remote)
    {
        if (Allow(_pingTimedOut, LogLevel.Information, out string more))
        {
            Log.PingTimedOut(logger, id, remote, more);
        }
    }

    public void CloseTimedOut(long id, object? remote)
    {
        if (Allow(_closeTimedOut, LogLevel.Information, out string more))
        {
            Log.CloseTimedOut(logger, id, remote, more);
        }
    }

    public void HandlerFailed(Exception exception, string path, long id)
    {
        if (Allow(_handlerFailed, LogLevel.Error, out string more))
        {
            Log.HandlerFailed(logger, exception, path, id, more);
        }
    }

    public void SendStalled(long id, object? remote, long queued)
    {
        if (Allow(_sendStalled, LogLevel.Warning, out string more))
        {
            Log.SendStalled(logger, id, remote, queued, more);
        }
    }

    public void OverBudget(long id, object? remote, int code, string reason)
    {
        if (Allow(_overBudget, LogLevel.Warning, out string more))
        {
            Log.OverBudget(logger, id, remote, code, reason, more);
        }
    }

    public void RelayRefused(long id, object? remote, string reason)
    {
        if (Allow(_relayRefused, LogLevel.Warning, out string more))
        {
            Log.RelayRefused(logger, id, remote, reason, more);
        }
    }

    /// <summary>A request refused by a client limit or the proxy rules (one line a second for each <see cref="LimitRefusal"/>).</summary>
    public void LimitRefused(LimitRefusal kind, object? client, int status, string reason)
    {
        if (Allow(_limitRefused[(int)kind], LogLevel.Warning, out string more))
        {
            Log.LimitRefused(logger, client, status, reason, more);
        }
    }

    /// <summary>A WebSocket closed for going over a per-connection rate (one line a second for each <see cref="LimitRefusal"/>).</summary>
    public void RateLimitClosed(LimitRefusal kind, long id, object? client, string reason)
    {
        if (Allow(_limitRefused[(int)kind], LogLevel.Warning, out string more))
        {
            Log.RateLimitClosed(logger, id, client, reason, more);
        }
    }

    public void Unexpected(Exception exception, long id)
    {
        if (Allow(_unexpected, LogLevel.Error, out string more))
        {
            Log.Unexpected(logger, exception, id, more);
        }
    }

    public void TlsHandshakeFailed(EndPoint? remote, string reason)
    {
        if (Allow(_tlsHandshakeFailed, LogLevel.Warning, out string more))
        {
            Log.TlsHandshakeFailed(logger, remote, reason, more);
        }
    }

    public void TimerFailed(Exception exception)
    {
        if (Allow(_timerFailed, LogLevel.Error, out string more))
        {
            Log.TimerFailed(logger, exception, more);
        }
    }

    public void AuthorizerFailed(Exception exception, string path)
    {
        if (Allow(_authorizerFailed, LogLevel.Error, out string more))
        {
            Log.AuthorizerFailed(logger, exception, path, more);
        }
    }

    private bool Allow(LogLimiter limiter, LogLevel level, out string more)
    {
        more = "";
        if (!logger.IsEnabled(level) || !limiter.TryWrite(Environment.TickCount64, out int suppressed))
        {
            return false;
        }

        if (suppressed > 0)
        {
            more = $" ({suppressed} more like it since the last such line)";
        }

        return true;
    }
}
