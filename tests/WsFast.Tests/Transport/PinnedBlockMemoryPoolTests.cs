using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using WsFast.Transport;

namespace WsFast.Tests.Transport;

public class PinnedBlockMemoryPoolTests
{
    private const int Floor = PinnedBlockMemoryPool.MinimumIdle;

    [Fact]
    public void Reuses_returned_blocks_and_counts_what_is_out()
    {
        using var pool = new PinnedBlockMemoryPool();
        IMemoryOwner<byte> block = pool.Rent();
        Assert.Equal(PinnedBlockMemoryPool.BlockSize, block.Memory.Length);
        Assert.Equal(1, pool.InUse);
        Assert.Equal(1, pool.BlockCount);
        Assert.Equal(0, pool.Idle);

        block.Dispose();
        Assert.Equal(0, pool.InUse);
        Assert.Equal(1, pool.Idle);
        Assert.Equal(PinnedBlockMemoryPool.BlockSize, pool.RetainedBytes);
        Assert.Throws<InvalidOperationException>(block.Dispose);
        Assert.Equal(0, pool.InUse);
        Assert.Equal(1, pool.Idle);

        Assert.Same(block, pool.Rent());
        Assert.Equal(1, pool.BlockCount);
    }

    [Fact]
    public void Refuses_sizes_above_a_large_block()
        => Assert.Throws<ArgumentOutOfRangeException>(() => new PinnedBlockMemoryPool().Rent(PinnedBlockMemoryPool.LargeBlockSize + 1));

    [Fact]
    public void A_request_above_a_small_block_gets_a_large_block_and_both_sizes_count_in_bytes()
    {
        using var pool = new PinnedBlockMemoryPool();
        IMemoryOwner<byte> small = pool.Rent(PinnedBlockMemoryPool.BlockSize);
        IMemoryOwner<byte> large = pool.Rent(PinnedBlockMemoryPool.BlockSize + 1);
        Assert.Equal(PinnedBlockMemoryPool.BlockSize, small.Memory.Length);
        Assert.Equal(PinnedBlockMemoryPool.LargeBlockSize, large.Memory.Length);
        Assert.Equal(PinnedBlockMemoryPool.LargeBlockSize, pool.MaxBufferSize);
        Assert.Equal(2, pool.InUse);
        Assert.Equal(PinnedBlockMemoryPool.BlockSize + PinnedBlockMemoryPool.LargeBlockSize, pool.InUseBytes);

        large.Dispose();
        Assert.Equal(PinnedBlockMemoryPool.BlockSize, pool.InUseBytes);
        Assert.Equal(PinnedBlockMemoryPool.LargeBlockSize, pool.RetainedBytes);

        // Each size is reused for its own requests only; only the new small block is created.
        Assert.Same(large, pool.Rent(PinnedBlockMemoryPool.LargeBlockSize));
        Assert.NotSame(large, pool.Rent(1));
        small.Dispose();
        Assert.Equal((2 * PinnedBlockMemoryPool.BlockSize) + PinnedBlockMemoryPool.LargeBlockSize, pool.CreatedBytes);
    }

    [Fact]
    public void A_burst_of_large_blocks_is_trimmed_to_their_own_floor()
    {
        using var pool = new PinnedBlockMemoryPool();
        ReturnAll(RentMany(pool, 100, PinnedBlockMemoryPool.LargeBlockSize));
        for (int trim = 0; trim < 40; trim++)
        {
            pool.Trim();
        }

        Assert.Equal(PinnedBlockMemoryPool.MinimumIdleLarge, pool.BlockCount);
        Assert.Equal(PinnedBlockMemoryPool.MinimumIdleLarge * PinnedBlockMemoryPool.LargeBlockSize, pool.RetainedBytes);
    }

