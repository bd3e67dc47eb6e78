namespace WsFast.Transport;

/// <summary>
/// A pinned, pooled, reference-counted byte buffer: the unit of outbound data. A message framed once can be
/// handed to many connections by taking one reference per connection (<see cref="AddReference"/>); the buffer
/// goes back to its <see cref="SharedBufferPool"/> when the last reference is released.
/// </summary>
/// <remarks>
/// A freshly rented buffer holds one reference, owned by the renter. Write the bytes into <see cref="Span"/>
/// or <see cref="Memory"/>, set <see cref="Length"/>, then pass references on (for example with
/// <see cref="TransportLease.Enqueue(SharedBuffer)"/>, which takes one). Do not write into a buffer after
/// another party may be reading it. Releasing a buffer that is already back in its pool throws
/// <see cref="InvalidOperationException"/>; a release after the buffer has been rented again cannot be told
/// apart from a legitimate one, so every holder must release exactly the references it owns.
/// </remarks>
internal sealed class SharedBuffer
{
    private readonly SharedBufferPool? _pool;
    private int _references;
    private int _length;

    internal SharedBuffer(byte[] array, SharedBufferPool? pool)
    {
        Array = array;
        _pool = pool;
    }

    /// <summary>The backing array: pinned, so that sends can hand it to the kernel without pinning it again.</summary>
    internal byte[] Array { get; }

    /// <summary>The number of bytes the buffer can hold; at least the size asked for when it was rented.</summary>
    public int Capacity => Array.Length;

    /// <summary>The number of bytes written, set by the writer; what <see cref="TransportLease.Enqueue(SharedBuffer)"/> sends.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative or larger than <see cref="Capacity"/>.</exception>
    public int Length
    {
        get => _length;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, Array.Length);
            _length = value;
        }
    }

    /// <summary>The whole capacity, to write into.</summary>
    public Memory<byte> Memory => Array;

    /// <summary>The whole capacity, to write into.</summary>
    public Span<byte> Span => Array;

    /// <summary>The first <see cref="Length"/> bytes.</summary>
    public ReadOnlyMemory<byte> WrittenMemory => new(Array, 0, _length);

    /// <summary>The first <see cref="Length"/> bytes.</summary>
    public ReadOnlySpan<byte> WrittenSpan => new(Array, 0, _length);

    /// <summary>The number of references currently held; 0 while the buffer sits in its pool.</summary>
    public int ReferenceCount => Volatile.Read(ref _references);

    /// <summary>Takes one more reference; the caller must hold one already.</summary>
    /// <exception cref="InvalidOperationException">The buffer has no reference left (it was released to its pool).</exception>
    public void AddReference()
    {
        int count = Volatile.Read(ref _references);
        while (true)
        {
            if (count <= 0)
            {
                throw new InvalidOperationException("The buffer was already released to its pool.");
            }

            int seen = Interlocked.CompareExchange(ref _references, count + 1, count);
            if (seen == count)
            {
                return;
            }

            count = seen;
        }
    }

    /// <summary>Gives up one reference; the last one returns the buffer to its pool.</summary>
    /// <exception cref="InvalidOperationException">The buffer has no reference left (released twice).</exception>
    public void Release()
    {
        int count = Volatile.Read(ref _references);
        while (true)
        {
            // Never let the count go below zero: a double release must leave the pool intact, not hand the
            // same array out twice.
            if (count <= 0)
            {
                throw new InvalidOperationException("The buffer was released more times than it was referenced.");
            }

            int seen = Interlocked.CompareExchange(ref _references, count - 1, count);
            if (seen == count)
            {
                break;
            }

            count = seen;
        }

        if (count == 1)
        {
            _length = 0;
            _pool?.Return(this);
        }
    }

    /// <summary>Called by the pool when it hands the buffer out.</summary>
    internal void OnRented()
    {
        _length = 0;
        Volatile.Write(ref _references, 1);
    }
}
