using System.Net;
using WsFast.Protocol;
using WsFast.Transport;

namespace WsFast.Server;

/// <summary>Where a connection is in its life.</summary>
public enum WebSocketState : byte
{
    /// <summary>The HTTP request is being read.</summary>
    Connecting,
    /// <summary>Upgraded: messages flow both ways.</summary>
    Open,
    /// <summary>A close frame has been sent; nothing more will be.</summary>
    Closing,
    /// <summary>The TCP connection is gone.</summary>
    Closed,
}

/// <summary>
/// One client connection: what it asked for in its handshake, and the ways to send to it and close it.
/// Sends are safe from any thread and keep their order.
/// </summary>
/// <remarks>
/// The connection lives in four states (<see cref="WebSocketState"/>): the HTTP request is read under the
/// handshake timeout; once upgraded, frames are read, control frames answered and messages handed to the
/// endpoint's handler; the first close frame (ours or the peer's) moves it to closing, after which nothing is
/// sent, and the TCP connection is closed once the close handshake completes or the close timeout passes.
/// Whichever way it ends, its transport goes back to its pool exactly once.
/// </remarks>
public sealed partial class WebSocketConnection
{
    private readonly WsFastServer _server;
    private readonly SocketConnection _transport;
    private readonly long _maxQueuedBytes;
    private readonly int _maxQueuedMessages;
    private int _state; // WebSocketState
    private int _endpointSlot = -1;
    private int _serverSlot = -1;

    // Clock readings (Environment.TickCount64) the server's timer compares against.
    private long _deadline;
    private long _lastReceived;
    private long _lastMessage;
    private long _pingSent;
    private int _closeTimedOut;

    private SemaphoreSlim? _drainTurn;
    private bool _ending; // reading is over; only the output's drain is awaited
    private CloseCode _closeCode = CloseCode.AbnormalClosure;
    private string _closeReason = "";

    internal WebSocketConnection(WsFastServer server, SocketConnection transport)
    {
        _server = server;
        _transport = transport;
        _maxQueuedBytes = server.Options.MaxQueuedOutboundBytes;
        _maxQueuedMessages = server.Options.Broadcast.MaxQueuedMessages;
        Id = transport.Id;
        RemoteEndPoint = transport.RemoteEndPoint;
        long now = Environment.TickCount64;
        _lastReceived = now;
        _lastMessage = now;
        _deadline = now + (long)server.Options.HandshakeTimeout.TotalMilliseconds;
    }

    /// <summary>The clock reading <paramref name="timeout"/> from now, for <c>_deadline</c>.</summary>
    private static long DeadlineAfter(TimeSpan timeout) => Environment.TickCount64 + (long)timeout.TotalMilliseconds;

    /// <summary>A number unique to this connection within the process.</summary>
    public long Id { get; }

    /// <summary>The client's address and port.</summary>
    public EndPoint? RemoteEndPoint { get; }

    /// <summary>The handshake request: path, query, headers. Set once the connection is open.</summary>
    public HandshakeRequest Request { get; private set; } = null!;

    /// <summary>The request path the connection was opened on, e.g. <c>/echo</c>.</summary>
    public string Path => Request.Path;

    /// <summary>The query string the connection was opened with, without the <c>?</c>; empty when none.</summary>
    public string Query => Request.Query;

    /// <summary>The subprotocol agreed in the handshake, or null.</summary>
    public string? SubProtocol { get; private set; }

    /// <summary>The endpoint serving this connection. Set once the connection is open.</summary>
    public WebSocketEndpoint Endpoint { get; private set; } = null!;

    /// <summary>Where the connection is in its life.</summary>
    public WebSocketState State => (WebSocketState)Volatile.Read(ref _state);

    /// <summary>Anything the handler wants to keep with this connection.</summary>
    public object? UserState { get; set; }

    /// <summary>Outbound bytes queued and not yet sent.</summary>
    public long QueuedBytes => _transport.QueuedBytes;

    /// <summary>
    /// Queues a text message. Completes at once unless the connection's outbound queue is at its bound
    /// (<see cref="WsFastServerOptions.MaxQueuedOutboundBytes"/>), in which case it completes when the queue has
    /// drained enough.
    /// </summary>
    /// <returns>True if queued; false if the connection is closing or closed.</returns>
    public ValueTask<bool> SendTextAsync(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        int max = System.Text.Encoding.UTF8.GetMaxByteCount(text.Length);
        if (max <= 512)
        {
            Span<byte> utf8 = stackalloc byte[max];
            int length = System.Text.Encoding.UTF8.GetBytes(text, utf8);
            return SendAsync(Opcode.Text, utf8.Slice(0, length));
        }

        return SendAsync(Opcode.Text, System.Text.Encoding.UTF8.GetBytes(text));
    }

