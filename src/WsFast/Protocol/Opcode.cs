namespace WsFast.Protocol;

/// <summary>The frame opcodes of RFC 6455 section 5.2. Values 3-7 and 11-15 are reserved.</summary>
internal enum Opcode : byte
{
    /// <summary>A further fragment of the message in flight.</summary>
    Continuation = 0x0,
    /// <summary>The first frame of a UTF-8 text message.</summary>
    Text = 0x1,
    /// <summary>The first frame of a binary message.</summary>
    Binary = 0x2,
    /// <summary>Starts the closing handshake (section 5.5.1).</summary>
    Close = 0x8,
    /// <summary>Asks the peer for a pong (section 5.5.2).</summary>
    Ping = 0x9,
    /// <summary>Answers a ping, or serves as a unidirectional heartbeat (section 5.5.3).</summary>
    Pong = 0xA,
}

/// <summary>Classification helpers for <see cref="Opcode"/>.</summary>
internal static class OpcodeExtensions
{
    /// <summary>Control frames have the most significant opcode bit set (section 5.5).</summary>
    public static bool IsControl(this Opcode opcode) => ((byte)opcode & 0x8) != 0;

    /// <summary>True for the six opcodes RFC 6455 defines; the others are reserved.</summary>
    public static bool IsDefined(this Opcode opcode) => opcode switch
    {
        Opcode.Continuation or Opcode.Text or Opcode.Binary or Opcode.Close or Opcode.Ping or Opcode.Pong => true,
        _ => false,
    };
}
