using System.IO.Pipelines;
using System.Net.Sockets;
using WsFast.Transport;

namespace WsFast.Tests.Transport;

public class SocketConnectionCloseTests
{
    [Fact]
    public async Task A_peer_that_resets_mid_stream_ends_the_connection_and_everything_returns_to_the_pools()
    {
        await using TransportTestServer server = TransportTestServer.StartManual();
        Socket client = await server.ConnectAsync();
        SocketConnection connection = await server.AcceptAsync();

        await client.SendAsync(new byte[1000], SocketFlags.None);
        ReadResult first = await connection.Input.ReadAsync().AsTask().WaitAsync(TransportTestServer.Timeout);
        Assert.False(first.Buffer.IsEmpty);
        connection.Input.AdvanceTo(first.Buffer.Start, first.Buffer.End);   // keep the bytes unconsumed

        // Queue more than the kernel takes, so that buffers are still queued when the reset arrives.
        await SocketConnectionOutputTests.FillUntilQueuedAsync(connection, server.Buffers, 1024 * 1024);

        client.LingerState = new LingerOption(true, 0);
        client.Dispose();   // sends RST

        await connection.Closed.WaitAsync(TransportTestServer.Timeout);
        Assert.False(await connection.OutputClosed);
        Assert.False(connection.Enqueue(server.Buffers.Rent(1)));

        // Linux reports a reset once, to whichever of the two loops' system calls asks first: when the send takes
        // it and the receive loop reads the end of the stream before the send loop's continuation has recorded
        // it, the input completes as after a FIN. Either way the input ends, and no bytes come after the reset.
        bool ended = false;
        try
        {
            while (!ended)
            {
                ReadResult result = await connection.Input.ReadAsync().AsTask().WaitAsync(TransportTestServer.Timeout);
                connection.Input.AdvanceTo(result.Buffer.End);
                ended = result.IsCompleted;
            }
        }
        catch (SocketException e)
        {
            Assert.Equal(SocketError.ConnectionReset, e.SocketErrorCode);
            ended = true;
        }

        Assert.True(ended);

        connection.Dispose();
        await server.AssertAllReturnedAsync();
    }

    [Fact]
    public async Task A_clean_FIN_completes_the_input_without_an_exception()
    {
        await using TransportTestServer server = TransportTestServer.StartManual();
        using Socket client = await server.ConnectAsync();
        SocketConnection connection = await server.AcceptAsync();

        await client.SendAsync(new byte[] { 1, 2, 3 }, SocketFlags.None);
        client.Shutdown(SocketShutdown.Send);

        long total = 0;
        while (true)
        {
            ReadResult result = await connection.Input.ReadAsync().AsTask().WaitAsync(TransportTestServer.Timeout);
            total += result.Buffer.Length;
            connection.Input.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                break;
            }
        }

        Assert.Equal(3, total);
        await connection.Input.CompleteAsync();
        connection.CompleteOutput();
        Assert.Equal(0, await client.ReceiveAsync(new byte[1], SocketFlags.None).WaitAsync(TransportTestServer.Timeout));
        await connection.Closed.WaitAsync(TransportTestServer.Timeout);
        connection.Dispose();
        await server.AssertAllReturnedAsync();
    }

    [Fact]
    public async Task After_our_FIN_data_still_arriving_is_discarded_and_the_peer_reads_everything_before_EOF()
    {
        await using TransportTestServer server = TransportTestServer.StartManual();
        using Socket client = await server.ConnectAsync();
        SocketConnection connection = await server.AcceptAsync();

        // The server stops reading and says goodbye while the client keeps sending: the goodbye must arrive
        // intact, followed by EOF, not destroyed by a reset because of the unread bytes.
        await connection.Input.CompleteAsync();
        byte[] goodbye = SocketTestClient.RandomBytes(new Random(5), 64 * 1024);
        Assert.True(connection.Enqueue(server.Buffers.Rent(goodbye)));
        connection.CompleteOutput();

        byte[] junk = new byte[16 * 1024];
        for (int i = 0; i < 64; i++)
        {
            await client.SendAsync(junk, SocketFlags.None).WaitAsync(TransportTestServer.Timeout);
        }

        byte[] received = await SocketTestClient.ReceiveToEndAsync(client).WaitAsync(TransportTestServer.Timeout);
        Assert.Equal(goodbye, received);

        client.Shutdown(SocketShutdown.Send);
        await connection.Closed.WaitAsync(TransportTestServer.Timeout);
        connection.Dispose();
        await server.AssertAllReturnedAsync();
    }

    [Fact]
    public async Task The_linger_timeout_closes_a_peer_that_never_closes()
    {
        var options = new SocketTransportOptions { LingerTimeout = TimeSpan.FromMilliseconds(200) };
        await using TransportTestServer server = TransportTestServer.StartManual(options: options);
        using Socket client = await server.ConnectAsync();
        SocketConnection connection = await server.AcceptAsync();

        connection.CompleteOutput();
        Assert.True(await connection.OutputClosed.WaitAsync(TransportTestServer.Timeout));
        await connection.Closed.WaitAsync(TransportTestServer.Timeout);
        connection.Dispose();
        await server.AssertAllReturnedAsync();
    }

    [Fact]
    public async Task Disposing_before_closed_aborts_and_returns_the_connection_exactly_once()
    {
        await using TransportTestServer server = TransportTestServer.StartManual();
        using Socket client = await server.ConnectAsync();
        SocketConnection connection = await server.AcceptAsync();
        Assert.True(connection.Enqueue(server.Buffers.Rent(100)));

        connection.Dispose();
        connection.Dispose();
        await connection.Closed.WaitAsync(TransportTestServer.Timeout);

        await server.AssertAllReturnedAsync();
        Assert.Equal(1, server.Listener.Pool.ReturnedCount);
    }

    [Fact]
    public async Task After_many_connections_come_and_go_every_pool_is_back_to_zero_and_objects_are_reused()
    {
        await using TransportTestServer server = TransportTestServer.StartEcho();
        const int Rounds = 100;
        for (int round = 0; round < Rounds; round++)
        {
            using Socket client = await server.ConnectAsync();
            byte[] sent = [(byte)round, 1, 2, 3];
            await client.SendAsync(sent, SocketFlags.None);
            Assert.Equal(sent, await SocketTestClient.ReceiveExactlyAsync(client, sent.Length).WaitAsync(TransportTestServer.Timeout));
            if (round % 2 == 0)
            {
                client.Shutdown(SocketShutdown.Send);   // clean close
            }
            else
            {
                client.LingerState = new LingerOption(true, 0);   // reset
            }
        }

        await server.AssertAllReturnedAsync();
        Assert.Equal(Rounds, server.Listener.Pool.ReturnedCount);

        // Blocks are reused rather than allocated per connection.
        Assert.True(server.Listener.Pool.BlockPool.BlockCount <= 64, $"{server.Listener.Pool.BlockPool.BlockCount} blocks");
    }
}
