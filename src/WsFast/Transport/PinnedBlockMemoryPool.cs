using System.Buffers;
using System.Collections.Concurrent;

namespace WsFast.Transport;

/// <summary>
/// A <see cref="MemoryPool{T}"/> of 4 KiB pinned blocks, for the receive pipes and for coalescing small sends: a
/// socket reads and writes straight from pinned memory, and returned blocks are reused instead of collected.
/// Idle blocks that recent use did not need are released by <see cref="Trim"/>.
/// </summary>
/// <remarks>
/// Each block is its own array on the pinned object heap, so any idle block can be released on its own (a block
/// carved from a shared slab could only go once all its neighbours were idle). Idle connections hold no block
/// (they wait for data with a zero-byte receive), so the number of blocks follows the number of connections
/// receiving at once, not the number connected. Requests larger than <see cref="BlockSize"/> are not served
/// here; <c>Pipe</c> falls back to <see cref="ArrayPool{T}"/> for those.
/// </remarks>
internal sealed class PinnedBlockMemoryPool : MemoryPool<byte>
{
    /// <summary>The size of every block.</summary>
    public const int BlockSize = 4096;

    /// <summary>
    /// Idle blocks that <see cref="Trim"/> always leaves (64 KiB), so that a quiet server answers its next few
    /// receives without allocating.
    /// </summary>
    public const int MinimumIdle = 16;

    // Each trim releases a quarter of the idle blocks beyond the last period's peak (rounded up). Gradual,
    // because churn is dear: in a tight loop on 2 cores, allocating a pinned 4 KiB block cost ~1 us against
    // ~14 ns for reusing one, and every ~3 MiB allocated on the pinned object heap brought a gen2 collection.
    // A load whose peak comes back within a couple of periods therefore keeps most of its blocks, while a
    // one-off burst of 1,000 blocks is down to the floor after ~20 trims (dropped blocks are reclaimed by the
    // next gen2 collection).
    private const int ReleaseDivisor = 4;

    private readonly ConcurrentQueue<Block> _idle = new();
    private readonly Lock _trimLock = new();
    private long _inUse;
    private long _peakInUse;
    private int _blockCount;
    private bool _disposed;

    /// <inheritdoc />
    public override int MaxBufferSize => BlockSize;

    /// <summary>Blocks handed out and not yet returned.</summary>
    public long InUse => Volatile.Read(ref _inUse);

    /// <summary>Blocks that exist now, in use or idle: created minus released by <see cref="Trim"/>.</summary>
    public int BlockCount => Volatile.Read(ref _blockCount);

    /// <summary>Blocks kept for reuse (exact when no rent or return is under way).</summary>
    public long Idle => Math.Max(0, BlockCount - InUse);

    /// <summary>The bytes of the blocks kept for reuse.</summary>
    public long RetainedBytes => Idle * BlockSize;

    /// <inheritdoc />
    public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minBufferSize, BlockSize);
        ObjectDisposedException.ThrowIf(_disposed, this);

        if (!_idle.TryDequeue(out Block? block))
        {
            block = new Block(this);
            Interlocked.Increment(ref _blockCount);
        }

        block.OnRented();
        RaisePeak(Interlocked.Increment(ref _inUse));
        return block;
    }

    /// <summary>
    /// Releases part of the idle blocks that the peak use since the previous call did not need, and starts a new
    /// period. Meant to be called periodically (about every second); it never touches a block in use.
    /// </summary>
    /// <remarks>
    /// With a peak of P blocks in use during the period and U in use now, P - U idle blocks (at least
    /// <see cref="MinimumIdle"/>) are kept and a quarter of the rest is released, so a steady load keeps what it
    /// uses and a burst fades out over about twenty calls.
    /// </remarks>
    public void Trim()
    {
        // The lock only keeps two trims from interleaving; rents and returns never take it.
        lock (_trimLock)
        {
            long inUse = InUse;
            long peak = Interlocked.Exchange(ref _peakInUse, inUse);

            // A rent that raced with the exchange may have raised the old peak instead of the new one.
            RaisePeak(InUse);

            long keep = Math.Max(peak - inUse, MinimumIdle);
            long surplus = BlockCount - inUse - keep;
            for (long release = (surplus + ReleaseDivisor - 1) / ReleaseDivisor; release > 0; release--)
            {
                // A concurrent rent may have taken the last idle block; nothing to release then.
                if (!_idle.TryDequeue(out _))
                {
                    break;
                }

                Interlocked.Decrement(ref _blockCount);
            }
        }
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        // Blocks still out are returned as usual; the blocks go away with the last reference to the pool.
        _disposed = true;
    }

    private void RaisePeak(long inUse)
    {
        // Almost every rent only reads: the compare-exchange runs only while in-use climbs above the peak.
        long peak = Volatile.Read(ref _peakInUse);
        while (inUse > peak)
        {
            long seen = Interlocked.CompareExchange(ref _peakInUse, inUse, peak);
            if (seen == peak)
            {
                return;
            }

            peak = seen;
        }
    }

    private void Return(Block block)
    {
        Interlocked.Decrement(ref _inUse);
        _idle.Enqueue(block);
    }

    /// <summary>One block; disposing it gives it back, and a second dispose throws rather than sharing it twice.</summary>
    private sealed class Block(PinnedBlockMemoryPool pool) : IMemoryOwner<byte>
    {
        private int _rented;

        public Memory<byte> Memory { get; } = GC.AllocateUninitializedArray<byte>(BlockSize, pinned: true);

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
