using System.Net.Sockets;
using WsFast.Transport;

namespace WsFast.Tests.Transport;

public class SocketConnectionOutputTests
{
    [Fact]
    public async Task One_buffer_enqueued_to_50_connections_arrives_intact_and_returns_to_its_pool_once()
    {
        await using TransportTestServer server = TransportTestServer.StartManual();
        const int Connections = 50;
        var clients = new Socket[Connections];
        var connections = new SocketConnection[Connections];
        for (int i = 0; i < Connections; i++)
        {
            clients[i] = await server.ConnectAsync();
            connections[i] = await server.AcceptAsync();
        }

        byte[] message = SocketTestClient.RandomBytes(new Random(2), 200_000);
        SharedBuffer buffer = server.Buffers.Rent(message);
        long returnedBefore = server.Buffers.ReturnedCount;

        // One reference per connection: the renter's plus 49 more, handed out from several threads at once.
        for (int i = 1; i < Connections; i++)
        {
            buffer.AddReference();
        }

        await Task.WhenAll(connections.Select(c => Task.Run(() => Assert.True(c.Enqueue(buffer)))));

        byte[][] received = await Task.WhenAll(clients.Select(c => SocketTestClient.ReceiveExactlyAsync(c, message.Length)))
            .WaitAsync(TransportTestServer.Timeout);
        foreach (byte[] bytes in received)
        {
            Assert.Equal(message, bytes);
        }

        await WaitUntilAsync(() => server.Buffers.ReturnedCount == returnedBefore + 1);
        Assert.Equal(0, buffer.ReferenceCount);
        Assert.All(connections, c => Assert.Equal(0, c.QueuedBytes));

        foreach (SocketConnection connection in connections)
        {
            connection.Abort();
            await connection.Closed.WaitAsync(TransportTestServer.Timeout);
            connection.Dispose();
        }

        foreach (Socket client in clients)
        {
            client.Dispose();
        }

        Assert.Equal(returnedBefore + 1, server.Buffers.ReturnedCount);
        await server.AssertAllReturnedAsync();
    }

    [Fact]
    public async Task Buffers_still_queued_when_the_connection_aborts_are_released()
    {
        await using TransportTestServer server = TransportTestServer.StartManual();
        using Socket client = await server.ConnectAsync();
        SocketConnection connection = await server.AcceptAsync();

        // The client reads nothing, so once the kernel buffers are full the rest stays queued.
        await FillUntilQueuedAsync(connection, server.Buffers, 8 * 1024 * 1024);
        Assert.True(connection.QueuedCount > 0);

        connection.Abort();
        await connection.Closed.WaitAsync(TransportTestServer.Timeout);
        Assert.False(connection.Enqueue(server.Buffers.Rent(10)));
        Assert.False(await connection.OutputClosed);
        connection.Dispose();

        await server.AssertAllReturnedAsync();
    }

    [Fact]
    public async Task CompleteOutput_refuses_later_buffers_and_the_peer_reads_the_queued_bytes_then_EOF()
    {
        await using TransportTestServer server = TransportTestServer.StartManual();
        using Socket client = await server.ConnectAsync();
        SocketConnection connection = await server.AcceptAsync();

        byte[] first = SocketTestClient.RandomBytes(new Random(3), 100_000);
        byte[] second = SocketTestClient.RandomBytes(new Random(4), 50);
        Assert.True(connection.Enqueue(server.Buffers.Rent(first)));
        Assert.True(connection.Enqueue(server.Buffers.Rent(second)));
        connection.CompleteOutput();

        SharedBuffer late = server.Buffers.Rent(10);
        Assert.False(connection.Enqueue(late));
        Assert.Equal(0, late.ReferenceCount);

        byte[] received = await SocketTestClient.ReceiveToEndAsync(client).WaitAsync(TransportTestServer.Timeout);
        Assert.Equal([.. first, .. second], received);
        Assert.True(await connection.OutputClosed.WaitAsync(TransportTestServer.Timeout));

        // The receive side is still open until the peer closes its side.
        Assert.False(connection.Closed.IsCompleted);
        client.Shutdown(SocketShutdown.Send);
        await connection.Closed.WaitAsync(TransportTestServer.Timeout);
        connection.Dispose();

        await server.AssertAllReturnedAsync();
    }

    [Fact]
    public async Task WaitForDrainAsync_completes_when_the_queue_drains()
    {
        await using TransportTestServer server = TransportTestServer.StartManual();
        using Socket client = await server.ConnectAsync();
        SocketConnection connection = await server.AcceptAsync();

        long queued = await FillUntilQueuedAsync(connection, server.Buffers, 4 * 1024 * 1024);
        Assert.True(connection.WaitForDrainAsync(long.MaxValue).IsCompletedSuccessfully);

        Task drained = connection.WaitForDrainAsync(0).AsTask();
        await Task.Delay(50);
        Assert.False(drained.IsCompleted);
        Assert.Throws<InvalidOperationException>(() => connection.WaitForDrainAsync(0));

        // Read everything that was sent: the kernel buffers plus the queue.
        Task reading = ReadAndDiscardAsync(client);
        await drained.WaitAsync(TransportTestServer.Timeout);
        Assert.Equal(0, connection.QueuedBytes);
        Assert.Equal(0, connection.QueuedCount);

        connection.CompleteOutput();
        await reading.WaitAsync(TransportTestServer.Timeout);
        client.Shutdown(SocketShutdown.Send);
        await connection.Closed.WaitAsync(TransportTestServer.Timeout);
        connection.Dispose();
        Assert.True(queued > 0);
        await server.AssertAllReturnedAsync();
    }

    [Fact]
    public async Task WaitForDrainAsync_completes_when_the_connection_aborts()
    {
        await using TransportTestServer server = TransportTestServer.StartManual();
        using Socket client = await server.ConnectAsync();
        SocketConnection connection = await server.AcceptAsync();

        await FillUntilQueuedAsync(connection, server.Buffers, 4 * 1024 * 1024);
        Task drained = connection.WaitForDrainAsync(0).AsTask();
        Assert.False(drained.IsCompleted);

        connection.Abort();
        await drained.WaitAsync(TransportTestServer.Timeout);
        await connection.Closed.WaitAsync(TransportTestServer.Timeout);
        connection.Dispose();
        await server.AssertAllReturnedAsync();
    }

    // Enqueues 256 KiB buffers until at least `target` bytes stay queued behind the kernel's socket buffers.
    internal static async Task<long> FillUntilQueuedAsync(SocketConnection connection, SharedBufferPool buffers, long target)
    {
        DateTime deadline = DateTime.UtcNow + TransportTestServer.Timeout;
        while (connection.QueuedBytes < target)
        {
            Assert.True(DateTime.UtcNow < deadline, "the queue never filled");
            SharedBuffer buffer = buffers.Rent(256 * 1024);
            buffer.Length = buffer.Capacity;
            Assert.True(connection.Enqueue(buffer));
            if (connection.QueuedBytes < target)
            {
                await Task.Delay(1);
            }
        }

        return connection.QueuedBytes;
    }

    private static async Task ReadAndDiscardAsync(Socket client) => await SocketTestClient.ReceiveToEndAsync(client);

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
