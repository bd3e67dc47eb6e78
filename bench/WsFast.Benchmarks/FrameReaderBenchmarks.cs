using System.Buffers;
using BenchmarkDotNet.Attributes;
using WsFast.Protocol;

namespace WsFast.Benchmarks;

/// <summary>
/// Decoding one masked client frame: header, in-place unmasking and, for text, UTF-8 validation.
/// </summary>
/// <remarks>
/// The reader unmasks in place, so each run would otherwise leave the buffer unmasked for the next. The
/// frames use an all-zero masking key: the XOR still runs over every byte (no shortcut exists for it), and
/// the bytes stay the same from one run to the next, so text stays valid UTF-8.
/// </remarks>
[MemoryDiagnoser]
public class FrameReaderBenchmarks
{
    private ReadOnlySequence<byte> _frame;

    /// <summary>Payload size and shape.</summary>
    [Params("32 B text", "64 KiB binary", "1 MiB binary")]
    public string Frame { get; set; } = "";

    /// <summary>Whether the frame arrives as one segment or as the 4 KiB segments of a pipe.</summary>
    [Params(false, true)]
    public bool MultiSegment { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        (Opcode opcode, int length) = Frame switch
        {
            "32 B text" => (Opcode.Text, 32),
            "64 KiB binary" => (Opcode.Binary, 64 * 1024),
            _ => (Opcode.Binary, 1024 * 1024),
        };

        byte[] payload = new byte[length];
        for (int i = 0; i < payload.Length; i++)
        {
            payload[i] = (byte)('a' + i % 26);
        }

        byte[] frame = Frames.Masked(opcode, payload, key: [0, 0, 0, 0]);
        int segmentSize = length <= 32 ? frame.Length / 2 : 4096;
        _frame = MultiSegment ? Frames.Segmented(frame, segmentSize) : new ReadOnlySequence<byte>(frame);
    }

    [Benchmark]
    public long Read()
    {
        var reader = new FrameReader(new FrameReaderOptions());
        ReadOnlySequence<byte> buffer = _frame;
        long total = 0;
        while (reader.Read(ref buffer, out FrameChunk chunk) == FrameReadStatus.Data)
        {
            total += chunk.Payload.Length;
            if (chunk.IsMessageEnd)
            {
                break;
            }
        }

        return total;
    }
}
