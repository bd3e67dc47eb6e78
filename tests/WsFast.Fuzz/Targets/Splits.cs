using System.Buffers;
using WsFast.Testing;

namespace WsFast.Fuzz.Targets;

/// <summary>
/// Piece sizes and segment boundaries derived from the input itself, so one input always replays the same
/// way and the fuzzer explores splits as it mutates bytes. Nothing is stripped: the whole input is the data.
/// </summary>
public static class Splits
{
    /// <summary>
    /// The sizes of the reads to feed <paramref name="input"/> in. The seed is the first eight bytes and the
    /// length; every fourth input is fed one byte per read, the others in pieces of 1 to 64 bytes.
    /// </summary>
    public static int[] Sizes(ReadOnlySpan<byte> input)
    {
        ulong state = Seed(input);
        if (state % 4 == 0)
        {
            return [1];
        }

        var sizes = new List<int>();
        int total = 0;
        while (total < input.Length)
        {
            state = Next(state);
            int size = 1 + (int)(state % 64);
            sizes.Add(size);
            total += size;
        }

        return sizes.Count == 0 ? [1] : sizes.ToArray();
    }

    /// <summary>A read of <paramref name="bytes"/> cut into two segments at a point taken from the seed, or one segment.</summary>
    public static ReadOnlySequence<byte> AsSequence(byte[] bytes, ulong seed)
    {
        if (bytes.Length < 2 || seed % 3 == 0)
        {
            return new ReadOnlySequence<byte>(bytes);
        }

        int cut = 1 + (int)(seed % (ulong)(bytes.Length - 1));
        return Chain([bytes.AsMemory(0, cut), bytes.AsMemory(cut)]);
    }

    /// <summary>A sequence with one segment per piece.</summary>
    public static ReadOnlySequence<byte> Chain(IReadOnlyList<ReadOnlyMemory<byte>> pieces) => SegmentChain.Of(pieces);

    /// <summary>FNV-1a over the first eight bytes, mixed with the length.</summary>
    public static ulong Seed(ReadOnlySpan<byte> input)
    {
        ulong hash = 14695981039346656037UL ^ (ulong)input.Length;
        foreach (byte b in input[..Math.Min(8, input.Length)])
        {
            hash = (hash ^ b) * 1099511628211UL;
        }

        return hash;
    }

    /// <summary>One step of xorshift64, never stuck at zero.</summary>
    public static ulong Next(ulong state)
    {
        state = state == 0 ? 0x9E3779B97F4A7C15UL : state;
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        return state;
    }
}
