using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using WsFast.Protocol;
using WsFast.Server;

namespace WsFast;

/// <summary>Receiving: frames read from the transport, control frames answered, messages handed to the handler.</summary>
public sealed partial class WebSocketConnection
{
    private FrameReader _frames;
    private MessageAssembler _assembler;
    private MessageLifetime? _messageLifetime; // with WsFastServerOptions.PoisonReceiveBuffers only
    private Subscriptions _subscriptions;

    /// <summary>
    /// The open connection's whole life in one state machine: subscribing, the handler's OnConnected, then
    /// frames until the close handshake, a violation or the end of the TCP connection, then the end. An idle
    /// open connection holds this one suspended state machine (the receive loop is not a method of its own, which
    /// would be a second one).
    /// </summary>
    internal async Task RunAsync()
    {
        try
        {
            await OpenAsync().ConfigureAwait(false);

            PipeReader input = _transport.Input;
            while (true)
            {
                ReadResult result = await input.ReadAsync().ConfigureAwait(false);
                ReadOnlySequence<byte> buffer = result.Buffer;
                Volatile.Write(ref _lastReceived, Environment.TickCount64);
                if (State != ConnectionState.Open && _assembler.HeldBytes > 0)
                {
                    // After our close frame, a message still being assembled will never reach the handler: its
                    // memory goes now, not when the close handshake ends (the memory budget counts on that).
                    _assembler.Release();
                }

                bool done = false;
                while (!done)
                {
                    FrameReadStatus status = _frames.Read(ref buffer, out FrameChunk chunk);
                    if (status == FrameReadStatus.NeedMoreData)
                    {
                        break;
                    }

                    switch (status)
                    {
                        case FrameReadStatus.Data:
                            if (State == ConnectionState.Open)
                            {
                                await OnDataAsync(chunk).ConfigureAwait(false);
                            }

                            break;

                        case FrameReadStatus.Control:
                            done = OnControlFrame(chunk);
                            break;

                        default:
                            ProtocolError error = _frames.Error;
                            _server.BadInput.ProtocolViolation(Id, ClientForLog, error.ToCloseCode(), error.ToReason());
                            _server.Counters.OnProtocolError();
                            SendClose(error.ToCloseCode(), error.ToReason());
                            done = true;
                            break;
                    }
                }

                input.AdvanceTo(buffer.Start, buffer.End);
                if (done)
                {
                    return;
                }

                if (result.IsCompleted)
                {
                    // The TCP connection ended without a close frame (1006), or our own close timed out.
                    if (State == ConnectionState.Open)
                    {
                        _closeCode = CloseCode.AbnormalClosure;
                        _closeReason = "connection lost";
                        Log.Aborted(_server.Logger, Id, "the client closed TCP without a close frame");
                    }
                    else if (Environment.TickCount64 >= _deadline)
                    {
                        // Our close frame went unanswered. The transport's lingering close, which lasts as long as
                        // the close timeout from our FIN, usually ends the connection just before the timer would.
                        DropAfterCloseTimeout();
                    }

                    return;
                }
            }
        }
        catch (Exception e)
        {
            OnFailure(e);
        }
        finally
        {
            await EndAsync().ConfigureAwait(false);
        }
    }

    private async ValueTask OpenAsync()
    {
        _subscriptions.Subscribe(this, Endpoint, Topic, ResumeFrom);
        _authorization?.Subscribe(this);
        OnOpenedForGroups();

        _server.Counters.OnOpened();
        Log.Opened(_server.Logger, Id, ClientForLog, Endpoint.Path);
        if (_handler is Hosting.ScopedHandler scoped)
        {
            _handlerLease = await scoped.LeaseAsync(this).ConfigureAwait(false);
            if (_handlerLease is null)
            {
                SendClose(CloseCode.InternalServerError, "internal error");
                return;
            }

            _handler = _handlerLease.Handler;
        }

        try
        {
            await _handler.OnConnectedAsync(this).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            HandlerFailed(e);
        }
    }

    private ValueTask OnDataAsync(in FrameChunk chunk)
    {
        if (!Endpoint.TakesClientMessages && _authorization?.Refreshable != true)
        {
            // A broadcast endpoint without relaying only delivers: a message is refused at its first frame, before
            // any of it is assembled (closing at its end would let a client make the server hold a whole one).
            RefuseClientMessage();
            return default;
        }

        if (_server.Options.ClientLimits is { LimitsReceiving: true } limits
            && _receiveRate.TryTake(limits, chunk.IsMessageStart, chunk.Payload.Length) is { } over)
        {
            // Like the relay rate: what arrived whole before has been handed on; this message and anything after
            // it are not (the close makes the loop stop dispatching).
            _server.BadInput.RateLimitClosed(over, Id, ClientForLog,
                over == LimitRefusal.MessageRate ? "more messages than the per-connection rate allows" : "more bytes than the per-connection rate allows");
            _server.Counters.OnLimitRefused(over);
            _assembler.Release();
            SendClose(CloseCode.PolicyViolation, "rate limit");
            return default;
        }

        if (chunk.IsCompressed)
        {
            return OnCompressedData(chunk);
        }

        if (chunk.IsMessageStart && chunk.IsMessageEnd)
        {
            // The whole message is in the read buffer: hand it on without a copy.
            return DispatchAsync((MessageType)chunk.Opcode, chunk.Payload);
        }

        _assembler.Append(chunk.Payload);
        return chunk.IsMessageEnd
            ? DispatchAssembledAsync((MessageType)chunk.Opcode)
            : default;
    }

