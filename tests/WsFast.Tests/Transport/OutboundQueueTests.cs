using System.Net.Sockets;
using WsFast.Transport;

namespace WsFast.Tests.Transport;

/// <summary>
/// The outbound queue: entries a send covers (<see cref="OutboundQueue.InFlight"/>) and a partly sent first
/// entry are untouchable; what waits behind them may be replaced (the one replaceable entry, a pong) or dropped.
/// </summary>
public class OutboundQueueTests
{
    private readonly SharedBufferPool _buffers = new();

    [Fact]
    public void TryReplace_puts_the_new_bytes_in_place_of_the_waiting_replaceable_entry_and_hands_back_the_old_buffer()
    {
        var queue = new OutboundQueue();
        SharedBuffer data = Buffer(100);
        SharedBuffer oldPong = Buffer(10);
        SharedBuffer newPong = Buffer(12);
        queue.Enqueue(data, 0, 100);
        queue.Enqueue(oldPong, 0, 10, replaceable: true);

        SharedBuffer? replaced = queue.TryReplace(newPong, 0, 12);

        Assert.Same(oldPong, replaced);
        Assert.Equal((2, 112L), (queue.Count, queue.Bytes));
        Assert.Same(newPong.Array, queue.Peek(1).Array);
        Assert.Equal(12, queue.Peek(1).Count);

        // The queue no longer holds the old pong: its reference is the caller's to release, and that is the last.
        replaced!.Release();
        Assert.Equal(0, oldPong.ReferenceCount);
        queue.Clear();
        Assert.Equal(0, _buffers.InUse);
    }

    [Fact]
    public void Pong_after_pong_replaced_while_waiting_keeps_one_in_the_queue_and_releases_the_others()
    {
        var queue = new OutboundQueue();
        queue.Enqueue(Buffer(100), 0, 100);
        queue.InFlight = 1;   // the data entry is being sent: the pongs wait behind it
        SharedBuffer[] pongs = [Buffer(10), Buffer(10), Buffer(10)];
        queue.Enqueue(pongs[0], 0, 10, replaceable: true);

        foreach (SharedBuffer pong in pongs[1..])
        {
            queue.TryReplace(pong, 0, 10)!.Release();
        }

        Assert.Equal((2, 110L), (queue.Count, queue.Bytes));
        Assert.Equal([0, 0, 1], pongs.Select(p => p.ReferenceCount));
        queue.Clear();
        Assert.Equal(0, _buffers.InUse);
    }

    [Fact]
    public void TryReplace_leaves_a_replaceable_entry_that_a_send_under_way_covers()
    {
        var queue = new OutboundQueue();
        SharedBuffer pong = Buffer(10);
        queue.Enqueue(pong, 0, 10, replaceable: true);
        queue.InFlight = 1;

        SharedBuffer newer = Buffer(10);
        Assert.Null(queue.TryReplace(newer, 0, 10));

        Assert.Equal((1, 10L), (queue.Count, queue.Bytes));
        Assert.Same(pong.Array, queue.Peek(0).Array);
        Assert.Equal(1, pong.ReferenceCount);
        newer.Release();
        queue.Clear();
        Assert.Equal(0, _buffers.InUse);
    }

    [Fact]
    public void TryReplace_leaves_a_replaceable_entry_that_is_partly_sent()
    {
        var queue = new OutboundQueue();
        SharedBuffer pong = Buffer(10);
        queue.Enqueue(pong, 0, 10, replaceable: true);
        queue.Consume(4);   // the send completed with 4 of its 10 bytes: the rest must follow as they are
        Assert.Equal(0, queue.InFlight);

        SharedBuffer newer = Buffer(10);
        Assert.Null(queue.TryReplace(newer, 0, 10));

        Assert.Equal((1, 6L), (queue.Count, queue.Bytes));
        Assert.Equal(6, queue.Peek(0).Count);
        Assert.Same(pong.Array, queue.Peek(0).Array);
        newer.Release();
        queue.Clear();
        Assert.Equal(0, _buffers.InUse);
    }

    [Fact]
    public void DropUnsent_keeps_the_entries_a_send_covers_and_releases_the_rest()
    {
        var queue = new OutboundQueue();
        SharedBuffer[] entries = [Buffer(100), Buffer(200), Buffer(300), Buffer(400)];
        foreach (SharedBuffer entry in entries)
        {
            queue.Enqueue(entry, 0, entry.Length);
        }

        queue.InFlight = 2;
        queue.DropUnsent();

        Assert.Equal((2, 300L), (queue.Count, queue.Bytes));
        Assert.Equal([1, 1, 0, 0], entries.Select(e => e.ReferenceCount));

        // The send completes: what it covered goes, and the queue is empty and consistent.
        queue.InFlight = 0;
        queue.Consume(300);
        Assert.Equal((0, 0L), (queue.Count, queue.Bytes));
        Assert.Equal(0, _buffers.InUse);
    }

    [Fact]
    public void DropUnsent_keeps_a_partly_sent_first_entry_and_releases_the_rest()
    {
        var queue = new OutboundQueue();
        SharedBuffer[] entries = [Buffer(100), Buffer(200), Buffer(300)];
        foreach (SharedBuffer entry in entries)
        {
            queue.Enqueue(entry, 0, entry.Length);
        }

        queue.Consume(30);   // no send under way, but the first frame is a third out: cutting it would break the stream
        queue.DropUnsent();

        Assert.Equal((1, 70L), (queue.Count, queue.Bytes));
        Assert.Equal([1, 0, 0], entries.Select(e => e.ReferenceCount));
        Assert.Equal(70, queue.Peek(0).Count);
        queue.Consume(70);
        Assert.Equal((0, 0L), (queue.Count, queue.Bytes));
        Assert.Equal(0, _buffers.InUse);
    }

