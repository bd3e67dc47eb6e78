using System.Numerics;

namespace WsFast.Transport;

/// <summary>
/// Hands out <see cref="SharedBuffer"/>s by size class (powers of two from 64 bytes to 1 MiB), backed by
/// pinned arrays, and keeps released ones for reuse. Idle buffers that recent use did not need are released by
/// <see cref="Trim"/>. Thread-safe.
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

    // The idle buffers a class keeps however quiet it gets: up to 4, within 64 KiB. Small classes keep 4, the
    // 32 KiB class 2, the 64 KiB class 1, larger ones none: about 256 KiB in all, rather than a 1 MiB buffer
    // held for a rare large message.
    private const int FloorBuffers = 4;
    private const int FloorBytesPerClass = 64 * 1024;

    // Each trim releases a quarter of a class's idle buffers beyond the last period's peak (rounded up), as the
    // block pool does and for the same reason: re-allocating pinned arrays costs ~1 us per 4 KiB plus gen2
    // collections, so a load whose peak comes back within a couple of periods keeps most of its buffers, while
    // a one-off burst fades out over about twenty trims.
    private const int ReleaseDivisor = 4;

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
            _classes[i] = new SizeClass(
                size, capacity: Math.Max(FloorBuffers, retainedBytesPerClass / size),
                floor: Math.Min(FloorBuffers, FloorBytesPerClass / size));
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

    /// <summary>Buffers kept for reuse, all size classes together.</summary>
    internal long Idle
    {
        get
        {
            long idle = 0;
            foreach (SizeClass sizeClass in _classes)
            {
                idle += sizeClass.IdleCount;
            }

            return idle;
        }
    }

    /// <summary>The bytes of the buffers kept for reuse, all size classes together.</summary>
    internal long RetainedBytes
    {
        get
        {
            long bytes = 0;
            foreach (SizeClass sizeClass in _classes)
            {
                bytes += (long)sizeClass.IdleCount * sizeClass.Size;
            }

            return bytes;
        }
    }

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
            buffer = sizeClass.Take() ?? new SharedBuffer(
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

    /// <summary>
    /// Releases, in every size class, part of the idle buffers that the peak use since the previous call did not
    /// need, and starts a new period. Meant to be called periodically (about every second); it never touches a
    /// buffer in use.
    /// </summary>
    /// <remarks>
    /// With a peak of P buffers of a class in use during the period and U in use now, P - U idle buffers (at
    /// least the class's floor: up to 4 buffers within 64 KiB) are kept and a quarter of the rest is released,
    /// so a steady load keeps what it uses and a burst fades out over about twenty calls.
    /// </remarks>
    public void Trim()
    {
        foreach (SizeClass sizeClass in _classes)
        {
            sizeClass.Trim();
        }
    }

    internal void Return(SharedBuffer buffer)
    {
        Interlocked.Increment(ref _returned);
        _classes[ClassIndex(buffer.Capacity)].Add(buffer);
    }

    private static int ClassIndex(int size)
    {
        int shift = size <= 1 << SmallestShift ? SmallestShift : 32 - BitOperations.LeadingZeroCount((uint)size - 1);
        return shift - SmallestShift;
    }

    /// <summary>
    /// The idle buffers of one size: a bounded stack under a lock (uncontended it costs ~20 ns). The lock also
    /// covers the class's in-use count and its peak, so keeping them costs nothing more.
    /// </summary>
    private sealed class SizeClass(int size, int capacity, int floor)
    {
        private readonly Lock _lock = new();
        private readonly SharedBuffer?[] _items = new SharedBuffer?[capacity];
        private int _count;
        private int _inUse;
        private int _peakInUse;

        public int Size { get; } = size;

        /// <summary>Buffers kept for reuse.</summary>
        public int IdleCount => Volatile.Read(ref _count);

        /// <summary>Counts one more buffer in use and hands out an idle one, or null if the caller must allocate it.</summary>
        public SharedBuffer? Take()
        {
            lock (_lock)
            {
                if (++_inUse > _peakInUse)
                {
                    _peakInUse = _inUse;
                }

                if (_count == 0)
                {
                    return null;
                }

                SharedBuffer? buffer = _items[--_count];
                _items[_count] = null;
                return buffer;
            }
        }

        /// <summary>Counts one buffer fewer in use and keeps it, unless the class is full.</summary>
        public void Add(SharedBuffer buffer)
        {
            lock (_lock)
            {
                _inUse--;
                if (_count < _items.Length)
                {
                    _items[_count++] = buffer;
                }
            }
        }

        /// <summary>Releases a quarter of the idle buffers beyond what the period's peak needed, and starts a new period.</summary>
        public void Trim()
        {
            lock (_lock)
            {
                int keep = Math.Max(_peakInUse - _inUse, floor);
                int release = (_count - keep + ReleaseDivisor - 1) / ReleaseDivisor;
                _peakInUse = _inUse;
                if (release > 0)
                {
                    // Clearing the slots is what lets the GC have the buffers.
                    Array.Clear(_items, _count - release, release);
                    _count -= release;
                }
            }
        }
    }
}