    /// <summary>Queues a text message from UTF-8 bytes, which must be valid UTF-8.</summary>
    /// <inheritdoc cref="SendTextAsync(string)"/>
    public ValueTask<bool> SendTextAsync(ReadOnlySpan<byte> utf8) => SendAsync(Opcode.Text, utf8);

    /// <summary>Queues a binary message.</summary>
    /// <inheritdoc cref="SendTextAsync(string)"/>
    public ValueTask<bool> SendBinaryAsync(ReadOnlySpan<byte> payload) => SendAsync(Opcode.Binary, payload);

    /// <summary>Queues a message of the given type, for example a received one sent back.</summary>
    /// <inheritdoc cref="SendTextAsync(string)"/>
    public ValueTask<bool> SendAsync(in WebSocketMessage message)
    {
        if (State != WebSocketState.Open)
        {
            return new ValueTask<bool>(false);
        }

        return EnqueueAsync(FrameWriting.Frame((Opcode)message.Type, message.Payload));
    }

    /// <summary>
    /// Starts the closing handshake: sends a close frame with <paramref name="code"/> and
    /// <paramref name="reason"/> (at most 123 bytes of UTF-8), after which nothing more is sent. The TCP
    /// connection closes when the client answers, or after the close timeout.
    /// </summary>
    public void Close(CloseCode code = CloseCode.NormalClosure, string reason = "")
    {
        if (!CloseCodes.IsValidOnWire((ushort)code))
        {
            throw new ArgumentOutOfRangeException(nameof(code), code, "This close code may not be sent (RFC 6455 section 7.4).");
        }

        if (System.Text.Encoding.UTF8.GetByteCount(reason) > FrameWriter.MaxCloseReasonLength)
        {
            throw new ArgumentException("A close reason is at most 123 bytes of UTF-8.", nameof(reason));
        }

        SendClose(code, reason);
    }

    /// <inheritdoc/>
    public override string ToString() => $"WebSocket {Id} {RemoteEndPoint} {Request?.Path} {State}";

    private ValueTask<bool> SendAsync(Opcode opcode, ReadOnlySpan<byte> payload)
    {
        if (State != WebSocketState.Open)
        {
            return new ValueTask<bool>(false);
        }

        return EnqueueAsync(FrameWriting.Frame(opcode, payload));
    }

    // Takes ownership of one reference to `frame`.
    // The bound, for direct sends and broadcasts alike: a frame is queued while the queue is below it, so at
    // most the bound plus one message is ever queued. Judging by what is queued before the frame, not after,
    // keeps a healthy client from looking full while its last send's completion is still being processed.
    private ValueTask<bool> EnqueueAsync(SharedBuffer frame)
    {
        if (_transport.QueuedBytes >= _maxQueuedBytes)
        {
            return WaitThenEnqueueAsync(frame);
        }

        return new ValueTask<bool>(EnqueueFrame(frame));
    }

    private async ValueTask<bool> WaitThenEnqueueAsync(SharedBuffer frame)
    {
        // Wait until the queue is below the bound again. The transport wakes one waiter at a time; concurrent
        // senders take turns here.
        long threshold = _maxQueuedBytes - 1;
        SemaphoreSlim turn = LazyInitializer.EnsureInitialized(ref _drainTurn, static () => new SemaphoreSlim(1, 1));
        await turn.WaitAsync().ConfigureAwait(false);
        try
        {
            await _transport.WaitForDrainAsync(threshold).ConfigureAwait(false);
        }
        finally
        {
            turn.Release();
        }

        return EnqueueFrame(frame);
    }

    private bool EnqueueFrame(SharedBuffer frame)
    {
        if (State != WebSocketState.Open)
        {
            frame.Release();
            return false;
        }

        _lastMessage = Environment.TickCount64;
        if (!_transport.Enqueue(frame))
        {
            return false;
        }

        _server.Counters.OnMessageSent(frame.Length);
        return true;
    }

