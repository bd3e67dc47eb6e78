using System.Buffers;
using System.Collections.Concurrent;

namespace WsFast.Transport;

/// <summary>
/// A <see cref="MemoryPool{T}"/> of pinned blocks in two sizes, for the receive pipes and for coalescing small
/// sends: a socket reads and writes straight from pinned memory, and returned blocks are reused instead of
/// collected. Idle blocks that recent use did not need are released by <see cref="Trim"/>.
/// </summary>
/// <remarks>
/// <para>
/// 4 KiB blocks (<see cref="BlockSize"/>) serve every request up to their size: a receive that waited for data,
/// which for small messages is every receive. 64 KiB blocks (<see cref="LargeBlockSize"/>) serve a receive that
/// follows one that filled its block, when more is almost surely waiting: a 64 KiB message then costs 2 receives
/// instead of 17. On a 10-client 64 KiB echo (2-core VM, server and load tool pinned apart) that took the
/// server's CPU per echo from 87-113 µs to 35-43 µs, and its system calls per echo from 17-20 to 3.
/// </para>
/// <para>
/// Each block is its own array on the pinned object heap, so any idle block can be released on its own (a block
/// carved from a shared slab could only go once all its neighbours were idle). Idle connections hold no block
/// (they wait for data first), so the number of blocks follows the number of connections receiving at once, not
/// the number connected; every block in use counts in the server's memory budget (<see cref="InUseBytes"/>).
/// </para>
/// </remarks>
internal sealed class PinnedBlockMemoryPool : MemoryPool<byte>
{
    /// <summary>The size of the small blocks, which serve every request up to it.</summary>
    public const int BlockSize = 4096;

    /// <summary>The size of the large blocks, which serve requests above <see cref="BlockSize"/>.</summary>
    public const int LargeBlockSize = 64 * 1024;

    /// <summary>
    /// Idle small blocks that <see cref="Trim"/> always leaves (64 KiB), so that a quiet server answers its next
    /// few receives without allocating.
    /// </summary>
    public const int MinimumIdle = 16;

    /// <summary>Idle large blocks that <see cref="Trim"/> always leaves (256 KiB).</summary>
    public const int MinimumIdleLarge = 4;

    // Each trim releases a quarter of the idle blocks beyond the last period's peak (rounded up). Gradual,
    // because churn is dear: in a tight loop on 2 cores, allocating a pinned 4 KiB block cost ~1 us against
    // ~14 ns for reusing one, and every ~3 MiB allocated on the pinned object heap brought a gen2 collection.
    // A load whose peak comes back within a couple of periods therefore keeps most of its blocks, while a
    // one-off burst of 1,000 blocks is down to the floor after ~20 trims (dropped blocks are reclaimed by the
    // next gen2 collection).
    private const int ReleaseDivisor = 4;

    /// <summary>What a returned block is filled with when the pool poisons (<see cref="PinnedBlockMemoryPool(bool)"/>).</summary>
    public const byte PoisonByte = 0xDD;

    private readonly SizeClass _small;
    private readonly SizeClass _large;
    private readonly Lock _trimLock = new();
    private bool _disposed;

    /// <summary>A pool that reuses its blocks.</summary>
    public PinnedBlockMemoryPool()
        : this(poison: false)
    {
    }

    /// <summary>
    /// A pool that, with <paramref name="poison"/>, fills every returned block with <see cref="PoisonByte"/> and
    /// lets it go instead of reusing it: memory still referenced after its return then reads the pattern, never
    /// bytes of a later receive (a testing aid: every receive allocates a block).
    /// </summary>
    public PinnedBlockMemoryPool(bool poison)
    {
        _small = new(BlockSize, MinimumIdle, poison);
        _large = new(LargeBlockSize, MinimumIdleLarge, poison);
    }

    /// <inheritdoc />
    public override int MaxBufferSize => LargeBlockSize;

    /// <summary>Blocks handed out and not yet returned, of either size.</summary>
    public long InUse => _small.InUse + _large.InUse;

    /// <summary>The bytes of the blocks handed out and not yet returned.</summary>
    public long InUseBytes => (_small.InUse * BlockSize) + (_large.InUse * LargeBlockSize);

