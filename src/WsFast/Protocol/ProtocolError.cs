namespace WsFast.Protocol;

/// <summary>
/// Every way a peer can break RFC 6455 after the handshake. Each maps to the close code the connection is
/// failed with (<see cref="ProtocolErrors.ToCloseCode"/>) and to a short reason for the close frame and the log.
/// </summary>
internal enum ProtocolError : byte
{
    /// <summary>No error.</summary>
    None = 0,
    /// <summary>A client frame without the MASK bit (section 5.1).</summary>
    UnmaskedFrame,
    /// <summary>A server frame with the MASK bit, seen by a client (section 5.1).</summary>
    MaskedFrame,
    /// <summary>An opcode of 3-7 or 11-15 (section 5.2).</summary>
    ReservedOpcode,
    /// <summary>RSV1, RSV2 or RSV3 set with no extension negotiated that defines it (section 5.2).</summary>
    ReservedBitsSet,
    /// <summary>A control frame whose payload is over 125 bytes (section 5.5).</summary>
    ControlFrameTooLong,
    /// <summary>A control frame without FIN (section 5.5).</summary>
    FragmentedControlFrame,
    /// <summary>A continuation frame while no fragmented message is in flight (section 5.4).</summary>
    UnexpectedContinuation,
    /// <summary>A new text or binary frame while a fragmented message is still in flight (section 5.4).</summary>
    ExpectedContinuation,
    /// <summary>A 64-bit payload length with its most significant bit set (section 5.2).</summary>
    PayloadLengthTopBitSet,
    /// <summary>A close frame with a one-byte payload (section 5.5.1).</summary>
    ClosePayloadTooShort,
    /// <summary>A close frame carrying a code that must not appear on the wire (section 7.4).</summary>
    InvalidCloseCode,
    /// <summary>A close frame whose reason is not valid UTF-8 (section 5.5.1).</summary>
    InvalidCloseReason,
    /// <summary>A text message that is not valid UTF-8 (section 8.1).</summary>
    InvalidUtf8,
    /// <summary>A frame whose payload exceeds the configured maximum.</summary>
    FrameTooBig,
    /// <summary>A message whose total payload exceeds the configured maximum.</summary>
    MessageTooBig,
}

/// <summary>Maps <see cref="ProtocolError"/> to close codes and reasons.</summary>
internal static class ProtocolErrors
{
    /// <summary>The close code a connection is failed with for <paramref name="error"/>.</summary>
    public static CloseCode ToCloseCode(this ProtocolError error) => error switch
    {
        ProtocolError.InvalidUtf8 or ProtocolError.InvalidCloseReason => CloseCode.InvalidPayloadData,
        ProtocolError.FrameTooBig or ProtocolError.MessageTooBig => CloseCode.MessageTooBig,
        ProtocolError.None => CloseCode.NormalClosure,
        _ => CloseCode.ProtocolError,
    };

    /// <summary>A short, stable reason (at most 123 bytes, so that it fits a close frame with its code).</summary>
    public static string ToReason(this ProtocolError error) => error switch
    {
        ProtocolError.None => "",
        ProtocolError.UnmaskedFrame => "client frames must be masked",
        ProtocolError.MaskedFrame => "server frames must not be masked",
        ProtocolError.ReservedOpcode => "reserved opcode",
        ProtocolError.ReservedBitsSet => "reserved bits set without a negotiated extension",
        ProtocolError.ControlFrameTooLong => "control frame payload over 125 bytes",
        ProtocolError.FragmentedControlFrame => "fragmented control frame",
        ProtocolError.UnexpectedContinuation => "continuation frame with no message in flight",
        ProtocolError.ExpectedContinuation => "new data frame inside a fragmented message",
        ProtocolError.PayloadLengthTopBitSet => "64-bit payload length with the top bit set",
        ProtocolError.ClosePayloadTooShort => "close frame with a one-byte payload",
        ProtocolError.InvalidCloseCode => "close code not allowed on the wire",
        ProtocolError.InvalidCloseReason => "close reason is not valid UTF-8",
        ProtocolError.InvalidUtf8 => "text message is not valid UTF-8",
        ProtocolError.FrameTooBig => "frame exceeds the maximum size",
        ProtocolError.MessageTooBig => "message exceeds the maximum size",
        _ => "protocol error",
    };
}