    [Fact]
    public void DropUnsent_with_nothing_under_way_releases_everything()
    {
        var queue = new OutboundQueue();
        SharedBuffer[] entries = [Buffer(100), Buffer(200)];
        foreach (SharedBuffer entry in entries)
        {
            queue.Enqueue(entry, 0, entry.Length);
        }

        queue.DropUnsent();

        Assert.Equal((0, 0L), (queue.Count, queue.Bytes));
        Assert.Equal(0, _buffers.InUse);
    }

    [Fact]
    public void A_dropped_replaceable_entry_is_no_longer_replaceable_and_the_entry_queued_in_its_place_is_not_replaced()
    {
        var queue = new OutboundQueue();
        SharedBuffer head = Buffer(100);
        SharedBuffer pong = Buffer(10);
        queue.Enqueue(head, 0, 100);
        queue.InFlight = 1;
        queue.Enqueue(pong, 0, 10, replaceable: true);

        queue.DropUnsent();
        Assert.Equal(0, pong.ReferenceCount);

        // A close frame now sits where the pong was: a later pong must go after it, never in its place.
        SharedBuffer close = Buffer(20);
        queue.Enqueue(close, 0, 20);
        SharedBuffer laterPong = Buffer(10);
        Assert.Null(queue.TryReplace(laterPong, 0, 10));

        Assert.Equal((2, 120L), (queue.Count, queue.Bytes));
        Assert.Same(close.Array, queue.Peek(1).Array);
        laterPong.Release();
        queue.Clear();
        Assert.Equal(0, _buffers.InUse);
    }

    [Fact]
    public void A_sent_replaceable_entry_is_no_longer_replaceable_and_the_entry_queued_after_it_is_not_replaced()
    {
        var queue = new OutboundQueue();
        SharedBuffer pong = Buffer(10);
        queue.Enqueue(pong, 0, 10, replaceable: true);
        queue.InFlight = 1;
        queue.InFlight = 0;
        queue.Consume(10);
        Assert.Equal(0, pong.ReferenceCount);

        SharedBuffer data = Buffer(50);
        queue.Enqueue(data, 0, 50);
        SharedBuffer laterPong = Buffer(10);
        Assert.Null(queue.TryReplace(laterPong, 0, 10));

        Assert.Equal((1, 50L), (queue.Count, queue.Bytes));
        Assert.Same(data.Array, queue.Peek(0).Array);
        laterPong.Release();
        queue.Clear();
        Assert.Equal(0, _buffers.InUse);
    }

    [Fact]
    public void The_replaceable_entry_keeps_its_identity_while_the_entries_before_it_are_sent()
    {
        var queue = new OutboundQueue();
        queue.Enqueue(Buffer(100), 0, 100);
        queue.Enqueue(Buffer(100), 0, 100);
        SharedBuffer pong = Buffer(10);
        queue.Enqueue(pong, 0, 10, replaceable: true);
        queue.Enqueue(Buffer(100), 0, 100);

        queue.Consume(200);   // the two entries before the pong go; the pong is now the head, not yet sent

        SharedBuffer newer = Buffer(12);
        Assert.Same(pong, queue.TryReplace(newer, 0, 12));
        pong.Release();
        Assert.Equal((2, 112L), (queue.Count, queue.Bytes));
        Assert.Same(newer.Array, queue.Peek(0).Array);
        queue.Clear();
        Assert.Equal(0, _buffers.InUse);
    }

    /// <summary>
    /// Through a real connection whose peer does not read: a pong that waits is replaced by the next one, which
    /// releases it, so a ping flood holds one pong in the queue, not one per ping.
    /// </summary>
    [Fact]
    public async Task On_a_connection_whose_peer_does_not_read_each_new_pong_replaces_the_waiting_one_and_releases_it()
    {
        await using TransportTestServer server = TransportTestServer.StartManual();
        using Socket client = await server.ConnectAsync();
        SocketConnection connection = await server.AcceptAsync();
        await SocketConnectionOutputTests.FillUntilQueuedAsync(connection, server.Buffers, 4 * 1024 * 1024);

        // Megabytes wait ahead of the pongs, and the peer reads none of them: every pong waits. (A released pong
        // goes back to the pool, and the next one may be the same object: the pool's count tells what is held.)
        long inUse = server.Buffers.InUse;
        int countWithOnePong = 0;
        SharedBuffer? pong = null;
        for (int i = 0; i < 100; i++)
        {
            pong = server.Buffers.Rent(10);
            pong.Length = 10;
            Assert.True(connection.Lease().EnqueueReplaceable(pong));
            countWithOnePong = i == 0 ? connection.QueuedCount : countWithOnePong;
            Assert.Equal(inUse + 1, server.Buffers.InUse);
        }

        Assert.True(connection.QueuedCount <= countWithOnePong, $"{connection.QueuedCount} entries queued after 100 pongs, {countWithOnePong} after the first.");
        Assert.Equal(1, pong!.ReferenceCount);

        connection.Abort();
        await connection.Closed.WaitAsync(TransportTestServer.Timeout);
        connection.Dispose();
        await server.AssertAllReturnedAsync();
    }

    private SharedBuffer Buffer(int length)
    {
        SharedBuffer buffer = _buffers.Rent(length);
        buffer.Length = length;
        return buffer;
    }
}
