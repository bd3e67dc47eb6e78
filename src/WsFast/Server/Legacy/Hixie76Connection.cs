using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using WsFast.Protocol;
using WsFast.Protocol.Hixie76;
using WsFast.Transport;

namespace WsFast.Server;

/// <summary>
/// A connection of a draft-76 client (draft-hixie-thewebsocketprotocol-76), handed over by the HTTP connection
/// after its 101 (<see cref="Hixie76Upgrade"/>), on an endpoint with <see cref="WebSocketEndpoint.LegacyHixie76"/>.
/// </summary>
/// <remarks>
/// <para>Served by the endpoint itself, not by its handler (whose events take an RFC 6455
/// <see cref="WebSocketConnection"/>): it receives the endpoint's broadcasts and, on a broadcast endpoint, its
/// topic's messages, as text frames shared between every draft-76 subscriber (<see cref="TopicMessage.Hixie76Frame"/>);
/// binary messages skip it. What it sends is echoed on an <see cref="EchoHandler"/> endpoint and published on a
/// relaying broadcast endpoint (under the relay rate); elsewhere its first message closes it.</para>
/// <para>The bounds of an RFC 6455 connection hold: the endpoint's message size and invalid UTF-8 close the TCP
/// connection (the draft has no close codes; the log and metrics name the RFC 6455 code of the same cause), the
/// outbound queue bounds make an echo wait and a broadcast apply the slow-consumer policy, the idle, send-stall and
/// close timeouts apply, and so does the memory budget. The draft has no ping, so no heartbeat is sent.</para>
/// <para>Closing (section 7.1 of the draft, <c>0xFF 0x00</c> each way) follows the states of
/// <see cref="ConnectionState"/>: whoever leaves Open first queues our closing frame as the last bytes (or, after a
/// violation, just the FIN), and the transport returns to its pool once both directions are done.</para>
/// </remarks>
internal sealed class Hixie76Connection : IServerConnection, ITopicSubscriber
{
    private readonly WsFastServer _server;
    private readonly TransportLease _transport;
    private readonly int _serverSlot;
    private readonly WebSocketEndpoint _endpoint;
    private readonly Topic? _topic;
    private readonly bool _echoes;
    private readonly long _maxQueuedBytes;
    private readonly int _maxQueuedMessages;
    private Hixie76FrameReader _frames;
    private MessageAssembler _assembler;
    private TokenBucket _relayAllowance;
    private int _state;           // ConnectionState
    private Subscriptions _subscriptions;
    private long _lastMessage;    // Environment.TickCount64 of the last message either way
    private long _deadline;       // of the closing handshake, or of the end's drain
    private bool _ending;
    private int _closeTimedOut;
    private CloseCode _closeCode = CloseCode.AbnormalClosure;

    public Hixie76Connection(WsFastServer server, TransportLease transport, int serverSlot, EndPoint? remoteEndPoint, WebSocketEndpoint endpoint, Topic? topic)
    {
        _server = server;
        _transport = transport;
        _serverSlot = serverSlot;
        _endpoint = endpoint;
        _topic = topic;
        _echoes = !endpoint.IsBroadcast && endpoint.Handler is EchoHandler;
        _maxQueuedBytes = server.Options.MaxQueuedOutboundBytes;
        _maxQueuedMessages = server.Options.MaxQueuedOutboundMessages;
        _frames = new Hixie76FrameReader(endpoint.MaxMessageSize);
        _lastMessage = Environment.TickCount64;
        Id = transport.Id;
        RemoteEndPoint = remoteEndPoint;
        ClientForLog = remoteEndPoint;
    }

    public long Id { get; }

    public EndPoint? RemoteEndPoint { get; }

    /// <summary>The count of the client address's connections this connection is in, released at its end.</summary>
    internal AddressState? Address { get; init; }

    /// <summary>Who the log names: the socket's peer, or behind a trusted proxy the client's address.</summary>
    internal object? ClientForLog { get; init; }

    public ConnectionState State => (ConnectionState)Volatile.Read(ref _state);

    long IServerConnection.BufferedBytes => _transport.QueuedBytes + _assembler.HeldBytes;

    bool IServerConnection.IsClosing => State != ConnectionState.Open;

    // Whether what the client sends goes anywhere: echoed, or relayed to its topic.
    private bool TakesMessages => _echoes || _endpoint.RelaysClientMessages;

    private bool IsQueueFull => _transport.QueuedBytes >= _maxQueuedBytes || _transport.QueuedCount >= _maxQueuedMessages;

