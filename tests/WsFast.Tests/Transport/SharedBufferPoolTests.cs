using WsFast.Transport;

namespace WsFast.Tests.Transport;

public class SharedBufferPoolTests
{
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
}
