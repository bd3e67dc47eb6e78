using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using WsFast.Transport;

namespace WsFast.Tests.Transport;

/// <summary>
/// A pooled connection object serves one client after another. A lease names the client it was taken for, so
/// code that kept a lease past its client's end (a timer, a broadcast walking an old list) reaches nothing,
/// never the next client of the same object.
/// </summary>
public class SocketConnectionReuseTests
{
    private const byte Filler = 0x42;
    private const byte Stale = 0xEE;

    [Fact]
    public async Task A_lease_of_a_client_that_ended_reaches_nothing_of_the_next_client_on_the_same_object()
    {
        await using TransportTestServer server = TransportTestServer.StartManual();
        SocketConnectionPool pool = server.Listener.Pool;

        // Client A comes and goes; its owner keeps a lease, as a late timer or broadcast would.
        SocketConnection a;
        TransportLease staleLease;
        using (Socket clientA = await server.ConnectAsync())
        {
            a = await server.AcceptAsync();
            staleLease = a.Lease();
            clientA.Shutdown(SocketShutdown.Send);
            await ReadToEndAsync(staleLease.Input);
            staleLease.CompleteOutput();
            Assert.Equal(0, await clientA.ReceiveAsync(new byte[1], SocketFlags.None).WaitAsync(TransportTestServer.Timeout));
            await staleLease.Closed.WaitAsync(TransportTestServer.Timeout);
            staleLease.Dispose();
        }

        await WaitUntilAsync(() => pool.ReturnedCount == 1);

        // Client B gets the same object: the pool hands back the one returned last.
        using Socket clientB = await server.ConnectAsync();
        SocketConnection b = await server.AcceptAsync();
        Assert.Same(a, b);
        TransportLease lease = b.Lease();
        Assert.NotEqual(staleLease.Id, lease.Id);
        Assert.False(staleLease.IsCurrent);
        Assert.True(lease.IsCurrent);

        // B has output waiting that its client does not read yet, so that a drain wait would have to wait.
        long filled = await FillAsync(lease, server.Buffers, 2 * 1024 * 1024);
        long queued = lease.QueuedBytes;
        Assert.True(queued > 0);

        // Every call through A's lease is refused or completes at once, and takes nothing from B.
        SharedBuffer enqueued = StaleBytes(server.Buffers);
        Assert.False(staleLease.Enqueue(enqueued));
        Assert.Equal(0, enqueued.ReferenceCount);
        SharedBuffer last = StaleBytes(server.Buffers);
        Assert.False(staleLease.EnqueueLast(last));
        Assert.Equal(0, last.ReferenceCount);
        staleLease.CompleteOutput();
        staleLease.Abort();
        ValueTask drain = staleLease.WaitForDrainAsync(0, 0);
        Assert.True(drain.IsCompleted, "A stale drain wait waited on the next client's queue.");
        await drain;
        staleLease.Dispose();
        Assert.Equal((0L, 0, 0L), (staleLease.QueuedBytes, staleLease.QueuedCount, staleLease.StalledFor(Environment.TickCount64 + 60_000)));
        Assert.Null(staleLease.RemoteEndPoint);

        // B is untouched: still open, its queue whole, its own drain wait free to be taken, its object still out.
        Assert.True(lease.QueuedBytes > 0);
        Assert.Equal(1, pool.InUse);
        Assert.False(b.Closed.IsCompleted);
        Task drained = lease.WaitForDrainAsync(0, 0).AsTask();

        // B's client reads: exactly what was queued for B, then B's own echo, then (after B's owner ends it) EOF.
        byte[] received = await SocketTestClient.ReceiveExactlyAsync(clientB, (int)filled).WaitAsync(TransportTestServer.Timeout);
        Assert.True(received.AsSpan().IndexOfAnyExcept(Filler) < 0, "B received bytes that were not queued for it.");
        await drained.WaitAsync(TransportTestServer.Timeout);

        byte[] hello = "hello from B"u8.ToArray();
        await clientB.SendAsync(hello, SocketFlags.None);
        byte[] echoed = await EchoOnceAsync(lease, server.Buffers, hello.Length);
        Assert.Equal(hello, echoed);
        Assert.Equal(hello, await SocketTestClient.ReceiveExactlyAsync(clientB, hello.Length).WaitAsync(TransportTestServer.Timeout));

        clientB.Shutdown(SocketShutdown.Send);
        await ReadToEndAsync(lease.Input);
        lease.CompleteOutput();
        Assert.Empty(await SocketTestClient.ReceiveToEndAsync(clientB).WaitAsync(TransportTestServer.Timeout));
        await lease.Closed.WaitAsync(TransportTestServer.Timeout);
        lease.Dispose();
        await server.AssertAllReturnedAsync();
        Assert.Equal(2, pool.ReturnedCount);
    }

    private static SharedBuffer StaleBytes(SharedBufferPool buffers)
    {
        SharedBuffer buffer = buffers.Rent(1000);
        buffer.Span[..1000].Fill(Stale);
        buffer.Length = 1000;
        return buffer;
    }

    // Queues buffers of filler through the lease until at least `target` bytes wait unsent; returns the bytes queued.
    private static async Task<long> FillAsync(TransportLease lease, SharedBufferPool buffers, long target)
    {
        long total = 0;
        DateTime deadline = DateTime.UtcNow + TransportTestServer.Timeout;
        while (lease.QueuedBytes < target)
        {
            Assert.True(DateTime.UtcNow < deadline, "the queue never filled");
            SharedBuffer buffer = buffers.Rent(256 * 1024);
            buffer.Span.Fill(Filler);
            buffer.Length = buffer.Capacity;
            Assert.True(lease.Enqueue(buffer));
            total += buffer.Capacity;
            await Task.Delay(1);
        }

        return total;
    }

    private static async Task<byte[]> EchoOnceAsync(TransportLease lease, SharedBufferPool buffers, int length)
    {
        PipeReader input = lease.Input;
        while (true)
        {
            ReadResult result = await input.ReadAsync().AsTask().WaitAsync(TransportTestServer.Timeout);
            if (result.Buffer.Length >= length)
            {
                byte[] bytes = result.Buffer.Slice(0, length).ToArray();
                input.AdvanceTo(result.Buffer.GetPosition(length));
                Assert.True(lease.Enqueue(buffers.Rent(bytes)));
                return bytes;
            }

            Assert.False(result.IsCompleted, "the client left before its message was whole");
            input.AdvanceTo(result.Buffer.Start, result.Buffer.End);
        }
    }

    private static async Task ReadToEndAsync(PipeReader input)
    {
        while (true)
        {
            ReadResult result = await input.ReadAsync().AsTask().WaitAsync(TransportTestServer.Timeout);
            input.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                break;
            }
        }

        await input.CompleteAsync();
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        DateTime deadline = DateTime.UtcNow + TransportTestServer.Timeout;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out");
            await Task.Delay(10);
        }
    }
}
