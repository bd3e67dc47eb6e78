using System.Buffers;
using System.Text;

namespace WsFast;

/// <summary>A complete message received from a client, fragments already joined.</summary>
public readonly struct WebSocketMessage
{
    /// <summary>Wraps a payload of the given type.</summary>
    public WebSocketMessage(MessageType type, ReadOnlySequence<byte> payload)
    {
        Type = type;
        Payload = payload;
    }

    /// <summary>Text or binary.</summary>
    public MessageType Type { get; }

    /// <summary>The payload bytes (already validated as UTF-8 for text). Valid only during the handler call.</summary>
    public ReadOnlySequence<byte> Payload { get; }

    /// <summary>True for a text message.</summary>
    public bool IsText => Type == MessageType.Text;

    /// <summary>The payload decoded as a new string (allocates: fine for a handler, not for a hot path).</summary>
    public string GetText() => Encoding.UTF8.GetString(Payload);
}