    [Fact]
    public void Every_block_is_an_array_of_its_own_so_that_it_can_be_released_alone()
    {
        using var pool = new PinnedBlockMemoryPool();
        List<IMemoryOwner<byte>> blocks = RentMany(pool, 64);

        var arrays = new HashSet<byte[]>(ReferenceEqualityComparer.Instance);
        foreach (IMemoryOwner<byte> block in blocks)
        {
            Assert.True(MemoryMarshal.TryGetArray<byte>(block.Memory, out ArraySegment<byte> segment));
            Assert.Equal(0, segment.Offset);
            Assert.Equal(PinnedBlockMemoryPool.BlockSize, segment.Array!.Length);
            Assert.True(arrays.Add(segment.Array));
        }

        ReturnAll(blocks);
    }

    [Fact]
    public void A_burst_of_1000_blocks_returned_is_released_by_trims_until_only_the_floor_remains_idle()
    {
        using var pool = new PinnedBlockMemoryPool();
        ReturnAll(RentMany(pool, 1000));
        Assert.Equal(1000, pool.Idle);

        // The period that saw the burst needed every block: nothing goes yet.
        pool.Trim();
        Assert.Equal(1000, pool.BlockCount);

        // Then a quarter of what is beyond the floor goes per trim, never more.
        int trims = 0;
        while (pool.Idle > Floor)
        {
            long before = pool.Idle;
            pool.Trim();
            trims++;
            long released = before - pool.Idle;
            Assert.InRange(released, 1, (before - Floor + 3) / 4);
            Assert.True(trims <= 30, $"still {pool.Idle} idle blocks after {trims} trims");
        }

        Assert.Equal(Floor, pool.Idle);
        Assert.Equal(Floor, pool.BlockCount);
        Assert.Equal(Floor * PinnedBlockMemoryPool.BlockSize, pool.RetainedBytes);
        Assert.Equal(0, pool.InUse);

        // The floor stays, and the pool still serves.
        pool.Trim();
        Assert.Equal(Floor, pool.BlockCount);
        ReturnAll(RentMany(pool, 100));
        Assert.Equal(100, pool.BlockCount);
    }

    [Fact]
    public void A_steady_load_that_rents_and_returns_every_period_keeps_its_blocks()
    {
        using var pool = new PinnedBlockMemoryPool();

        // 100 blocks held throughout (connections in the middle of a message), 200 more rented and returned
        // within every period.
        List<IMemoryOwner<byte>> held = RentMany(pool, 100);
        for (int period = 0; period < 50; period++)
        {
            ReturnAll(RentMany(pool, 200));
            pool.Trim();
            Assert.Equal(300, pool.BlockCount);
            Assert.Equal(200, pool.Idle);
        }

        ReturnAll(held);
    }

    [Fact]
    public void Trimming_never_touches_blocks_in_use()
    {
        using var pool = new PinnedBlockMemoryPool();
        ReturnAll(RentMany(pool, 50));
        List<IMemoryOwner<byte>> held = RentMany(pool, 500);
        for (int i = 0; i < held.Count; i++)
        {
            held[i].Memory.Span.Fill((byte)i);
        }

        for (int trim = 0; trim < 40; trim++)
        {
            pool.Trim();
        }

        Assert.Equal(500, pool.InUse);
        Assert.Equal(500, pool.BlockCount);
        Assert.Equal(0, pool.Idle);
        for (int i = 0; i < held.Count; i++)
        {
            Assert.True(held[i].Memory.Span.IndexOfAnyExcept((byte)i) < 0, $"block {i} was overwritten");
        }

        // Returned later, they are released like any idle block.
        ReturnAll(held);
        for (int trim = 0; trim < 40; trim++)
        {
            pool.Trim();
        }

        Assert.Equal(Floor, pool.BlockCount);
    }

    [Fact]
    public void Blocks_released_by_trimming_are_left_to_the_garbage_collector()
    {
        using var pool = new PinnedBlockMemoryPool();
        List<WeakReference> arrays = BurstAndTrackArrays(pool, 200);
        for (int trim = 0; trim < 40; trim++)
        {
            pool.Trim();
        }

        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        Assert.Equal(Floor, arrays.Count(a => a.IsAlive));
    }

