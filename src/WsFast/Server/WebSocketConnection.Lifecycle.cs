using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using WsFast.Protocol;
using WsFast.Transport;

namespace WsFast.Server;

public sealed partial class WebSocketConnection
{
    private FrameReader _frames;
    private MessageAssembler _assembler;

    /// <summary>
    /// The connection's life until the upgrade: HTTP requests are read and answered. Once upgraded, the open
    /// connection goes on in <see cref="RunOpenAsync"/>, and this method completes: an idle open connection
    /// then holds one suspended state machine, not two.
    /// </summary>
    internal async Task RunAsync()
    {
        try
        {
            if (await ReadRequestsAsync().ConfigureAwait(false))
            {
                _ = RunOpenAsync();
                return;
            }
        }
        catch (Exception e)
        {
            OnFailure(e);
        }

        await EndAsync(opened: false).ConfigureAwait(false);
    }

    /// <summary>The connection broke, or something unexpected happened: logs it, and aborts in the latter case.</summary>
    private void OnFailure(Exception e)
    {
        if (IsConnectionLoss(e))
        {
            Log.Aborted(_server.Logger, Id, e.Message);
            if (State == WebSocketState.Open)
            {
                _closeCode = CloseCode.AbnormalClosure;
                _closeReason = "connection lost";
            }
        }
        else
        {
            Log.Unexpected(_server.Logger, e, Id);
            _transport.Abort();
        }
    }

    /// <summary>
    /// Reads HTTP requests until one upgrades the connection (true) or the connection should end (false).
    /// Plain requests are answered on the same connection while the client keeps it alive.
    /// </summary>
    private async ValueTask<bool> ReadRequestsAsync()
    {
        PipeReader input = _transport.Input;
        var reader = new HandshakeReader(_server.Options.MaxHeaderBytes, _server.Options.MaxHeaderCount);
        while (true)
        {
            ReadResult result = await input.ReadAsync().ConfigureAwait(false);
            ReadOnlySequence<byte> buffer = result.Buffer;
            HandshakeStatus status = reader.TryRead(buffer, out SequencePosition consumed, out SequencePosition examined,
                out HandshakeRequest? request, out HandshakeError error);
            switch (status)
            {
                case HandshakeStatus.Incomplete:
                    input.AdvanceTo(consumed, examined);
                    if (result.IsCompleted)
                    {
                        return false; // the client left before finishing its request
                    }

                    continue;

                case HandshakeStatus.Refused:
                    input.AdvanceTo(buffer.End);
                    Log.HandshakeRefused(_server.Logger, RemoteEndPoint, error.ToStatusCode(), error.ToReason());
                    _server.Counters.OnRefused();
                    RespondAndClose(HttpResponses.Error(error));
                    return false;

                case HandshakeStatus.PlainRequest:
                    input.AdvanceTo(consumed);
                    if (!await _server.Http.RespondAsync(this, request!).ConfigureAwait(false))
                    {
                        return false;
                    }

                    RestoreDeadline();
                    continue;

                default:
                    input.AdvanceTo(consumed);
                    return Upgrade(request!);
            }
        }
    }

    /// <summary>Routes an upgrade request and answers it: 101 and open, or a refusal and close.</summary>
    private bool Upgrade(HandshakeRequest request)
    {
        if (_server.IsStopping)
        {
            // Shutdown has already sent its 1001s: a connection opened now would miss them.
            return Refuse(503, "server shutting down");
        }

        WebSocketEndpoint? endpoint = _server.FindEndpoint(request.Path, out string? topicName);
        if (endpoint is null)
        {
            return Refuse(404, "no WebSocket endpoint at this path");
        }

        if (topicName is not null)
        {
            Topic? topic = _server.Topics.GetOrCreate(topicName);
            if (topic is null)
            {
                return Refuse(404, "no such topic: invalid name, or the topic limit is reached");
            }

            SetTopic(topic);
        }

        if (!_server.IsOriginAllowed(endpoint, request.Origin))
        {
            return Refuse(403, "origin not allowed");
        }

        string? subProtocol = null;
        foreach (string offered in request.Subprotocols)
        {
            if (endpoint.SubProtocols.Contains(offered))
            {
                subProtocol = offered;
                break;
            }
        }

        Request = request;
        Endpoint = endpoint;
        SubProtocol = subProtocol;
        _frames = new FrameReader(new FrameReaderOptions { MaxMessagePayload = _server.Options.MaxMessageSize });

        // Open before the 101 leaves, so that a send racing the handler's OnConnected is not refused.
        Volatile.Write(ref _state, (int)WebSocketState.Open);
        _lastReceived = _lastMessage = Environment.TickCount64;
        _transport.Enqueue(HttpResponses.SwitchingProtocols(request.Key, subProtocol));
        return true;
    }

