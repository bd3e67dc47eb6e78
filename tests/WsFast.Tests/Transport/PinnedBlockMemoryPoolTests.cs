using System.Buffers;
using WsFast.Transport;

namespace WsFast.Tests.Transport;

public class PinnedBlockMemoryPoolTests
{
    [Fact]
    public void Reuses_returned_blocks_and_counts_what_is_out()
    {
        using var pool = new PinnedBlockMemoryPool();
        IMemoryOwner<byte> block = pool.Rent();
        Assert.Equal(PinnedBlockMemoryPool.BlockSize, block.Memory.Length);
        Assert.Equal(1, pool.InUse);
        int created = pool.BlockCount;

        block.Dispose();
        Assert.Equal(0, pool.InUse);
        Assert.Throws<InvalidOperationException>(block.Dispose);
        Assert.Equal(0, pool.InUse);

        var blocks = Enumerable.Range(0, created).Select(_ => pool.Rent()).ToList();
        Assert.Equal(created, pool.BlockCount);
        blocks.ForEach(b => b.Dispose());
        Assert.Equal(0, pool.InUse);
    }

    [Fact]
    public void Refuses_sizes_above_a_block()
        => Assert.Throws<ArgumentOutOfRangeException>(() => new PinnedBlockMemoryPool().Rent(PinnedBlockMemoryPool.BlockSize + 1));
}
