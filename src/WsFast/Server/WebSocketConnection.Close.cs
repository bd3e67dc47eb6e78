using WsFast.Protocol;
using WsFast.Transport;
using WsFast.Server;

namespace WsFast;

/// <summary>
/// The close handshake (RFC 6455 section 7) and the end: our close frame goes out once and last, the peer gets
/// the close timeout to answer, and the transport returns to its pool once both directions are done.
/// </summary>
public sealed partial class WebSocketConnection
{
    private CloseCode _closeCode = CloseCode.AbnormalClosure;
    private string _closeReason = "";
    private int _closeTimedOut;

    // Cancelled for good in place of a source once the connection has ended: what ConnectionClosed returns then.
    private static readonly CancellationTokenSource s_ended = CancelledSource();

    // Made by the first ConnectionClosed; s_ended once the connection has ended.
    private CancellationTokenSource? _closedSource;

    /// <summary>
    /// Cancelled once the connection has ended, however it ended (close handshake, the client gone, abort, server
    /// stop), just before <see cref="WebSocketHandler.OnDisconnectedAsync"/>: for work a handler started for this
    /// connection, such as a background task that sends to it, as Kestrel's <c>ConnectionClosed</c>. Already
    /// cancelled when asked after the end. Free for a connection that never asks (made on first use).
    /// </summary>
    public CancellationToken ConnectionClosed
    {
        get
        {
            CancellationTokenSource? source = Volatile.Read(ref _closedSource);
            if (source is null)
            {
                var created = new CancellationTokenSource();
                source = Interlocked.CompareExchange(ref _closedSource, created, null) ?? created;
            }

            return source.Token;
        }
    }

    /// <summary>Graceful shutdown: 1001.</summary>
    void IServerConnection.Shutdown() => SendClose(CloseCode.GoingAway, "server shutting down");

    /// <summary>Closes the TCP connection now.</summary>
    void IServerConnection.Abort() => _transport.Abort();

    /// <summary>Whether our close frame has gone out: what the connection holds is about to be freed.</summary>
    bool IServerConnection.IsClosing => State != ConnectionState.Open;

    /// <summary>
    /// The process is over its buffer budget and this connection holds among the most: 1009 when what it holds
    /// is mostly a message it is sending us, 1008 when it is mostly output it does not read. What waits in its
    /// queue is dropped, so the close frame goes out next and the memory is freed now.
    /// </summary>
    bool IServerConnection.CloseOverBudget()
    {
        bool inbound = _assembler.HeldBytes > _transport.QueuedBytes;
        CloseCode code = inbound ? CloseCode.MessageTooBig : CloseCode.PolicyViolation;
        string reason = inbound ? "message too big for the server's memory budget" : "outbound queue over the server's memory budget";
        if (!SendClose(code, reason, dropQueued: true))
        {
            return false;
        }

        // Wake the receive loop, which lets go of the message it was assembling (see ReceiveAsync).
        _transport.Input.CancelPendingRead();
        _server.BadInput.OverBudget(Id, ClientForLog, (int)code, reason);
        return true;
    }

    /// <summary>A subscriber that cannot keep up is closed with 1008, ahead of what waits in its queue.</summary>
    private void CloseSlowConsumer()
    {
        if (SendClose(CloseCode.PolicyViolation, "slow consumer: outbound queue full", dropQueued: true))
        {
            // It leaves its topics now, not when its close handshake ends: it is no subscriber any more.
            _subscriptions.Unsubscribe(Endpoint, Topic);
            _authorization?.Unsubscribe();
            StopReceivingGroups();
            _server.Counters.OnSlowConsumerDisconnected();
        }
    }

