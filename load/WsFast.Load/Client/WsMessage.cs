using WsFast.Protocol;

namespace WsFast.Load.Client;

/// <summary>
/// A whole message (or control frame) received by a <see cref="WsClient"/>. <see cref="Payload"/> points
/// into the client's buffer and is valid until the next call to <see cref="WsClient.TryReadMessage"/>.
/// </summary>
internal readonly struct WsMessage
{
    internal WsMessage(Opcode opcode, ReadOnlyMemory<byte> payload, int wireBytes, bool compressed = false)
    {
        Opcode = opcode;
        Payload = payload;
        WireBytes = wireBytes;
        Compressed = compressed;
    }

    /// <summary>Text or Binary for a data message; Ping, Pong or Close for a control frame.</summary>
    public Opcode Opcode { get; }

    /// <summary>The payload, reassembled when the message came in fragments.</summary>
    public ReadOnlyMemory<byte> Payload { get; }

    /// <summary>The bytes its frames took on the wire, headers included (compressed, when it came compressed).</summary>
    public int WireBytes { get; }

    /// <summary>Whether it came compressed (RSV1, permessage-deflate): <see cref="Payload"/> is what it inflated to.</summary>
    public bool Compressed { get; }

    /// <summary>True for a ping, pong or close.</summary>
    public bool IsControl => Opcode.IsControl();
}