    /// <summary>Blocks that exist now, in use or idle, of either size: created minus released by <see cref="Trim"/>.</summary>
    public int BlockCount => _small.Count + _large.Count;

    /// <summary>Blocks kept for reuse (exact when no rent or return is under way).</summary>
    public long Idle => _small.Idle + _large.Idle;

    /// <summary>The bytes of the blocks kept for reuse.</summary>
    public long RetainedBytes => (_small.Idle * BlockSize) + (_large.Idle * LargeBlockSize);

    /// <summary>The bytes of every block ever created: the pool's own allocations, which reuse keeps rare.</summary>
    public long CreatedBytes => (_small.Created * BlockSize) + (_large.Created * LargeBlockSize);

    /// <inheritdoc />
    public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minBufferSize, LargeBlockSize);
        ObjectDisposedException.ThrowIf(_disposed, this);
        return (minBufferSize <= BlockSize ? _small : _large).Rent();
    }

    /// <summary>
    /// Releases part of the idle blocks that the peak use since the previous call did not need, and starts a new
    /// period. Meant to be called periodically (about every second); it never touches a block in use.
    /// </summary>
    /// <remarks>
    /// For each size, with a peak of P blocks in use during the period and U in use now, P - U idle blocks (at
    /// least the size's floor) are kept and a quarter of the rest is released, so a steady load keeps what it uses
    /// and a burst fades out over about twenty calls.
    /// </remarks>
    public void Trim()
    {
        // The lock only keeps two trims from interleaving; rents and returns never take it.
        lock (_trimLock)
        {
            _small.Trim();
            _large.Trim();
        }
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        // Blocks still out are returned as usual; the blocks go away with the last reference to the pool.
        _disposed = true;
    }

    /// <summary>The blocks of one size: those idle, and the counts that trimming goes by.</summary>
    private sealed class SizeClass(int blockSize, int minimumIdle, bool poison)
    {
        private readonly ConcurrentQueue<Block> _idle = new();
        private long _inUse;
        private long _peakInUse;
        private int _count;
        private long _created;

        public long InUse => Volatile.Read(ref _inUse);

        public int Count => Volatile.Read(ref _count);

        public long Idle => Math.Max(0, Count - InUse);

        public long Created => Interlocked.Read(ref _created);

        public Block Rent()
        {
            if (!_idle.TryDequeue(out Block? block))
            {
                block = new Block(this, blockSize);
                Interlocked.Increment(ref _count);
                Interlocked.Increment(ref _created);
            }

            block.OnRented();
            RaisePeak(Interlocked.Increment(ref _inUse));
            return block;
        }

        public void Return(Block block)
        {
            Interlocked.Decrement(ref _inUse);
            if (poison)
            {
                block.Memory.Span.Fill(PoisonByte);
                Interlocked.Decrement(ref _count);
                return;
            }

            _idle.Enqueue(block);
        }

        public void Trim()
        {
            long inUse = InUse;
            long peak = Interlocked.Exchange(ref _peakInUse, inUse);

            // A rent that raced with the exchange may have raised the old peak instead of the new one.
            RaisePeak(InUse);

            long keep = Math.Max(peak - inUse, minimumIdle);
            long surplus = Count - inUse - keep;
            for (long release = (surplus + ReleaseDivisor - 1) / ReleaseDivisor; release > 0; release--)
            {
                // A concurrent rent may have taken the last idle block; nothing to release then.
                if (!_idle.TryDequeue(out _))
                {
                    break;
                }

                Interlocked.Decrement(ref _count);
            }
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
    }

    /// <summary>One block; disposing it gives it back, and a second dispose throws rather than sharing it twice.</summary>
    private sealed class Block(SizeClass owner, int size) : IMemoryOwner<byte>
    {
        private int _rented;

        public Memory<byte> Memory { get; } = GC.AllocateUninitializedArray<byte>(size, pinned: true);

        public void OnRented() => Volatile.Write(ref _rented, 1);

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _rented, 0) != 1)
            {
                throw new InvalidOperationException("The block was returned to its pool twice.");
            }

            owner.Return(this);
        }
    }
}