    private bool Refuse(int status, string reason)
    {
        Log.HandshakeRefused(_server.Logger, RemoteEndPoint, status, reason);
        _server.Counters.OnRefused();
        RespondAndClose(HttpResponses.Status(status, reason));
        return false;
    }

    /// <summary>Sends a final HTTP response; the transport closes once it is out.</summary>
    internal void RespondAndClose(SharedBuffer response)
    {
        _transport.EnqueueLast(response);
    }

    /// <summary>Sends an HTTP response on a connection that stays open for the next request.</summary>
    internal void Respond(SharedBuffer response) => _transport.Enqueue(response);

    private async ValueTask OpenAsync()
    {
        _endpointSlot = Endpoint.Add(this);
        _server.Counters.OnOpened();
        Log.Opened(_server.Logger, Id, RemoteEndPoint, Endpoint.Path);
        try
        {
            await Endpoint.Handler.OnConnectedAsync(this).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            HandlerFailed(e);
        }
    }

    /// <summary>
    /// The open connection's whole life in one state machine: the handler's OnConnected, then frames until the
    /// close handshake, a violation or the end of the TCP connection, then the end.
    /// </summary>
    private async Task RunOpenAsync()
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
                            if (State == WebSocketState.Open)
                            {
                                await OnDataAsync(chunk).ConfigureAwait(false);
                            }

                            break;

                        case FrameReadStatus.Control:
                            done = OnControlFrame(chunk);
                            break;

                        default:
                            ProtocolError error = _frames.Error;
                            Log.ProtocolViolation(_server.Logger, Id, RemoteEndPoint, (int)error.ToCloseCode(), error.ToReason());
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
                    if (State == WebSocketState.Open)
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
            await EndAsync(opened: true).ConfigureAwait(false);
        }
    }

    private ValueTask OnDataAsync(in FrameChunk chunk)
    {
        if (chunk.IsMessageStart && chunk.IsMessageEnd)
        {
            // The whole message is in the read buffer: hand it on without a copy.
            return DispatchAsync((WebSocketMessageType)chunk.Opcode, chunk.Payload);
        }

        _assembler.Append(chunk.Payload);
        return chunk.IsMessageEnd
            ? DispatchAssembledAsync((WebSocketMessageType)chunk.Opcode)
            : default;
    }

    private async ValueTask DispatchAssembledAsync(WebSocketMessageType type)
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

    private ValueTask DispatchAsync(WebSocketMessageType type, ReadOnlySequence<byte> payload)
    {
        _lastMessage = Environment.TickCount64;
        _server.Counters.OnMessageReceived(payload.Length);
        ValueTask handled;
        try
        {
            handled = Endpoint.Handler.OnMessageAsync(this, new WebSocketMessage(type, payload));
        }
        catch (Exception e)
        {
            HandlerFailed(e);
            return default;
        }

        return handled.IsCompletedSuccessfully ? default : AwaitHandlerAsync(handled);
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

    private void SendPong(in ReadOnlySequence<byte> payload)
    {
        if (State == WebSocketState.Open)
        {
            SharedBuffer frame = FrameWriting.Frame(Opcode.Pong, payload);
            _transport.Enqueue(frame);
        }
    }

    private void HandlerFailed(Exception e)
    {
        Log.HandlerFailed(_server.Logger, e, Endpoint.Path, Id);
        SendClose(CloseCode.InternalServerError, "internal error");
    }

    private async ValueTask EndAsync(bool opened)
    {
        // Reading is over: the transport discards whatever else arrives until the peer closes its side. What is
        // still queued gets the close timeout to go out, so a peer that stops reading cannot hold us forever.
        await _transport.Input.CompleteAsync().ConfigureAwait(false);
        if (State != WebSocketState.Closing)
        {
            _deadline = DeadlineAfter(_server.Options.CloseTimeout);
            _transport.CompleteOutput();
        }

        Volatile.Write(ref _ending, true);

        await _transport.Closed.ConfigureAwait(false);
        Volatile.Write(ref _state, (int)WebSocketState.Closed);
        _assembler.Release();
        _server.Unregister(_serverSlot);

        if (opened)
        {
            Endpoint.Remove(_endpointSlot);
            _server.Counters.OnClosed(_closeCode);
            try
            {
                await Endpoint.Handler.OnDisconnectedAsync(this, _closeCode, _closeReason).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                Log.HandlerFailed(_server.Logger, e, Endpoint.Path, Id);
            }
        }

        _transport.Dispose();
    }

    internal void SetServerSlot(int slot) => _serverSlot = slot;

    private static bool IsConnectionLoss(Exception e) =>
        e is System.Net.Sockets.SocketException or IOException or ObjectDisposedException or OperationCanceledException;
}
