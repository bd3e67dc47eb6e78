using System.Runtime.InteropServices;

namespace WsFast.Protocol.Deflate;

/// <summary>
/// The system's zlib (<c>libz.so.1</c>, <c>libz.1.dylib</c>), called directly, with every byte it allocates counted.
/// </summary>
/// <remarks>
/// <para>
/// Why not <c>System.IO.Compression</c>: its <c>DeflateStream</c> cannot choose a window size, which
/// <c>server_max_window_bits</c> needs (RFC 7692 section 7.1.2.1), and is a stream, not a call on a span. Why not
/// the runtime's own <c>libSystem.IO.Compression.Native</c> (zlib-ng, exported for <c>DeflateStream</c>): measured
/// with both libraries side by side on one machine (<c>bench/WsFast.Benchmarks/ZLibBindingBenchmarks.cs</c>, a 1 KiB
/// JSON message compressed with its history cleared after it, level 6, window 12, memory level 5; figures in
/// bench/RESULTS.md), zlib-ng's compressor holds 160 KiB whatever the window and memory level (a fixed 64 Ki-entry
/// hash) against 38 KiB for Debian's zlib 1.2.13, and its inflater 41 KiB against zlib's 7 KiB plus the window.
/// zlib-ng compressed faster (9.8 against 13.1 µs, its output 2.6% larger) and inflated as fast: the system zlib
/// is chosen for a quarter of the memory per compressor, which every compression in flight and every connection
/// with context takeover holds, not for speed. Where no system zlib is found (Windows), permessage-deflate is
/// declined, never failed.
/// </para>
/// <para>
/// The layout of <c>z_stream</c> is the LP64 one (Linux and macOS, 64-bit): <c>uLong</c> is 8 bytes. A stream
/// lives in native memory because zlib's state points back at it and refuses a stream that moved.
/// </para>
/// </remarks>
internal static unsafe class ZLib
{
    public const int Ok = 0;
    public const int StreamEnd = 1;
    public const int StreamError = -2;
    public const int DataError = -3;
    public const int MemoryError = -4;
    public const int BufferError = -5;

    public const int NoFlush = 0;
    public const int SyncFlush = 2;
    public const int FullFlush = 3;

    private const int Deflated = 8;
    private const int DefaultStrategy = 0;

    private static readonly delegate* unmanaged<Stream*, int, int, int, int, int, byte*, int, int> s_deflateInit2;
    private static readonly delegate* unmanaged<Stream*, int, int> s_deflate;
    private static readonly delegate* unmanaged<Stream*, int> s_deflateEnd;
    private static readonly delegate* unmanaged<Stream*, int> s_deflateReset;
    private static readonly delegate* unmanaged<Stream*, int, byte*, int, int> s_inflateInit2;
    private static readonly delegate* unmanaged<Stream*, int, int> s_inflate;
    private static readonly delegate* unmanaged<Stream*, int> s_inflateEnd;
    private static readonly delegate* unmanaged<Stream*, int> s_inflateReset;
    private static readonly byte* s_version;
    private static long s_allocatedBytes;

    static ZLib()
    {
        if (!NativeLibrary.TryLoad("libz.so.1", out nint library) && !NativeLibrary.TryLoad("libz.1.dylib", out library))
        {
            return;
        }

        if (!NativeLibrary.TryGetExport(library, "zlibVersion", out nint version)
            || !NativeLibrary.TryGetExport(library, "deflateInit2_", out nint deflateInit2)
            || !NativeLibrary.TryGetExport(library, "deflate", out nint deflate)
            || !NativeLibrary.TryGetExport(library, "deflateEnd", out nint deflateEnd)
            || !NativeLibrary.TryGetExport(library, "deflateReset", out nint deflateReset)
            || !NativeLibrary.TryGetExport(library, "inflateInit2_", out nint inflateInit2)
            || !NativeLibrary.TryGetExport(library, "inflate", out nint inflate)
            || !NativeLibrary.TryGetExport(library, "inflateEnd", out nint inflateEnd)
            || !NativeLibrary.TryGetExport(library, "inflateReset", out nint inflateReset))
        {
            return;
        }

        s_version = ((delegate* unmanaged<byte*>)version)();
        s_deflateInit2 = (delegate* unmanaged<Stream*, int, int, int, int, int, byte*, int, int>)deflateInit2;
        s_deflate = (delegate* unmanaged<Stream*, int, int>)deflate;
        s_deflateEnd = (delegate* unmanaged<Stream*, int>)deflateEnd;
        s_deflateReset = (delegate* unmanaged<Stream*, int>)deflateReset;
        s_inflateInit2 = (delegate* unmanaged<Stream*, int, byte*, int, int>)inflateInit2;
        s_inflate = (delegate* unmanaged<Stream*, int, int>)inflate;
        s_inflateEnd = (delegate* unmanaged<Stream*, int>)inflateEnd;
        s_inflateReset = (delegate* unmanaged<Stream*, int>)inflateReset;
        IsAvailable = OperatingSystem.IsLinux() || OperatingSystem.IsMacOS();
    }

