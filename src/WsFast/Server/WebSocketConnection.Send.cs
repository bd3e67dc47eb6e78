using System.Buffers;
using WsFast.Protocol;
using WsFast.Transport;
using WsFast.Server;

namespace WsFast;

/// <summary>
/// Sending, within the outbound bounds. One rule for every kind of send: a frame is queued while the queue is
/// below <see cref="WsFastServerOptions.MaxQueuedOutboundBytes"/> and
/// <see cref="WsFastServerOptions.MaxQueuedOutboundMessages"/>, so at most one message past either bound is
/// ever queued. At the bound a handler's own send waits; a broadcast or publish never waits, and applies the
/// endpoint's <see cref="SlowConsumerPolicy"/>; a pong takes the place of one still waiting.
/// </summary>
public sealed partial class WebSocketConnection : ITopicSubscriber
{
    private readonly long _maxQueuedBytes;
    private readonly int _maxQueuedMessages;
    private SemaphoreSlim? _drainTurn;

    // Judging by what is queued before the frame, not after, keeps a healthy client from looking full while its
    // last send's completion is still being processed.
    private bool IsQueueFull => _transport.QueuedBytes >= _maxQueuedBytes || _transport.QueuedCount >= _maxQueuedMessages;

    /// <summary>Queues a text message from UTF-8 bytes, which must be valid UTF-8 (not checked, as for the span).</summary>
    /// <inheritdoc cref="SendTextAsync(string)"/>
    public ValueTask<bool> SendTextAsync(ReadOnlyMemory<byte> utf8) => SendAsync(Opcode.Text, utf8.Span);

    /// <summary>
    /// Queues a text message from UTF-8 bytes in pieces (for example a <c>PipeReader</c>'s buffer), which must be
    /// valid UTF-8 (not checked); the pieces are copied into one frame.
    /// </summary>
    /// <inheritdoc cref="SendTextAsync(string)"/>
    public ValueTask<bool> SendTextAsync(in ReadOnlySequence<byte> utf8) => SendAsync(Opcode.Text, utf8);

    /// <summary>Queues a binary message.</summary>
    /// <inheritdoc cref="SendTextAsync(string)"/>
    public ValueTask<bool> SendBinaryAsync(ReadOnlyMemory<byte> payload) => SendAsync(Opcode.Binary, payload.Span);

    /// <summary>Queues a binary message from bytes in pieces; the pieces are copied into one frame.</summary>
    /// <inheritdoc cref="SendTextAsync(string)"/>
    public ValueTask<bool> SendBinaryAsync(in ReadOnlySequence<byte> payload) => SendAsync(Opcode.Binary, payload);

    private ValueTask<bool> SendAsync(Opcode opcode, in ReadOnlySequence<byte> payload)
    {
        if (payload.IsSingleSegment)
        {
            return SendAsync(opcode, payload.FirstSpan);
        }

        if (State != ConnectionState.Open)
        {
            return new ValueTask<bool>(false);
        }

        SharedBuffer frame = FrameWriting.Frame(opcode, payload);
        if (_deflate is null)
        {
            return EnqueueAsync(frame);
        }

        // Rare (a payload in pieces on a compressing connection): compressed from the copy.
        try
        {
            return SendAsync(opcode, frame.WrittenSpan.Slice(FrameWriting.HeaderSizeOf(frame)));
        }
        finally
        {
            frame.Release();
        }
    }

    private ValueTask<bool> SendAsync(Opcode opcode, ReadOnlySpan<byte> payload)
    {
        if (State != ConnectionState.Open)
        {
            return new ValueTask<bool>(false);
        }

        if (_deflate is not null && payload.Length >= _deflate.Options.MinimumMessageSize)
        {
            return SendCompressibleAsync(opcode, payload);
        }

        return EnqueueAsync(FrameWriting.Frame(opcode, payload));
    }

    /// <summary>
    /// Sends a message that may go compressed. Without context takeover a compressor is borrowed and the
    /// compressed frame queued like any other. With it, compressing and queueing happen under one lock, so that
    /// messages reach the queue in the order the compressor saw them; at the queue's bound the message waits
    /// uncompressed (copied), and is compressed once it can be queued.
    /// </summary>
    private ValueTask<bool> SendCompressibleAsync(Opcode opcode, ReadOnlySpan<byte> payload)
    {
        if (!_deflate!.KeepsContext)
        {
            return EnqueueAsync(TryCompress(opcode, payload) ?? FrameWriting.Frame(opcode, payload));
        }

        if (TryEnqueueCompressed(opcode, payload, out bool queued))
        {
            return new ValueTask<bool>(queued);
        }

        return WaitThenEnqueueCompressedAsync(opcode, FrameWriting.Frame(opcode, payload));
    }

    private bool TryEnqueueCompressed(Opcode opcode, ReadOnlySpan<byte> payload, out bool queued)
    {
        lock (_deflate!)
        {
            if (IsQueueFull)
            {
                queued = false;
                return false; // filled meanwhile: wait like any send
            }

            queued = EnqueueFrame(TryCompress(opcode, payload) ?? FrameWriting.Frame(opcode, payload));
            return true;
        }
    }

    /// <summary>The payload's compressed frame, counted, or null when it is to go uncompressed.</summary>
    private SharedBuffer? TryCompress(Opcode opcode, ReadOnlySpan<byte> payload)
    {
        SharedBuffer? compressed = _deflate!.TryCompress(opcode, payload);
        if (compressed is not null)
        {
            _server.Counters.OnCompressedSent(payload.Length, compressed.Length);
        }

        return compressed;
    }