    [Fact]
    public void Renting_and_returning_idle_blocks_allocates_nothing()
    {
        using var pool = new PinnedBlockMemoryPool();
        for (int round = 0; round < 10; round++)
        {
            ReturnAll(RentMany(pool, 100));
        }

        Assert.Equal(0, FewestBytesAllocatedByARound(() =>
        {
            for (int i = 0; i < 10_000; i++)
            {
                pool.Rent().Dispose();
            }
        }));
    }

    [Fact]
    public void Concurrent_rent_return_and_trim_keep_the_counts_consistent()
    {
        using var pool = new PinnedBlockMemoryPool();
        bool done = false;
        int trims = 0;
        var trimmer = new Thread(() =>
        {
            while (!Volatile.Read(ref done))
            {
                pool.Trim();
                trims++;
            }
        });
        trimmer.Start();

        int corrupted = 0;
        Parallel.For(0, 8, worker =>
        {
            var mine = new List<IMemoryOwner<byte>>();
            var random = new Random(worker);
            for (int round = 0; round < 5_000; round++)
            {
                for (int i = random.Next(1, 16); i > 0; i--)
                {
                    IMemoryOwner<byte> block = pool.Rent();
                    block.Memory.Span.Fill((byte)worker);
                    mine.Add(block);
                }

                // A block handed out to two renters at once would show the other one's bytes.
                foreach (IMemoryOwner<byte> block in mine)
                {
                    if (block.Memory.Span.IndexOfAnyExcept((byte)worker) >= 0)
                    {
                        Interlocked.Increment(ref corrupted);
                    }
                }

                ReturnAll(mine);
                mine.Clear();
            }
        });
        Volatile.Write(ref done, true);
        trimmer.Join();

        Assert.True(trims > 0);
        Assert.Equal(0, corrupted);
        Assert.Equal(0, pool.InUse);
        Assert.Equal(pool.BlockCount, pool.Idle);

        // The count matches the blocks really kept: renting that many creates none, one more creates one.
        int count = pool.BlockCount;
        List<IMemoryOwner<byte>> all = RentMany(pool, count);
        Assert.Equal(count, pool.BlockCount);
        all.Add(pool.Rent());
        Assert.Equal(count + 1, pool.BlockCount);
        ReturnAll(all);

        // Quiet again, trims bring it down to the floor exactly.
        for (int trim = 0; trim < 40; trim++)
        {
            pool.Trim();
        }

        Assert.Equal(Floor, pool.BlockCount);
        Assert.Equal(Floor, pool.Idle);
    }

    private static List<IMemoryOwner<byte>> RentMany(PinnedBlockMemoryPool pool, int count, int size = -1)
        => Enumerable.Range(0, count).Select(_ => pool.Rent(size)).ToList();

    private static void ReturnAll(List<IMemoryOwner<byte>> blocks) => blocks.ForEach(b => b.Dispose());

    // The fewest bytes that one of five rounds allocated on this thread: the runtime may allocate a little on the
    // thread whose calls trigger a method's tier-up, once, whereas a pool that allocates does so in every round.
    private static long FewestBytesAllocatedByARound(Action round)
    {
        long fewest = long.MaxValue;
        for (int i = 0; i < 5; i++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            round();
            fewest = Math.Min(fewest, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        return fewest;
    }

    // Not inlined, so that no reference to a block outlives the call in the test's frame.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static List<WeakReference> BurstAndTrackArrays(PinnedBlockMemoryPool pool, int count)
    {
        List<IMemoryOwner<byte>> blocks = RentMany(pool, count);
        var arrays = new List<WeakReference>();
        foreach (IMemoryOwner<byte> block in blocks)
        {
            Assert.True(MemoryMarshal.TryGetArray<byte>(block.Memory, out ArraySegment<byte> segment));
            arrays.Add(new WeakReference(segment.Array));
        }

        ReturnAll(blocks);
        return arrays;
    }
}
