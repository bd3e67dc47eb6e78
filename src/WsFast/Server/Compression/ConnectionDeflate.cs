using System.Buffers;
using WsFast.Protocol;
using WsFast.Protocol.Deflate;
using WsFast.Transport;

namespace WsFast.Server;

/// <summary>What inflating a piece of a compressed message came to.</summary>
internal enum InflateOutcome : byte
{
    Ok,

    /// <summary>The inflated message passed the size limit: 1009, as for an uncompressed one.</summary>
    TooBig,

    /// <summary>Not valid DEFLATE, or a reference beyond the agreed window or context: 1007.</summary>
    InvalidData,

    /// <summary>Inflated text that is not UTF-8: 1007.</summary>
    InvalidUtf8,
}

/// <summary>
/// One connection's permessage-deflate: what was agreed, the compressor and decompressor it uses, and the
/// inflating of received messages within the size limit. Exists only on connections that negotiated deflate.
/// </summary>
/// <remarks>
/// <para>Receiving runs on the connection's receive loop alone. Sending may run on any thread: with context
/// takeover the caller holds this object's lock from compression to enqueueing, so that the client inflates
/// messages in the order they were compressed.</para>
/// <para>The zlib state a connection holds is reported in <see cref="HeldBytes"/> and counted in the memory budget
/// with the rest of what it holds. The pools' idle compressors are a fixed cache (a few per window size), not
/// memory held for a peer, as the receive pools' idle blocks are not.</para>
/// </remarks>
internal sealed class ConnectionDeflate
{
    // The most output produced per inflate call: small enough that the size limit is checked often.
    private const int InflateStep = 64 * 1024;

    private readonly CompressorPools _pools;
    private MessageDeflater? _ownDeflater;  // with server context takeover; guarded by this
    private MessageInflater? _inflater;     // while a message arrives, or for life with client context takeover
    private Utf8Validator _utf8;
    private bool _text;
    private long _lastCompressed;
    private bool _disposed;
    private long _inflaterBytes;  // written by the receive loop
    private long _deflaterBytes;  // written under this object's lock

    public ConnectionDeflate(DeflateAgreement agreement, PerMessageDeflateOptions options)
    {
        Agreement = agreement;
        Options = options;
        _pools = options.Pools;
    }

    public DeflateAgreement Agreement { get; }

    public PerMessageDeflateOptions Options { get; }

    /// <summary>Whether the server keeps compression context: sends must hold this object's lock.</summary>
    public bool KeepsContext => !Agreement.ServerNoContextTakeover;

    /// <summary>Bytes of zlib state this connection holds now (as of its last compression or inflation).</summary>
    public long HeldBytes => Volatile.Read(ref _inflaterBytes) + Volatile.Read(ref _deflaterBytes);

    /// <summary>Whether the connection holds a compressor of its own now (context takeover, not idle).</summary>
    internal bool HoldsOwnCompressor => Volatile.Read(ref _ownDeflater) is not null;

    /// <summary>Whether a topic's one compressed frame (made without context, within a window) can be sent here.</summary>
    public bool CanShare(int frameWindowBits) => Agreement.ServerNoContextTakeover && frameWindowBits <= Agreement.ServerMaxWindowBits;

    /// <summary>
    /// A frame of <paramref name="payload"/> compressed, with RSV1 set, or null when it is to go uncompressed: too
    /// short, not shrinking, or no compressor free. With context takeover, call under this object's lock.
    /// </summary>
    public SharedBuffer? TryCompress(Opcode opcode, ReadOnlySpan<byte> payload)
    {
        if (payload.Length < Options.MinimumMessageSize || payload.Length > int.MaxValue - 64 || _disposed)
        {
            return null;
        }

        if (!KeepsContext)
        {
            _pools.TryCompressFrame(Agreement.ServerMaxWindowBits, opcode, payload, out SharedBuffer? frame);
            return frame;
        }

        _ownDeflater ??= MessageDeflater.Create(
            Options.CompressionLevel, Agreement.ServerMaxWindowBits, Options.MemoryLevel, keepsContext: true);
        _lastCompressed = Environment.TickCount64;
        Volatile.Write(ref _deflaterBytes, _ownDeflater?.StateBytes ?? 0);
        return _ownDeflater is null ? null : FrameWriting.Compressed(_ownDeflater, opcode, payload);
    }

    /// <summary>Starts inflating a message: a decompressor is taken (or the connection's own is kept).</summary>
    /// <returns>False when zlib could not give one (out of memory): the connection is to be closed.</returns>
    public bool StartMessage(bool text)
    {
        _inflater ??= Agreement.ClientNoContextTakeover
            ? _pools.RentInflater(Agreement.ClientMaxWindowBits)
            : MessageInflater.Create(Agreement.ClientMaxWindowBits);
        _text = text;
        _utf8.Reset();
        UpdateHeldBytes();
        return _inflater is not null;
    }

