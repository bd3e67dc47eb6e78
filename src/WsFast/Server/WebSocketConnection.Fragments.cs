using WsFast.Protocol;
using WsFast.Server;
using WsFast.Transport;

namespace WsFast;

/// <summary>
/// Streaming a message as fragments (RFC 6455 section 5.4): a large message goes out piece by piece, each piece
/// waiting for room in the outbound queue, so that it never has to be held whole. The transport keeps every
/// other data frame (a handler's send, a broadcast, a publish) out of the message: what arrives meanwhile waits,
/// in order, behind its last fragment, counted against the outbound bounds; pings, pongs and the close frame may
/// go between fragments, as section 5.4 allows.
/// </summary>
public sealed partial class WebSocketConnection
{
    private int _fragmentCall;        // 1 while a SendFragmentAsync call is under way
    private bool _messageOpen;        // a first fragment went out and the final one has not
    private MessageType _openMessageType;
    private long _openMessageBytes;   // the frames of the open message queued so far, counted as one message at its end

    /// <summary>
    /// Queues one fragment of a message streamed in pieces: the first call starts a message of
    /// <paramref name="type"/>, later ones continue it, and the one with <paramref name="endOfMessage"/> ends it.
    /// Until then no other data frame goes to this connection: sends, broadcasts and publishes that arrive meanwhile
    /// are queued behind the message (within <see cref="WsFastServerOptions.MaxQueuedOutboundBytes"/> and
    /// <see cref="WsFastServerOptions.MaxQueuedOutboundMessages"/>; past them, sends wait and broadcasts apply the
    /// slow-consumer policy, as always), so end the message promptly. Completes once the fragment is queued: at once
    /// unless the outbound queue is at its bound (a client that does not read), then when it has drained below it.
    /// </summary>
    /// <remarks>
    /// One message at a time per connection, one fragment at a time: await each call before the next. Fragments go
    /// uncompressed even where permessage-deflate was agreed (RFC 7692 lets any message go uncompressed, and
    /// compressing part by part would hold a compressor for the message's whole duration). Text fragments are not
    /// validated; the message as a whole must be valid UTF-8, and a fragment may end inside a character that the
    /// next one completes. A message left unfinished ends with the connection: its close frame follows the
    /// fragments already queued, and what waited behind the message is dropped.
    /// </remarks>
    /// <param name="type">The message's type; continuing fragments must give the same.</param>
    /// <param name="payload">This fragment's bytes (may be empty); copied before the call returns or completes.</param>
    /// <param name="endOfMessage">Whether this is the message's last fragment.</param>
    /// <returns>True if queued; false if the connection is closing or closed.</returns>
    /// <exception cref="InvalidOperationException">A fragment of this connection is still being queued.</exception>
    /// <exception cref="ArgumentException"><paramref name="type"/> is not the type of the message being sent.</exception>
    public ValueTask<bool> SendFragmentAsync(MessageType type, ReadOnlyMemory<byte> payload, bool endOfMessage)
    {
        if (type is not (MessageType.Text or MessageType.Binary))
        {
            throw new ArgumentOutOfRangeException(nameof(type), type, "A message is text or binary.");
        }

        if (Interlocked.Exchange(ref _fragmentCall, 1) != 0)
        {
            throw new InvalidOperationException("A fragment is still being queued on this connection: await each fragment before sending the next.");
        }

        bool waiting = false;
        try
        {
            if (State != ConnectionState.Open)
            {
                return new ValueTask<bool>(false);
            }

            if (_messageOpen && type != _openMessageType)
            {
                throw new ArgumentException($"The message being sent is {_openMessageType}: its fragments are too.", nameof(type));
            }

            if (IsFragmentQueueFull)
            {
                waiting = true;
                return WaitThenEnqueueFragmentAsync(type, payload, endOfMessage);
            }

            return new ValueTask<bool>(EnqueueFragment(type, payload.Span, endOfMessage));
        }
        finally
        {
            if (!waiting)
            {
                Volatile.Write(ref _fragmentCall, 0);
            }
        }
    }

    // The bound as other sends see it, except that buffers held behind the message do not stop its fragments
    // when nothing else is queued: they cannot drain before the message ends.
    private bool IsFragmentQueueFull => _transport.SendableCount > 0 && IsQueueFull;

    private async ValueTask<bool> WaitThenEnqueueFragmentAsync(MessageType type, ReadOnlyMemory<byte> payload, bool endOfMessage)
    {
        try
        {
            // Before copying the fragment: a client that does not read holds no copy of what it has not taken.
            // One that never reads is ended by the send-stall deadline, which wakes this.
            await _transport.WaitForFragmentRoomAsync(_maxQueuedBytes - 1, _maxQueuedMessages - 1).ConfigureAwait(false);
            return EnqueueFragment(type, payload.Span, endOfMessage);
        }
        finally
        {
            Volatile.Write(ref _fragmentCall, 0);
        }
    }

    private bool EnqueueFragment(MessageType type, ReadOnlySpan<byte> payload, bool endOfMessage)
    {
        if (State != ConnectionState.Open)
        {
            return false;
        }

        Opcode opcode = _messageOpen ? Opcode.Continuation : (Opcode)type;
        SharedBuffer frame = FrameWriting.Frame(opcode, payload, fin: endOfMessage);
        int length = frame.Length;
        _lastMessage = Environment.TickCount64;
        if (!_transport.EnqueueFragment(frame, endOfMessage))
        {
            _messageOpen = false;
            _openMessageBytes = 0;
            return false;
        }

        _messageOpen = !endOfMessage;
        _openMessageType = type;
        _openMessageBytes += length;
        if (endOfMessage)
        {
            _server.Counters.OnMessageSent(_openMessageBytes);
            _openMessageBytes = 0;
        }

        return true;
    }
}
