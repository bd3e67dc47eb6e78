namespace WsFast.Protocol.Hixie76;

/// <summary>
/// Why a <c>Sec-WebSocket-Key1</c> or <c>Sec-WebSocket-Key2</c> of a draft-76 handshake is refused (with 400):
/// draft-hixie-thewebsocketprotocol-76 section 5.2, step 4 of the server's handshake.
/// </summary>
internal enum Hixie76KeyError : byte
{
    /// <summary>The key is valid.</summary>
    None = 0,
    /// <summary>The key has no digit: there is no number to divide.</summary>
    NoDigits,
    /// <summary>The key has no space: the draft's client always inserts at least one, and it is the divisor.</summary>
    NoSpaces,
    /// <summary>The number the digits form does not fit 32 bits (a client's key number is at most 4,294,967,295).</summary>
    Overflow,
    /// <summary>The number is not an integral multiple of the count of spaces.</summary>
    NotMultiple,
}

/// <summary>Reasons for <see cref="Hixie76KeyError"/>, for the 400 response and the log.</summary>
internal static class Hixie76KeyErrors
{
    /// <summary>A short, stable reason naming the key.</summary>
    public static string ToReason(this Hixie76KeyError error, int key) => error switch
    {
        Hixie76KeyError.NoDigits => $"Sec-WebSocket-Key{key} has no digits",
        Hixie76KeyError.NoSpaces => $"Sec-WebSocket-Key{key} has no spaces",
        Hixie76KeyError.Overflow => $"Sec-WebSocket-Key{key} number exceeds 32 bits",
        Hixie76KeyError.NotMultiple => $"Sec-WebSocket-Key{key} number is not a multiple of its spaces",
        _ => "",
    };
}
