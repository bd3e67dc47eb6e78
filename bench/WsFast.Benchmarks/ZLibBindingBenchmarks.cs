using System.Buffers;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using WsFast.Protocol.Deflate;

namespace WsFast.Benchmarks;

/// <summary>
/// The zlib WsFast binds (the system's <c>libz.so.1</c>, through <see cref="ZLib"/>) against the runtime's own
/// <c>libSystem.IO.Compression.Native</c> (zlib-ng): one 1 KiB JSON message compressed with the history cleared
/// after it, and inflated with a reset after it, at the same settings (level 6, window 12, memory level 5). The
/// <c>Native/instance</c> column is the native memory one compressor or decompressor holds after one message,
/// measured with glibc's <c>mallinfo2</c> over 200 instances (<see cref="NativeHeap"/>).
/// </summary>
/// <remarks>
/// The system zlib clears its history with <c>deflateReset</c> after a sync flush (what
/// <see cref="MessageDeflater"/> does); the runtime's library exports no reset, so its compressor ends the message
/// with a full flush, which writes the same tail and clears the history too.
/// </remarks>
[MemoryDiagnoser]
[Config(typeof(NativeMemoryConfig))]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public unsafe class ZLibBindingBenchmarks
{
    private const int Size = 1024;
    private const int Level = 6;
    private const int WindowBits = 12;
    private const int MemoryLevel = 5;

    private byte[] _payload = [];
    private byte[] _compressed = [];
    private byte[] _output = [];
    private MessageDeflater _systemDeflater = null!;
    private MessageInflater _systemInflater = null!;
    private RuntimeZLib.Stream* _runtimeDeflater;
    private RuntimeZLib.Stream* _runtimeInflater;

    [GlobalSetup]
    public void Setup()
    {
        _payload = DeflatePayloads.Create(PayloadKind.Json, Size);
        _output = new byte[Size + 1024];
        _systemDeflater = CreateSystemDeflater();
        _systemInflater = CreateSystemInflater();
        _runtimeDeflater = RuntimeZLib.CreateDeflate(Level, WindowBits, MemoryLevel);
        _runtimeInflater = RuntimeZLib.CreateInflate(WindowBits);

        int length = _systemDeflater.Compress(new ReadOnlySequence<byte>(_payload), _output);
        _compressed = _output.AsSpan(0, length).ToArray();
        if (SystemInflate() != Size || RuntimeInflate() != Size || !RuntimeMessagesStandAlone())
        {
            throw new InvalidOperationException("a round trip failed");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _systemDeflater.Dispose();
        _systemInflater.Dispose();
        RuntimeZLib.FreeDeflate(_runtimeDeflater);
        RuntimeZLib.FreeInflate(_runtimeInflater);
    }

    [Benchmark(Baseline = true), BenchmarkCategory("Compress")]
    public int SystemCompress() => _systemDeflater.Compress(new ReadOnlySequence<byte>(_payload), _output);

    [Benchmark, BenchmarkCategory("Compress")]
    public int RuntimeCompress() => RuntimeCompress(_runtimeDeflater, _payload, _output);

    [Benchmark(Baseline = true), BenchmarkCategory("Inflate")]
    public int SystemInflate() => SystemInflate(_systemInflater, _compressed, _output);

    [Benchmark, BenchmarkCategory("Inflate")]
    public int RuntimeInflate() => RuntimeInflate(_runtimeInflater, _compressed, _output);

    // The runtime's compressor, after a message, must make one that a fresh decompressor inflates alone: the full
    // flush cleared what came before.
    private bool RuntimeMessagesStandAlone()
    {
        RuntimeCompress();
        int length = RuntimeCompress();
        using MessageInflater fresh = CreateSystemInflater();
        var inflated = new byte[Size + 1];
        return length > 0 && SystemInflate(fresh, _output.AsSpan(0, length).ToArray(), inflated) == Size
            && inflated.AsSpan(0, Size).SequenceEqual(_payload);
    }

    private static MessageDeflater CreateSystemDeflater() =>
        MessageDeflater.Create(Level, WindowBits, MemoryLevel, keepsContext: false) ?? throw new InvalidOperationException("no system zlib");

    private static MessageInflater CreateSystemInflater() =>
        MessageInflater.Create(WindowBits) ?? throw new InvalidOperationException("no system zlib");

    private static int SystemInflate(MessageInflater inflater, byte[] compressed, byte[] output)
    {
        inflater.Inflate(compressed, output, out _, out int written);
        inflater.Inflate(MessageDeflater.Tail, output.AsSpan(written), out _, out int more);
        inflater.Reset();
        return written + more;
    }

    private static int RuntimeCompress(RuntimeZLib.Stream* stream, byte[] payload, byte[] output)
    {
        fixed (byte* input = payload)
        fixed (byte* destination = output)
        {
            stream->NextIn = input;
            stream->AvailableIn = (uint)payload.Length;
            stream->NextOut = destination;
            stream->AvailableOut = (uint)output.Length;
            RuntimeZLib.Deflate(stream, RuntimeZLib.FullFlush);
            int written = output.Length - (int)stream->AvailableOut;
            stream->NextIn = null;
            stream->NextOut = null;
            return written - MessageDeflater.Tail.Length;
        }
    }

    private static int RuntimeInflate(RuntimeZLib.Stream* stream, byte[] compressed, byte[] output)
    {
        int written = RuntimeInflateOnce(stream, compressed, output);
        written += RuntimeInflateOnce(stream, MessageDeflater.Tail, output.AsSpan(written));
        RuntimeZLib.InflateReset(stream, WindowBits);
        return written;
    }

    private static int RuntimeInflateOnce(RuntimeZLib.Stream* stream, ReadOnlySpan<byte> input, Span<byte> output)
    {
        fixed (byte* source = input)
        fixed (byte* destination = output)
        {
            stream->NextIn = source;
            stream->AvailableIn = (uint)input.Length;
            stream->NextOut = destination;
            stream->AvailableOut = (uint)output.Length;
            RuntimeZLib.Inflate(stream, RuntimeZLib.NoFlush);
            stream->NextIn = null;
            stream->NextOut = null;
            return output.Length - (int)stream->AvailableOut;
        }
    }

    /// <summary>Native bytes per instance of each benchmark's compressor or decompressor, after one message.</summary>
    private static string CompressedSize(string benchmark)
    {
        byte[] payload = DeflatePayloads.Create(PayloadKind.Json, Size);
        var output = new byte[Size + 1024];
        switch (benchmark)
        {
            case nameof(SystemCompress):
                using (MessageDeflater deflater = CreateSystemDeflater())
                {
                    return $"{deflater.Compress(new ReadOnlySequence<byte>(payload), output)} B";
                }

            case nameof(RuntimeCompress):
                RuntimeZLib.Stream* stream = RuntimeZLib.CreateDeflate(Level, WindowBits, MemoryLevel);
                int length = RuntimeCompress(stream, payload, output);
                RuntimeZLib.FreeDeflate(stream);
                return $"{length} B";
            default:
                return "";
        }
    }

    private static long MeasureNativeBytes(string benchmark)
    {
        byte[] payload = DeflatePayloads.Create(PayloadKind.Json, Size);
        var output = new byte[Size + 1024];
        using MessageDeflater reference = CreateSystemDeflater();
        byte[] compressed = output.AsSpan(0, reference.Compress(new ReadOnlySequence<byte>(payload), output)).ToArray();
        return benchmark switch
        {
            nameof(SystemCompress) => NativeHeap.PerInstance(
                CreateSystemDeflater, d => d.Compress(new ReadOnlySequence<byte>(payload), output), d => d.Dispose()),
            nameof(SystemInflate) => NativeHeap.PerInstance(
                CreateSystemInflater, i => SystemInflate(i, compressed, output), i => i.Dispose()),
            nameof(RuntimeCompress) => NativeHeap.PerInstance(
                () => (nint)RuntimeZLib.CreateDeflate(Level, WindowBits, MemoryLevel),
                d => RuntimeCompress((RuntimeZLib.Stream*)d, payload, output),
                d => RuntimeZLib.FreeDeflate((RuntimeZLib.Stream*)d)),
            nameof(RuntimeInflate) => NativeHeap.PerInstance(
                () => (nint)RuntimeZLib.CreateInflate(WindowBits),
                i => RuntimeInflate((RuntimeZLib.Stream*)i, compressed, output),
                i => RuntimeZLib.FreeInflate((RuntimeZLib.Stream*)i)),
            _ => 0,
        };
    }

    private sealed class NativeMemoryConfig : ManualConfig
    {
        public NativeMemoryConfig()
        {
            AddColumn(new MeasuredColumn(
                "Native/instance",
                "Native memory one compressor or decompressor holds after one message (glibc mallinfo2 over 200 instances)",
                benchmark => $"{MeasureNativeBytes(benchmark.Descriptor.WorkloadMethod.Name) / 1024.0:F1} KiB"));
            AddColumn(new MeasuredColumn(
                "Compressed",
                "The 1 KiB message compressed, without the 00 00 ff ff tail",
                benchmark => CompressedSize(benchmark.Descriptor.WorkloadMethod.Name)));
        }
    }
}
