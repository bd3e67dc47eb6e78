using System.Runtime.InteropServices;

namespace WsFast.Benchmarks;

/// <summary>
/// The runtime's own zlib, <c>libSystem.IO.Compression.Native</c> (zlib-ng inside), called through the exports
/// <c>DeflateStream</c> uses: the alternative to the system zlib that <c>WsFast.Protocol.Deflate.ZLib</c> binds.
/// </summary>
/// <remarks>
/// The library wraps zlib's <c>z_stream</c> in its own <see cref="Stream"/> and allocates the real one itself. It
/// exports no <c>deflateReset</c>: a compressor forgets earlier messages by ending each with a full flush
/// (<see cref="FullFlush"/>), which writes the same <c>00 00 ff ff</c> as the sync flush permessage-deflate needs
/// and clears the match history.
/// </remarks>
internal static unsafe class RuntimeZLib
{
    public const int Ok = 0;
    public const int StreamEnd = 1;
    public const int NoFlush = 0;
    public const int FullFlush = 3;

    private const int Deflated = 8;
    private const int DefaultStrategy = 0;

    private static readonly delegate* unmanaged<Stream*, int, int, int, int, int, int> s_deflateInit2;
    private static readonly delegate* unmanaged<Stream*, int, int> s_deflate;
    private static readonly delegate* unmanaged<Stream*, int> s_deflateEnd;
    private static readonly delegate* unmanaged<Stream*, int, int> s_inflateInit2;
    private static readonly delegate* unmanaged<Stream*, int, int> s_inflate;
    private static readonly delegate* unmanaged<Stream*, int> s_inflateEnd;
    private static readonly delegate* unmanaged<Stream*, int, int> s_inflateReset2;

    static RuntimeZLib()
    {
        // Beside System.Private.CoreLib in the shared framework.
        string path = Path.Combine(Path.GetDirectoryName(typeof(object).Assembly.Location)!, "libSystem.IO.Compression.Native.so");
        nint library = NativeLibrary.Load(path);
        s_deflateInit2 = (delegate* unmanaged<Stream*, int, int, int, int, int, int>)NativeLibrary.GetExport(library, "CompressionNative_DeflateInit2_");
        s_deflate = (delegate* unmanaged<Stream*, int, int>)NativeLibrary.GetExport(library, "CompressionNative_Deflate");
        s_deflateEnd = (delegate* unmanaged<Stream*, int>)NativeLibrary.GetExport(library, "CompressionNative_DeflateEnd");
        s_inflateInit2 = (delegate* unmanaged<Stream*, int, int>)NativeLibrary.GetExport(library, "CompressionNative_InflateInit2_");
        s_inflate = (delegate* unmanaged<Stream*, int, int>)NativeLibrary.GetExport(library, "CompressionNative_Inflate");
        s_inflateEnd = (delegate* unmanaged<Stream*, int>)NativeLibrary.GetExport(library, "CompressionNative_InflateEnd");
        s_inflateReset2 = (delegate* unmanaged<Stream*, int, int>)NativeLibrary.GetExport(library, "CompressionNative_InflateReset2_");
    }

    /// <summary>A raw DEFLATE compressor (negative window bits: no zlib header).</summary>
    public static Stream* CreateDeflate(int level, int windowBits, int memoryLevel)
    {
        var stream = (Stream*)NativeMemory.AllocZeroed((nuint)sizeof(Stream));
        Check(s_deflateInit2(stream, level, Deflated, -windowBits, memoryLevel, DefaultStrategy));
        return stream;
    }

    /// <summary>A raw DEFLATE decompressor.</summary>
    public static Stream* CreateInflate(int windowBits)
    {
        var stream = (Stream*)NativeMemory.AllocZeroed((nuint)sizeof(Stream));
        Check(s_inflateInit2(stream, -windowBits));
        return stream;
    }

    public static int Deflate(Stream* stream, int flush) => s_deflate(stream, flush);

    public static int Inflate(Stream* stream, int flush) => s_inflate(stream, flush);

    public static int InflateReset(Stream* stream, int windowBits) => s_inflateReset2(stream, -windowBits);

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

    private static void Check(int result)
    {
        if (result != Ok)
        {
            throw new InvalidOperationException($"libSystem.IO.Compression.Native refused: {result}");
        }
    }

    /// <summary>The library's <c>PAL_ZStream</c>.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Stream
    {
        public byte* NextIn;
        public byte* NextOut;
        public byte* Message;
        public void* InternalState;
        public uint AvailableIn;
        public uint AvailableOut;
    }
}
