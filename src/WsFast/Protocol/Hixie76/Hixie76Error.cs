namespace WsFast.Protocol.Hixie76;

/// <summary>
/// Why a draft-76 connection is dropped. Draft 76 has no close codes: the server closes the TCP connection. The
/// RFC 6455 code of the same cause (<see cref="Hixie76Errors.ToCloseCode"/>) names it in logs and metrics only.
/// </summary>
internal enum Hixie76Error : byte
{
    /// <summary>No error.</summary>
    None = 0,
    /// <summary>
    /// A text frame longer than the message limit, or any other frame whose length (declared, or read so far
    /// while it has not ended) is beyond it.
    /// </summary>
    MessageTooBig,
    /// <summary>A text frame that is not UTF-8 (section 5.3 reads it as UTF-8), found at the first byte that cannot become valid.</summary>
    InvalidUtf8,
}

/// <summary>Maps <see cref="Hixie76Error"/> to reasons and to the RFC 6455 code of the same cause.</summary>
internal static class Hixie76Errors
{
    /// <summary>A short, stable reason for the log.</summary>
    public static string ToReason(this Hixie76Error error) => error switch
    {
        Hixie76Error.MessageTooBig => "draft-76 frame too big",
        Hixie76Error.InvalidUtf8 => "draft-76 text frame is not valid UTF-8",
        _ => "",
    };

    /// <summary>The RFC 6455 close code of the same cause, for logs and metrics: it is never sent.</summary>
    public static CloseCode ToCloseCode(this Hixie76Error error) => error switch
    {
        Hixie76Error.MessageTooBig => CloseCode.MessageTooBig,
        Hixie76Error.InvalidUtf8 => CloseCode.InvalidPayloadData,
        _ => CloseCode.NormalClosure,
    };
}
