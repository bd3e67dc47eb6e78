using WsFast.Server;

namespace WsFast;

/// <summary>
/// Heartbeats and deadlines, run by the server's timer: a ping after <see cref="WsFastServerOptions.PingInterval"/>
/// of silence and 1011 when it goes unanswered, 1000 after <see cref="WsFastServerOptions.IdleTimeout"/> without
/// a message, an abort when the output has not moved for <see cref="WsFastServerOptions.SendStallTimeout"/>, and
/// the close timeout.
/// </summary>
public sealed partial class WebSocketConnection
{
    // Clock readings (Environment.TickCount64) the server's timer compares against.
    private long _deadline;       // of the close handshake, or of the end's drain
    private long _lastReceived;
    private long _lastMessage;
    private long _pingSent;
    private bool _ending;         // reading is over; only the output's drain is awaited

    /// <summary>Called by the server's timer: enforces the deadlines and sends heartbeats.</summary>
    void IServerConnection.OnTick(long now)
    {
        _deflate?.OnTick(now);
        WsFastServerOptions options = _server.Options;
        if (_transport.StalledFor(now) >= (long)options.SendStallTimeout.TotalMilliseconds)
        {
            // Whatever the peer sends meanwhile (pongs, pings, messages): a connection that does not read is gone.
            _server.BadInput.SendStalled(Id, ClientForLog, _transport.QueuedBytes);
            _server.Counters.OnSendStalled();
            _transport.Abort();
            return;
        }

        if (Volatile.Read(ref _ending))
        {
            if (now >= _deadline)
            {
                DropAfterCloseTimeout();
            }

            return;
        }

        switch (State)
        {
            case ConnectionState.Open:
                long pingSent = _pingSent;
                if (pingSent != 0 && Volatile.Read(ref _lastReceived) < pingSent)
                {
                    if (now - pingSent >= (long)options.PingTimeout.TotalMilliseconds)
                    {
                        _server.BadInput.PingTimedOut(Id, ClientForLog);
                        SendClose(CloseCode.InternalServerError, "ping timeout");
                    }
                }
                else if (options.PingInterval > TimeSpan.Zero && now - Volatile.Read(ref _lastReceived) >= (long)options.PingInterval.TotalMilliseconds)
                {
                    _pingSent = now;
                    SendPing(now);
                }

                if (options.IdleTimeout > TimeSpan.Zero && now - _lastMessage >= (long)options.IdleTimeout.TotalMilliseconds)
                {
                    SendClose(CloseCode.NormalClosure, "idle timeout");
                }

                if (_authorization is { } authorization && authorization.IsExpired(now))
                {
                    SendClose(CloseCode.PolicyViolation, "token expired");
                }

                break;

            case ConnectionState.Closing when now >= _deadline:
                DropAfterCloseTimeout();
                break;
        }
    }

    /// <summary>What this connection holds for its peer: queued output and a message being assembled.</summary>
    long IServerConnection.BufferedBytes => _transport.QueuedBytes + _assembler.HeldBytes + (_deflate?.HeldBytes ?? 0);

    /// <summary>The clock reading <paramref name="timeout"/> from now, for <c>_deadline</c>.</summary>
    private static long DeadlineAfter(TimeSpan timeout) => Environment.TickCount64 + (long)timeout.TotalMilliseconds;
}
