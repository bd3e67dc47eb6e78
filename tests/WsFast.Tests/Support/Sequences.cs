using System.Buffers;
using WsFast.Testing;

namespace WsFast.Tests.Support;

/// <summary>Builds multi-segment <see cref="ReadOnlySequence{T}"/>s, as a pipe hands them out.</summary>
internal static class Sequences
{
    /// <summary>A sequence whose segments are exactly <paramref name="parts"/> (each copied, so writable).</summary>
    public static ReadOnlySequence<byte> Of(params byte[][] parts)
    {
        var pieces = new ReadOnlyMemory<byte>[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            pieces[i] = parts[i].ToArray();
        }

        return SegmentChain.Of(pieces);
    }

    /// <summary><paramref name="bytes"/> cut into segments at the given offsets.</summary>
    public static ReadOnlySequence<byte> SplitAt(byte[] bytes, params int[] offsets)
    {
        var parts = new List<byte[]>();
        int start = 0;
        foreach (int offset in offsets)
        {
            parts.Add(bytes[start..offset]);
            start = offset;
        }

        parts.Add(bytes[start..]);
        return Of(parts.ToArray());
    }
}
