using System.Buffers;
using System.Net.WebSockets;
using System.Threading.Channels;

namespace WsFast.Kestrel;

/// <summary><c>/echo</c>, <c>/broadcast</c> and <c>/broadcast/{topic}</c>: WebSockets accepted by ASP.NET Core's WebSocket middleware.</summary>
public static class WebSocketEndpoints
{
    /// <summary>The topic of <c>/broadcast</c> without a name, as in src/WsFast.</summary>
    public const string DefaultTopic = "default";

    public static void MapWebSocketEndpoints(this IEndpointRouteBuilder app)
    {
        // Map, not MapGet: a WebSocket over HTTP/2 is a CONNECT request.
        app.Map("/echo", EchoAsync);
        app.Map("/broadcast", (HttpContext context, TopicRegistry topics, ServerStats stats, ServerOptions options, IHostApplicationLifetime lifetime) =>
            BroadcastAsync(context, DefaultTopic, topics, stats, options, lifetime));
        app.Map("/broadcast/{topic}", BroadcastAsync);
    }

    // With Deflate, permessage-deflate is agreed when the client offers it: ASP.NET Core's own, which compresses
    // each message for each socket (a broadcast compresses once per subscriber) with a compressor per connection.
    private static WebSocketAcceptContext AcceptContext(ServerOptions options) => new() { DangerousEnableCompression = options.Deflate };

    /// <summary>Every message goes back to its sender, as it came (text or binary), once it is whole.</summary>
    private static async Task EchoAsync(HttpContext context, ServerStats stats, ServerOptions options, IHostApplicationLifetime lifetime)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            await UpgradeRequiredAsync(context);
            return;
        }

        using WebSocket socket = await context.WebSockets.AcceptWebSocketAsync(AcceptContext(options));
        using var session = new WebSocketSession(socket, options.CloseTimeout);
        using var reader = new MessageReader(socket, options.MaxMessageSize);
        await using CancellationTokenRegistration stopping = lifetime.ApplicationStopping.Register(session.CloseOnShutdown);
        try
        {
            Received received;
            while ((received = await reader.ReceiveAsync()) != Received.Closed)
            {
                if (received == Received.TooBig)
                {
                    await session.CloseAsync(WebSocketCloseStatus.MessageTooBig, "frame exceeds the maximum size");
                    continue; // read on until the client's close frame (or the close timeout)
                }

                stats.OnReceived();
                if (await session.SendAsync(reader.Message, reader.Type))
                {
                    stats.OnSent();
                }
            }

            await session.AnswerCloseAsync();
        }
        catch (Exception e) when (WebSocketSession.IsDisconnect(e))
        {
            // The client left without a close handshake, or the close timeout dropped it.
        }
    }

    /// <summary>
    /// Subscribes the WebSocket to the topic; every message the client sends is published to the topic, so it
    /// reaches every subscriber, the sender included.
    /// </summary>
    private static async Task BroadcastAsync(HttpContext context, string topic, TopicRegistry topics, ServerStats stats, ServerOptions options, IHostApplicationLifetime lifetime)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            await UpgradeRequiredAsync(context);
            return;
        }

        if (topics.GetOrCreate(topic) is not { } subscribed)
        {
            await HttpRoutes.TextAsync(context, StatusCodes.Status404NotFound, HttpRoutes.NoSuchTopic);
            return;
        }

        using WebSocket socket = await context.WebSockets.AcceptWebSocketAsync(AcceptContext(options));
        using var session = new WebSocketSession(socket, options.CloseTimeout);
        using var reader = new MessageReader(socket, options.MaxMessageSize);
        var subscriber = new WebSocketSubscriber(session, options.MaxQueuedMessages, stats);
        subscribed.Subscribe(subscriber);
        Task sending = subscriber.SendLoopAsync();
        await using CancellationTokenRegistration stopping = lifetime.ApplicationStopping.Register(session.CloseOnShutdown);
        try
        {
            Received received;
            while ((received = await reader.ReceiveAsync()) != Received.Closed)
            {
                if (received == Received.TooBig)
                {
                    await session.CloseAsync(WebSocketCloseStatus.MessageTooBig, "frame exceeds the maximum size");
                    continue;
                }

                stats.OnReceived();
                if (!session.IsClosing)
                {
                    // The topic keeps the payload (history, queues): copy it out of the reused receive buffer.
                    PublishResult published = subscribed.Publish(reader.Type, reader.Message.ToArray());
                    stats.OnSent(published.Subscribers);
                }
            }

            await session.AnswerCloseAsync();
        }
        catch (Exception e) when (WebSocketSession.IsDisconnect(e))
        {
        }
        finally
        {
            subscribed.Unsubscribe(subscriber);
            subscriber.Complete();
            await sending;
        }
    }

    // A plain request on a WebSocket path: 426 with the protocol to upgrade to (RFC 7231 section 6.5.15).
    private static Task UpgradeRequiredAsync(HttpContext context)
    {
        context.Response.Headers.Upgrade = "websocket";
        context.Response.Headers.Connection = "Upgrade";
        context.Response.Headers.SecWebSocketVersion = "13";
        return HttpRoutes.TextAsync(context, StatusCodes.Status426UpgradeRequired, "WebSocket upgrade required");
    }
}

