using System.Runtime.CompilerServices;
using WsFast.Transport;

namespace WsFast.Tests.Transport;

public class SharedBufferPoolTests
{
    // What a class keeps however quiet it gets: up to 4 buffers within 64 KiB.
    private const int SmallFloor = 4;
    [Fact]
    public void Double_release_throws_and_leaves_the_pool_intact()
    {
        var pool = new SharedBufferPool();
        SharedBuffer buffer = pool.Rent(100);
        buffer.Release();
        Assert.Throws<InvalidOperationException>(buffer.Release);
        Assert.Throws<InvalidOperationException>(buffer.AddReference);
        Assert.Equal(0, pool.InUse);

        // The buffer is handed out once, not twice.
        SharedBuffer first = pool.Rent(100);
        SharedBuffer second = pool.Rent(100);
        Assert.Same(buffer, first);
        Assert.NotSame(first, second);
    }

    [Fact]
    public void The_last_reference_returns_the_buffer()
    {
        var pool = new SharedBufferPool();
        SharedBuffer buffer = pool.Rent(10);
        buffer.AddReference();
        buffer.AddReference();
        buffer.Release();
        buffer.Release();
        Assert.Equal(1, pool.InUse);
        buffer.Release();
        Assert.Equal(0, pool.InUse);
        Assert.Equal(1, pool.ReturnedCount);
    }

    [Theory]
    [InlineData(0, 64)]
    [InlineData(64, 64)]
    [InlineData(65, 128)]
    [InlineData(4096, 4096)]
    [InlineData(1024 * 1024, 1024 * 1024)]
    [InlineData(1024 * 1024 + 1, 1024 * 1024 + 1)]
    public void Rents_by_size_class(int size, int capacity)
    {
        var pool = new SharedBufferPool();
        SharedBuffer buffer = pool.Rent(size);
        Assert.Equal(capacity, buffer.Capacity);
        Assert.Equal(0, buffer.Length);
        Assert.Equal(1, buffer.ReferenceCount);
        Assert.Throws<ArgumentOutOfRangeException>(() => buffer.Length = capacity + 1);
        buffer.Release();
    }

    [Fact]
    public void Concurrent_references_and_releases_return_the_buffer_exactly_once()
    {
        var pool = new SharedBufferPool();
        for (int round = 0; round < 100; round++)
        {
            SharedBuffer buffer = pool.Rent(32);
            for (int i = 1; i < 64; i++)
            {
                buffer.AddReference();
            }

            Parallel.For(0, 64, _ => buffer.Release());
            Assert.Equal(0, buffer.ReferenceCount);
        }

        Assert.Equal(0, pool.InUse);
        Assert.Equal(100, pool.ReturnedCount);
    }

    [Fact]
    public void A_burst_of_1000_buffers_released_is_trimmed_until_only_the_floor_remains_idle()
    {
        var pool = new SharedBufferPool();
        ReleaseAll(RentMany(pool, 1000, 4096));
        Assert.Equal(1000, pool.Idle);
        Assert.Equal(1000 * 4096, pool.RetainedBytes);

        // The period that saw the burst needed every buffer: nothing goes yet.
        pool.Trim();
        Assert.Equal(1000, pool.Idle);

        // Then a quarter of what is beyond the floor goes per trim, never more.
        int trims = 0;
        while (pool.Idle > SmallFloor)
        {
            long before = pool.Idle;
            pool.Trim();
            trims++;
            Assert.InRange(before - pool.Idle, 1, (before - SmallFloor + 3) / 4);
            Assert.True(trims <= 30, $"still {pool.Idle} idle buffers after {trims} trims");
        }

        Assert.Equal(SmallFloor, pool.Idle);
        Assert.Equal(SmallFloor * 4096, pool.RetainedBytes);
        Assert.Equal(0, pool.InUse);
        pool.Trim();
        Assert.Equal(SmallFloor, pool.Idle);
    }

    [Fact]
    public void A_steady_load_that_rents_and_releases_every_period_keeps_its_buffers()
    {
        var pool = new SharedBufferPool();

        // 100 buffers held throughout (queued on slow connections), and in two size classes 200 and 20 more
        // rented and released within every period.
        List<SharedBuffer> held = RentMany(pool, 100, 1000);
        HashSet<SharedBuffer>? firstPeriod = null;
        for (int period = 0; period < 50; period++)
        {
            List<SharedBuffer> small = RentMany(pool, 200, 1000);
            List<SharedBuffer> large = RentMany(pool, 20, 100_000);

            // The same buffers every period: none was dropped and allocated again.
            var these = new HashSet<SharedBuffer>(small.Concat(large), ReferenceEqualityComparer.Instance);
            firstPeriod ??= these;
            Assert.True(firstPeriod.SetEquals(these), $"period {period} allocated new buffers");

            ReleaseAll(small);
            ReleaseAll(large);
            pool.Trim();
            Assert.Equal(220, pool.Idle);
            Assert.Equal(200 * 1024 + 20 * 128 * 1024, pool.RetainedBytes);
        }

        ReleaseAll(held);
    }

