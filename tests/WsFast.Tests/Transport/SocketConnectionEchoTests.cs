using System.Net.Sockets;

namespace WsFast.Tests.Transport;

public class SocketConnectionEchoTests
{
    [Fact]
    public async Task Echoes_bytes_of_one_connection_and_returns_everything_to_the_pools()
    {
        await using TransportTestServer server = TransportTestServer.StartEcho();
        var random = new Random(1);
        byte[] sent = SocketTestClient.RandomBytes(random, 300_000);

        using (Socket client = await server.ConnectAsync())
        {
            Task<byte[]> receiving = SocketTestClient.ReceiveToEndAsync(client, sent.Length);
            await SocketTestClient.SendSplitAsync(client, sent, random, 10_000);
            client.Shutdown(SocketShutdown.Send);
            byte[] received = await receiving.WaitAsync(TransportTestServer.Timeout);
            Assert.Equal(sent, received);
        }

        await server.AssertAllReturnedAsync();
    }

    [Fact]
    public async Task Echoes_200_concurrent_connections_with_random_sizes_up_to_1_MiB_and_split_writes()
    {
        await using TransportTestServer server = TransportTestServer.StartEcho();

        async Task RunClientAsync(int seed)
        {
            var random = new Random(seed);
            // Mostly small messages, one in ten up to 1 MiB: 200 connections stay within a few seconds on 2 cores.
            int size = random.Next(10) == 0 ? random.Next(1, 1024 * 1024 + 1) : random.Next(1, 16 * 1024);
            byte[] sent = SocketTestClient.RandomBytes(random, size);
            using Socket client = await server.ConnectAsync();
            Task<byte[]> receiving = SocketTestClient.ReceiveToEndAsync(client, size);
            await SocketTestClient.SendSplitAsync(client, sent, random, 64 * 1024);
            client.Shutdown(SocketShutdown.Send);
            byte[] received = await receiving;
            Assert.True(sent.AsSpan().SequenceEqual(received), $"connection {seed}: {received.Length} of {size} bytes came back, or differ");
        }

        await Task.WhenAll(Enumerable.Range(0, 200).Select(i => Task.Run(() => RunClientAsync(i))))
            .WaitAsync(TransportTestServer.Timeout);

        await server.AssertAllReturnedAsync();
    }
}
