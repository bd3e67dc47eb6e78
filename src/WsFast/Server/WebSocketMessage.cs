using System.Buffers;
using System.Text;
using WsFast.Server;

namespace WsFast;

/// <summary>A complete message received from a client, fragments already joined.</summary>
/// <remarks>
/// A received message points into pooled receive memory that the server reuses, for other clients too, once
/// the handler's <see cref="WebSocketHandler.OnMessageAsync"/> has completed: a message, its
/// <see cref="Payload"/> or memory taken from it, kept past that point would later read bytes of another
/// message. To keep one (in a <c>Channel</c>, a closure, a task that outlives the handler), keep
/// <see cref="Detach"/>'s copy. <see cref="WsFastServerOptions.PoisonReceiveBuffers"/> makes a kept message
/// fail loudly in tests.
/// </remarks>
public readonly struct WebSocketMessage
{
    private readonly ReadOnlySequence<byte> _payload;
    private readonly MessageLifetime? _lifetime; // set for a received message when receive buffers are poisoned
    private readonly int _generation;

    /// <summary>Wraps a payload of the given type; the message is as long-lived as the payload's memory.</summary>
    public WebSocketMessage(MessageType type, ReadOnlySequence<byte> payload)
    {
        Type = type;
        _payload = payload;
    }

    /// <summary>A received message, checked against its connection's message lifetime.</summary>
    internal WebSocketMessage(MessageType type, ReadOnlySequence<byte> payload, MessageLifetime? lifetime)
    {
        Type = type;
        _payload = payload;
        _lifetime = lifetime;
        _generation = lifetime?.Generation ?? 0;
    }

    /// <summary>Text or binary.</summary>
    public MessageType Type { get; }

    /// <summary>
    /// The payload bytes (already validated as UTF-8 for text). For a received message, valid only until the
    /// handler's call completes (see <see cref="Detach"/>).
    /// </summary>
    /// <exception cref="ObjectDisposedException">
    /// With <see cref="WsFastServerOptions.PoisonReceiveBuffers"/>: the message was received and its handler call
    /// has completed.
    /// </exception>
    public ReadOnlySequence<byte> Payload
    {
        get
        {
            if (_lifetime is not null && _lifetime.Generation != _generation)
            {
                MessageLifetime.ThrowEnded();
            }

            return _payload;
        }
    }

    /// <summary>True for a text message.</summary>
    public bool IsText => Type == MessageType.Text;

    /// <summary>The payload decoded as a new string (allocates: fine for a handler, not for a hot path).</summary>
    public string GetText() => Encoding.UTF8.GetString(Payload);

    /// <summary>
    /// A copy of the message that the caller owns and may keep as long as it likes, past the handler, and send
    /// (<see cref="WebSocketConnection.SendAsync(in WebSocketMessage)"/>) or publish later.
    /// </summary>
    /// <remarks>
    /// The payload is copied into a new array left to the garbage collector (nothing to dispose, nothing that can
    /// be returned twice or read after its return): one allocation of the payload's size, none for an empty one.
    /// For keeping many messages at a high rate, copy <see cref="Payload"/> into buffers of your own pool instead.
    /// </remarks>
    /// <exception cref="ObjectDisposedException">As <see cref="Payload"/>: called after the handler.</exception>
    public WebSocketMessage Detach()
    {
        ReadOnlySequence<byte> payload = Payload;
        return new WebSocketMessage(Type, payload.IsEmpty ? ReadOnlySequence<byte>.Empty : new ReadOnlySequence<byte>(payload.ToArray()));
    }
}