    [Fact]
    public void Trimming_never_touches_buffers_in_use()
    {
        var pool = new SharedBufferPool();
        List<SharedBuffer> held = RentMany(pool, 500, 2000);
        for (int i = 0; i < held.Count; i++)
        {
            held[i].Span.Fill((byte)i);
        }

        for (int trim = 0; trim < 40; trim++)
        {
            pool.Trim();
        }

        Assert.Equal(500, pool.InUse);
        Assert.Equal(0, pool.Idle);
        Assert.Equal(0, pool.RetainedBytes);
        for (int i = 0; i < held.Count; i++)
        {
            Assert.Equal(1, held[i].ReferenceCount);
            Assert.True(held[i].Span.IndexOfAnyExcept((byte)i) < 0, $"buffer {i} was overwritten");
        }

        // Released later, they are kept for reuse, then trimmed like any idle buffer.
        ReleaseAll(held);
        Assert.Equal(500, pool.Idle);
        for (int trim = 0; trim < 40; trim++)
        {
            pool.Trim();
        }

        Assert.Equal(SmallFloor, pool.Idle);
    }

    [Fact]
    public void Buffers_released_by_trimming_are_left_to_the_garbage_collector()
    {
        var pool = new SharedBufferPool();
        List<WeakReference> buffers = BurstAndTrackBuffers(pool, 200, 4096);
        for (int trim = 0; trim < 40; trim++)
        {
            pool.Trim();
        }

        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        Assert.Equal(SmallFloor, buffers.Count(b => b.IsAlive));
    }

    [Fact]
    public void The_floor_keeps_a_few_small_buffers_and_no_large_ones()
    {
        var pool = new SharedBufferPool();
        ReleaseAll(RentMany(pool, 10, 64));
        ReleaseAll(RentMany(pool, 4, 32 * 1024));
        ReleaseAll(RentMany(pool, 4, 1024 * 1024));
        for (int trim = 0; trim < 40; trim++)
        {
            pool.Trim();
        }

        // 4 of 64 bytes, 2 of 32 KiB (64 KiB per class at most), no 1 MiB buffer.
        Assert.Equal(6, pool.Idle);
        Assert.Equal(4 * 64 + 2 * 32 * 1024, pool.RetainedBytes);
    }

    [Fact]
    public void Buffers_above_1_MiB_are_never_kept()
    {
        var pool = new SharedBufferPool();
        SharedBuffer large = pool.Rent(SharedBufferPool.MaximumPooledSize + 1);
        large.Release();
        Assert.Equal(0, pool.Idle);
        Assert.Equal(0, pool.RetainedBytes);
        Assert.NotSame(large, pool.Rent(SharedBufferPool.MaximumPooledSize + 1));
    }

    [Fact]
    public void Renting_and_releasing_idle_buffers_allocates_nothing()
    {
        var pool = new SharedBufferPool();
        ReleaseAll(RentMany(pool, 100, 512));
        pool.Rent("hello"u8).Release();

        Assert.Equal(0, FewestBytesAllocatedByARound(() =>
        {
            for (int i = 0; i < 10_000; i++)
            {
                pool.Rent(512).Release();
                pool.Rent("hello"u8).Release();
            }
        }));
    }

    [Fact]
    public void Concurrent_rent_release_and_trim_keep_the_counts_consistent()
    {
        var pool = new SharedBufferPool();
        int[] sizes = [64, 1000, 4096, 16_000];
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
            var mine = new List<SharedBuffer>();
            var random = new Random(worker);
            for (int round = 0; round < 5_000; round++)
            {
                for (int i = random.Next(1, 16); i > 0; i--)
                {
                    SharedBuffer buffer = pool.Rent(sizes[random.Next(sizes.Length)]);
                    buffer.Span.Fill((byte)worker);
                    mine.Add(buffer);
                }

                // A buffer handed out to two renters at once would show the other one's bytes.
                foreach (SharedBuffer buffer in mine)
                {
                    if (buffer.Span.IndexOfAnyExcept((byte)worker) >= 0)
                    {
                        Interlocked.Increment(ref corrupted);
                    }
                }

                ReleaseAll(mine);
                mine.Clear();
            }
        });
        Volatile.Write(ref done, true);
        trimmer.Join();

        Assert.True(trims > 0);
        Assert.Equal(0, corrupted);
        Assert.Equal(0, pool.InUse);
        Assert.Equal(pool.RentedCount, pool.ReturnedCount);

        // Quiet again (and every class used at least up to its floor), trims bring every class down to its floor
        // exactly.
        foreach (int size in sizes)
        {
            ReleaseAll(RentMany(pool, SmallFloor, size));
        }

        for (int trim = 0; trim < 40; trim++)
        {
            pool.Trim();
        }

        Assert.Equal(4 * SmallFloor, pool.Idle);
        Assert.Equal(SmallFloor * (64 + 1024 + 4096 + 16 * 1024), pool.RetainedBytes);
    }

    private static List<SharedBuffer> RentMany(SharedBufferPool pool, int count, int size)
        => Enumerable.Range(0, count).Select(_ => pool.Rent(size)).ToList();

    private static void ReleaseAll(List<SharedBuffer> buffers) => buffers.ForEach(b => b.Release());

    // Not inlined, so that no reference to a buffer outlives the call in the test's frame.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static List<WeakReference> BurstAndTrackBuffers(SharedBufferPool pool, int count, int size)
    {
        List<SharedBuffer> buffers = RentMany(pool, count, size);
        List<WeakReference> tracked = buffers.Select(b => new WeakReference(b)).ToList();
        ReleaseAll(buffers);
        return tracked;
    }

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
}