    /// <summary>Inflates a piece of the message into <paramref name="output"/>, within <paramref name="maxLength"/> bytes in all.</summary>
    public InflateOutcome Inflate(in ReadOnlySequence<byte> compressed, ref MessageAssembler output, long maxLength)
    {
        foreach (ReadOnlyMemory<byte> segment in compressed)
        {
            InflateOutcome outcome = Inflate(segment.Span, ref output, maxLength);
            if (outcome != InflateOutcome.Ok)
            {
                return outcome;
            }
        }

        UpdateHeldBytes(); // the window comes with the first output
        return InflateOutcome.Ok;
    }

    /// <summary>Ends the message: the tail of section 7.2.2 is inflated, and the text must end complete.</summary>
    public InflateOutcome Finish(ref MessageAssembler output, long maxLength)
    {
        InflateOutcome outcome = Inflate(MessageDeflater.Tail, ref output, maxLength);
        if (outcome == InflateOutcome.Ok && _text && !_utf8.IsComplete)
        {
            outcome = InflateOutcome.InvalidUtf8; // RFC 6455 section 8.1: a message may not end inside a code point
        }

        EndMessage();
        return outcome;
    }

    /// <summary>
    /// Lets go of what a message needed: the decompressor goes back to its pool without client context takeover,
    /// or is reset after a stream that a BFINAL block ended.
    /// </summary>
    public void EndMessage()
    {
        if (_inflater is null)
        {
            return;
        }

        if (Agreement.ClientNoContextTakeover)
        {
            _pools.Return(_inflater);
            _inflater = null;
        }
        else if (_inflater.Ended)
        {
            _inflater.Reset();
        }

        UpdateHeldBytes();
    }

    /// <summary>Called about once a second: an own compressor unused for <see cref="PerMessageDeflateOptions.IdleRelease"/> goes.</summary>
    public void OnTick(long now)
    {
        if (_ownDeflater is null || now - Volatile.Read(ref _lastCompressed) < (long)Options.IdleRelease.TotalMilliseconds)
        {
            return;
        }

        lock (this)
        {
            // Dropping the context is always allowed to the compressor: the client keeps a window it will not need.
            _ownDeflater?.Dispose();
            _ownDeflater = null;
            Volatile.Write(ref _deflaterBytes, 0);
        }
    }

    /// <summary>Gives everything back when the connection ends.</summary>
    public void Dispose()
    {
        lock (this)
        {
            _disposed = true;
            _ownDeflater?.Dispose();
            _ownDeflater = null;
        }

        if (_inflater is not null)
        {
            if (Agreement.ClientNoContextTakeover)
            {
                _pools.Return(_inflater);
            }
            else
            {
                _inflater.Dispose();
            }

            _inflater = null;
        }

        Volatile.Write(ref _inflaterBytes, 0);
        Volatile.Write(ref _deflaterBytes, 0);
    }

    private InflateOutcome Inflate(ReadOnlySpan<byte> input, ref MessageAssembler output, long maxLength)
    {
        MessageInflater inflater = _inflater!;
        while (true)
        {
            // One byte past the limit is enough to know the message is too big.
            long room = maxLength + 1 - output.Length;
            Span<byte> space = output.GetSpan((int)Math.Min(room, InflateStep));
            InflateStatus status = inflater.Inflate(input, space, out int consumed, out int written);
            if (_text && !_utf8.Validate(space.Slice(0, written)))
            {
                return InflateOutcome.InvalidUtf8;
            }

            output.Advance(written);
            input = input.Slice(consumed);
            if (output.Length > maxLength)
            {
                return InflateOutcome.TooBig;
            }

            switch (status)
            {
                case InflateStatus.Invalid:
                    return InflateOutcome.InvalidData;
                case InflateStatus.End:
                    return InflateOutcome.Ok; // what follows a BFINAL block is ignored (section 7.2.3.4)
            }

            // Done when the input is used up and the output was not the limit: zlib holds nothing more back.
            if (input.IsEmpty && written < space.Length)
            {
                return InflateOutcome.Ok;
            }

            if (status == InflateStatus.Stalled && !input.IsEmpty && written == 0 && space.Length > 0)
            {
                return InflateOutcome.InvalidData; // no progress possible: should not happen with valid data
            }
        }
    }

    // Read by the timer thread; the decompressor itself is only touched by the receive loop.
    private void UpdateHeldBytes() => Volatile.Write(ref _inflaterBytes, _inflater?.StateBytes ?? 0);
}