/// <summary>
/// The sending side of one WebSocket. <see cref="WebSocket"/> allows one send at a time, and data (echo
/// replies, a send loop) and close frames (the client's close, shutdown, an oversized message) come from
/// different places, so every send takes one lock; uncontended, that costs no allocation.
/// </summary>
public sealed class WebSocketSession : IDisposable
{
    private readonly WebSocket _socket;
    private readonly TimeSpan _closeTimeout;
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly CancellationTokenSource _closeTimer = new();
    private readonly Lock _gate = new();
    private bool _disposed;
    private int _closing;

    public WebSocketSession(WebSocket socket, TimeSpan closeTimeout)
    {
        _socket = socket;
        _closeTimeout = closeTimeout;
        // Once a close handshake starts, a client that does not finish it in time is dropped; aborting the
        // socket also ends the pending receive.
        _closeTimer.Token.Register(static state => ((WebSocket)state!).Abort(), socket);
    }

    /// <summary>Whether a close frame has been sent or is about to be: no data may follow it.</summary>
    public bool IsClosing => Volatile.Read(ref _closing) != 0;

    /// <summary>Sends one whole message; false when the connection is closing and the message was not sent.</summary>
    public async ValueTask<bool> SendAsync(ReadOnlyMemory<byte> message, WebSocketMessageType type)
    {
        await _sendLock.WaitAsync();
        try
        {
            if (IsClosing)
            {
                return false;
            }

            await _socket.SendAsync(message, type, endOfMessage: true, CancellationToken.None);
            return true;
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>Starts the close handshake (once), after the message being sent, and bounds how long it may take.</summary>
    public async Task CloseAsync(WebSocketCloseStatus status, string? description)
    {
        if (Interlocked.Exchange(ref _closing, 1) != 0)
        {
            return;
        }

        lock (_gate)
        {
            if (!_disposed)
            {
                _closeTimer.CancelAfter(_closeTimeout);
            }
        }

        await _sendLock.WaitAsync();
        try
        {
            if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                await _socket.CloseOutputAsync(status, description, CancellationToken.None);
            }
        }
        catch (Exception e) when (IsDisconnect(e))
        {
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>The client closed: answer with its own status code, as RFC 6455 section 5.5.1 suggests.</summary>
    public Task AnswerCloseAsync() =>
        CloseAsync(_socket.CloseStatus ?? WebSocketCloseStatus.Empty, _socket.CloseStatus is null ? null : _socket.CloseStatusDescription);

    /// <summary>Graceful shutdown: 1001 to the client, whose close frame then ends the receive loop.</summary>
    public void CloseOnShutdown() => _ = CloseAsync(WebSocketCloseStatus.EndpointUnavailable, "server shutting down");

    /// <summary>An exception that only says the connection is gone.</summary>
    public static bool IsDisconnect(Exception e) =>
        e is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException;

    public void Dispose()
    {
        // The semaphore is left to the collector: it never made a wait handle, and a late shutdown callback may
        // still touch it.
        lock (_gate)
        {
            _disposed = true;
            _closeTimer.Dispose();
        }
    }
}

/// <summary>What <see cref="MessageReader.ReceiveAsync"/> got.</summary>
public enum Received
{
    /// <summary>A whole message, in <see cref="MessageReader.Message"/>.</summary>
    Message,

    /// <summary>A message over the size limit, not kept.</summary>
    TooBig,

    /// <summary>The client's close frame: the connection is done receiving.</summary>
    Closed,
}

/// <summary>
/// Assembles whole messages (every fragment) into one pooled buffer that grows as needed up to the message
/// size limit and is reused for the next message.
/// </summary>
public sealed class MessageReader(WebSocket socket, int maxMessageSize) : IDisposable
{
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(Math.Min(4096, maxMessageSize + 1));
    private int _length;

    /// <summary>The last message received; valid until the next receive.</summary>
    public ReadOnlyMemory<byte> Message => _buffer.AsMemory(0, _length);

    public WebSocketMessageType Type { get; private set; }

    /// <summary>
    /// Receives the next whole message. A message over the limit is reported as soon as it is: the caller
    /// closes with 1009, and what the client still sends of it is read as messages the closing connection ignores.
    /// </summary>
    public async ValueTask<Received> ReceiveAsync()
    {
        _length = 0;
        while (true)
        {
            if (_length == _buffer.Length)
            {
                Grow();
            }

            // One byte over the limit is enough to tell that a message is too big.
            int limit = (int)Math.Min(_buffer.Length, (long)maxMessageSize + 1);
            ValueWebSocketReceiveResult result = await socket.ReceiveAsync(_buffer.AsMemory(_length, limit - _length), CancellationToken.None);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                _length = 0;
                return Received.Closed;
            }

            _length += result.Count;
            if (_length > maxMessageSize)
            {
                _length = 0;
                return Received.TooBig;
            }

            if (result.EndOfMessage)
            {
                Type = result.MessageType;
                return Received.Message;
            }
        }
    }

    // Doubles the buffer, up to one byte over the limit.
    private void Grow()
    {
        byte[] larger = ArrayPool<byte>.Shared.Rent((int)Math.Min((long)_buffer.Length * 2, (long)maxMessageSize + 1));
        _buffer.AsSpan(0, _length).CopyTo(larger);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = larger;
    }

    public void Dispose()
    {
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
    }
}

/// <summary>
/// A WebSocket's subscription to a topic: a bounded queue that publishes drop messages into without waiting,
/// drained by one send loop per connection. A client that cannot keep up fills only its own queue, and then
/// skips messages (counted as dropped) rather than slowing the publisher or the other subscribers.
/// </summary>
public sealed class WebSocketSubscriber(WebSocketSession session, int capacity, ServerStats stats) : ITopicSubscriber
{
    // FullMode Wait makes TryWrite answer false when full (the Drop modes would answer true and discard
    // silently), so the drop is counted and the publish result does not count this subscriber.
    private readonly Channel<TopicMessage> _queue = Channel.CreateBounded<TopicMessage>(new BoundedChannelOptions(capacity)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.Wait,
    });

    public bool TryOffer(TopicMessage message)
    {
        if (_queue.Writer.TryWrite(message))
        {
            return true;
        }

        stats.OnDropped();
        return false;
    }

    /// <summary>No more messages: the send loop ends once it has sent (or, when closing, skipped) what is queued.</summary>
    public void Complete() => _queue.Writer.TryComplete();

    public async Task SendLoopAsync()
    {
        ChannelReader<TopicMessage> reader = _queue.Reader;
        try
        {
            while (await reader.WaitToReadAsync())
            {
                while (reader.TryRead(out TopicMessage? message))
                {
                    await session.SendAsync(message.Payload, message.Type);
                }
            }
        }
        catch (Exception e) when (WebSocketSession.IsDisconnect(e))
        {
            // The connection is gone; the receive loop sees it too and unsubscribes.
        }
    }
}
