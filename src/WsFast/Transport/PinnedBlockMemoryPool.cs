using System.Buffers;
using System.Collections.Concurrent;

namespace WsFast.Transport;

/// <summary>
/// A <see cref="MemoryPool{T}"/> of 4 KiB blocks carved from pinned slabs, for the receive pipes: a socket
/// receives straight into pinned memory, and returned blocks are reused instead of collected.
/// </summary>
/// <remarks>
/// Slabs are never freed: the pool keeps its high-water mark. Idle connections hold no block (they wait for data
/// with a zero-byte receive), so the high-water mark follows the number of connections receiving at once, not
/// the number connected. Requests larger than <see cref="BlockSize"/> are not served here; <c>Pipe</c> falls back
/// to <see cref="ArrayPool{T}"/> for those.
/// </remarks>
internal sealed class PinnedBlockMemoryPool : MemoryPool<byte>
{
    /// <summary>The size of every block.</summary>
    public const int BlockSize = 4096;

    private const int BlocksPerSlab = 32;   // 128 KiB slabs: few large pinned objects, little waste

    private readonly ConcurrentQueue<Block> _free = new();
    private readonly Lock _slabLock = new();
    private long _rented;
    private long _returned;
    private int _blockCount;
    private bool _disposed;

    /// <inheritdoc />
    public override int MaxBufferSize => BlockSize;

    /// <summary>Blocks handed out and not yet returned.</summary>
    public long InUse => Interlocked.Read(ref _rented) - Interlocked.Read(ref _returned);

    /// <summary>Blocks created so far (the high-water mark).</summary>
    public int BlockCount => Volatile.Read(ref _blockCount);

    /// <inheritdoc />
    public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minBufferSize, BlockSize);
        ObjectDisposedException.ThrowIf(_disposed, this);

        Block? block;
        while (!_free.TryDequeue(out block))
        {
            AllocateSlab();
        }

        block.OnRented();
        Interlocked.Increment(ref _rented);
        return block;
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        // Blocks still out are returned as usual; the slabs go away with the last reference to the pool.
        _disposed = true;
    }

    private void AllocateSlab()
    {
        lock (_slabLock)
        {
            // Another thread may have refilled the queue while this one waited for the lock.
            if (!_free.IsEmpty)
            {
                return;
            }

            byte[] slab = GC.AllocateUninitializedArray<byte>(BlockSize * BlocksPerSlab, pinned: true);
            for (int i = 0; i < BlocksPerSlab; i++)
            {
                _free.Enqueue(new Block(this, new Memory<byte>(slab, i * BlockSize, BlockSize)));
            }

            Interlocked.Add(ref _blockCount, BlocksPerSlab);
        }
    }

    private void Return(Block block)
    {
        Interlocked.Increment(ref _returned);
        _free.Enqueue(block);
    }

    /// <summary>One block; disposing it gives it back, and a second dispose throws rather than sharing it twice.</summary>
    private sealed class Block(PinnedBlockMemoryPool pool, Memory<byte> memory) : IMemoryOwner<byte>
    {
        private int _rented;

        public Memory<byte> Memory { get; } = memory;

        public void OnRented() => Volatile.Write(ref _rented, 1);

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _rented, 0) != 1)
            {
                throw new InvalidOperationException("The block was returned to its pool twice.");
            }

            pool.Return(this);
        }
    }
}
