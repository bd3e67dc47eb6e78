using System.Buffers;
using System.Text;

namespace WsFast.Server;

/// <summary>Whether a message carries UTF-8 text or bytes.</summary>
public enum WebSocketMessageType : byte
{
    /// <summary>A text message: its payload is valid UTF-8.</summary>
    Text = 1,
    /// <summary>A binary message.</summary>
    Binary = 2,
}

/// <summary>A complete message received from a client, fragments already joined.</summary>
public readonly struct WebSocketMessage
{
    /// <summary>Wraps a payload of the given type.</summary>
    public WebSocketMessage(WebSocketMessageType type, ReadOnlySequence<byte> payload)
    {
        Type = type;
        Payload = payload;
    }

    /// <summary>Text or binary.</summary>
    public WebSocketMessageType Type { get; }

    /// <summary>The payload bytes (already validated as UTF-8 for text). Valid only during the handler call.</summary>
    public ReadOnlySequence<byte> Payload { get; }

    /// <summary>True for a text message.</summary>
    public bool IsText => Type == WebSocketMessageType.Text;

    /// <summary>The payload decoded as a new string (allocates: fine for a handler, not for a hot path).</summary>
    public string GetText() => Encoding.UTF8.GetString(Payload);
}