    /// <summary>Whether a system zlib was found (and this platform's <c>z_stream</c> layout is the one declared here).</summary>
    public static bool IsAvailable { get; }

    /// <summary>Bytes zlib holds now, over every compressor and decompressor of the process (for the memory budget).</summary>
    public static long AllocatedBytes => Interlocked.Read(ref s_allocatedBytes);

    /// <summary>A raw DEFLATE compressor (no zlib header), or null when zlib refuses the parameters or has no memory.</summary>
    public static Stream* CreateDeflate(int level, int windowBits, int memoryLevel)
    {
        Stream* stream = NewStream();
        if (s_deflateInit2(stream, level, Deflated, -windowBits, memoryLevel, DefaultStrategy, s_version, sizeof(Stream)) != Ok)
        {
            NativeMemory.Free(stream);
            return null;
        }

        return stream;
    }

    /// <summary>A raw DEFLATE decompressor, or null when zlib refuses the window or has no memory.</summary>
    public static Stream* CreateInflate(int windowBits)
    {
        Stream* stream = NewStream();
        if (s_inflateInit2(stream, -windowBits, s_version, sizeof(Stream)) != Ok)
        {
            NativeMemory.Free(stream);
            return null;
        }

        return stream;
    }

    public static int Deflate(Stream* stream, int flush) => s_deflate(stream, flush);

    public static int DeflateReset(Stream* stream) => s_deflateReset(stream);

    public static int Inflate(Stream* stream, int flush) => s_inflate(stream, flush);

    public static int InflateReset(Stream* stream) => s_inflateReset(stream);

    public static void FreeDeflate(Stream* stream)
    {
        s_deflateEnd(stream);
        NativeMemory.Free(stream);
    }

    public static void FreeInflate(Stream* stream)
    {
        s_inflateEnd(stream);
        NativeMemory.Free(stream);
    }

    /// <summary>Bytes zlib holds for <paramref name="stream"/> now (an inflater's window comes with its first output).</summary>
    public static long StateBytes(Stream* stream) => Volatile.Read(ref *(long*)stream->Opaque);

    // The stream and its byte count in one block: the count is zlib's "opaque", handed to every allocation.
    private static Stream* NewStream()
    {
        var stream = (Stream*)NativeMemory.AllocZeroed((nuint)sizeof(Stream) + sizeof(long));
        stream->Allocate = &Allocate;
        stream->Free = &Free;
        stream->Opaque = stream + 1;
        return stream;
    }

    // zlib's allocator hooks: the size is kept in front of each block so that freeing can uncount it.
    [UnmanagedCallersOnly]
    private static void* Allocate(void* opaque, uint items, uint size)
    {
        nuint bytes = (nuint)items * size;
        var block = (nuint*)NativeMemory.Alloc(bytes + 16);
        if (block is null)
        {
            return null;
        }

        *block = bytes;
        Interlocked.Add(ref *(long*)opaque, (long)bytes);
        Interlocked.Add(ref s_allocatedBytes, (long)bytes);
        return (byte*)block + 16;
    }

    [UnmanagedCallersOnly]
    private static void Free(void* opaque, void* address)
    {
        var block = (nuint*)((byte*)address - 16);
        Interlocked.Add(ref *(long*)opaque, -(long)*block);
        Interlocked.Add(ref s_allocatedBytes, -(long)*block);
        NativeMemory.Free(block);
    }

    /// <summary><c>z_stream</c>, LP64.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Stream
    {
        public byte* NextIn;
        public uint AvailableIn;
        public nuint TotalIn;
        public byte* NextOut;
        public uint AvailableOut;
        public nuint TotalOut;
        public byte* Message;
        public void* State;
        public delegate* unmanaged<void*, uint, uint, void*> Allocate;
        public delegate* unmanaged<void*, void*, void> Free;
        public void* Opaque;
        public int DataType;
        public nuint Adler;
        public nuint Reserved;
    }
}
