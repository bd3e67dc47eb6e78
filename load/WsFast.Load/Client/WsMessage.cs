using WsFast.Protocol;

namespace WsFast.Load.Client;

/// <summary>
/// A whole message (or control frame) received by a <see cref="WsClient"/>. <see cref="Payload"/> points
/// into the client's buffer and is valid until the next call to <see cref="WsClient.TryReadMessage"/>.
/// </summary>
internal readonly struct WsMessage
{
    internal WsMessage(Opcode opcode, ReadOnlyMemory<byte> payload, int wireBytes)
    {
        Opcode = opcode;
        Payload = payload;
        WireBytes = wireBytes;
    }

    /// <summary>Text or Binary for a data message; Ping, Pong or Close for a control frame.</summary>
    public Opcode Opcode { get; }

    /// <summary>The payload, reassembled when the message came in fragments.</summary>
    public ReadOnlyMemory<byte> Payload { get; }

    /// <summary>The bytes its frames took on the wire, headers included.</summary>
    public int WireBytes { get; }

    /// <summary>True for a ping, pong or close.</summary>
    public bool IsControl => Opcode.IsControl();
}