    /// <summary>
    /// Sends our close frame once, whatever races to send one, as the transport's last bytes, so that nothing
    /// another thread queues can follow it (section 5.5.1). With <paramref name="dropQueued"/>, what waits in the
    /// queue is dropped first. Returns false when a close frame had already been sent.
    /// </summary>
    private bool SendClose(CloseCode code, string reason, bool dropQueued = false)
    {
        if (Interlocked.CompareExchange(ref _state, (int)ConnectionState.Closing, (int)ConnectionState.Open) != (int)ConnectionState.Open)
        {
            return false;
        }

        _closeCode = code;
        _closeReason = reason;
        _deadline = DeadlineAfter(_server.Options.CloseTimeout);

        Span<byte> frame = stackalloc byte[FrameWriter.MaxControlFrameSize];
        int length = code == CloseCode.NoStatusReceived
            ? FrameWriter.WriteClose(frame)
            : FrameWriter.WriteClose(frame, code, reason);
        SharedBuffer buffer = SharedBufferPool.Shared.Rent(frame.Slice(0, length));
        if (dropQueued)
        {
            _transport.EnqueueLastDroppingQueued(buffer);
        }
        else
        {
            _transport.EnqueueLast(buffer);
        }

        return true;
    }

    /// <summary>Our close frame went unanswered in time: logs it once and drops the connection.</summary>
    private void DropAfterCloseTimeout()
    {
        if (Interlocked.Exchange(ref _closeTimedOut, 1) == 0)
        {
            _server.BadInput.CloseTimedOut(Id, ClientForLog);
        }

        _transport.Abort();
    }

    /// <summary>The connection broke, or something unexpected happened: logs it, and aborts in the latter case.</summary>
    private void OnFailure(Exception e)
    {
        if (HttpConnection.IsConnectionLoss(e))
        {
            Log.Aborted(_server.Logger, Id, e.Message);
            if (State == ConnectionState.Open)
            {
                _closeCode = CloseCode.AbnormalClosure;
                _closeReason = "connection lost";
            }
        }
        else
        {
            _server.BadInput.Unexpected(e, Id);
            _transport.Abort();
        }
    }

    // Exactly once: whoever asks for the token from now on gets s_ended's, already cancelled.
    private void CancelConnectionClosed()
    {
        CancellationTokenSource? source = Interlocked.Exchange(ref _closedSource, s_ended);
        if (source is null || source == s_ended)
        {
            return;
        }

        try
        {
            source.Cancel();
        }
        catch (AggregateException e)
        {
            Log.ClosedCallbackFailed(_server.Logger, e, Id);
        }
    }

    private static CancellationTokenSource CancelledSource()
    {
        var source = new CancellationTokenSource();
        source.Cancel();
        return source;
    }

    private async ValueTask EndAsync()
    {
        // Reading is over: the transport discards whatever else arrives until the peer closes its side. What is
        // still queued gets the close timeout to go out, so a peer that stops reading cannot hold us forever.
        await _transport.Input.CompleteAsync().ConfigureAwait(false);
        if (State != ConnectionState.Closing)
        {
            _deadline = DeadlineAfter(_server.Options.CloseTimeout);
            _transport.CompleteOutput();
        }

        Volatile.Write(ref _ending, true);

        await _transport.Closed.ConfigureAwait(false);
        Volatile.Write(ref _state, (int)ConnectionState.Closed);
        CancelConnectionClosed();
        _subscriptions.Unsubscribe(Endpoint, Topic);
        _authorization?.Unsubscribe();
        if (Topic is not null)
        {
            TopicRegistry.Release(Topic);
        }

        _authorization?.Release();
        OnEndedForGroups();

        _assembler.Release();
        _deflate?.Dispose();
        _server.ReleaseAddress(Address);
        _server.Unregister(_serverSlot);
        _server.Counters.OnClosed(_closeCode);
        try
        {
            await _handler.OnDisconnectedAsync(this, _closeCode, _closeReason).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            _server.BadInput.HandlerFailed(e, Endpoint.Path, Id);
        }

        if (_handlerLease is not null)
        {
            try
            {
                await _handlerLease.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception e)
            {
                _server.BadInput.HandlerFailed(e, Endpoint.Path, Id);
            }
        }

        _transport.Dispose();
    }
}
