using System.Buffers;

namespace WsFast.Server;

/// <summary>
/// A request body as it arrives, in pooled memory that grows with what has come, so that a large
/// <c>Content-Length</c> with no bytes behind it reserves nothing. Dispose it to return the memory.
/// </summary>
internal sealed class RequestBody : IDisposable
{
    private const int InitialSize = 4096;

    private byte[]? _buffer;

    /// <summary>The bytes received so far.</summary>
    public int Length { get; private set; }

    /// <summary>The pooled bytes held.</summary>
    public int Capacity => _buffer?.Length ?? 0;

    public ReadOnlySpan<byte> Span => _buffer.AsSpan(0, Length);

    /// <summary>The body, for a publish that completes later; valid until disposed.</summary>
    public ReadOnlyMemory<byte> Memory => _buffer.AsMemory(0, Length);

    /// <summary>Appends <paramref name="piece"/>; the body never grows past <paramref name="length"/>, its declared size.</summary>
    public void Append(in ReadOnlySequence<byte> piece, int length)
    {
        int needed = checked(Length + (int)piece.Length);
        if (needed > Capacity)
        {
            int size = Math.Min(length, Math.Max(InitialSize, Math.Max(needed, Capacity * 2)));
            byte[] larger = GatherBuffers.Rent(size);
            _buffer?.AsSpan(0, Length).CopyTo(larger);
            Return();
            _buffer = larger;
        }

        piece.CopyTo(_buffer.AsSpan(Length));
        Length = needed;
    }

    public void Dispose()
    {
        Return();
        Length = 0;
    }

    private void Return()
    {
        if (_buffer is not null)
        {
            GatherBuffers.Return(_buffer);
            _buffer = null;
        }
    }
}
