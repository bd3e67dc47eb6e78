using System.Net;
using System.Net.Sockets;
using WsFast.Transport;

namespace WsFast.Tests.Transport;

public class SocketListenerTests
{
    [Fact]
    public async Task Binds_an_ephemeral_port_and_sets_no_delay_on_accepted_sockets()
    {
        await using TransportTestServer server = TransportTestServer.StartManual();
        Assert.NotEqual(0, server.EndPoint.Port);

        using Socket client = await server.ConnectAsync();
        SocketConnection connection = await server.AcceptAsync();
        Assert.True(connection.Id > 0);
        Assert.Equal(client.LocalEndPoint, connection.RemoteEndPoint);
        Assert.Equal(server.EndPoint, connection.LocalEndPoint);

        connection.Abort();
        await connection.Closed.WaitAsync(TransportTestServer.Timeout);
        connection.Dispose();
        await server.AssertAllReturnedAsync();
    }

    [Fact]
    public async Task Accepts_on_IPv6_loopback_when_available()
    {
        if (!Socket.OSSupportsIPv6)
        {
            return;
        }

        TransportTestServer server;
        try
        {
            server = TransportTestServer.StartEcho(IPAddress.IPv6Loopback);
        }
        catch (SocketException)
        {
            return;   // IPv6 is compiled in but ::1 cannot be bound here (for example, disabled in the container).
        }

        await using (server)
        {
            Assert.Equal(AddressFamily.InterNetworkV6, server.EndPoint.AddressFamily);
            using Socket client = await server.ConnectAsync();
            byte[] sent = [1, 2, 3, 4, 5];
            await client.SendAsync(sent, SocketFlags.None);
            Assert.Equal(sent, await SocketTestClient.ReceiveExactlyAsync(client, sent.Length).WaitAsync(TransportTestServer.Timeout));
        }
    }

    [Fact]
    public async Task Binds_several_endpoints_and_stop_accepting_leaves_connections_open()
    {
        SocketConnection? accepted = null;
        var gotConnection = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var listener = new SocketListener(
            [new IPEndPoint(IPAddress.Loopback, 0), new IPEndPoint(IPAddress.Loopback, 0)],
            connection =>
            {
                accepted = connection;
                gotConnection.TrySetResult();
            });
        listener.Start();
        Assert.Equal(2, listener.EndPoints.Count);
        Assert.NotEqual(listener.EndPoints[0].Port, listener.EndPoints[1].Port);

        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(listener.EndPoints[1]).WaitAsync(TransportTestServer.Timeout);
        await gotConnection.Task.WaitAsync(TransportTestServer.Timeout);

        listener.StopAccepting();
        await listener.WhenAcceptingStopped().WaitAsync(TransportTestServer.Timeout);

        // The accepted connection still works both ways.
        SocketConnection connection = accepted!;
        Assert.True(connection.Enqueue(new SharedBufferPool().Rent([7, 8, 9])));
        Assert.Equal([7, 8, 9], await SocketTestClient.ReceiveExactlyAsync(client, 3).WaitAsync(TransportTestServer.Timeout));

        // New connections are refused.
        using var late = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await Assert.ThrowsAsync<SocketException>(() => late.ConnectAsync(listener.EndPoints[0]).WaitAsync(TransportTestServer.Timeout));

        connection.Abort();
        await connection.Closed.WaitAsync(TransportTestServer.Timeout);
        connection.Dispose();
        Assert.Equal(0, listener.Pool.InUse);
    }
}
