using System.Text;
using BenchmarkDotNet.Attributes;
using WsFast.Protocol.Deflate;

namespace WsFast.Benchmarks;

/// <summary>
/// Context takeover against none, for the kind of stream a broadcast endpoint carries: a run of ~1 KiB JSON
/// quotes that differ only in their numbers. Taking over the context lets each message refer back to the one
/// before (smaller frames) at the price of a compressor held per connection; resetting lets one compressed frame
/// serve every subscriber. The CPU per message is measured; the bytes per message and the compressor's memory
/// are printed once by <see cref="Setup"/> (look for "deflate context" in the log).
/// </summary>
[MemoryDiagnoser]
public class DeflateContextBenchmarks
{
    private const int Messages = 64;
    private readonly byte[][] _quotes = new byte[Messages][];
    private readonly byte[] _output = new byte[4096];
    private MessageDeflater _deflater = null!;
    private int _next;

    /// <summary>Whether the compressor keeps its context between messages.</summary>
    [Params(false, true)]
    public bool ContextTakeover { get; set; }

    /// <summary>The server's window bits (zlib's memory level stays at the default, 5).</summary>
    [Params(12, 15)]
    public int WindowBits { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        for (int m = 0; m < Messages; m++)
        {
            var json = new StringBuilder("[");
            for (int i = 0; i < 12; i++)
            {
                json.Append(i == 0 ? "" : ",")
                    .Append("{\"symbol\":\"SYM").Append(i).Append("\",\"bid\":").Append(100 + random.Next(10_000) / 100.0)
                    .Append(",\"ask\":").Append(100 + random.Next(10_000) / 100.0).Append(",\"volume\":").Append(random.Next(1_000_000))
                    .Append('}');
            }

            _quotes[m] = Encoding.UTF8.GetBytes(json.Append(']').ToString());
        }

        _deflater = MessageDeflater.Create(6, WindowBits, 5, ContextTakeover)!;
        long original = 0, compressed = 0;
        for (int m = 0; m < Messages; m++)
        {
            original += _quotes[m].Length;
            compressed += _deflater.Compress(_quotes[m], _output);
        }

        Console.WriteLine(
            $"// deflate context takeover={ContextTakeover} window={WindowBits}: {original / Messages} bytes -> " +
            $"{compressed / Messages} bytes per message ({100.0 * compressed / original:F1}%), compressor state {_deflater.StateBytes} bytes");
    }

    [GlobalCleanup]
    public void Cleanup() => _deflater.Dispose();

    [Benchmark]
    public int Compress()
    {
        byte[] quote = _quotes[_next++ & (Messages - 1)];
        return _deflater.Compress(quote, _output);
    }
}
