using System.Runtime.InteropServices;
using WsFast.Protocol;

namespace WsFast.Load.Client;

/// <summary>
/// Writes client frames (RFC 6455 section 5.2): the server's header layout from <see cref="FrameWriter"/>,
/// with the MASK bit set, the 4-byte key after the length, and the payload masked (section 5.3).
/// </summary>
internal static class ClientFrames
{
    /// <summary>The largest client header: 2 bytes, a 64-bit length and the masking key.</summary>
    public const int MaxHeaderSize = FrameWriter.MaxHeaderSize + 4;

    private const byte MaskBit = 0x80;

    /// <summary>The size of a whole client frame carrying <paramref name="payloadLength"/> bytes.</summary>
    public static int FrameSize(int payloadLength) => FrameWriter.HeaderSize(payloadLength) + 4 + payloadLength;

    /// <summary>
    /// Writes a whole masked frame into <paramref name="destination"/>; returns its size. <paramref name="rsv1"/>
    /// marks a permessage-deflate compressed message (RFC 7692 section 6).
    /// </summary>
    public static int Write(Span<byte> destination, Opcode opcode, ReadOnlySpan<byte> payload, uint key, bool rsv1 = false)
    {
        int headerSize = FrameWriter.WriteHeader(destination, opcode, payload.Length, fin: true, rsv1);
        destination[1] |= MaskBit;
        MemoryMarshal.Write(destination.Slice(headerSize), in key);
        Span<byte> body = destination.Slice(headerSize + 4, payload.Length);
        payload.CopyTo(body);
        Masking.Apply(body, key, 0);
        return headerSize + 4 + payload.Length;
    }
}
