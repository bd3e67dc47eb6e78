using BenchmarkDotNet.Attributes;
using WsFast.Protocol;

namespace WsFast.Benchmarks;

/// <summary>
/// Unmasking a client payload in place: the byte loop of RFC 6455 section 5.3 against the vectorized path.
/// </summary>
[MemoryDiagnoser]
public class UnmaskBenchmarks
{
    private static readonly byte[] KeyBytes = [0x37, 0xfa, 0x21, 0x3d];

    private byte[] _payload = [];
    private uint _key;

    /// <summary>Payload size in bytes: a tiny message, the largest control payload, then ever larger messages.</summary>
    [Params(16, 125, 4 * 1024, 64 * 1024, 1024 * 1024)]
    public int Size { get; set; }

    /// <summary>Fills the payload once; XOR in place keeps every iteration the same work.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _payload = new byte[Size];
        new Random(42).NextBytes(_payload);
        _key = Masking.ReadKey(KeyBytes);
    }

    /// <summary>The section 5.3 reference: one byte at a time.</summary>
    [Benchmark(Baseline = true)]
    public int Scalar() => Masking.ApplyScalar(_payload, KeyBytes, 0);

    /// <summary>The vectorized path used on received frames.</summary>
    [Benchmark]
    public int Simd() => Masking.Apply(_payload, _key, 0);
}