    /// <summary>
    /// Queues a buffer shared with other connections (a broadcast), taking a reference of its own; never waits.
    /// Full when the connection already holds its bound of queued bytes or messages.
    /// </summary>
    internal EnqueueResult TryEnqueueShared(SharedBuffer frame, bool streaming = false)
    {
        if (streaming ? State != WebSocketState.Connecting : State != WebSocketState.Open)
        {
            return EnqueueResult.Closed;
        }

        if (_transport.QueuedBytes >= _maxQueuedBytes || _transport.QueuedCount >= _maxQueuedMessages)
        {
            return EnqueueResult.Full;
        }

        frame.AddReference();
        if (!_transport.EnqueueDispatched(frame))
        {
            return EnqueueResult.Closed;
        }

        _lastMessage = Environment.TickCount64;
        _server.Counters.OnMessageSent(frame.Length);
        return EnqueueResult.Queued;
    }

    /// <summary>Graceful shutdown: 1001 to an open connection; one still in its handshake is dropped.</summary>
    internal void Shutdown()
    {
        if (State == WebSocketState.Connecting)
        {
            _transport.Abort();
        }
        else
        {
            SendClose(CloseCode.GoingAway, "server shutting down");
        }
    }

    internal void Abort() => _transport.Abort();

    /// <summary>Answers a connection the server will not serve, then lets it go.</summary>
    internal async Task RefuseAsync(SharedBuffer response)
    {
        RespondAndClose(response);
        await EndAsync(opened: false).ConfigureAwait(false);
    }

    internal void CloseSlowConsumer()
    {
        if (SendClose(CloseCode.PolicyViolation, "slow consumer: outbound queue full"))
        {
            // It leaves its topic now, not when its close handshake ends: it is no subscriber any more.
            UnsubscribeFromTopic();
            _server.Counters.OnSlowConsumerDisconnected();
        }
    }

    /// <summary>
    /// Sends our close frame once, whatever races to send one, as the transport's last bytes, so that nothing
    /// another thread queues can follow it (section 5.5.1). Returns false when a close frame had already been sent.
    /// </summary>
    private bool SendClose(CloseCode code, string reason)
    {
        if (Interlocked.CompareExchange(ref _state, (int)WebSocketState.Closing, (int)WebSocketState.Open) != (int)WebSocketState.Open)
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
        _transport.EnqueueLast(SharedBufferPool.Shared.Rent(frame.Slice(0, length)));
        return true;
    }

    /// <summary>Called by the server's timer: enforces the deadlines and sends heartbeats.</summary>
    internal void OnTick(long now)
    {
        WsFastServerOptions options = _server.Options;
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
            case WebSocketState.Connecting when _isEventStream:
                // A comment line keeps an idle event stream alive through proxies and finds dead peers.
                if (options.PingInterval > TimeSpan.Zero && now - _lastMessage >= (long)options.PingInterval.TotalMilliseconds)
                {
                    _lastMessage = now;
                    _transport.Enqueue(SharedBufferPool.Shared.Rent(": keep-alive\n\n"u8));
                }

                break;

            case WebSocketState.Connecting when now >= _deadline:
                Log.HandshakeTimedOut(_server.Logger, RemoteEndPoint);
                _transport.Abort();
                break;

            case WebSocketState.Open:
                long pingSent = _pingSent;
                if (pingSent != 0 && Volatile.Read(ref _lastReceived) < pingSent)
                {
                    if (now - pingSent >= (long)options.PingTimeout.TotalMilliseconds)
                    {
                        Log.PingTimedOut(_server.Logger, Id, RemoteEndPoint);
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

                break;

            case WebSocketState.Closing when now >= _deadline:
                DropAfterCloseTimeout();
                break;
        }
    }

    /// <summary>Our close frame went unanswered in time: logs it once and drops the connection.</summary>
    private void DropAfterCloseTimeout()
    {
        if (Interlocked.Exchange(ref _closeTimedOut, 1) == 0)
        {
            Log.CloseTimedOut(_server.Logger, Id, RemoteEndPoint);
        }

        _transport.Abort();
    }

    private void SendPing(long now)
    {
        Span<byte> frame = stackalloc byte[FrameWriter.MaxHeaderSize + sizeof(long)];
        Span<byte> payload = stackalloc byte[sizeof(long)];
        BitConverter.TryWriteBytes(payload, now);
        int length = FrameWriter.WritePing(frame, payload);
        if (State == WebSocketState.Open)
        {
            _transport.Enqueue(SharedBufferPool.Shared.Rent(frame.Slice(0, length)));
        }
    }
}

/// <summary>What happened to a broadcast frame offered to one connection.</summary>
internal enum EnqueueResult : byte
{
    Queued,
    Full,
    Closed,
}
