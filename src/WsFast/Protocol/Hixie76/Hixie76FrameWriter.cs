namespace WsFast.Protocol.Hixie76;

/// <summary>
/// Writes draft-76 frames (draft-hixie-thewebsocketprotocol-76 section 5.3 as the server sends them, section 4.2
/// as the client reads them): a text frame is <c>0x00</c>, the UTF-8 text, <c>0xFF</c>; the closing handshake is
/// <c>0xFF 0x00</c>. The server sends nothing else: draft 76 defines no other frame a server may send.
/// </summary>
internal static class Hixie76FrameWriter
{
    /// <summary>The byte that starts a text frame.</summary>
    public const byte TextStart = 0x00;

    /// <summary>The byte that ends a text frame; it never occurs in UTF-8.</summary>
    public const byte TextEnd = 0xFF;

    /// <summary>The bytes a text frame adds to its text.</summary>
    public const int TextOverhead = 2;

    /// <summary>The closing handshake (section 7.1): a 0xFF frame of length 0.</summary>
    public static ReadOnlySpan<byte> CloseFrame => [0xFF, 0x00];

    /// <summary>The size of the text frame of <paramref name="textLength"/> bytes of UTF-8.</summary>
    public static int TextFrameSize(int textLength) => textLength + TextOverhead;

    /// <summary>
    /// Writes the text frame of <paramref name="utf8"/>, which must be valid UTF-8 (so holds no 0xFF, which would
    /// end the frame early and let the rest be read as frames of its own), and returns its size.
    /// </summary>
    public static int WriteText(Span<byte> destination, ReadOnlySpan<byte> utf8)
    {
        destination[0] = TextStart;
        utf8.CopyTo(destination[1..]);
        destination[1 + utf8.Length] = TextEnd;
        return utf8.Length + TextOverhead;
    }
}
