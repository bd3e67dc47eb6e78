namespace WsFast.Protocol;

/// <summary>What <see cref="HandshakeReader.TryRead"/> made of the bytes received so far.</summary>
internal enum HandshakeStatus : byte
{
    /// <summary>The request head is not complete yet: read more bytes and call again with the same start.</summary>
    Incomplete = 0,
    /// <summary>A complete, valid RFC 6455 opening handshake: answer it with the 101 response.</summary>
    Upgrade,
    /// <summary>
    /// A complete, valid HTTP/1.1 request that does not ask for a WebSocket upgrade (a plain <c>GET</c>, a
    /// <c>POST</c>, ...). Any body is left unconsumed after the head.
    /// </summary>
    PlainRequest,
    /// <summary>The request must be refused with the status of the reported <see cref="HandshakeError"/>.</summary>
    Refused,
    /// <summary>
    /// A complete, valid draft-76 (hixie-76) opening handshake, from a reader told to recognize one: its key3
    /// follows the head, unread. Whether the endpoint speaks the draft, and whether its keys are valid, is the
    /// caller's to judge.
    /// </summary>
    Hixie76Upgrade,
}
