using System.Buffers;

namespace WsFast.Testing;

/// <summary>
/// A <see cref="ReadOnlySequence{T}"/> whose segments are given pieces of memory, as a pipe hands out what arrived
/// in several reads. One file, linked into the tests, the fuzz targets and the benchmarks.
/// </summary>
internal static class SegmentChain
{
    /// <summary>A sequence with one segment per piece (the pieces' memory itself, not a copy).</summary>
    public static ReadOnlySequence<byte> Of(IReadOnlyList<ReadOnlyMemory<byte>> pieces)
    {
        if (pieces.Count == 0)
        {
            return ReadOnlySequence<byte>.Empty;
        }

        var first = new Segment(pieces[0], 0);
        Segment last = first;
        for (int i = 1; i < pieces.Count; i++)
        {
            last = last.Append(pieces[i]);
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
