using System.Buffers;

namespace WsFast.Server;

/// <summary>
/// Joins the pieces of a message that arrives in several frames or reads into one pooled buffer, bounded by
/// the message size limit the frame reader already enforces. A message that arrives whole in one piece is
/// handed on without a copy and never touches this buffer.
/// </summary>
internal struct MessageAssembler
{
    private const int InitialSize = 4096;

    private byte[]? _buffer;
    private int _length;

    /// <summary>The bytes appended since the last <see cref="Reset"/>.</summary>
    public readonly ReadOnlySequence<byte> Message =>
        _buffer is null ? ReadOnlySequence<byte>.Empty : new ReadOnlySequence<byte>(_buffer, 0, _length);

    /// <summary>The bytes of pooled memory held (for the server's memory budget).</summary>
    public readonly int HeldBytes => _buffer?.Length ?? 0;

    public void Append(in ReadOnlySequence<byte> piece)
    {
        long needed = _length + piece.Length;
        if (needed > Array.MaxLength)
        {
            throw new InvalidOperationException("A message cannot exceed the largest array.");
        }

        if (_buffer is null || needed > _buffer.Length)
        {
            Grow((int)needed);
        }

        piece.CopyTo(_buffer.AsSpan(_length));
        _length = (int)needed;
    }

    /// <summary>Forgets the message; keeps a small buffer for the next one and lets a large one go.</summary>
    public void Reset()
    {
        _length = 0;
        if (_buffer is { Length: > GatherBuffers.LargestPooled })
        {
            Release();
        }
    }

    /// <summary>Returns the buffer to the pool, or leaves a large one to the GC.</summary>
    public void Release()
    {
        if (_buffer is not null)
        {
            GatherBuffers.Return(_buffer);
            _buffer = null;
        }

        _length = 0;
    }

    private void Grow(int needed)
    {
        int size = Math.Max(InitialSize, _buffer?.Length ?? 0);
        while (size < needed)
        {
            size = size > Array.MaxLength / 2 ? Array.MaxLength : size * 2;
        }

        byte[] larger = GatherBuffers.Rent(size);
        if (_buffer is not null)
        {
            _buffer.AsSpan(0, _length).CopyTo(larger);
            GatherBuffers.Return(_buffer);
        }

        _buffer = larger;
    }
}
