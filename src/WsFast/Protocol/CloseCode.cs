namespace WsFast;

/// <summary>
/// Status codes of RFC 6455 section 7.4, as carried in the first two bytes of a close frame.
/// </summary>
public enum CloseCode : ushort
{
    /// <summary>1000: the purpose of the connection has been fulfilled.</summary>
    NormalClosure = 1000,
    /// <summary>1001: a server going down or a browser leaving the page.</summary>
    GoingAway = 1001,
    /// <summary>1002: the peer broke the protocol.</summary>
    ProtocolError = 1002,
    /// <summary>1003: a data type the endpoint cannot accept.</summary>
    UnsupportedData = 1003,
    /// <summary>1005: reserved; reported locally when a close frame carried no code. Never sent.</summary>
    NoStatusReceived = 1005,
    /// <summary>1006: reserved; reported locally when the connection ended without a close frame. Never sent.</summary>
    AbnormalClosure = 1006,
    /// <summary>1007: a message's data did not match its type (e.g. invalid UTF-8 in a text message).</summary>
    InvalidPayloadData = 1007,
    /// <summary>1008: a message violated the endpoint's policy.</summary>
    PolicyViolation = 1008,
    /// <summary>1009: a message too big to process.</summary>
    MessageTooBig = 1009,
    /// <summary>1010: the client expected an extension the server did not negotiate.</summary>
    MandatoryExtension = 1010,
    /// <summary>1011: the server met an unexpected condition.</summary>
    InternalServerError = 1011,
    /// <summary>1013 (IANA's registry of close codes): the server is overloaded or a service it needs is unreachable; try again later.</summary>
    TryAgainLater = 1013,
    /// <summary>1015: reserved; reported locally when the TLS handshake failed. Never sent.</summary>
    TlsHandshakeFailure = 1015,
}

/// <summary>Rules about which close codes may appear on the wire.</summary>
internal static class CloseCodes
{
    /// <summary>
    /// Whether <paramref name="code"/> may be carried by a close frame (sections 7.4.1 and 7.4.2):
    /// 1000-1003, 1007-1014 and 3000-4999. Codes below 1000, 1004-1006, 1015, 1016-2999 and 5000 and up
    /// must not be sent, and receiving one is a protocol error.
    /// </summary>
    public static bool IsValidOnWire(ushort code) => code switch
    {
        >= 1000 and <= 1003 => true,
        >= 1007 and <= 1014 => true,
        >= 3000 and <= 4999 => true,
        _ => false,
    };
}
