using System.Diagnostics;
using System.Net.Sockets;

namespace WsFast.Tests.Attacks;

/// <summary>How and when the server ended a client's connection, as the client saw it.</summary>
/// <param name="Received">The bytes the server sent before the end.</param>
/// <param name="EndedAt">The <see cref="Stopwatch"/> timestamp of the end; 0 when it did not end in time.</param>
internal sealed record ConnectionEnd(byte[] Received, long EndedAt)
{
    public bool Ended => EndedAt != 0;

    /// <summary>Time from <paramref name="since"/> (a <see cref="Stopwatch"/> timestamp) to the end.</summary>
    public TimeSpan After(long since) => Stopwatch.GetElapsedTime(since, EndedAt);

    /// <summary>
    /// Reads everything the server sends on <paramref name="socket"/> until it ends the connection (FIN or reset:
    /// a server that drops a connection may do either) or <paramref name="timeout"/> passes.
    /// </summary>
    public static async Task<ConnectionEnd> WatchAsync(Socket socket, TimeSpan timeout)
    {
        var received = new MemoryStream();
        byte[] buffer = new byte[16 * 1024];
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            while (true)
            {
                int read = await socket.ReceiveAsync(buffer, SocketFlags.None, cancel.Token);
                if (read == 0)
                {
                    break;
                }

                received.Write(buffer, 0, read);
            }
        }
        catch (SocketException)
        {
            // A reset, or the test disposed the socket: either way the connection is over.
        }
        catch (OperationCanceledException)
        {
            return new ConnectionEnd(received.ToArray(), 0);
        }

        return new ConnectionEnd(received.ToArray(), Stopwatch.GetTimestamp());
    }
}
