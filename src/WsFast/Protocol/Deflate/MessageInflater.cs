namespace WsFast.Protocol.Deflate;

/// <summary>What one <see cref="MessageInflater.Inflate"/> call came to.</summary>
internal enum InflateStatus : byte
{
    /// <summary>Progress: input was consumed or output produced; call again with what is left.</summary>
    Progress,

    /// <summary>Neither possible: the input is used up, or the output is full.</summary>
    Stalled,

    /// <summary>A block with BFINAL set ended the DEFLATE stream: the rest of the message is to be ignored.</summary>
    End,

    /// <summary>
    /// The data is not valid DEFLATE, or refers back beyond the agreed window and what this call has written: zlib
    /// checks a match against its window plus the current call's output, so a peer that breaks the agreed window is
    /// refused here only once the bytes it refers to have left both (how its message arrived decides which).
    /// </summary>
    Invalid,
}

/// <summary>
/// Decompresses permessage-deflate messages as they stream in (RFC 7692 section 7.2.2): each piece of a message's
/// payload, then <see cref="MessageDeflater.Tail"/> at its end, into whatever output space the caller gives, so
/// that the caller can bound the inflated size as it grows.
/// </summary>
internal sealed unsafe class MessageInflater : IDisposable
{
    private ZLib.Stream* _stream;
    private bool _ended;

    private MessageInflater(ZLib.Stream* stream, int windowBits)
    {
        _stream = stream;
        WindowBits = windowBits;
    }

    /// <summary>The window the peer agreed to stay within (8 to 15).</summary>
    public int WindowBits { get; }

    /// <summary>A decompressor for a peer that refers back at most 2^<paramref name="windowBits"/> bytes, or null.</summary>
    public static MessageInflater? Create(int windowBits)
    {
        if (!ZLib.IsAvailable)
        {
            return null;
        }

        ZLib.Stream* stream = ZLib.CreateInflate(windowBits);
        return stream is null ? null : new MessageInflater(stream, windowBits);
    }

    /// <summary>Inflates from <paramref name="input"/> into <paramref name="output"/>.</summary>
    public InflateStatus Inflate(ReadOnlySpan<byte> input, Span<byte> output, out int consumed, out int written)
    {
        ObjectDisposedException.ThrowIf(_stream is null, this);
        if (_ended)
        {
            // Section 7.2.3.4 lets a sender end a message with a BFINAL block; what follows it is not DEFLATE.
            consumed = input.Length;
            written = 0;
            return InflateStatus.End;
        }

        fixed (byte* inPointer = input)
        fixed (byte* outPointer = output)
        {
            _stream->NextIn = inPointer;
            _stream->AvailableIn = (uint)input.Length;
            _stream->NextOut = outPointer;
            _stream->AvailableOut = (uint)output.Length;
            int result = ZLib.Inflate(_stream, ZLib.NoFlush);
            consumed = input.Length - (int)_stream->AvailableIn;
            written = output.Length - (int)_stream->AvailableOut;
            _stream->NextIn = null;
            _stream->NextOut = null;
            switch (result)
            {
                case ZLib.Ok:
                    return consumed > 0 || written > 0 ? InflateStatus.Progress : InflateStatus.Stalled;
                case ZLib.BufferError:
                    return InflateStatus.Stalled;
                case ZLib.StreamEnd:
                    _ended = true;
                    consumed = input.Length;
                    return InflateStatus.End;
                default:
                    return InflateStatus.Invalid;
            }
        }
    }

    /// <summary>
    /// Forgets every message before: after each message when the peer agreed to <c>client_no_context_takeover</c>,
    /// and after a message that ended its DEFLATE stream with BFINAL (zlib cannot go on from an ended stream).
    /// </summary>
    public void Reset()
    {
        ObjectDisposedException.ThrowIf(_stream is null, this);
        ZLib.InflateReset(_stream);
        _ended = false;
    }

    /// <summary>Whether the current message ended its DEFLATE stream with a BFINAL block.</summary>
    public bool Ended => _ended;

    /// <summary>Bytes zlib holds for this one now.</summary>
    public long StateBytes => _stream is null ? 0 : ZLib.StateBytes(_stream);

    /// <summary>Frees zlib's state.</summary>
    public void Dispose()
    {
        if (_stream is not null)
        {
            ZLib.FreeInflate(_stream);
            _stream = null;
        }
    }
}
