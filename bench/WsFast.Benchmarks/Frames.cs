using System.Buffers;
using System.Buffers.Binary;
using WsFast.Protocol;
using WsFast.Testing;

namespace WsFast.Benchmarks;

/// <summary>Client frames and pipe-like sequences for the benchmarks.</summary>
internal static class Frames
{
    public static byte[] Masked(Opcode opcode, byte[] payload, byte[] key)
    {
        int lengthBytes = payload.Length <= 125 ? 0 : payload.Length <= ushort.MaxValue ? 2 : 8;
        var frame = new byte[2 + lengthBytes + 4 + payload.Length];
        frame[0] = (byte)(0x80 | (int)opcode);
        switch (lengthBytes)
        {
            case 0: frame[1] = (byte)(0x80 | payload.Length); break;
            case 2: frame[1] = 0x80 | 126; BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(2), (ushort)payload.Length); break;
            default: frame[1] = 0x80 | 127; BinaryPrimitives.WriteUInt64BigEndian(frame.AsSpan(2), (ulong)payload.Length); break;
        }

        key.CopyTo(frame, 2 + lengthBytes);
        for (int i = 0; i < payload.Length; i++)
        {
            frame[2 + lengthBytes + 4 + i] = (byte)(payload[i] ^ key[i & 3]);
        }

        return frame;
    }

    public static ReadOnlySequence<byte> Segmented(byte[] bytes, int segmentSize)
    {
        var pieces = new List<ReadOnlyMemory<byte>>();
        for (int offset = 0; offset < bytes.Length; offset += segmentSize)
        {
            pieces.Add(bytes.AsMemory(offset, Math.Min(segmentSize, bytes.Length - offset)));
        }

        return SegmentChain.Of(pieces);
    }
}
