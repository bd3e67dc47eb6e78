using System.Buffers;

namespace WsFast.Protocol.Deflate;

/// <summary>
/// Compresses whole messages for permessage-deflate (RFC 7692 section 7.2.1): raw DEFLATE ended by a sync flush,
/// whose closing <c>00 00 ff ff</c> is left off the payload.
/// </summary>
/// <remarks>
/// With <c>server_no_context_takeover</c> agreed the compressor is reset after every message, so each message
/// stands alone: that is what lets one compressed frame serve every such subscriber of a topic, and lets a
/// compressor be borrowed from a pool for one message instead of being held by a connection.
/// </remarks>
internal sealed unsafe class MessageDeflater : IDisposable
{
    /// <summary>The empty stored block a sync flush ends with, and that the receiver appends back (section 7.2.2).</summary>
    public static ReadOnlySpan<byte> Tail => [0x00, 0x00, 0xFF, 0xFF];

    private ZLib.Stream* _stream;

    private MessageDeflater(ZLib.Stream* stream, bool keepsContext, int windowBits)
    {
        _stream = stream;
        KeepsContext = keepsContext;
        WindowBits = windowBits;
    }

    /// <summary>Whether a message may refer back into the ones before it (context takeover).</summary>
    public bool KeepsContext { get; }

    /// <summary>The window the peer was told of (8 to 15): no match refers back further than 2^bits bytes.</summary>
    public int WindowBits { get; }

    /// <summary>
    /// A compressor for <paramref name="windowBits"/> (8 to 15), or null when zlib is missing or refuses.
    /// </summary>
    public static MessageDeflater? Create(int level, int windowBits, int memoryLevel, bool keepsContext)
    {
        if (!ZLib.IsAvailable)
        {
            return null;
        }

        // zlib refuses a raw window of 8 bits, and with 9 it never refers back further than 512 - 262 = 250 bytes
        // (deflate.h: MAX_DIST is the window less MIN_LOOKAHEAD), so a window of 9 honours an agreed 8 exactly.
        ZLib.Stream* stream = ZLib.CreateDeflate(level, Math.Max(windowBits, 9), memoryLevel);
        return stream is null ? null : new MessageDeflater(stream, keepsContext, windowBits);
    }

    /// <summary>
    /// Compresses <paramref name="payload"/> into <paramref name="destination"/> and returns the compressed length
    /// without the tail, or -1 when it does not fit (and the compressor forgets it). Given <see cref="MaxOutput"/>
    /// bytes, it fits only when smaller than the payload: a message that does not shrink is sent uncompressed.
    /// </summary>
    public int Compress(ReadOnlySpan<byte> payload, Span<byte> destination)
    {
        ObjectDisposedException.ThrowIf(_stream is null, this);
        if (payload.IsEmpty)
        {
            throw new ArgumentException("An empty payload is sent uncompressed.", nameof(payload));
        }

        fixed (byte* output = destination)
        {
            _stream->NextOut = output;
            _stream->AvailableOut = (uint)destination.Length;
            return Finish(destination, CompressSegment(payload, ZLib.SyncFlush));
        }
    }

    /// <inheritdoc cref="Compress(ReadOnlySpan{byte}, Span{byte})"/>
    public int Compress(in ReadOnlySequence<byte> payload, Span<byte> destination)
    {
        if (payload.IsSingleSegment)
        {
            return Compress(payload.FirstSpan, destination);
        }

        ObjectDisposedException.ThrowIf(_stream is null, this);
        bool fits;
        fixed (byte* output = destination)
        {
            _stream->NextOut = output;
            _stream->AvailableOut = (uint)destination.Length;
            fits = true;
            long remaining = payload.Length;
            foreach (ReadOnlyMemory<byte> segment in payload)
            {
                remaining -= segment.Length;
                fits = CompressSegment(segment.Span, remaining == 0 ? ZLib.SyncFlush : ZLib.NoFlush);
                if (!fits || remaining == 0)
                {
                    break;
                }
            }

            return Finish(destination, fits);
        }
    }

    private int Finish(Span<byte> destination, bool fits)
    {
        int written = destination.Length - (int)_stream->AvailableOut;
        _stream->NextOut = null;
        if (!fits || _stream->AvailableOut == 0 || !destination.Slice(0, written).EndsWith(Tail))
        {
            // Full output may hide more pending output: either way not worth sending compressed. The peer never
            // sees these bytes, so the compressor must not refer to them later.
            ZLib.DeflateReset(_stream);
            return -1;
        }

        if (!KeepsContext)
        {
            ZLib.DeflateReset(_stream);
        }

        return written - Tail.Length;
    }

    /// <summary>
    /// The destination size that lets <see cref="Compress(ReadOnlySpan{byte}, Span{byte})"/> succeed only when the compressed payload, without the
    /// tail, is smaller than <paramref name="payloadLength"/>.
    /// </summary>
    public static int MaxOutput(int payloadLength) => payloadLength + Tail.Length - 1;

    /// <summary>Bytes zlib holds for this one now.</summary>
    public long StateBytes => _stream is null ? 0 : ZLib.StateBytes(_stream);

    /// <summary>Frees zlib's state.</summary>
    public void Dispose()
    {
        if (_stream is not null)
        {
            ZLib.FreeDeflate(_stream);
            _stream = null;
        }
    }

    private bool CompressSegment(ReadOnlySpan<byte> input, int flush)
    {
        fixed (byte* pointer = input)
        {
            _stream->NextIn = pointer;
            _stream->AvailableIn = (uint)input.Length;
            int result = ZLib.Deflate(_stream, flush);
            bool consumed = _stream->AvailableIn == 0;
            _stream->NextIn = null;
            _stream->AvailableIn = 0;
            return (result == ZLib.Ok || result == ZLib.BufferError) && consumed;
        }
    }
}
