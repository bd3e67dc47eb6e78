using System.Numerics;

namespace WsFast.Transport;

/// <summary>
/// Hands out <see cref="SharedBuffer"/>s by size class (powers of two from 64 bytes to 1 MiB), backed by
/// pinned arrays, and keeps released ones for reuse. Thread-safe.
/// </summary>
/// <remarks>
/// Requests above 1 MiB get a buffer of exactly the asked size that is not kept when released. Each class keeps
/// at most <c>retainedBytesPerClass</c> bytes of idle buffers (at least 4 buffers); more are left to the GC.
/// </remarks>
internal sealed class SharedBufferPool
{
    private const int SmallestShift = 6;   // 64 bytes
    private const int LargestShift = 20;   // 1 MiB
    private const int ClassCount = LargestShift - SmallestShift + 1;

    private readonly SizeClass[] _classes = new SizeClass[ClassCount];
    private long _rented;
    private long _returned;

    /// <summary>Creates a pool keeping up to <paramref name="retainedBytesPerClass"/> idle bytes per size class.</summary>
    public SharedBufferPool(int retainedBytesPerClass = 4 * 1024 * 1024)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(retainedBytesPerClass);
        for (int i = 0; i < ClassCount; i++)
        {
            int size = 1 << (SmallestShift + i);
            _classes[i] = new SizeClass(size, Math.Max(4, retainedBytesPerClass / size));
        }
    }

    /// <summary>A pool shared by the whole process.</summary>
    public static SharedBufferPool Shared { get; } = new();

    /// <summary>The largest size served from a size class; larger buffers are not pooled.</summary>
    public static int MaximumPooledSize => 1 << LargestShift;

    /// <summary>Buffers handed out and not yet returned (pooled sizes only).</summary>
    internal long InUse => Interlocked.Read(ref _rented) - Interlocked.Read(ref _returned);

    /// <summary>Buffers handed out since creation (pooled sizes only).</summary>
    internal long RentedCount => Interlocked.Read(ref _rented);

    /// <summary>Buffers returned since creation.</summary>
    internal long ReturnedCount => Interlocked.Read(ref _returned);

    /// <summary>
    /// Rents a buffer of at least <paramref name="minimumSize"/> bytes with one reference held by the caller
    /// and <see cref="SharedBuffer.Length"/> 0.
    /// </summary>
    public SharedBuffer Rent(int minimumSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(minimumSize);
        SharedBuffer buffer;
        if (minimumSize > MaximumPooledSize)
        {
            buffer = new SharedBuffer(GC.AllocateUninitializedArray<byte>(minimumSize, pinned: true), pool: null);
        }
        else
        {
            SizeClass sizeClass = _classes[ClassIndex(minimumSize)];
            buffer = sizeClass.TryTake() ?? new SharedBuffer(
                GC.AllocateUninitializedArray<byte>(sizeClass.Size, pinned: true), this);
            Interlocked.Increment(ref _rented);
        }

        buffer.OnRented();
        return buffer;
    }

    /// <summary>Rents a buffer holding a copy of <paramref name="bytes"/>.</summary>
    public SharedBuffer Rent(ReadOnlySpan<byte> bytes)
    {
        SharedBuffer buffer = Rent(bytes.Length);
        bytes.CopyTo(buffer.Span);
        buffer.Length = bytes.Length;
        return buffer;
    }

    internal void Return(SharedBuffer buffer)
    {
        Interlocked.Increment(ref _returned);
        _classes[ClassIndex(buffer.Capacity)].TryAdd(buffer);
    }

    private static int ClassIndex(int size)
    {
        int shift = size <= 1 << SmallestShift ? SmallestShift : 32 - BitOperations.LeadingZeroCount((uint)size - 1);
        return shift - SmallestShift;
    }

    /// <summary>The idle buffers of one size: a bounded stack under a lock (uncontended it costs ~20 ns).</summary>
    private sealed class SizeClass(int size, int capacity)
    {
        private readonly Lock _lock = new();
        private readonly SharedBuffer?[] _items = new SharedBuffer?[capacity];
        private int _count;

        public int Size { get; } = size;

        public SharedBuffer? TryTake()
        {
            lock (_lock)
            {
                if (_count == 0)
                {
                    return null;
                }

                SharedBuffer? buffer = _items[--_count];
                _items[_count] = null;
                return buffer;
            }
        }

        public void TryAdd(SharedBuffer buffer)
        {
            lock (_lock)
            {
                if (_count < _items.Length)
                {
                    _items[_count++] = buffer;
                }
            }
        }
    }
}
