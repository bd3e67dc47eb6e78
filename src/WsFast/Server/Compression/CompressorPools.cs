using WsFast.Protocol;
using WsFast.Protocol.Deflate;
using WsFast.Transport;

namespace WsFast.Server;

/// <summary>
/// Compressors and decompressors that keep no context between messages, lent for one message at a time. A
/// connection holds none while idle; the pools keep a few for reuse (creating zlib state costs a malloc and, for
/// a compressor, clearing its tables) and let the rest go.
/// </summary>
/// <remarks>
/// One pool per window size: a compressor is made for the window its connection agreed to, a decompressor for the
/// window its client agreed to. Lent compressors are bounded by
/// <see cref="PerMessageDeflateOptions.MaxConcurrentCompressions"/>; decompressors are bounded by the connections
/// (one each while a compressed message arrives) and counted in their memory.
/// </remarks>
internal sealed class CompressorPools
{
    private const int MinWindowBits = 8;
    private const int MaxWindowBits = 15;

    private readonly PerMessageDeflateOptions _options;
    private readonly Stack<MessageDeflater>[] _deflaters = NewStacks<MessageDeflater>();
    private readonly Stack<MessageInflater>[] _inflaters = NewStacks<MessageInflater>();
    private readonly int _keepIdle = Math.Max(2, Environment.ProcessorCount);
    private int _lentDeflaters; // guarded by _deflaters

    public CompressorPools(PerMessageDeflateOptions options) => _options = options;

    /// <summary>
    /// Compresses <paramref name="payload"/> into a frame of its own (<see cref="FrameWriting.Compressed"/>) with a
    /// compressor for <paramref name="windowBits"/> lent for this call. False when none is free (at
    /// <see cref="PerMessageDeflateOptions.MaxConcurrentCompressions"/>, or without zlib): the message goes
    /// uncompressed this time. True otherwise, with <paramref name="frame"/> null when the message does not shrink.
    /// </summary>
    public bool TryCompressFrame(int windowBits, Opcode opcode, ReadOnlySpan<byte> payload, out SharedBuffer? frame)
    {
        frame = null;
        MessageDeflater? deflater = RentDeflater(windowBits);
        if (deflater is null)
        {
            return false;
        }

        try
        {
            frame = FrameWriting.Compressed(deflater, opcode, payload);
            return true;
        }
        finally
        {
            Return(deflater);
        }
    }

    // A compressor that resets after every message, or null at the concurrency bound (or without zlib).
    private MessageDeflater? RentDeflater(int windowBits)
    {
        Stack<MessageDeflater> idle = _deflaters[windowBits];
        lock (_deflaters)
        {
            if (_lentDeflaters >= _options.MaxConcurrentCompressions)
            {
                return null;
            }

            _lentDeflaters++;
            if (idle.TryPop(out MessageDeflater? deflater))
            {
                return deflater;
            }
        }

        MessageDeflater? created = MessageDeflater.Create(_options.CompressionLevel, windowBits, _options.MemoryLevel, keepsContext: false);
        if (created is null)
        {
            lock (_deflaters)
            {
                _lentDeflaters--;
            }
        }

        return created;
    }

    private void Return(MessageDeflater deflater)
    {
        Stack<MessageDeflater> idle = _deflaters[deflater.WindowBits];
        lock (_deflaters)
        {
            _lentDeflaters--;
            if (idle.Count < _keepIdle)
            {
                idle.Push(deflater);
                return;
            }
        }

        deflater.Dispose();
    }

    /// <summary>A decompressor for a client window of <paramref name="windowBits"/>, reset; null without zlib.</summary>
    public MessageInflater? RentInflater(int windowBits)
    {
        Stack<MessageInflater> idle = _inflaters[windowBits];
        lock (idle)
        {
            if (idle.TryPop(out MessageInflater? inflater))
            {
                return inflater;
            }
        }

        return MessageInflater.Create(windowBits);
    }

    /// <summary>Takes back a decompressor; it is reset here, so that the next message starts clean.</summary>
    public void Return(MessageInflater inflater)
    {
        inflater.Reset();
        Stack<MessageInflater> idle = _inflaters[inflater.WindowBits];
        lock (idle)
        {
            if (idle.Count < _keepIdle)
            {
                idle.Push(inflater);
                return;
            }
        }

        inflater.Dispose();
    }

    private static Stack<T>[] NewStacks<T>()
    {
        var stacks = new Stack<T>[MaxWindowBits + 1];
        for (int bits = MinWindowBits; bits <= MaxWindowBits; bits++)
        {
            stacks[bits] = new Stack<T>();
        }

        return stacks;
    }
}