    private async ValueTask<bool> WaitThenEnqueueCompressedAsync(Opcode opcode, SharedBuffer plain)
    {
        while (true)
        {
            await WaitForRoomAsync().ConfigureAwait(false);
            if (State != ConnectionState.Open)
            {
                plain.Release();
                return false;
            }

            if (TryEnqueueCompressed(opcode, plain.WrittenSpan.Slice(FrameWriting.HeaderSizeOf(plain)), out bool queued))
            {
                plain.Release();
                return queued;
            }
        }
    }

    // Takes ownership of one reference to `frame`.
    private ValueTask<bool> EnqueueAsync(SharedBuffer frame) =>
        IsQueueFull ? WaitThenEnqueueAsync(frame) : new ValueTask<bool>(EnqueueFrame(frame));

    private async ValueTask<bool> WaitThenEnqueueAsync(SharedBuffer frame)
    {
        // Wait until the queue is below both bounds again. The transport wakes one waiter at a time; concurrent
        // senders take turns here. A peer that never reads is ended by the send-stall deadline, which wakes this.
        await WaitForRoomAsync().ConfigureAwait(false);
        return EnqueueFrame(frame);
    }

    private async ValueTask WaitForRoomAsync()
    {
        SemaphoreSlim turn = LazyInitializer.EnsureInitialized(ref _drainTurn, static () => new SemaphoreSlim(1, 1));
        await turn.WaitAsync().ConfigureAwait(false);
        try
        {
            await _transport.WaitForDrainAsync(_maxQueuedBytes - 1, _maxQueuedMessages - 1).ConfigureAwait(false);
        }
        finally
        {
            turn.Release();
        }
    }

    private bool EnqueueFrame(SharedBuffer frame)
    {
        if (State != ConnectionState.Open)
        {
            frame.Release();
            return false;
        }

        _lastMessage = Environment.TickCount64;
        int length = frame.Length;
        if (!_transport.Enqueue(frame))
        {
            return false;
        }

        _server.Counters.OnMessageSent(length);
        return true;
    }

    /// <summary>Queues a topic's frame, shared with the other subscribers, under the topic's lock. Never waits.</summary>
    EnqueueResult ITopicSubscriber.Offer(TopicMessage message)
    {
        if (State != ConnectionState.Open)
        {
            return EnqueueResult.Closed;
        }

        if (IsQueueFull)
        {
            OnBroadcastDropped();
            return EnqueueResult.Full;
        }

        if (UsesEnvelopes && message.EnvelopeFrame is { } envelope)
        {
            // Built once per message for every enveloped subscriber; sent uncompressed (TopicEnvelope).
            envelope.AddReference();
            return EnqueueOffered(envelope);
        }

        SharedBuffer frame = message.Frame;
        if (_deflate is not null)
        {
            if (_deflate.KeepsContext)
            {
                if (_deflate.Options.CompressBroadcastsPerConnection)
                {
                    return OfferCompressedByOwnCompressor(message);
                }
            }
            else if (message.CompressedFrameFor(_deflate) is { } compressed)
            {
                _server.Counters.OnCompressedSent(message.Payload.Length, compressed.Length);
                frame = compressed;
            }
        }

        frame.AddReference();
        return EnqueueOffered(frame);
    }

    private EnqueueResult EnqueueOffered(SharedBuffer frame)
    {
        int length = frame.Length;
        if (!_transport.EnqueueDispatched(frame))
        {
            return EnqueueResult.Closed;
        }

        _lastMessage = Environment.TickCount64;
        _server.Counters.OnMessageSent(length);
        return EnqueueResult.Queued;
    }

    /// <summary>
    /// A subscriber that kept compression context, with <see cref="PerMessageDeflateOptions.CompressBroadcastsPerConnection"/>:
    /// compressed by its own compressor, under the lock its direct sends take, so that both reach the queue in the
    /// order the compressor saw them. An uncompressed frame would also do (the client's window takes in only
    /// compressed messages), at the cost of the bytes.
    /// </summary>
    private EnqueueResult OfferCompressedByOwnCompressor(TopicMessage message)
    {
        lock (_deflate!)
        {
            SharedBuffer? compressed = TryCompress((Opcode)message.Type, message.Payload);
            if (compressed is null)
            {
                compressed = message.Frame; // the shared plain frame, with a reference of this queue's own
                compressed.AddReference();
            }

            return EnqueueOffered(compressed);
        }
    }

    /// <summary>A broadcast found this connection's queue full: the endpoint's slow-consumer policy applies.</summary>
    private void OnBroadcastDropped()
    {
        _server.Counters.OnDropped();
        if (Endpoint.SlowConsumerPolicy == SlowConsumerPolicy.Disconnect)
        {
            CloseSlowConsumer();
        }
    }

    // RFC 6455 section 5.5.3: a pong answering only the latest ping is enough. A pong still waiting in the queue
    // is replaced rather than joined, so a ping flood from a peer that never reads holds one pong, not millions.
    private void SendPong(in ReadOnlySequence<byte> payload)
    {
        if (State == ConnectionState.Open)
        {
            _transport.EnqueueReplaceable(FrameWriting.Frame(Opcode.Pong, payload));
        }
    }

    private void SendPing(long now)
    {
        Span<byte> frame = stackalloc byte[FrameWriter.MaxHeaderSize + sizeof(long)];
        Span<byte> payload = stackalloc byte[sizeof(long)];
        BitConverter.TryWriteBytes(payload, now);
        int length = FrameWriter.WritePing(frame, payload);
        if (State == ConnectionState.Open)
        {
            _transport.EnqueueControl(SharedBufferPool.Shared.Rent(frame.Slice(0, length)));
        }
    }
}