    /// <summary>The connection's whole life: subscribing, frames until the closing handshake, a violation or the end of TCP, then the end.</summary>
    internal async Task RunAsync()
    {
        try
        {
            _subscriptions.Subscribe(this, _endpoint, _topic);

            _server.Counters.OnOpened();
            Log.Opened(_server.Logger, Id, ClientForLog, _endpoint.Path);

            PipeReader input = _transport.Input;
            while (true)
            {
                ReadResult result = await input.ReadAsync().ConfigureAwait(false);
                ReadOnlySequence<byte> buffer = result.Buffer;
                if (State != ConnectionState.Open && _assembler.HeldBytes > 0)
                {
                    // After our closing frame a message being assembled will never be used: its memory goes now.
                    _assembler.Release();
                }

                bool done = false;
                bool more = true;
                while (more && !done)
                {
                    switch (_frames.Read(ref buffer, out Hixie76Chunk chunk))
                    {
                        case Hixie76ReadStatus.NeedMoreData:
                            more = false;
                            break;

                        case Hixie76ReadStatus.Text:
                            if (State == ConnectionState.Open)
                            {
                                await OnTextAsync(chunk).ConfigureAwait(false);
                            }

                            break;

                        case Hixie76ReadStatus.Close:
                            // The client's closing frame: answered, unless ours went first (then the handshake is done).
                            SendClose();
                            _closeCode = CloseCode.NormalClosure;
                            done = true;
                            break;

                        default:
                            Hixie76Error error = _frames.Error;
                            _server.BadInput.ProtocolViolation(Id, ClientForLog, error.ToCloseCode(), error.ToReason());
                            _server.Counters.OnProtocolError();
                            _closeCode = error.ToCloseCode();
                            EndOutput();
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
                    if (State == ConnectionState.Open)
                    {
                        Log.Aborted(_server.Logger, Id, "the draft-76 client closed TCP without a closing frame");
                    }
                    else if (Environment.TickCount64 >= _deadline)
                    {
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

    /// <summary>Queues a topic's draft-76 frame, shared with the other draft-76 subscribers, under the topic's lock. Never waits.</summary>
    public EnqueueResult Offer(TopicMessage message)
    {
        if (State != ConnectionState.Open)
        {
            return EnqueueResult.Closed;
        }

        if (message.Type != MessageType.Text)
        {
            return EnqueueResult.Skipped;
        }

        if (IsQueueFull)
        {
            _server.Counters.OnDropped();
            if (_endpoint.SlowConsumerPolicy == SlowConsumerPolicy.Disconnect && SendClose(dropQueued: true))
            {
                // It leaves its topics now, not when its closing handshake ends: it is no subscriber any more.
                _subscriptions.Unsubscribe(_endpoint, _topic);
                _server.Counters.OnSlowConsumerDisconnected();
            }

            return EnqueueResult.Full;
        }

        SharedBuffer? frame = message.Hixie76Frame;
        if (frame is null)
        {
            return EnqueueResult.Skipped;
        }

        frame.AddReference();
        if (!_transport.EnqueueDispatched(frame))
        {
            return EnqueueResult.Closed;
        }

        Volatile.Write(ref _lastMessage, Environment.TickCount64);
        _server.Counters.OnMessageSent(frame.Length);
        return EnqueueResult.Queued;
    }

    /// <summary>Called by the server's timer: the send-stall, idle and close deadlines.</summary>
    void IServerConnection.OnTick(long now)
    {
        WsFastServerOptions options = _server.Options;
        if (_transport.StalledFor(now) >= (long)options.SendStallTimeout.TotalMilliseconds)
        {
            _server.BadInput.SendStalled(Id, ClientForLog, _transport.QueuedBytes);
            _server.Counters.OnSendStalled();
            _transport.Abort();
            return;
        }

        if (Volatile.Read(ref _ending) || State == ConnectionState.Closing)
        {
            if (now >= Volatile.Read(ref _deadline))
            {
                DropAfterCloseTimeout();
            }

            return;
        }

        if (State == ConnectionState.Open && options.IdleTimeout > TimeSpan.Zero
            && now - Volatile.Read(ref _lastMessage) >= (long)options.IdleTimeout.TotalMilliseconds)
        {
            SendClose();
        }
    }

    /// <summary>Graceful shutdown: our closing frame.</summary>
    void IServerConnection.Shutdown() => SendClose();

    void IServerConnection.Abort() => _transport.Abort();

    /// <summary>Over the memory budget: what waits in the queue is dropped and our closing frame goes out next.</summary>
    bool IServerConnection.CloseOverBudget()
    {
        bool inbound = _assembler.HeldBytes > _transport.QueuedBytes;
        if (!SendClose(dropQueued: true))
        {
            return false;
        }

        _transport.Input.CancelPendingRead();
        _server.BadInput.OverBudget(Id, ClientForLog, (int)(inbound ? CloseCode.MessageTooBig : CloseCode.PolicyViolation),
            inbound ? "draft-76 message too big for the server's memory budget" : "draft-76 outbound queue over the server's memory budget");
        return true;
    }

    private async ValueTask OnTextAsync(Hixie76Chunk chunk)
    {
        if (!TakesMessages)
        {
            // Refused at its first piece, before any of it is assembled, as an RFC 6455 client's is.
            const string Reason = "this endpoint does not take messages from draft-76 clients";
            _server.BadInput.RelayRefused(Id, ClientForLog, Reason);
            SendClose();
            return;
        }

        if (chunk.IsMessageStart && chunk.IsMessageEnd)
        {
            await DispatchAsync(chunk.Payload).ConfigureAwait(false);
            return;
        }

        _assembler.Append(chunk.Payload);
        if (chunk.IsMessageEnd)
        {
            try
            {
                await DispatchAsync(_assembler.Message).ConfigureAwait(false);
            }
            finally
            {
                _assembler.Reset();
            }
        }
    }

    private ValueTask DispatchAsync(ReadOnlySequence<byte> text)
    {
        long now = Environment.TickCount64;
        Volatile.Write(ref _lastMessage, now);
        _server.Counters.OnMessageReceived(text.Length);
        if (_echoes)
        {
            return EchoAsync(Hixie76Framing.Frame(text));
        }

        // A relaying broadcast endpoint, as TopicHandler relays for RFC 6455 clients.
        if (!_relayAllowance.TryTake(_server.Options.Broadcast.RelayRate, now))
        {
            RefuseRelay("relay rate exceeded");
        }
        else if (_topic!.IsMirror)
        {
            _topic.Publish(MessageType.Text, text, except: null); // the shared broker numbers it; handed over in order
        }
        else if (_topic.TryPublish(MessageType.Text, FrameWriting.Frame(Opcode.Text, text), except: null, out _) == PublishStatus.TopicLimit)
        {
            RefuseRelay("the topic limit is reached");
        }

        return default;
    }

    // Takes over the frame's reference. At the outbound bound the echo waits, and so does reading: the client is
    // slowed down, as a handler's send slows an RFC 6455 client.
    private async ValueTask EchoAsync(SharedBuffer frame)
    {
        if (IsQueueFull)
        {
            await _transport.WaitForDrainAsync(_maxQueuedBytes - 1, _maxQueuedMessages - 1).ConfigureAwait(false);
        }

        if (State != ConnectionState.Open)
        {
            frame.Release();
            return;
        }

        int length = frame.Length;
        if (_transport.Enqueue(frame))
        {
            Volatile.Write(ref _lastMessage, Environment.TickCount64);
            _server.Counters.OnMessageSent(length);
        }
    }

    private void RefuseRelay(string reason)
    {
        _server.BadInput.RelayRefused(Id, ClientForLog, reason);
        SendClose();
    }

    /// <summary>
    /// Leaves Open with our closing frame, <c>0xFF 0x00</c>, as the transport's last bytes (with
    /// <paramref name="dropQueued"/>, ahead of what waits); false when the connection had already left Open.
    /// </summary>
    private bool SendClose(bool dropQueued = false)
    {
        if (Interlocked.CompareExchange(ref _state, (int)ConnectionState.Closing, (int)ConnectionState.Open) != (int)ConnectionState.Open)
        {
            return false;
        }

        Volatile.Write(ref _deadline, DeadlineAfter(_server.Options.CloseTimeout));
        SharedBuffer buffer = SharedBufferPool.Shared.Rent(Hixie76FrameWriter.CloseFrame);
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

    /// <summary>Leaves Open without a closing frame (a violation, the end of TCP): what is queued goes out, then FIN.</summary>
    private void EndOutput()
    {
        if (Interlocked.CompareExchange(ref _state, (int)ConnectionState.Closing, (int)ConnectionState.Open) == (int)ConnectionState.Open)
        {
            Volatile.Write(ref _deadline, DeadlineAfter(_server.Options.CloseTimeout));
            _transport.CompleteOutput();
        }
    }

    private void DropAfterCloseTimeout()
    {
        if (Interlocked.Exchange(ref _closeTimedOut, 1) == 0)
        {
            _server.BadInput.CloseTimedOut(Id, ClientForLog);
        }

        _transport.Abort();
    }

    private void OnFailure(Exception e)
    {
        if (HttpConnection.IsConnectionLoss(e))
        {
            Log.Aborted(_server.Logger, Id, e.Message);
        }
        else
        {
            _server.BadInput.Unexpected(e, Id);
            _transport.Abort();
        }
    }

    private async ValueTask EndAsync()
    {
        // Reading is over: the transport discards whatever else arrives until the peer closes its side.
        await _transport.Input.CompleteAsync().ConfigureAwait(false);
        EndOutput();
        Volatile.Write(ref _ending, true);
        await _transport.Closed.ConfigureAwait(false);
        Volatile.Write(ref _state, (int)ConnectionState.Closed);
        _subscriptions.Unsubscribe(_endpoint, _topic);
        if (_topic is not null)
        {
            TopicRegistry.Release(_topic);
        }

        _assembler.Release();
        _server.ReleaseAddress(Address);
        _server.Unregister(_serverSlot);
        _server.Counters.OnClosed(_closeCode);
        _transport.Dispose();
    }

    private static long DeadlineAfter(TimeSpan timeout) => Environment.TickCount64 + (long)timeout.TotalMilliseconds;

    public override string ToString() => $"draft-76 WebSocket {Id} {RemoteEndPoint} {_endpoint.Path} {State}";
}
