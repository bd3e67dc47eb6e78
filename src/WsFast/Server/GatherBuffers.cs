using System.Buffers;

namespace WsFast.Server;

/// <summary>
/// Arrays for bytes gathered from a peer: a message arriving in pieces, a request body. Up to 64 KiB they come
/// from <see cref="ArrayPool{T}.Shared"/> and go back to it; a larger one is allocated and left to the GC, as
/// <c>SharedBufferPool</c> does above its largest class. The shared pool keeps up to 32 arrays per core of
/// every size and trims them only after a minute idle: a burst of large messages would otherwise stay in memory
/// long after it ended, unseen by the memory budget (40 connections trickling 16 MiB messages left ~370 MB).
/// </summary>
internal static class GatherBuffers
{
    /// <summary>The largest array taken from, and returned to, the shared pool.</summary>
    public const int LargestPooled = 64 * 1024;

    public static byte[] Rent(int size) =>
        size <= LargestPooled ? ArrayPool<byte>.Shared.Rent(size) : GC.AllocateUninitializedArray<byte>(size);

    public static void Return(byte[] buffer)
    {
        if (buffer.Length <= LargestPooled)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
