using BenchmarkDotNet.Attributes;
using WsFast.Protocol;

namespace WsFast.Benchmarks;

/// <summary>The cost of framing outgoing messages: headers of each length encoding, and a small text frame.</summary>
[MemoryDiagnoser]
public class FrameWriterBenchmarks
{
    private readonly byte[] _destination = new byte[256];
    private readonly byte[] _text = "{\"type\":\"tick\",\"price\":101.25}"u8.ToArray();

    // Lengths in mutable fields: with constants the JIT would fold the whole header away and time nothing.
    private long _small = 100;
    private long _medium = 4096;
    private long _large = 1 << 20;

    /// <summary>A header with a 7-bit length.</summary>
    [Benchmark(Baseline = true)]
    public int HeaderSmall() => FrameWriter.WriteHeader(_destination, Opcode.Binary, _small);

    /// <summary>A header with a 16-bit length.</summary>
    [Benchmark]
    public int Header16Bit() => FrameWriter.WriteHeader(_destination, Opcode.Binary, _medium);

    /// <summary>A header with a 64-bit length.</summary>
    [Benchmark]
    public int Header64Bit() => FrameWriter.WriteHeader(_destination, Opcode.Binary, _large);

    /// <summary>A header written in front of a payload already in place, as a broadcast does.</summary>
    [Benchmark]
    public int HeaderBefore() => FrameWriter.WriteHeaderBefore(_destination, FrameWriter.MaxHeaderSize, Opcode.Text, _text.Length);

    /// <summary>A whole small text frame: header and payload copy.</summary>
    [Benchmark]
    public int SmallTextFrame() => FrameWriter.WriteText(_destination, _text);
}