    /// <summary>
    /// A piece of a compressed message (RFC 7692 section 7.2.2), inflated into the assembler as it arrives: the
    /// inflated size is held to the endpoint's message limit while inflating, so a deflate bomb is closed with 1009
    /// having cost no more than an uncompressed message of the limit; inflated text is validated as it comes out.
    /// </summary>
    private ValueTask OnCompressedData(in FrameChunk chunk)
    {
        ConnectionDeflate deflate = _deflate!;
        if (chunk.IsMessageStart && !deflate.StartMessage(chunk.Opcode == Opcode.Text))
        {
            SendClose(CloseCode.InternalServerError, "out of memory for decompression");
            return default;
        }

        long limit = Endpoint.MaxMessageSize;
        InflateOutcome outcome = deflate.Inflate(chunk.Payload, ref _assembler, limit);
        if (outcome == InflateOutcome.Ok && chunk.IsMessageEnd)
        {
            outcome = deflate.Finish(ref _assembler, limit);
            if (outcome == InflateOutcome.Ok)
            {
                _server.Counters.OnCompressedReceived(chunk.Payload.Length, _assembler.Length);
                return DispatchAssembledAsync((MessageType)chunk.Opcode);
            }
        }

        if (outcome != InflateOutcome.Ok)
        {
            deflate.EndMessage();
            _assembler.Release();
            (CloseCode code, string reason) = outcome switch
            {
                InflateOutcome.TooBig => (CloseCode.MessageTooBig, "message too big once inflated"),

                // RFC 6455 section 7.4.1: 1007 is for data inconsistent with the message's type. The frames are
                // well formed (that would be 1002); it is their payload that does not decode.
                InflateOutcome.InvalidData => (CloseCode.InvalidPayloadData, "invalid compressed data"),
                _ => (CloseCode.InvalidPayloadData, "invalid UTF-8 in text message"),
            };
            _server.BadInput.ProtocolViolation(Id, ClientForLog, code, reason);
            _server.Counters.OnProtocolError();
            SendClose(code, reason);
        }

        return default;
    }

    private async ValueTask DispatchAssembledAsync(MessageType type)
    {
        try
        {
            await DispatchAsync(type, _assembler.Message).ConfigureAwait(false);
        }
        finally
        {
            _assembler.Reset();
        }
    }

    private ValueTask DispatchAsync(MessageType type, ReadOnlySequence<byte> payload) =>
        _messageLifetime is null ? DispatchAsync(new WebSocketMessage(type, payload)) : DispatchThenPoisonAsync(type, payload);

    /// <summary>
    /// <see cref="WsFastServerOptions.PoisonReceiveBuffers"/>: once the handler is done with the message, its bytes
    /// are overwritten and the message refuses access, whatever kept it.
    /// </summary>
    private async ValueTask DispatchThenPoisonAsync(MessageType type, ReadOnlySequence<byte> payload)
    {
        try
        {
            await DispatchAsync(new WebSocketMessage(type, payload, _messageLifetime)).ConfigureAwait(false);
        }
        finally
        {
            _messageLifetime!.End(payload);
        }
    }

    private ValueTask DispatchAsync(in WebSocketMessage message)
    {
        _lastMessage = Environment.TickCount64;
        _server.Counters.OnMessageReceived(message.Payload.Length);
        if (_authorization is { Refreshable: true } authorization)
        {
            return DispatchToAuthorizerAsync(authorization.Authorizer!, message);
        }

        ValueTask handled;
        try
        {
            handled = _handler.OnMessageAsync(this, message);
        }
        catch (Exception e)
        {
            HandlerFailed(e);
            return default;
        }

        return handled.IsCompletedSuccessfully ? default : AwaitHandlerAsync(handled);
    }

    /// <summary>
    /// A message of a connection that can refresh its authorization: its authorizer's first
    /// (<see cref="RequestAuthorizer.OnMessageAsync"/>), then the handler's if the endpoint takes client messages.
    /// </summary>
    private async ValueTask DispatchToAuthorizerAsync(RequestAuthorizer authorizer, WebSocketMessage message)
    {
        try
        {
            if (await authorizer.OnMessageAsync(this, message).ConfigureAwait(false))
            {
                return;
            }

            if (!Endpoint.TakesClientMessages)
            {
                RefuseClientMessage();
                return;
            }

            await _handler.OnMessageAsync(this, message).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            HandlerFailed(e);
        }
    }

    // 1008 to a client that sent a message to an endpoint that takes none.
    private void RefuseClientMessage()
    {
        const string Reason = "this endpoint does not take messages from clients";
        _server.BadInput.RelayRefused(Id, ClientForLog, Reason);
        SendClose(CloseCode.PolicyViolation, Reason);
    }

    private async ValueTask AwaitHandlerAsync(ValueTask handled)
    {
        try
        {
            await handled.ConfigureAwait(false);
        }
        catch (Exception e)
        {
            HandlerFailed(e);
        }
    }

    /// <summary>Answers a control frame; true when it ends reading (a close frame).</summary>
    private bool OnControlFrame(in FrameChunk chunk)
    {
        switch (chunk.Opcode)
        {
            case Opcode.Ping:
                SendPong(chunk.Payload);
                return false;

            case Opcode.Pong:
                _pingSent = 0;
                return false;

            default:
                CloseCode code = chunk.CloseCode;
                string reason = chunk.CloseReason.IsEmpty ? "" : Encoding.UTF8.GetString(chunk.CloseReason);
                if (SendClose(code, reason))
                {
                    // The client closed first: we echo its code (section 5.5.1) and report its reason.
                    Log.Closed(_server.Logger, Id, code, reason);
                }

                return true;
        }
    }

    private void HandlerFailed(Exception e)
    {
        _server.BadInput.HandlerFailed(e, Endpoint.Path, Id);
        SendClose(CloseCode.InternalServerError, "internal error");
    }
}
