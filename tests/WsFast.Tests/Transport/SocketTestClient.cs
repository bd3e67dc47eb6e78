using System.Net.Sockets;

namespace WsFast.Tests.Transport;

/// <summary>Plain-socket helpers for the peer side of the transport tests.</summary>
internal static class SocketTestClient
{
    /// <summary>Sends <paramref name="bytes"/> in random pieces of 1 byte to <paramref name="maxPiece"/> bytes.</summary>
    public static async Task SendSplitAsync(Socket socket, ReadOnlyMemory<byte> bytes, Random random, int maxPiece)
    {
        while (!bytes.IsEmpty)
        {
            int piece = Math.Min(bytes.Length, random.Next(1, maxPiece + 1));
            int sent = await socket.SendAsync(bytes[..piece], SocketFlags.None);
            bytes = bytes[sent..];
        }
    }

    /// <summary>Reads until the peer's FIN and returns everything read.</summary>
    public static async Task<byte[]> ReceiveToEndAsync(Socket socket, int expected = 0)
    {
        var received = new MemoryStream(expected);
        byte[] buffer = new byte[64 * 1024];
        while (true)
        {
            int count = await socket.ReceiveAsync(buffer, SocketFlags.None);
            if (count == 0)
            {
                return received.ToArray();
            }

            received.Write(buffer, 0, count);
        }
    }

    /// <summary>Reads exactly <paramref name="count"/> bytes; fails on an early FIN.</summary>
    public static async Task<byte[]> ReceiveExactlyAsync(Socket socket, int count)
    {
        byte[] buffer = new byte[count];
        int received = 0;
        while (received < count)
        {
            int n = await socket.ReceiveAsync(buffer.AsMemory(received), SocketFlags.None);
            Assert.NotEqual(0, n);
            received += n;
        }

        return buffer;
    }

    public static byte[] RandomBytes(Random random, int count)
    {
        byte[] bytes = new byte[count];
        random.NextBytes(bytes);
        return bytes;
    }
}
