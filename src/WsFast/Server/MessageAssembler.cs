using System.Buffers;

namespace WsFast.Server;

/// <summary>
/// Joins the pieces of a message that arrives in several frames or reads into one pooled buffer, bounded by
/// the message size limit the frame reader already enforces. A message that arrives whole in one piece is
/// handed on without a copy and never touches this buffer. With <see cref="WsFastServerOptions.PoisonReceiveBuffers"/>
/// a buffer done with is filled with <see cref="MessageLifetime.PoisonByte"/> and left to the GC, never reused.
/// </summary>
internal struct MessageAssembler
{
    private const int InitialSize = 4096;

    private readonly bool _poison;
    private byte[]? _buffer;
    private int _length;

    /// <summary>An assembler whose buffers, with <paramref name="poison"/>, are poisoned and dropped once done with.</summary>
    public MessageAssembler(bool poison) => _poison = poison;

    /// <summary>The bytes appended since the last <see cref="Reset"/>.</summary>
    public readonly ReadOnlySequence<byte> Message =>
        _buffer is null ? ReadOnlySequence<byte>.Empty : new ReadOnlySequence<byte>(_buffer, 0, _length);

    /// <summary>The bytes of pooled memory held (for the server's memory budget).</summary>
    public readonly int HeldBytes => _buffer?.Length ?? 0;

    /// <summary>The bytes appended so far.</summary>
    public readonly int Length => _length;

    /// <summary>
    /// Room to write after the bytes appended, at most <paramref name="atMost"/> bytes and at least one (growing the
    /// buffer when it is full, never past <see cref="Length"/> + <paramref name="atMost"/>): for output whose size
    /// is only known as it is produced, such as an inflated message. <see cref="Advance"/> says what was written.
    /// </summary>
    public Span<byte> GetSpan(int atMost)
    {
        if (_buffer is null || _length == _buffer.Length)
        {
            long doubled = Math.Max(InitialSize, 2L * (_buffer?.Length ?? 0));
            GrowTo((int)Math.Min(Math.Min(doubled, (long)_length + atMost), Array.MaxLength));
        }

        return _buffer.AsSpan(_length, Math.Min(_buffer!.Length - _length, atMost));
    }

    /// <summary>Counts <paramref name="count"/> bytes written into the span of <see cref="GetSpan"/>.</summary>
    public void Advance(int count) => _length += count;

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
        if (_buffer is { Length: > GatherBuffers.LargestPooled } || _poison)
        {
            Release();
        }
    }

    /// <summary>Returns the buffer to the pool, or leaves a large one to the GC.</summary>
    public void Release()
    {
        if (_buffer is not null)
        {
            if (_poison)
            {
                // A message kept past its handler reads the pattern, and no later message ever lands here.
                _buffer.AsSpan().Fill(MessageLifetime.PoisonByte);
            }
            else
            {
                GatherBuffers.Return(_buffer);
            }

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

        GrowTo(size);
    }

    private void GrowTo(int size)
    {
        byte[] larger = GatherBuffers.Rent(size);
        if (_buffer is not null)
        {
            _buffer.AsSpan(0, _length).CopyTo(larger);
            GatherBuffers.Return(_buffer);
        }

        _buffer = larger;
    }
}
