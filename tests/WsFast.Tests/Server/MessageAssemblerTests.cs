using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using WsFast.Server;

namespace WsFast.Tests.Server;

/// <summary>How <see cref="MessageAssembler"/> joins fragments, and what it keeps once a message is done.</summary>
public class MessageAssemblerTests
{
    [Fact]
    public void Pieces_are_joined_in_order_and_Reset_starts_the_next_message()
    {
        var assembler = new MessageAssembler();
        assembler.Append(new ReadOnlySequence<byte>("frag"u8.ToArray()));
        assembler.Append(ReadOnlySequence<byte>.Empty);
        assembler.Append(new ReadOnlySequence<byte>("ments"u8.ToArray()));
        Assert.Equal("fragments"u8.ToArray(), assembler.Message.ToArray());

        assembler.Reset();
        assembler.Append(new ReadOnlySequence<byte>("next"u8.ToArray()));
        Assert.Equal("next"u8.ToArray(), assembler.Message.ToArray());
        assembler.Release();
        Assert.Equal(0, assembler.HeldBytes);
    }

    [Fact]
    public void The_buffers_of_large_messages_are_left_to_the_GC_once_released_not_kept_in_a_pool()
    {
        // Kept in a pool, the buffers of a burst of large messages (one per connection) would stay in memory
        // long after the burst, unseen by the memory budget. Whatever the pool holds from earlier tests, the
        // shared array pool keeps at least the last array returned on a thread, so a pooled buffer stays alive.
        const int Messages = 4;
        const int Size = 4 * 1024 * 1024;
        var assemblers = new MessageAssembler[Messages];
        var buffers = new WeakReference[Messages];
        for (int i = 0; i < Messages; i++)
        {
            for (int appended = 0; appended < Size; appended += 64 * 1024)
            {
                assemblers[i].Append(new ReadOnlySequence<byte>(new byte[64 * 1024]));
            }

            Assert.Equal(Size, assemblers[i].HeldBytes);
            buffers[i] = BufferOf(assemblers[i]);
        }

        for (int i = 0; i < Messages; i++)
        {
            assemblers[i].Release();
        }

        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        Assert.All(buffers, buffer => Assert.False(buffer.IsAlive, "A released 4 MiB message buffer is still reachable."));
    }

    // In a method of its own, so that no local of the test keeps the array alive.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference BufferOf(in MessageAssembler assembler)
    {
        Assert.True(MemoryMarshal.TryGetArray(assembler.Message.First, out ArraySegment<byte> segment));
        return new WeakReference(segment.Array);
    }
}
