using System.Runtime.InteropServices;

namespace WsFast.Benchmarks;

/// <summary>What glibc's <c>malloc</c> has handed out, for the native memory a zlib stream holds.</summary>
internal static partial class NativeHeap
{
    /// <summary>Bytes in use: small blocks (<c>uordblks</c>) and blocks <c>malloc</c> mapped on their own (<c>hblkhd</c>).</summary>
    public static long InUse()
    {
        MallInfo2 info = MallInfo2Native();
        return (long)(info.UsedOrdinaryBlocks + info.MappedBytes);
    }

    /// <summary>
    /// Native bytes one instance holds once it has done one message's work: the growth of <see cref="InUse"/> over
    /// <paramref name="count"/> instances, divided by it (the runtime's own allocations in between spread thin).
    /// </summary>
    public static long PerInstance<T>(Func<T> create, Action<T> use, Action<T> free, int count = 200)
    {
        var instances = new T[count];
        long before = InUse();
        for (int i = 0; i < count; i++)
        {
            instances[i] = create();
            use(instances[i]);
        }

        long after = InUse();
        foreach (T instance in instances)
        {
            free(instance);
        }

        return (after - before) / count;
    }

    [LibraryImport("libc", EntryPoint = "mallinfo2")]
    private static partial MallInfo2 MallInfo2Native();

    /// <summary>glibc's <c>struct mallinfo2</c> (2.33 and later): ten <c>size_t</c>.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct MallInfo2
    {
        public nuint Arena;
        public nuint OrdinaryBlocks;
        public nuint FastBinBlocks;
        public nuint MappedBlocks;
        public nuint MappedBytes;
        public nuint MaxUsed;
        public nuint FastBinBytes;
        public nuint UsedOrdinaryBlocks;
        public nuint FreeOrdinaryBytes;
        public nuint KeepCost;
    }
}
