using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace WsFast.Protocol;

/// <summary>
/// The XOR masking of RFC 6455 section 5.3, applied in place. Masking and unmasking are the same operation.
/// </summary>
/// <remarks>
/// The key travels as four bytes; we hold it as the <see cref="uint"/> those bytes make in memory order, so
/// that XOR with payload words read in memory order needs no byte swapping on any architecture. A payload
/// resumed mid-way starts at an offset into the key: the key is rotated so that its byte
/// <c>offset</c> lines up with the first payload byte, and the offset to resume with is returned.
/// </remarks>
internal static class Masking
{
    // Below this many bytes the vector set-up costs more than it saves (measured in bench/RESULTS.md).
    private const int VectorThreshold = 16;

    /// <summary>Reads a masking key from its four wire bytes.</summary>
    public static uint ReadKey(ReadOnlySpan<byte> wireBytes) => MemoryMarshal.Read<uint>(wireBytes);

    /// <summary>
    /// XORs <paramref name="payload"/> in place with <paramref name="key"/>, starting at byte
    /// <paramref name="keyOffset"/> (0-3) of the key. Returns the key offset for the byte after the payload.
    /// </summary>
    public static int Apply(Span<byte> payload, uint key, int keyOffset)
    {
        int length = payload.Length;
        if (length == 0)
        {
            return keyOffset;
        }

        // Align the key so that its byte `keyOffset` comes first: on little-endian memory order the first
        // byte is the low byte, so rotate right; on big-endian, left.
        uint rotated = BitConverter.IsLittleEndian
            ? BitOperations.RotateRight(key, keyOffset * 8)
            : BitOperations.RotateLeft(key, keyOffset * 8);

        ref byte start = ref MemoryMarshal.GetReference(payload);
        int i = 0;

        if (length >= VectorThreshold)
        {
            i = ApplyVectorized(ref start, length, rotated);
        }

        // Every vector and word step covers a multiple of four bytes, so the key stays aligned at i.
        for (; i + sizeof(ulong) <= length; i += sizeof(ulong))
        {
            ref byte p = ref Unsafe.Add(ref start, i);
            ulong wide = rotated | ((ulong)rotated << 32);
            Unsafe.WriteUnaligned(ref p, Unsafe.ReadUnaligned<ulong>(ref p) ^ wide);
        }

        for (; i < length; i++)
        {
            Unsafe.Add(ref start, i) ^= (byte)(BitConverter.IsLittleEndian ? rotated >> ((i & 3) * 8) : rotated >> (24 - (i & 3) * 8));
        }

        return (keyOffset + length) & 3;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int ApplyVectorized(ref byte start, int length, uint rotated)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated && length >= Vector512<byte>.Count)
        {
            Vector512<byte> mask = Vector512.Create(rotated).AsByte();
            int last = length - Vector512<byte>.Count;
            for (; i <= last; i += Vector512<byte>.Count)
            {
                (Vector512.LoadUnsafe(ref start, (nuint)i) ^ mask).StoreUnsafe(ref start, (nuint)i);
            }
        }

        if (Vector256.IsHardwareAccelerated && length - i >= Vector256<byte>.Count)
        {
            Vector256<byte> mask = Vector256.Create(rotated).AsByte();
            int last = length - Vector256<byte>.Count;
            for (; i <= last; i += Vector256<byte>.Count)
            {
                (Vector256.LoadUnsafe(ref start, (nuint)i) ^ mask).StoreUnsafe(ref start, (nuint)i);
            }
        }

        if (Vector128.IsHardwareAccelerated && length - i >= Vector128<byte>.Count)
        {
            Vector128<byte> mask = Vector128.Create(rotated).AsByte();
            int last = length - Vector128<byte>.Count;
            for (; i <= last; i += Vector128<byte>.Count)
            {
                (Vector128.LoadUnsafe(ref start, (nuint)i) ^ mask).StoreUnsafe(ref start, (nuint)i);
            }
        }

        return i;
    }

    /// <summary>
    /// The byte-at-a-time loop of section 5.3 (<c>j = i MOD 4; transformed-octet-i = original-octet-i XOR
    /// masking-key-octet-j</c>): the reference the vectorized path is tested and benchmarked against.
    /// </summary>
    public static int ApplyScalar(Span<byte> payload, ReadOnlySpan<byte> keyBytes, int keyOffset)
    {
        for (int i = 0; i < payload.Length; i++)
        {
            payload[i] ^= keyBytes[(keyOffset + i) & 3];
        }

        return (keyOffset + payload.Length) & 3;
    }

    /// <summary>Writes <paramref name="key"/> back as its four wire bytes.</summary>
    public static void WriteKey(Span<byte> destination, uint key) =>
        MemoryMarshal.Write(destination, in key);
}
