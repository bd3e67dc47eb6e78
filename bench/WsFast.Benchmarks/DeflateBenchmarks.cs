using System.Buffers;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using WsFast.Protocol.Deflate;

namespace WsFast.Benchmarks;

/// <summary>
/// One permessage-deflate message compressed and inflated with the lean defaults: level 6, a 4 KiB window
/// (<c>server_max_window_bits=12</c>), memory level 5, each side reset after every message (no context
/// takeover, what lets a topic's one compressed frame serve every subscriber). Neither direction may allocate.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(CompressedSizeConfig))]
public class DeflateBenchmarks
{
    private const int Level = 6;
    private const int WindowBits = 12;
    private const int MemoryLevel = 5;

    private MessageDeflater _deflater = null!;
    private MessageInflater _inflater = null!;
    private ReadOnlySequence<byte> _payload;
    private byte[] _destination = [];
    private byte[] _compressed = [];
    private byte[] _inflated = [];

    /// <summary>Message size in bytes: a tick, a typical JSON message, a large one.</summary>
    [Params(64, 1024, 16 * 1024)]
    public int Size { get; set; }

    /// <summary>JSON compresses; random bytes show what a message that does not shrink costs.</summary>
    [Params(PayloadKind.Json, PayloadKind.Random)]
    public PayloadKind Payload { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        byte[] payload = DeflatePayloads.Create(Payload, Size);
        _payload = new ReadOnlySequence<byte>(payload);
        _deflater = MessageDeflater.Create(Level, WindowBits, MemoryLevel, keepsContext: false)
            ?? throw new InvalidOperationException("no system zlib");
        _inflater = MessageInflater.Create(WindowBits) ?? throw new InvalidOperationException("no system zlib");
        _destination = new byte[MessageDeflater.MaxOutput(Size)];

        // What the inflater is given: the compressed message, and for random bytes (which never fit in MaxOutput,
        // so a server sends them uncompressed) what a client that compresses regardless would send.
        var roomy = new byte[Size + 1024];
        int length = _deflater.Compress(_payload, roomy);
        _compressed = roomy.AsSpan(0, length).ToArray();
        // One spare byte: with the output exactly full, the tail's call would hand zlib a null output pointer
        // (fixed on an empty span), which inflate() refuses.
        _inflated = new byte[Size + 1];
        if (Inflate() != Size)
        {
            throw new InvalidOperationException("the round trip lost bytes");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _deflater.Dispose();
        _inflater.Dispose();
    }

    /// <summary>Compressed bytes without the tail, or -1 when the message does not shrink (random bytes).</summary>
    [Benchmark]
    public int Compress() => _deflater.Compress(_payload, _destination);

    /// <summary>The compressed message, then the tail the receiver appends back, then the reset.</summary>
    [Benchmark]
    public int Inflate()
    {
        _inflater.Inflate(_compressed, _inflated, out _, out int written);
        _inflater.Inflate(MessageDeflater.Tail, _inflated.AsSpan(written), out _, out int more);
        _inflater.Reset();
        return written + more;
    }

    private sealed class CompressedSizeConfig : ManualConfig
    {
        public CompressedSizeConfig() => AddColumn(new MeasuredColumn(
            "Compressed",
            "The message's compressed length without the 00 00 ff ff tail (what goes in the frame), or 'as is' when it does not shrink",
            benchmark =>
            {
                var size = (int)benchmark.Parameters["Size"];
                var kind = (PayloadKind)benchmark.Parameters["Payload"];
                using MessageDeflater deflater = MessageDeflater.Create(Level, WindowBits, MemoryLevel, keepsContext: false)!;
                int length = deflater.Compress(new ReadOnlySequence<byte>(DeflatePayloads.Create(kind, size)), new byte[MessageDeflater.MaxOutput(size)]);
                return length < 0 ? "as is" : $"{length} B ({100.0 * length / size:F0}%)";
            }));
    }
}
